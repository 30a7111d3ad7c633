"""Plain arrays that staff bring themselves: NumPy .npy files and CSVs of numbers.

Both are read without trusting the file: a .npy header is checked before any data is
loaded (no pickles, no object or structured dtypes, the announced size must be the size
on disk), and a CSV is refused at its first bad field, by line and column.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

import numpy as np

from practicum.data.formats.csv_series import _rows
from practicum.data.formats.source import Origin, StrPath, decode_utf8, is_number, read_file

MAX_NPY_BYTES = 1 << 32
"""4 GiB: far above a course's homework, far below what would take the machine down."""
MAX_CSV_BYTES = 1 << 28
NPY_KINDS = "biufU"
"""bool, integers, floats and unicode text: everything np.load reads without pickle."""
ID_LABEL = ("id", "label")
"""The Kaggle-style header (`practicum.grading.label_csv`): ids then one label per row."""


def read_npy(path: StrPath, max_bytes: int = MAX_NPY_BYTES) -> np.ndarray:
    """The array of a .npy file, refusing pickles and headers that lie about the size."""
    origin = Origin(Path(path))
    try:
        size = origin.path.stat().st_size
        if size > max_bytes:
            raise origin.error(f"{size:,} bytes is more than the limit of {max_bytes:,}")
        with origin.path.open("rb") as handle:
            shape, dtype = _npy_header(handle, origin)
            body = size - handle.tell()
            expected = math.prod(shape) * dtype.itemsize
            if body != expected:
                raise origin.error(
                    f"header says shape {shape} of {dtype} = {expected:,} bytes, found {body:,}"
                )
            handle.seek(0)
            array: np.ndarray = np.load(handle, allow_pickle=False)
            return array
    except OSError as exc:
        raise origin.error(f"cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # numpy's own refusals: bad magic, bad header
        raise origin.error(f"not a .npy array ({str(exc).splitlines()[0][:200]})") from None


def _npy_header(handle: BinaryIO, origin: Origin) -> tuple[tuple[int, ...], np.dtype[np.generic]]:
    fmt = np.lib.format
    version = fmt.read_magic(handle)
    if version == (1, 0):
        shape, _, dtype = fmt.read_array_header_1_0(handle)
    elif version == (2, 0):
        shape, _, dtype = fmt.read_array_header_2_0(handle)
    else:
        raise origin.error(f".npy format version {version} is not supported (save with np.save)")
    if dtype.hasobject:
        raise origin.error(
            "holds Python objects (a pickle), refused: it could run code when loaded; "
            "save a numeric array with np.save(path, array, allow_pickle=False)"
        )
    if dtype.kind not in NPY_KINDS or dtype.fields is not None:
        raise origin.error(f"expected numbers or text, got dtype {dtype}")
    return tuple(shape), dtype


def read_number_csv(path: StrPath, max_bytes: int = MAX_CSV_BYTES) -> np.ndarray:
    """Numbers, one row per item: one column gives a vector, several a matrix; int64 when
    every field is an integer, else float64. A first row of names is a header; under the
    header `id,label` the ids must count up from 0 or 1 and the labels are returned."""
    origin = Origin(Path(path))
    rows = _rows(decode_utf8(read_file(origin.path, max_bytes), origin), origin)
    header: list[str] = []
    if rows and not any(is_number(field) for field in rows[0][1]):
        header = [name.strip() for name in rows[0][1]]
        rows = rows[1:]
    if not rows:
        raise origin.error("no rows of numbers")
    width = len(header or rows[0][1])
    for line, row in rows:
        if len(row) != width:
            raise origin.error(f"line {line}: expected {width} columns, got {len(row)}")
    values = _numbers(rows, header, origin)
    if tuple(name.lower() for name in header) == ID_LABEL:
        _check_ids(values[:, 0], rows, origin)
        return values[:, 1]
    return values[:, 0] if width == 1 else values


def _numbers(rows: list[tuple[int, list[str]]], header: list[str], origin: Origin) -> np.ndarray:
    """All fields at numpy speed; on failure, field by field, to name the first bad one."""
    text = np.array([row for _, row in rows], dtype=str)
    try:
        return text.astype(np.int64)
    except (ValueError, OverflowError):
        pass

    def where(index: int, column: int) -> str:
        name = f" ({header[column]})" if header else ""
        return f"line {rows[index][0]}, column {column + 1}{name}"

    try:
        values = text.astype(np.float64)
    except ValueError:
        for index, (_, row) in enumerate(rows):
            for column, field in enumerate(row):
                if not is_number(field):
                    raise origin.error(
                        f"{where(index, column)}: expected a number, got {field[:40]!r}"
                    ) from None
        values = np.array([[float(field) for field in row] for _, row in rows])
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        index, column = (int(i) for i in bad[0])
        field = rows[index][1][column]
        raise origin.error(f"{where(index, column)}: expected a finite number, got {field[:40]!r}")
    return values


def _check_ids(ids: np.ndarray, rows: list[tuple[int, list[str]]], origin: Origin) -> None:
    """Ids are the row order spelt out; any other order would pair labels with wrong items."""
    first = 1 if ids[0] == 1 else 0
    for index, (line, row) in enumerate(rows):
        if ids[index] != first + index:
            raise origin.error(
                f"line {line}, column 1 (id): expected {first + index}, got {row[0]!r} "
                "(rows must be in item order)"
            )
