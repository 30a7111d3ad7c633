from pathlib import Path

import numpy as np
import pytest

from practicum.data import cache
from practicum.data.errors import DataError


def _write(home: Path, value: int = 1) -> Path:
    arrays = {"x": np.full((3, 2), value, np.uint8), "y": np.arange(3, dtype=np.int64)}
    return cache.write_split(home, "toy", "train", arrays, sources=[], verified=True)


def test_round_trip_and_manifest(tmp_path: Path) -> None:
    _write(tmp_path)
    found = cache.find_split(tmp_path, "toy", "train")
    assert found is not None and found.verified
    arrays = cache.read_split(found)
    assert arrays["x"].dtype == np.uint8 and arrays["x"].shape == (3, 2)
    np.testing.assert_array_equal(arrays["y"], [0, 1, 2])
    assert cache.verify_split(found) == []


def test_interrupted_write_keeps_old_copy_and_leaves_no_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, value=1)
    real_save = np.save
    calls = {"n": 0}

    def failing_save(file, arr, allow_pickle=False):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl-C half-way
        real_save(file, arr, allow_pickle=allow_pickle)

    monkeypatch.setattr(np, "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        _write(tmp_path, value=7)
    monkeypatch.setattr(np, "save", real_save)
    found = cache.find_split(tmp_path, "toy", "train")
    assert found is not None
    assert cache.read_split(found)["x"][0, 0] == 1  # old data intact
    assert [p.name for p in (tmp_path / "toy").iterdir()] == ["train"]  # no temp left over


def test_first_write_interrupted_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(OSError):
        _write(tmp_path)
    assert cache.find_split(tmp_path, "toy", "train") is None
    assert list((tmp_path / "toy").iterdir()) == []


def test_tampered_array_is_detected(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    np.save(folder / "y.npy", np.array([0, 1, 5], dtype=np.int64))
    found = cache.find_split(tmp_path, "toy", "train")
    assert found is not None
    assert cache.verify_split(found) == ["train/y.npy: sha256 differs from the manifest (y)"]


def test_wrong_shape_is_a_clear_error(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    np.save(folder / "x.npy", np.zeros((2, 2), np.uint8))
    found = cache.find_split(tmp_path, "toy", "train")
    assert found is not None
    with pytest.raises(DataError, match=r"x.npy is uint8\[2, 2\], manifest says uint8\[3, 2\]"):
        cache.read_split(found)


def test_object_arrays_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="object dtype"):
        cache.write_split(
            tmp_path,
            "toy",
            "train",
            {"t": np.array([[1], "a"], dtype=object)},
            sources=[],
            verified=False,
        )
