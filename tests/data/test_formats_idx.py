"""IDX files (MNIST): exact official bytes, round trips, and every kind of damage refused."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from practicum.data.errors import FormatError
from practicum.data.formats.idx import read_idx, read_idx_dataset, write_idx

IMAGES = "t10k-images-idx3-ubyte.gz"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def images(n: int = 10) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def raw_idx(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def test_writes_the_official_header_and_gzip(tmp_path: Path) -> None:
    path = write_idx(tmp_path / IMAGES, images(10))
    data = raw_idx(path)
    assert data[:4] == b"\x00\x00\x08\x03"  # ubyte, 3 dimensions: the MNIST image magic 2051
    assert struct.unpack(">3I", data[4:16]) == (10, 28, 28)
    assert len(data) == 16 + 10 * 28 * 28
    labels = raw_idx(
        write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(10, dtype=np.uint8))
    )
    assert labels[:8] == b"\x00\x00\x08\x01\x00\x00\x00\x0a"  # magic 2049, then 10 items
    assert gzip.decompress(path.read_bytes()) == data  # a standard gzip member


def test_multibyte_types_are_big_endian(tmp_path: Path) -> None:
    data = write_idx(tmp_path / "a.idx", np.array([1, -2], np.int32)).read_bytes()
    assert data == b"\x00\x00\x0c\x01" + struct.pack(">I", 2) + struct.pack(">2i", 1, -2)


@FUZZ
@given(
    array=hnp.arrays(
        dtype=st.sampled_from(["u1", "i1", ">i2", "<i2", "i4", "f4", "f8"]),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6),
    ),
    gzipped=st.booleans(),
)
def test_round_trip_any_shape_and_type(tmp_path: Path, array: np.ndarray, gzipped: bool) -> None:
    back = read_idx(write_idx(tmp_path / ("x.idx.gz" if gzipped else "x.idx"), array))
    assert back.shape == array.shape
    assert back.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(back, array)  # NaN compares equal here, bit patterns kept


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    unpacked = tmp_path / IMAGES  # a browser may unpack and keep the .gz name
    unpacked.write_bytes(raw_idx(write_idx(tmp_path / "a.gz", images(3))))
    np.testing.assert_array_equal(read_idx(unpacked), images(3))


@pytest.mark.parametrize(
    ("mangle", "check"),
    [
        (lambda d: d[:5000], "truncated: header says 10x28x28 = 7,840 bytes, found 4,984"),
        (
            lambda d: d + b"\x00\x01",
            "trailing garbage: header says 10x28x28 = 7,840 bytes, found 7,842",
        ),
        (lambda d: b"\x01" + d[1:], "bad magic 0x01000803"),
        (lambda d: d[:2] + b"\x07" + d[3:], "unknown IDX type code 0x07"),
        (lambda d: d[:3] + b"\x00" + d[4:], "0 dimensions"),
        (lambda d: d[:10], "truncated header: 3 dimensions need 12 bytes"),
        (lambda d: b"", "too short for an IDX header (0 bytes)"),
    ],
)
def test_damaged_body_is_refused(
    tmp_path: Path, mangle: Callable[[bytes], bytes], check: str
) -> None:
    data = raw_idx(write_idx(tmp_path / "a.gz", images(10)))
    for path in (tmp_path / IMAGES, tmp_path / IMAGES.removesuffix(".gz")):
        path.write_bytes(gzip.compress(mangle(data)) if path.suffix == ".gz" else mangle(data))
        with pytest.raises(FormatError) as error:
            read_idx(path)
        assert str(error.value).startswith(f"{path.name}: ")
        assert check in str(error.value)


def test_truncated_and_corrupt_gzip_are_refused(tmp_path: Path) -> None:
    packed = write_idx(tmp_path / "a.gz", images(10)).read_bytes()
    path = tmp_path / IMAGES
    path.write_bytes(packed[:-20])
    with pytest.raises(
        FormatError, match=rf"^{IMAGES}: corrupt gzip stream: Compressed file ended"
    ):
        read_idx(path)
    flipped = bytearray(packed)
    flipped[-6] ^= 0xFF  # inside the CRC32 of the trailer
    path.write_bytes(bytes(flipped))
    with pytest.raises(FormatError, match=rf"^{IMAGES}: corrupt gzip stream: CRC check failed"):
        read_idx(path)


def test_a_lying_header_costs_nothing(tmp_path: Path) -> None:
    path = tmp_path / "huge.idx"
    path.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">3I", 60000, 28, 28))  # 47 MB promised
    with pytest.raises(
        FormatError, match="truncated: header says 60000x28x28 = 47,040,000 bytes, found 0"
    ):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x0e\x03" + b"\xff" * 12)
    with pytest.raises(FormatError, match="more than the limit"):
        read_idx(path)


@FUZZ
@given(data=st.binary(max_size=300), gzipped=st.booleans())
def test_arbitrary_bytes_raise_only_format_error(
    tmp_path: Path, data: bytes, gzipped: bool
) -> None:
    path = tmp_path / "fuzz.gz"
    path.write_bytes(gzip.compress(data) if gzipped else data)
    try:
        result = read_idx(path)
    except FormatError as error:
        assert str(error).startswith("fuzz.gz: ")
    else:
        assert isinstance(result, np.ndarray)  # the bytes happened to be a valid IDX file


@FUZZ
@given(cut=st.integers(0, 200), flip=st.integers(0, 10**6))
def test_damaged_gzip_bytes_raise_only_format_error(tmp_path: Path, cut: int, flip: int) -> None:
    packed = bytearray(write_idx(tmp_path / "a.gz", images(2)).read_bytes())
    packed[flip % len(packed)] ^= 0x5A
    path = tmp_path / IMAGES
    path.write_bytes(bytes(packed[: len(packed) - cut]))
    try:
        read_idx(path)
    except FormatError as error:
        assert str(error).startswith(f"{IMAGES}: ")


def test_dataset_folder_gives_uint8_images_and_int64_labels(tmp_path: Path) -> None:
    labels = np.arange(10, dtype=np.uint8) % 10
    for prefix, n in (("train", 10), ("t10k", 10)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images(n))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels[:n])
    splits = read_idx_dataset(tmp_path)
    assert set(splits) == {"train", "test"}
    assert splits["test"]["x"].dtype == np.uint8 and splits["test"]["x"].shape == (10, 28, 28)
    assert splits["test"]["y"].dtype == np.int64
    np.testing.assert_array_equal(splits["test"]["y"], labels)


def test_dataset_folder_refuses_label_count_mismatch(tmp_path: Path) -> None:
    for prefix in ("train", "t10k"):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images(10))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.zeros(9, np.uint8))
    with pytest.raises(FormatError, match=r"^train-labels-idx1-ubyte\.gz: 9 labels for 10 images"):
        read_idx_dataset(tmp_path)


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"^nothing\.gz: cannot read: No such file"):
        read_idx(tmp_path / "nothing.gz")


def test_writer_refuses_types_idx_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="IDX cannot store int64"):
        write_idx(tmp_path / "a.idx", np.zeros(3, np.int64))
