"""The data catalog: one way to get each data set of the course, from any source format."""

from practicum.data.captioned import (
    CaptionedImages,
    caption_text,
    captioned_images,
    read_image_folder,
)
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
    "CaptionedImages",
    "ChecksumError",
    "DataError",
    "Dataset",
    "DownloadError",
    "FormatError",
    "NotCachedError",
    "SourceFile",
    "caption_text",
    "captioned_images",
    "fetch",
    "get",
    "import_files",
    "load",
    "read_image_folder",
    "read_own_files",
    "remove",
    "status",
    "verify",
]
