"""CIFAR-10 python batches: official structure, round trips, and hostile pickles refused."""

from __future__ import annotations

import io
import pickle
import pickletools
import tarfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practicum.data.errors import FormatError
from practicum.data.formats.cifar import CIFAR10_CLASSES, read_cifar10_python, write_cifar10_python
from practicum.data.formats.py2pickle import dumps_py2, load_untrusted
from practicum.data.formats.source import Origin

ARCHIVE = "cifar-10-python.tar.gz"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return write_cifar10_python(tmp_path / ARCHIVE, sample(23, 0), sample(7, 1))


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def repack(path: Path, replace: dict[str, bytes]) -> Path:
    """The same tar.gz with some members' bytes replaced (or added)."""
    content = {**members(path), **replace}
    with tarfile.open(path, "w:gz") as tar:
        for name, data in content.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_round_trip(archive: Path) -> None:
    splits, classes = read_cifar10_python(archive)
    assert classes == list(CIFAR10_CLASSES)
    for split, seed, n in (("train", 0, 23), ("test", 1, 7)):
        x, y = sample(n, seed)
        assert splits[split]["x"].dtype == np.uint8 and splits[split]["x"].shape == (n, 32, 32, 3)
        assert splits[split]["y"].dtype == np.int64
        np.testing.assert_array_equal(splits[split]["x"], x)
        np.testing.assert_array_equal(splits[split]["y"], y)


def test_official_layout_and_pickle_structure(archive: Path) -> None:
    content = members(archive)
    folder = "cifar-10-batches-py/"
    expected = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    assert list(content) == [folder + name for name in [*expected, "readme.html"]]
    raw = content[folder + "data_batch_1"]
    opcodes = {op.name for op, _, _ in pickletools.genops(raw)}
    globals_ = [arg for op, arg, _ in pickletools.genops(raw) if op.name == "GLOBAL"]
    assert raw[:2] == b"\x80\x02"  # protocol 2
    assert globals_ == ["numpy.core.multiarray _reconstruct", "numpy ndarray", "numpy dtype"]
    assert "BINUNICODE" not in opcodes  # Python 2 str, not unicode
    # The recipe from the CIFAR web page reads it into the documented structure.
    batch = pickle.loads(raw, encoding="bytes")
    assert set(batch) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert batch[b"data"].dtype == np.uint8 and batch[b"data"].shape == (5, 3072)
    assert batch[b"batch_label"] == b"training batch 1 of 5"
    x, _ = sample(23, 0)
    np.testing.assert_array_equal(batch[b"data"][0, :1024], x[0, :, :, 0].ravel())  # red plane
    meta = pickle.loads(content[folder + "batches.meta"], encoding="bytes")
    assert meta[b"label_names"] == [c.encode() for c in CIFAR10_CLASSES]


def test_extracted_folder_is_read_too(archive: Path, tmp_path: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "out", filter="data")
    for folder in (tmp_path / "out", tmp_path / "out" / "cifar-10-batches-py"):
        splits, _ = read_cifar10_python(folder)
        np.testing.assert_array_equal(splits["test"]["x"], sample(7, 1)[0])


def payload(command: str) -> bytes:
    """A pickle that runs a shell command through os.system when loaded."""
    return b"\x80\x02cos\nsystem\nU" + bytes([len(command)]) + command.encode() + b"\x85R."


def test_forbidden_global_is_refused_and_not_run(archive: Path, tmp_path: Path) -> None:
    control, marker = tmp_path / "control", tmp_path / "marker"
    pickle.loads(payload(f"touch {control}"))  # proves the payload is live for a plain loader
    assert control.exists()
    hostile = b"\x80\x02}q\x01U\x04dataq\x02" + payload(f"touch {marker}")[2:-1] + b"s."
    repack(archive, {"cifar-10-batches-py/data_batch_1": hostile})
    with pytest.raises(FormatError) as error:
        read_cifar10_python(archive)
    assert str(error.value) == (
        f"{ARCHIVE}: cifar-10-batches-py/data_batch_1: pickle references forbidden global os.system"
    )
    assert not marker.exists()


@pytest.mark.parametrize(
    "global_", [b"builtins\neval\n", b"numpy\nload\n", b"_codecs\nencode\n", b"posix\nsystem\n"]
)
def test_only_array_globals_are_allowed(archive: Path, global_: bytes) -> None:
    hostile = b"\x80\x02c" + global_ + b"U\x011\x85R."
    repack(archive, {"cifar-10-batches-py/test_batch": hostile})
    module, name = global_.decode().split()
    with pytest.raises(
        FormatError, match=f"test_batch: pickle references forbidden global {module}.{name}$"
    ):
        read_cifar10_python(archive)


def test_numpy2_spelling_of_reconstruct_is_accepted(archive: Path) -> None:
    folder = "cifar-10-batches-py/"
    raw = members(archive)[folder + "test_batch"]
    respelled = raw.replace(b"cnumpy.core.multiarray\n", b"cnumpy._core.multiarray\n")
    assert respelled != raw
    splits, _ = read_cifar10_python(repack(archive, {folder + "test_batch": respelled}))
    np.testing.assert_array_equal(splits["test"]["x"], sample(7, 1)[0])


def test_object_arrays_are_refused(archive: Path) -> None:
    raw = members(archive)["cifar-10-batches-py/test_batch"].replace(b"U\x02u1", b"U\x02O8")
    repack(archive, {"cifar-10-batches-py/test_batch": raw})
    with pytest.raises(
        FormatError, match=r"test_batch: corrupt pickle: .*not a plain numeric type"
    ):
        read_cifar10_python(archive)


@pytest.mark.parametrize(
    ("batch", "check"),
    [
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1]}, "1 labels for 2 images"),
        (
            {b"data": np.zeros((1, 3072), np.uint8), b"labels": [10]},
            "label 10 of image 0 is not in 0..9",
        ),
        (
            {b"data": np.zeros((1, 3071), np.uint8), b"labels": [1]},
            "b'data' rows hold 3071 values, expected 3072",
        ),
        ({b"data": np.zeros((1, 3072), np.int32), b"labels": [1]}, "b'data' must be a uint8 array"),
        (
            {b"data": np.zeros((1, 3072), np.uint8), b"labels": ["x"]},
            "b'labels' must be a list of ints",
        ),
        ([1, 2], "expected a pickled dict, found list"),
    ],
)
def test_malformed_batches_are_refused(archive: Path, batch: object, check: str) -> None:
    repack(archive, {"cifar-10-batches-py/test_batch": dumps_py2(batch)})
    with pytest.raises(FormatError) as error:
        read_cifar10_python(archive)
    assert str(error.value).startswith(f"{ARCHIVE}: cifar-10-batches-py/test_batch: {check}")


def test_missing_batch_is_named(tmp_path: Path, archive: Path) -> None:
    content = members(archive)
    del content["cifar-10-batches-py/data_batch_3"]
    with tarfile.open(tmp_path / "gap.tar.gz", "w:gz") as tar:
        for name, data in content.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(
        FormatError, match=r"^gap\.tar\.gz: missing cifar-10-batches-py/data_batch_3$"
    ):
        read_cifar10_python(tmp_path / "gap.tar.gz")


def test_truncated_archive_is_refused(archive: Path) -> None:
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=rf"^{ARCHIVE}: .*(truncated|corrupt)"):
        read_cifar10_python(archive)


@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_format_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / ARCHIVE
    path.write_bytes(data)
    with pytest.raises(FormatError, match=f"^{ARCHIVE}: "):
        read_cifar10_python(path)


@FUZZ
@given(position=st.integers(0, 10**6), value=st.integers(0, 255), cut=st.integers(0, 50))
def test_damaged_pickles_raise_only_format_error(
    tmp_path: Path, position: int, value: int, cut: int
) -> None:
    x, y = sample(2, 0)
    raw = bytearray(dumps_py2({b"data": x.reshape(2, -1), b"labels": [int(v) for v in y]}))
    raw[position % 200] = value  # the header and first bytes, where structure lives
    path = write_cifar10_python(tmp_path / ARCHIVE, sample(5, 0), sample(2, 1), batches=1)
    repack(path, {"cifar-10-batches-py/test_batch": bytes(raw[: len(raw) - cut])})
    try:
        read_cifar10_python(path)
    except FormatError as error:
        assert str(error).startswith(f"{ARCHIVE}: ")


def load(raw: bytes) -> object:
    return load_untrusted(raw, Origin(Path("data_batch_1")))


@pytest.mark.parametrize(
    ("before", "after", "check"),
    [
        (b"J\xff\xff\xff\xffK\x00t", b"J\xff\xff\xff\xffK\x01t", "unexpected dtype state"),
        (b"U\x01|", b"U\x01!", "unexpected byte order"),
        (b"K\x02K\x03\x86", b"K\x02K\x04\x86", "array data holds 6 bytes, shape needs 8"),
        (b"b\x89U\x06\x00\x01\x02\x03\x04\x05", b"b\x89K\x06", "needs a dtype and raw bytes"),
    ],
)
def test_tampered_array_state_is_refused(before: bytes, after: bytes, check: str) -> None:
    raw = dumps_py2(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert before in raw
    with pytest.raises(FormatError) as error:
        load(raw.replace(before, after))
    assert str(error.value).startswith("data_batch_1: corrupt pickle:")
    assert check in str(error.value)


def test_array_state_orders_are_honoured() -> None:
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    raw = dumps_py2(array)
    np.testing.assert_array_equal(load(raw), array)  # type: ignore[arg-type]
    fortran = load(raw.replace(b"b\x89U\x06", b"b\x88U\x06"))  # same bytes, column-major
    np.testing.assert_array_equal(fortran, np.arange(6).reshape(2, 3, order="F"))  # type: ignore[arg-type]
    wide = np.array([1, 256], dtype=">i4")
    back = load(dumps_py2(wide.astype("<i4")).replace(b"U\x01<", b"U\x01>"))
    assert isinstance(back, np.ndarray) and back.dtype == np.dtype("=i4")
    np.testing.assert_array_equal(back, wide.astype("<i4").byteswap())


def test_cycles_and_deep_nesting_are_refused() -> None:
    cycle = b"\x80\x02]q\x01h\x01a."  # a list that contains itself
    with pytest.raises(FormatError, match="nested too deeply"):
        load(cycle)
