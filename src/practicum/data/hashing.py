"""sha256 of files too large to read at once (COCO zips are up to 19 GB)."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

CHUNK = 1 << 20

ByteProgress = Callable[[int, int | None], None]
"""Called with (bytes done, bytes in all or None) after each chunk."""


def sha256_file(path: Path | str, progress: ByteProgress | None = None) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks so memory stays flat whatever its size."""
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as fh:
        total = os.fstat(fh.fileno()).st_size
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                done += len(chunk)
                progress(done, total)
    return digest.hexdigest()


def sha256_gunzipped(path: Path | str) -> str:
    """Hex sha256 of a gzip file's decompressed bytes, streamed in 1 MiB chunks."""
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
