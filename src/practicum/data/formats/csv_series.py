"""Monthly series as CSV (airline-passengers.csv): a header "Month","Passengers", then one
row per month, "YYYY-MM",<number>, months consecutive. Lines count from 1 (the header)."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np

from practicum.data.formats.source import Origin, StrPath, decode_utf8, read_file

HEADER = ("Month", "Passengers")
MAX_CSV_BYTES = 1 << 26
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def read_monthly_csv(path: StrPath) -> dict[str, np.ndarray]:
    """{"month": unicode "YYYY-MM", "passengers": float32}."""
    path = Path(path)
    origin = Origin(path)
    text = decode_utf8(read_file(path, MAX_CSV_BYTES), origin)
    rows = _rows(text, origin)
    if not rows or tuple(rows[0][1]) != HEADER:
        found = rows[0][1] if rows else "nothing"
        raise origin.error(f"line 1: expected the header {','.join(HEADER)}, found {found}")
    months: list[str] = []
    values: list[float] = []
    previous: int | None = None
    for number, row in rows[1:]:
        if len(row) != 2:
            raise origin.error(f"line {number}: expected 2 columns, found {len(row)}")
        index = _month_index(row[0], origin, number)
        if previous is not None and index != previous + 1:
            raise origin.error(
                f"line {number}, column 1 (Month): {row[0]} does not follow {months[-1]}"
            )
        previous = index
        months.append(row[0])
        values.append(_number(row[1], origin, number))
    if not months:
        raise origin.error("no data rows after the header")
    return {"month": np.array(months, dtype=str), "passengers": np.array(values, np.float32)}


def _rows(text: str, origin: Origin) -> list[tuple[int, list[str]]]:
    """Non-blank rows with their line numbers."""
    reader = csv.reader(text.splitlines())
    try:
        return [(reader.line_num, row) for row in reader if row]
    except csv.Error as exc:
        raise origin.error(f"line {reader.line_num}: {exc}") from None


def _month_index(field: str, origin: Origin, line: int) -> int:
    match = _MONTH.fullmatch(field)
    if match is None:
        raise origin.error(f"line {line}, column 1 (Month): {field[:40]!r} is not YYYY-MM")
    return int(match[1]) * 12 + int(match[2]) - 1


def _number(field: str, origin: Origin, line: int) -> float:
    try:
        value = float(field)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise origin.error(
            f"line {line}, column 2 (Passengers): {field[:40]!r} is not a non-negative number"
        )
    return value


def write_monthly_csv(path: StrPath, months: list[str] | np.ndarray, values: np.ndarray) -> Path:
    """Quoted header and months, bare numbers, CRLF line ends, like the published file."""
    path = Path(path)
    lines = [",".join(f'"{h}"' for h in HEADER)]
    lines += [f'"{m}",{_plain(float(v))}' for m, v in zip(months, values, strict=True)]
    path.write_bytes("\r\n".join(lines).encode("ascii"))
    return path


def _plain(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)
