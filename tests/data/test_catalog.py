import gzip
import hashlib
import re
from pathlib import Path

import pytest

from practicum.data import CATALOG, SourceFile, get
from practicum.data.errors import DataError

COURSE_SETS = {
    "mnist",
    "fashion-mnist",
    "cifar10",
    "ecg5000",
    "airline-passengers",
    "small-parallel-enja",
    "coco-captions",
    "flickr8k",
}


def test_catalog_has_every_course_data_set() -> None:
    assert set(CATALOG) == COURSE_SETS


@pytest.mark.parametrize("name", sorted(COURSE_SETS))
def test_entry_is_complete(name: str) -> None:
    ds = get(name)
    assert ds.license and ds.citation and ds.homepage.startswith("http")
    names = [f.name for f in ds.files]
    assert len(names) == len(set(names))
    for f in ds.files:
        assert f.urls and all(u.startswith(("http://", "https://")) for u in f.urls)
        assert f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256)
        assert set(f.splits) <= set(ds.splits)
    for split in ds.splits:
        assert ds.files_for(split), f"{name}/{split} has no source file"


def test_official_idx_and_cifar_checksums_are_known() -> None:
    for name in ("mnist", "fashion-mnist", "cifar10"):
        assert all(f.sha256 and f.size for f in get(name).files), name


def test_debian_fashion_copy_is_accepted_as_repackaging() -> None:
    f = get("fashion-mnist").file("t10k-labels-idx1-ubyte.gz")
    assert f is not None and f.sha256 is not None
    assert f.accepts(f.sha256)
    assert f.accepts(f.repackaged_sha256[0])
    assert not f.accepts("0" * 64)


def test_idx_files_know_their_decompressed_content() -> None:
    for name in ("mnist", "fashion-mnist"):
        sums = [f.content_sha256 for f in get(name).files]
        assert all(s and re.fullmatch(r"[0-9a-f]{64}", s) for s in sums), name
        assert len(set(sums)) == 4, name


def test_a_regzipped_copy_is_accepted_by_its_content(tmp_path: Path) -> None:
    content = bytes(range(256)) * 40
    official = gzip.compress(content, compresslevel=9, mtime=0)
    regzipped = gzip.compress(content, compresslevel=1, mtime=12345)
    assert official != regzipped
    spec = SourceFile(
        "t.gz",
        ("https://example.org/t.gz",),
        hashlib.sha256(official).hexdigest(),
        content_sha256=hashlib.sha256(content).hexdigest(),
    )
    files = {
        "official": official,
        "regzipped": regzipped,
        "other": gzip.compress(content[:-1]),
        "truncated": regzipped[:-20],
        "plain": content,
    }
    accepted = set()
    for label, blob in files.items():
        path = tmp_path / f"{label}.gz"
        path.write_bytes(blob)
        if spec.accepts_file(path, hashlib.sha256(blob).hexdigest()):
            accepted.add(label)
    assert accepted == {"official", "regzipped"}


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(DataError, match="known: mnist, fashion-mnist"):
        get("imagenet")
