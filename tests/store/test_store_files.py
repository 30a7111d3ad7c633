from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from practicum.store import BlobCorrupt, BlobMissing, FileStore, InvalidDigest


def test_same_content_is_stored_once_under_its_sha256(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(b"id,label\n0,3\n")
    assert digest == hashlib.sha256(b"id,label\n0,3\n").hexdigest()
    assert store.put(b"id,label\n0,3\n") == digest
    assert store.path_for(digest) == tmp_path / "blobs" / digest[:2] / digest[2:]
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [store.path_for(digest)]
    assert store.read(digest) == b"id,label\n0,3\n"
    assert list(store.digests()) == [digest]


def test_re_putting_refreshes_the_age_that_gc_looks_at(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(b"x")
    os.utime(store.path_for(digest), (1_000_000, 1_000_000))
    assert store.age_seconds(digest) > 3600
    store.put(b"x")
    assert store.age_seconds(digest) < 60


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "", "AB" * 32, "a" * 63, "a" * 65, "/" + "a" * 63, "g" * 64],
)
def test_names_other_than_hex_digests_are_refused(tmp_path: Path, name: str) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(InvalidDigest, match="not a sha256 hex digest"):
        store.path_for(name)
    with pytest.raises(InvalidDigest):
        store.read(name)


def test_a_failed_write_leaves_no_blob_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path)

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.put(b"half")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_reading_checks_the_content_against_its_name(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(b"good")
    store.path_for(digest).write_bytes(b"flipped bits")
    with pytest.raises(BlobCorrupt, match=digest):
        store.read(digest)
    with pytest.raises(BlobMissing, match="not in the file store"):
        store.read("0" * 64)


def test_listing_skips_stray_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(b"kept")
    (store.path_for(digest).parent / ".tmp123").write_bytes(b"stray")
    (store.blobs / "README").write_text("not a shard")
    assert list(store.digests()) == [digest]
    assert store.delete(digest) and not store.delete(digest)
    assert list(store.digests()) == []
