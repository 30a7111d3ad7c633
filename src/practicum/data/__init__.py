"""The data catalog: one way to get each data set of the course, from any source format."""

from practicum.data.catalog import CATALOG, Dataset, SourceFile, get
from practicum.data.errors import (
    ChecksumError,
    DataError,
    DownloadError,
    FormatError,
    NotCachedError,
)
from practicum.data.manage import fetch, import_files, load, remove, status, verify
from practicum.data.own_files import read_own_files

__all__ = [
    "CATALOG",
    "ChecksumError",
    "DataError",
    "Dataset",
    "DownloadError",
    "FormatError",
    "NotCachedError",
    "SourceFile",
    "fetch",
    "get",
    "import_files",
    "load",
    "read_own_files",
    "remove",
    "status",
    "verify",
]
