"""Line-aligned parallel corpora (small_parallel_enja): line i of train.en translates
line i of train.ja, one tokenized sentence per line, UTF-8, Unix line endings."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from practicum.data.formats.source import Origin, StrPath, decode_utf8, position, read_file

MAX_TEXT_BYTES = 1 << 30
_FORBIDDEN = {
    b"\r": "carriage return (\\r): convert the file to Unix line endings",
    b"\0": "NUL byte: this is not a text file",
}


def read_lines(path: StrPath) -> np.ndarray:
    """One unicode array element per line, the trailing newline stripped."""
    path = Path(path)
    return parse_lines(read_file(path, MAX_TEXT_BYTES), Origin(path))


def parse_lines(data: bytes, origin: Origin) -> np.ndarray:
    for byte, problem in _FORBIDDEN.items():
        offset = data.find(byte)
        if offset >= 0:
            line, column = position(data, offset)
            raise origin.error(f"line {line}, byte {column}: {problem}")
    text = decode_utf8(data, origin)
    lines = text.removesuffix("\n").split("\n") if text else []
    return np.array(lines, dtype=str)


def read_parallel(source: StrPath, target: StrPath) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of a parallel corpus, refused unless they have the same number of lines."""
    left, right = read_lines(source), read_lines(target)
    if len(left) != len(right):
        raise Origin(Path(target)).error(
            f"{len(right):,} lines, but {Path(source).name} has {len(left):,}"
            " (a parallel corpus needs exactly one line per sentence pair)"
        )
    return left, right


def write_lines(path: StrPath, lines: np.ndarray | list[str]) -> Path:
    """Each line followed by a newline, UTF-8, like the corpus files."""
    path = Path(path)
    path.write_bytes("".join(f"{line}\n" for line in lines).encode("utf-8"))
    return path
