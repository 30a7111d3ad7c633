"""UCR time-series text files (e.g. ECG5000_TRAIN.txt): one series per line, the class
label first, then the values, separated by whitespace or commas.

Errors count lines from 1 and columns from 1, column 1 being the label, as an editor or
spreadsheet would show them.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np

from practicum.data.formats.safe_archive import iter_members
from practicum.data.formats.source import Origin, StrPath, decode_utf8, is_number, read_file

MAX_TEXT_BYTES = 1 << 30
_SEPARATOR = re.compile(r"[\s,]+")
_MAX_LABEL = 2**31


def read_ucr(path: StrPath) -> dict[str, np.ndarray]:
    """{"x": float32 (N, T), "y": int64 labels as written in the file}."""
    path = Path(path)
    return parse_ucr(read_file(path, MAX_TEXT_BYTES), Origin(path))


def read_ucr_zip(path: StrPath, name: str) -> dict[str, dict[str, np.ndarray]]:
    """{"train", "test"} from the archive's <name>_TRAIN.txt and <name>_TEST.txt (.tsv, as in
    the 2018 archive, also accepted); they may sit in a folder inside the archive."""
    path = Path(path)
    wanted = {
        f"{name}_{split.upper()}{suffix}".lower(): split
        for split in ("train", "test")
        for suffix in (".txt", ".tsv")
    }
    out: dict[str, dict[str, np.ndarray]] = {}
    for member in iter_members(path):
        split = wanted.get(member.name.rsplit("/", 1)[-1].lower())
        if split is not None and split not in out:
            out[split] = parse_ucr(member.read(), member.origin)
    for split in ("train", "test"):
        if split not in out:
            raise Origin(path).error(f"missing {name}_{split.upper()}.txt")
    return out


def parse_ucr(data: bytes, origin: Origin) -> dict[str, np.ndarray]:
    text = decode_utf8(data, origin)
    rows: list[list[float]] = []
    lines: list[int] = []
    for number, line in enumerate(text.split("\n"), start=1):
        fields = _SEPARATOR.split(line.strip())
        if fields == [""]:
            continue
        row = _numbers(fields, origin, number)
        if rows and len(row) != len(rows[0]):
            raise origin.error(
                f"line {number} has {len(row) - 1} values after the label,"
                f" line {lines[0]} has {len(rows[0]) - 1}"
            )
        if len(row) < 2:
            raise origin.error(f"line {number}: a label but no values")
        rows.append(row)
        lines.append(number)
    if not rows:
        raise origin.error("no data rows (empty file)")
    table = np.array(rows, dtype=np.float64)
    with np.errstate(over="ignore"):
        single = table.astype(np.float32)
    bad = np.argwhere(~np.isfinite(single))
    if bad.size:
        row_index, column = bad[0]
        raise origin.error(
            f"line {lines[row_index]}, column {column + 1}:"
            f" {table[row_index, column]:g} is not a finite float32 value"
        )
    labels = table[:, 0]
    odd = np.flatnonzero((labels != np.round(labels)) | (np.abs(labels) > _MAX_LABEL))
    if odd.size:
        first = odd[0]
        raise origin.error(
            f"line {lines[first]}, column 1: class label {labels[first]:g} is not an integer"
        )
    return {"x": np.ascontiguousarray(single[:, 1:]), "y": labels.astype(np.int64)}


def _numbers(fields: list[str], origin: Origin, line: int) -> list[float]:
    try:
        return [float(f) for f in fields]
    except ValueError:
        column, field = next((i, f) for i, f in enumerate(fields, 1) if not is_number(f))
        raise origin.error(
            f"line {line}, column {column}: {field[:40]!r} is not a number"
        ) from None


def encode_ucr(x: np.ndarray, y: np.ndarray) -> bytes:
    """Fixed-width scientific notation like the archive's files, with 9 significant digits
    so float32 values survive the round trip exactly."""
    if x.ndim != 2 or len(x) != len(y) or not np.isfinite(x).all():
        raise ValueError("UCR rows need finite values x (N, T) and one label each")
    out = io.StringIO()
    np.savetxt(
        out,
        np.column_stack([y.astype(np.float64), x.astype(np.float64)]),
        fmt="%16.8e",
        delimiter="",
    )
    return out.getvalue().encode("ascii")


def write_ucr(path: StrPath, x: np.ndarray, y: np.ndarray) -> Path:
    path = Path(path)
    path.write_bytes(encode_ucr(x, y))
    return path


def write_ucr_zip(
    path: StrPath,
    name: str,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
) -> Path:
    """The archive's <name>.zip with <name>_TRAIN.txt and <name>_TEST.txt at its top."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}_TRAIN.txt", encode_ucr(*train))
        archive.writestr(f"{name}_TEST.txt", encode_ucr(*test))
    return path
