import re

import pytest

from practicum.data import CATALOG, get
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


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(DataError, match="known: mnist, fashion-mnist"):
        get("imagenet")
