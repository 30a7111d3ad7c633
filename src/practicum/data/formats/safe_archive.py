"""Reading the regular files of a folder, tar or zip without trusting it.

Archives come from the internet or from students, so they are treated as hostile: nothing
is extracted to disk, member names that climb out (``../``, absolute paths) are refused,
links and devices are skipped, and the number and size of members are capped. Tars are
read as a stream, member after member, because random access into a .tar.gz re-inflates
it from the start for every member; a member must be read before the next one is asked for.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, cast

from practicum.data.errors import FormatError
from practicum.data.formats.source import Origin

MAX_MEMBERS = 1_000_000
MAX_MEMBER_BYTES = 1 << 30
_MAX_PADDING = 1 << 24
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")

_ARCHIVE_ERRORS: tuple[type[Exception], ...] = (
    *(tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, zlib.error, lzma.LZMAError),
    *(NotImplementedError, RuntimeError, ValueError),  # unknown method, encrypted, bad header
)


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile archive from exhausting memory or time."""

    members: int = MAX_MEMBERS
    member_bytes: int = MAX_MEMBER_BYTES


@dataclass(frozen=True)
class Member:
    """A regular file inside a folder or archive; for tars, read it before the next one."""

    name: str
    size: int
    origin: Origin
    max_bytes: int
    _read: Callable[[], bytes]

    def read(self) -> bytes:
        if self.size > self.max_bytes:
            raise self.origin.error(
                f"{self.size:,} bytes is more than the limit of {self.max_bytes:,}"
            )
        return self._read()


def safe_name(archive: Path, raw: str) -> str:
    """The member name as a clean relative POSIX path, or a FormatError if it climbs out."""
    parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".")]
    if raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":") or ".." in parts:
        raise FormatError(archive, f"unsafe member path {raw!r} (absolute or climbing out with ..)")
    return "/".join(parts)


def is_zip(path: Path) -> bool:
    """By name, else by the magic bytes at the start (a tar may end with a zip member)."""
    name = path.name.lower()
    if name.endswith(".zip") or name.endswith(_TAR_SUFFIXES):
        return name.endswith(".zip")
    try:
        with path.open("rb") as file:
            return file.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


def count_files(path: Path) -> int | None:
    """How many members a reader will see, when that is cheap to know (not for tars)."""
    if path.is_dir():
        return sum(len(files) for _, _, files in os.walk(path))
    if is_zip(path):
        try:
            with zipfile.ZipFile(path) as archive:
                return sum(not info.is_dir() for info in archive.infolist())
        except _ARCHIVE_ERRORS:
            return None
    return None


def iter_members(path: Path, limits: Limits | None = None) -> Iterator[Member]:
    """Regular files of a folder (sorted), zip or tar (any compression; stored order)."""
    limits = limits or Limits()
    if path.is_dir():
        yield from _iter_folder(path, limits)
    elif not path.exists():
        raise FormatError(path, "no such file or folder")
    elif is_zip(path):
        yield from _iter_zip(path, limits)
    else:
        yield from _iter_tar(path, limits)


def _counter(path: Path, limits: Limits) -> Callable[[], None]:
    seen = 0

    def count() -> None:
        nonlocal seen
        seen += 1
        if seen > limits.members:
            raise FormatError(path, f"more than {limits.members:,} members; refusing to read on")

    return count


def _iter_folder(root: Path, limits: Limits) -> Iterator[Member]:
    count = _counter(root, limits)
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for file in sorted(files):
            count()
            full = Path(folder, file)
            try:
                info = full.lstat()
            except OSError as exc:
                raise Origin(full).error(f"cannot read: {exc.strerror}") from None
            if not stat.S_ISREG(info.st_mode):
                continue  # symlinks, sockets, devices: never followed
            name = full.relative_to(root).as_posix()
            origin = Origin(full)
            yield Member(
                name, info.st_size, origin, limits.member_bytes, partial(_read_plain, origin)
            )


def _read_plain(origin: Origin) -> bytes:
    try:
        return origin.path.read_bytes()
    except OSError as exc:
        raise origin.error(f"cannot read: {exc.strerror}") from None


def _iter_zip(path: Path, limits: Limits) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except _ARCHIVE_ERRORS as exc:
        raise FormatError(path, f"not a readable zip archive: {exc}") from None
    count = _counter(path, limits)
    with archive:
        for info in archive.infolist():
            count()
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool set no type
            if info.is_dir() or kind not in (0, stat.S_IFREG):
                continue  # folders, symlinks and other specials carry no data
            name = safe_name(path, info.filename)
            origin = Origin(path, name)
            yield Member(
                name,
                info.file_size,
                origin,
                limits.member_bytes,
                partial(_read_zip, origin, archive, info),
            )


def _read_zip(origin: Origin, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as member:
            data = member.read(info.file_size + 1)
    except _ARCHIVE_ERRORS as exc:
        raise origin.error(f"corrupt member: {exc}") from None
    if len(data) != info.file_size:
        raise origin.error(f"holds {len(data):,} bytes, the zip directory says {info.file_size:,}")
    return data


def _iter_tar(path: Path, limits: Limits) -> Iterator[Member]:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise FormatError(path, f"cannot read: {exc.strerror}") from None
    with raw, _decompressed(raw) as stream:
        try:
            archive = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 (closed below)
        except _ARCHIVE_ERRORS as exc:
            raise FormatError(path, f"not a tar, tar.gz or zip archive: {exc}") from None
        with archive:
            count = _counter(path, limits)
            infos = iter(archive)
            while True:
                try:
                    info = next(infos, None)
                except _ARCHIVE_ERRORS as exc:
                    raise FormatError(path, f"corrupt or truncated archive: {exc}") from None
                if info is None:
                    break
                count()
                if not info.isreg():
                    continue  # folders, links, devices, fifos
                name = safe_name(path, info.name)
                origin = Origin(path, name)
                read = partial(_read_tar, origin, archive, info)
                yield Member(name, info.size, origin, limits.member_bytes, read)
        _drain(path, stream)


def _decompressed(raw: BinaryIO) -> BinaryIO:
    """The tar inside gzip, bzip2 or xz, by magic bytes. tarfile's own stream mode stops
    quietly at a truncated gzip, so the standard decompressors are used instead: they
    raise when the compressed stream ends early or fails its checksum."""
    head = raw.read(6)
    raw.seek(0)
    if head.startswith(b"\x1f\x8b"):
        return cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb"))
    if head.startswith(b"BZh"):
        return cast(BinaryIO, bz2.BZ2File(raw))
    if head.startswith(b"\xfd7zXZ\x00"):
        return cast(BinaryIO, lzma.LZMAFile(raw))
    return raw


def _drain(path: Path, stream: BinaryIO) -> None:
    """Read past the end-of-archive blocks, so a truncated or corrupt compressed stream is
    noticed (tar pads to 10 KiB records; anything much longer is refused)."""
    left = _MAX_PADDING
    try:
        while chunk := stream.read(min(left + 1, 1 << 16)):
            left -= len(chunk)
            if left < 0:
                raise FormatError(path, f"more than {_MAX_PADDING:,} bytes after the archive end")
    except _ARCHIVE_ERRORS as exc:
        raise FormatError(path, f"corrupt or truncated archive: {exc}") from None


def _read_tar(origin: Origin, archive: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    try:
        member = archive.extractfile(info)
        data = member.read() if member is not None else b""
    except _ARCHIVE_ERRORS as exc:
        raise origin.error(f"corrupt or truncated member: {exc}") from None
    if len(data) != info.size:
        raise origin.error(f"truncated: the tar header says {info.size:,} bytes")
    return data
