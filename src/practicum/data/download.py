"""Fetching the official files: resumable, checksummed, and honest when there is no network.

A file is streamed into `<name>.part`, resumed with an HTTP Range request after an
interruption, and renamed to `<name>` only once its size and sha256 match the catalog,
so a file under its final name is always complete. Each mirror gets one quick attempt:
on a machine without network the user learns at once which file to fetch by hand and
the `practicum data import` command that takes it from there.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from practicum.data.catalog import Dataset, SourceFile
from practicum.data.errors import ChecksumError, DataError, DownloadError
from practicum.data.hashing import CHUNK, ByteProgress, sha256_file

ALLOWED_SCHEMES = ("http", "https")
USER_AGENT = "practicum-data/1 (Python urllib)"


class _MirrorFailed(Exception):
    """One mirror could not deliver the file; the next one is tried."""


class _AllMirrorsFailed(Exception):
    """Every mirror failed; says what each one answered."""

    def __init__(self, source: SourceFile, reasons: list[str], partial: Path | None) -> None:
        kept = f"; the partial file {partial} is kept and resumed next time" if partial else ""
        super().__init__(f"could not download {source.name} ({'; '.join(reasons)}){kept}.")


def download(
    source: SourceFile,
    dest_dir: Path | str,
    *,
    dataset: str,
    progress: bool = True,
    timeout: float = 10.0,
) -> Path:
    """Fetch one official file into dest_dir and return its path once verified.

    A verified copy already there is returned as is. `dataset` names the catalog entry,
    for the `practicum data import` command the error message suggests.
    """
    try:
        return _download(source, Path(dest_dir), progress, timeout)
    except _AllMirrorsFailed as failed:
        raise DownloadError(f"{dataset}: {failed} {manual_fetch_hint(dataset, [source])}") from None


def fetch_all(
    dataset: Dataset,
    dest_dir: Path | str,
    splits: Iterable[str] | None = None,
    *,
    progress: bool = True,
    timeout: float = 10.0,
) -> list[Path]:
    """Fetch the files the given splits need (all by default), skipping verified copies.

    When a file cannot be fetched the error lists every file still missing, so a user
    without network fetches them all by hand in one go.
    """
    dest = Path(dest_dir)
    sources = needed_files(dataset, splits)
    paths = []
    for i, source in enumerate(sources):
        try:
            paths.append(_download(source, dest, progress, timeout))
        except _AllMirrorsFailed as failed:
            missing = [source] + [s for s in sources[i + 1 :] if not (dest / s.name).exists()]
            hint = manual_fetch_hint(dataset.name, missing)
            raise DownloadError(f"{dataset.name}: {failed} {hint}") from None
    return paths


def needed_files(dataset: Dataset, splits: Iterable[str] | None = None) -> list[SourceFile]:
    """The official files that provide the given splits, each once, in catalog order."""
    if splits is None:
        return list(dataset.files)
    wanted = list(splits)
    unknown = [s for s in wanted if s not in dataset.splits]
    if unknown:
        raise DataError(
            f"{dataset.name} has no split {unknown[0]!r}; its splits: {', '.join(dataset.splits)}"
        )
    return [f for f in dataset.files if not f.splits or any(s in f.splits for s in wanted)]


def manual_fetch_hint(dataset: str, sources: Sequence[SourceFile]) -> str:
    """What to do by hand: where to get each file, then the exact import command."""
    paths = " ".join(f"path/to/{s.name}" for s in sources)
    command = f"practicum data import {dataset} {paths}"
    if len(sources) == 1:
        urls = " or ".join(sources[0].urls)
        return f"Fetch it by hand in a browser from {urls}, then run: {command}"
    where = "; ".join(f"{s.name} from {' or '.join(s.urls)}" for s in sources)
    return f"Fetch these files by hand in a browser: {where}; then run: {command}"


def _download(source: SourceFile, dest: Path, progress: bool, timeout: float) -> Path:
    _check_urls(source)
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / source.name
    if final.exists():
        try:
            _verify(final, source, progress)
            return final
        except DataError:
            final.unlink()  # damaged or replaced by hand: fetch the official file again
    part = dest / f"{source.name}.part"
    reasons = []
    opener = _opener()
    with _bar(f"download {source.name}", progress) as show:
        for url in source.urls:
            try:
                _fetch_from(url, part, source, opener, timeout, show)
                break
            except (_MirrorFailed, http.client.HTTPException, OSError) as exc:  # URLError too
                reasons.append(f"{urllib.parse.urlsplit(url).netloc}: {_reason(exc, timeout)}")
        else:
            has_part = part.exists() and part.stat().st_size > 0
            raise _AllMirrorsFailed(source, reasons, part if has_part else None)
    try:
        _verify(part, source, progress)
    except DataError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, final)
    return final


def _fetch_from(
    url: str,
    part: Path,
    source: SourceFile,
    opener: urllib.request.OpenerDirector,
    timeout: float,
    show: ByteProgress,
) -> None:
    """Complete `part` from one URL, resuming from the bytes already there."""
    offset = part.stat().st_size if part.exists() else 0
    if source.size is not None and offset > source.size:
        part.unlink()  # longer than the official file: not a prefix of it
        offset = 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not offset:
            raise
        total = _content_range(exc.headers.get("Content-Range", ""))[1]
        exc.close()
        if offset in (total, source.size):
            return  # the part already holds the whole file
        part.unlink()
        _fetch_from(url, part, source, opener, timeout, show)
        return
    with response:
        if response.status == 206:
            start, total = _content_range(response.headers.get("Content-Range", ""))
            if start != offset:
                raise _MirrorFailed(f"answered a request for byte {offset} on from byte {start}")
        else:  # a full answer (the server ignored Range): start over
            offset = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        if None not in (total, source.size) and total != source.size:
            raise _MirrorFailed(f"serves {total} bytes, the catalog expects {source.size}")
        expected = source.size if source.size is not None else total
        show(offset, expected)
        with open(part, "ab" if offset else "wb") as fh:
            while chunk := response.read(CHUNK):
                fh.write(chunk)
                offset += len(chunk)
                show(offset, expected)
            fh.flush()
            os.fsync(fh.fileno())
    if expected is not None and offset < expected:
        raise _MirrorFailed(f"connection closed after {offset} of {expected} bytes")


def _verify(path: Path, source: SourceFile, progress: bool) -> None:
    """Raise unless size and sha256 match the catalog, where it knows them."""
    actual = path.stat().st_size
    if source.sha256 is not None:
        if source.size is not None and actual == source.size:
            with _bar(f"sha256 {source.name}", progress and actual > 64 * CHUNK) as show:
                digest = sha256_file(path, show)
        else:  # the wrong size already condemns it; hash anyway to report the truth
            digest = sha256_file(path)
        if digest != source.sha256:
            raise ChecksumError(path.with_name(source.name), source.sha256, digest)
    elif source.size is not None and actual != source.size:
        raise DownloadError(
            f"{source.name}: {actual} bytes, the catalog expects {source.size}; "
            "the file is truncated or not the official one"
        )


def _check_urls(source: SourceFile) -> None:
    if not source.urls:
        raise DownloadError(f"{source.name}: the catalog knows no URL to download it from")
    for url in source.urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ALLOWED_SCHEMES or not parts.netloc:
            raise DownloadError(f"{source.name}: refusing to download from {url!r}: not http(s)")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect to ftp://; downloads stay on http(s)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme not in ALLOWED_SCHEMES:
            raise _MirrorFailed(f"redirects to {newurl!r}, not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """Built per download so proxy settings in the environment are read afresh."""
    return urllib.request.build_opener(_HttpOnlyRedirects)


def _content_range(value: str) -> tuple[int | None, int | None]:
    """(first byte, total size) of a Content-Range header; None where absent or '*'."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value)
    if match is None:
        return None, None
    start, total = match.groups()
    return (
        int(start) if start is not None else None,
        int(total) if total not in (None, "*") else None,
    )


def _reason(exc: BaseException, timeout: float) -> str:
    """A short human reason for a failed attempt."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return "host name not found (no network?)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


@contextmanager
def _bar(label: str, enabled: bool) -> Iterator[ByteProgress]:
    """A rich bar (bytes, speed, ETA) fed by (done, total) calls; a no-op when disabled."""
    if not enabled:
        yield lambda done, total: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=None)
        last = -1

        def show(done: int, total: int | None) -> None:
            nonlocal last
            if done < last or last < 0:  # first call, resumed or restarted: no false speed
                bar.reset(task, total=total, completed=done)
            else:
                bar.update(task, total=total, completed=done)
            last = done

        yield show
