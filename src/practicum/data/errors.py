"""Errors the data layer raises: one line each, naming the file and the check that failed."""

from __future__ import annotations

from pathlib import Path


class DataError(Exception):
    """Base class: anything the user can fix by supplying or re-fetching a file."""


class FormatError(DataError):
    """A file is not in the format its reader expects (wrong magic, truncated, bad row...)."""

    def __init__(self, path: Path | str, check: str) -> None:
        self.path = Path(path)
        self.check = check
        super().__init__(f"{self.path.name}: {check}")


class ChecksumError(DataError):
    """A file's sha256 differs from the catalog's: tampered, truncated or the wrong file."""

    def __init__(self, path: Path | str, expected: str, got: str) -> None:
        self.path = Path(path)
        self.expected = expected
        self.got = got
        super().__init__(
            f"{self.path.name}: sha256 mismatch (expected {expected[:12]}…, got {got[:12]}…);"
            " the file is corrupt, truncated or not the official one"
        )


class DownloadError(DataError):
    """A download failed; the message says which file to fetch by hand and how to import it."""


class NotCachedError(DataError):
    """A data set (or split) is not in the cache and cannot be found on the system."""
