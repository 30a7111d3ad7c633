"""Content-addressed blob store: submitted files live under `<root>/blobs/ab/cdef…`.

A blob's name is the sha256 of its bytes, so writing the same content twice is a no-op,
a half-written file can never take a real name (temp file + os.replace), and no
user-supplied string ever becomes part of a path (names must be 64 hex digits).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from practicum.atomic import atomic_open
from practicum.store.errors import BlobCorrupt, BlobMissing, InvalidDigest

_DIGEST = re.compile(r"[0-9a-f]{64}")


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check_digest(digest: str) -> str:
    """The digest itself, if it is 64 lowercase hex digits; anything else could escape the root."""
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise InvalidDigest(f"not a sha256 hex digest: {digest!r}")
    return digest


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"

    def path_for(self, digest: str) -> Path:
        digest = check_digest(digest)
        return self.blobs / digest[:2] / digest[2:]

    def put(self, content: bytes) -> str:
        """Store `content` and return its digest.

        An existing blob gets its mtime refreshed instead of being rewritten: `gc_blobs`
        spares recently touched blobs, so a submission that is about to reference an old
        orphan blob does not lose it to a concurrent collection.
        """
        digest = sha256_hex(content)
        path = self.path_for(digest)
        if path.exists():
            os.utime(path)
            return digest
        with atomic_open(path, "wb") as handle:
            handle.write(content)
        return digest

    def exists(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def read(self, digest: str) -> bytes:
        """The blob's bytes, checked against its name so that disk corruption is never served."""
        path = self.path_for(digest)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise BlobMissing(digest) from None
        actual = sha256_hex(content)
        if actual != digest:
            raise BlobCorrupt(digest, actual)
        return content

    def delete(self, digest: str) -> bool:
        path = self.path_for(digest)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def digests(self) -> Iterator[str]:
        """Every blob on disk; stray files (temp files, foreign names) are skipped."""
        if not self.blobs.is_dir():
            return
        for shard in sorted(self.blobs.iterdir()):
            if not shard.is_dir():
                continue
            for entry in sorted(shard.iterdir()):
                digest = shard.name + entry.name
                if entry.is_file() and _DIGEST.fullmatch(digest):
                    yield digest

    def age_seconds(self, digest: str, now: float | None = None) -> float:
        """Seconds since the blob was last written or re-put (by mtime)."""
        now = time.time() if now is None else now
        return now - self.path_for(digest).stat().st_mtime
