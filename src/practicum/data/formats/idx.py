"""IDX files (MNIST, Fashion-MNIST): a big-endian header, then the raw array.

Layout: two zero bytes, a type code, the number of dimensions, one big-endian uint32 per
dimension, then the values in C order. The official files are gzipped; a browser may have
unpacked them already, so gzip is recognised by its magic bytes rather than the name.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from practicum.data.errors import FormatError
from practicum.data.formats.source import Origin, Readable, StrPath

MAX_IDX_BYTES = 1 << 31
"""Largest body a header may announce; the official training images are 47 MB."""

TYPE_CODES: dict[int, np.dtype[np.generic]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
"""The official file names of MNIST and Fashion-MNIST, per split: (images, labels)."""

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


def read_idx(path: StrPath, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """The array stored in an IDX file (gzipped or raw), in native byte order."""
    origin = Origin(Path(path))
    try:
        raw = origin.path.open("rb")
    except OSError as exc:
        raise origin.error(f"cannot read: {exc.strerror}") from None
    with raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stream: Readable = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        try:
            return _parse(stream, origin, max_bytes)
        except _GZIP_ERRORS as exc:
            raise origin.error(f"corrupt gzip stream: {exc}") from None
        except OSError as exc:
            raise origin.error(f"cannot read: {exc.strerror or exc}") from None


def read_idx_dataset(folder: StrPath) -> dict[str, dict[str, np.ndarray]]:
    """MNIST-style splits from a folder holding the four official files: x uint8, y int64."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for split, (images_name, labels_name) in IDX_FILES.items():
        images, labels = Path(folder, images_name), Path(folder, labels_name)
        x, y = read_idx(images), read_idx(labels)
        if x.dtype != np.uint8 or x.ndim != 3:
            raise FormatError(images, f"expected uint8 images (N, H, W), found {x.dtype} {x.shape}")
        if y.dtype != np.uint8 or y.ndim != 1:
            raise FormatError(labels, f"expected a uint8 label vector, found {y.dtype} {y.shape}")
        if len(x) != len(y):
            raise FormatError(labels, f"{len(y):,} labels for {len(x):,} images in {images_name}")
        out[split] = {"x": x, "y": y.astype(np.int64)}
    return out


def _parse(stream: Readable, origin: Origin, max_bytes: int) -> np.ndarray:
    magic = stream.read(4)
    if len(magic) < 4:
        raise origin.error(f"too short for an IDX header ({len(magic)} bytes)")
    if magic[:2] != b"\0\0":
        raise origin.error(f"bad magic 0x{magic.hex()}: an IDX file starts with two zero bytes")
    dtype = TYPE_CODES.get(magic[2])
    if dtype is None:
        known = ", ".join(f"0x{code:02X}" for code in TYPE_CODES)
        raise origin.error(f"unknown IDX type code 0x{magic[2]:02X} (known: {known})")
    ndim = magic[3]
    if ndim == 0:
        raise origin.error("IDX header says 0 dimensions")
    header = stream.read(4 * ndim)
    if len(header) < 4 * ndim:
        raise origin.error(f"truncated header: {ndim} dimensions need {4 * ndim} bytes")
    shape = struct.unpack(f">{ndim}I", header)
    expected = math.prod(shape) * dtype.itemsize
    said = "x".join(map(str, shape))
    if dtype.itemsize > 1:
        said += f" of {dtype.itemsize}-byte {dtype.name}"
    said = f"header says {said} = {expected:,} bytes"
    if expected > max_bytes:
        raise origin.error(f"{said}, more than the limit of {max_bytes:,}")
    body = _read_up_to(stream, expected)
    if len(body) < expected:
        raise origin.error(f"truncated: {said}, found {len(body):,}")
    extra = _count_rest(stream, max_bytes)
    if extra:
        raise origin.error(f"trailing garbage: {said}, found {expected + extra:,}")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _read_up_to(stream: Readable, size: int) -> bytes:
    """Read in chunks, so a lying header costs only the bytes really there."""
    chunks: list[bytes] = []
    left = size
    while left and (chunk := stream.read(min(_CHUNK, left))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _count_rest(stream: Readable, cap: int) -> int:
    """Bytes left after the body (reading to the end also makes gzip check its CRC)."""
    extra = 0
    while chunk := stream.read(_CHUNK):
        extra += len(chunk)
        if extra > cap:
            break
    return extra


def encode_idx(array: np.ndarray) -> bytes:
    """The exact IDX bytes of an array (not gzipped)."""
    codes = {dtype.newbyteorder("="): code for code, dtype in TYPE_CODES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store {array.dtype}; use one of {sorted(map(str, codes))}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, not {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()
    return header + body


def write_idx(path: StrPath, array: np.ndarray) -> Path:
    """Write an IDX file, gzipped like the official ones when the name ends in .gz."""
    path = Path(path)
    data = encode_idx(array)
    if path.suffix == ".gz":
        # mtime=0 keeps the bytes reproducible; the stored name is the one without .gz.
        with path.open("wb") as raw, gzip.GzipFile(path.name, "wb", fileobj=raw, mtime=0) as out:
            out.write(data)
    else:
        path.write_bytes(data)
    return path
