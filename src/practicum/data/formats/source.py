"""Where parsed bytes came from, so every complaint names the file (and archive member)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from practicum.data.errors import FormatError

StrPath = str | os.PathLike[str]


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Origin:
    """A file, or a member inside an archive file: errors name both."""

    path: Path
    member: str | None = None

    @property
    def label(self) -> str:
        """How other messages refer to this source (e.g. "ECG5000.zip:ECG5000_TRAIN.txt")."""
        return f"{self.path.name}:{self.member}" if self.member else self.path.name

    def error(self, check: str) -> FormatError:
        return FormatError(self.path, f"{self.member}: {check}" if self.member else check)


def read_file(path: Path, max_bytes: int) -> bytes:
    """The whole file, refusing unreadable or implausibly large ones with a FormatError."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FormatError(path, f"{size:,} bytes is more than the limit of {max_bytes:,}")
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(path, f"cannot read: {exc.strerror or exc}") from None


def position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, byte column) of an offset, the way an editor shows it."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def decode_utf8(data: bytes, origin: Origin) -> str:
    """UTF-8 text, or a FormatError pointing at the first invalid byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = position(data, exc.start)
        raise origin.error(
            f"line {line}, byte {column}: invalid UTF-8 (byte 0x{data[exc.start]:02x})"
        ) from None


def is_number(field: str) -> bool:
    """Whether a text field parses as a float (the readers name the first one that does not)."""
    try:
        float(field)
    except ValueError:
        return False
    return True
