"""download.py against a loopback HTTP server that speaks Range; nothing else is contacted."""

from __future__ import annotations

import hashlib
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from practicum.data.catalog import Dataset, SourceFile
from practicum.data.download import download, fetch_all, needed_files
from practicum.data.errors import ChecksumError, DataError, DownloadError

PAYLOAD = random.Random(0).randbytes(300_000)
OTHER = random.Random(1).randbytes(50_000)


@dataclass
class ServerLog:
    files: dict[str, bytes]
    honour_range: bool = True
    cut_after: int | None = None
    """Drop the connection after this many body bytes (Content-Length still says all)."""
    redirects: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    bytes_sent: int = 0


class _RangeHandler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        log = self.server.log
        wanted = self.headers.get("Range")
        log.requests.append((self.path, wanted))
        if self.path in log.redirects:
            self.send_response(302)
            self.send_header("Location", log.redirects[self.path])
            self.end_headers()
            return
        body = log.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        status, start = 200, 0
        if wanted and log.honour_range:
            start = int(wanted.removeprefix("bytes=").removesuffix("-"))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        sent = body[start:] if log.cut_after is None else body[start : log.cut_after]
        self.wfile.write(sent)
        log.bytes_sent += len(sent)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    log: ServerLog


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the environment must not carry loopback requests elsewhere."""
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server() -> Iterator[tuple[str, ServerLog]]:
    httpd = _Server(("127.0.0.1", 0), _RangeHandler)
    httpd.log = ServerLog(files={"/data.bin": PAYLOAD, "/other.bin": OTHER})
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.log
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def official(name: str, *urls: str, content: bytes = PAYLOAD, **kw: Any) -> SourceFile:
    return SourceFile(name, urls, hashlib.sha256(content).hexdigest(), len(content), **kw)


def test_full_download_is_verified_and_renamed(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, log = server
    path = download(
        official("data.bin", f"{base}/data.bin"), tmp_path, dataset="demo", progress=False
    )
    assert path == tmp_path / "data.bin"
    assert path.read_bytes() == PAYLOAD
    assert not (tmp_path / "data.bin.part").exists()
    assert log.requests == [("/data.bin", None)]


def test_progress_bar_path_runs(server: tuple[str, ServerLog], tmp_path: Path) -> None:
    base, _ = server
    path = download(
        official("data.bin", f"{base}/data.bin"), tmp_path, dataset="demo", progress=True
    )
    assert path.read_bytes() == PAYLOAD


def test_resume_requests_only_the_missing_bytes(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, log = server
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:100_000])
    path = download(
        official("data.bin", f"{base}/data.bin"), tmp_path, dataset="demo", progress=False
    )
    assert path.read_bytes() == PAYLOAD
    assert log.requests == [("/data.bin", "bytes=100000-")]
    assert log.bytes_sent == len(PAYLOAD) - 100_000


def test_server_ignoring_range_restarts_from_zero(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, log = server
    log.honour_range = False
    (tmp_path / "data.bin.part").write_bytes(b"\xff" * 100_000)  # garbage: must not survive
    path = download(
        official("data.bin", f"{base}/data.bin"), tmp_path, dataset="demo", progress=False
    )
    assert path.read_bytes() == PAYLOAD
    assert log.requests == [("/data.bin", "bytes=100000-")]
    assert log.bytes_sent == len(PAYLOAD)


def test_complete_part_answered_416_is_finished_without_body(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, log = server
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD)
    path = download(
        official("data.bin", f"{base}/data.bin"), tmp_path, dataset="demo", progress=False
    )
    assert path.read_bytes() == PAYLOAD
    assert log.bytes_sent == 0


def test_checksum_mismatch_is_refused_and_leaves_nothing(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, _ = server
    wrong = SourceFile("data.bin", (f"{base}/data.bin",), "0" * 64, len(PAYLOAD))
    with pytest.raises(ChecksumError, match=r"data\.bin: sha256 mismatch"):
        download(wrong, tmp_path, dataset="demo", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_mirror_serving_another_size_is_skipped(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, log = server
    source = official("data.bin", f"{base}/other.bin", f"{base}/data.bin")
    path = download(source, tmp_path, dataset="demo", progress=False)
    assert path.read_bytes() == PAYLOAD
    assert [p for p, _ in log.requests] == ["/other.bin", "/data.bin"]


def test_first_mirror_down_second_used(
    server: tuple[str, ServerLog], closed_port: int, tmp_path: Path
) -> None:
    base, _ = server
    source = official("data.bin", f"http://127.0.0.1:{closed_port}/data.bin", f"{base}/data.bin")
    path = download(source, tmp_path, dataset="demo", progress=False)
    assert path.read_bytes() == PAYLOAD


def test_no_network_fails_at_once_with_the_manual_route(
    closed_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def offline_dns(host: Any, *args: Any, **kw: Any) -> Any:
        if host == "nonexistent.invalid":  # answered here: no DNS server is asked
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", offline_dns)
    urls = (f"http://127.0.0.1:{closed_port}/f.gz", "https://nonexistent.invalid/f.gz")
    source = SourceFile("train-images-idx3-ubyte.gz", urls, "a" * 64, 10)
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download(source, tmp_path, dataset="mnist", progress=False)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert all(url in message for url in urls)
    assert message.startswith("mnist: could not download train-images-idx3-ubyte.gz (")
    assert "connection refused" in message and "host name not found" in message
    assert "practicum data import mnist path/to/train-images-idx3-ubyte.gz" in message
    assert "\n" not in message


def test_interrupted_download_is_kept_then_resumed(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, log = server
    log.cut_after = 120_000
    source = official("data.bin", f"{base}/data.bin")
    with pytest.raises(DownloadError, match=r"after 120000 of 300000 bytes.*kept and resumed"):
        download(source, tmp_path, dataset="demo", progress=False)
    assert (tmp_path / "data.bin.part").read_bytes() == PAYLOAD[:120_000]
    assert not (tmp_path / "data.bin").exists()
    log.cut_after = None
    assert download(source, tmp_path, dataset="demo", progress=False).read_bytes() == PAYLOAD
    assert log.requests[-1] == ("/data.bin", "bytes=120000-")


def test_only_http_urls_are_allowed(tmp_path: Path) -> None:
    source = SourceFile("passwd", ("file:///etc/passwd",))
    with pytest.raises(DownloadError, match="not http"):
        download(source, tmp_path, dataset="demo", progress=False)
    assert not (tmp_path / "passwd").exists()


def test_redirects_are_followed_over_http_only(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, log = server
    log.redirects = {"/moved.bin": f"{base}/data.bin", "/ftp.bin": "ftp://127.0.0.1/data.bin"}
    source = official("data.bin", f"{base}/ftp.bin", f"{base}/moved.bin")
    assert download(source, tmp_path, dataset="demo", progress=False).read_bytes() == PAYLOAD
    assert [p for p, _ in log.requests] == ["/ftp.bin", "/moved.bin", "/data.bin"]
    (tmp_path / "data.bin").unlink()
    with pytest.raises(DownloadError, match=r"redirects to 'ftp://127\.0\.0\.1/data\.bin'"):
        download(official("data.bin", f"{base}/ftp.bin"), tmp_path, dataset="demo", progress=False)


def _demo_dataset(base: str) -> Dataset:
    return Dataset(
        name="demo",
        title="Demo",
        description="two files",
        splits=("train", "test"),
        files=(
            official("data.bin", f"{base}/data.bin", splits=("train",)),
            official("other.bin", f"{base}/other.bin", content=OTHER, splits=("test",)),
        ),
        license="MIT",
        citation="-",
        homepage="-",
    )


def test_fetch_all_fetches_the_split_and_skips_verified_files(
    server: tuple[str, ServerLog], tmp_path: Path
) -> None:
    base, log = server
    dataset = _demo_dataset(base)
    assert fetch_all(dataset, tmp_path, splits=["train"], progress=False) == [tmp_path / "data.bin"]
    assert [p for p, _ in log.requests] == ["/data.bin"]
    (tmp_path / "other.bin").write_bytes(b"tampered")
    paths = fetch_all(dataset, tmp_path, progress=False)
    assert paths == [tmp_path / "data.bin", tmp_path / "other.bin"]
    assert [p for p, _ in log.requests] == ["/data.bin", "/other.bin"]  # data.bin not re-fetched
    assert (tmp_path / "other.bin").read_bytes() == OTHER


def test_fetch_all_offline_lists_every_missing_file(closed_port: int, tmp_path: Path) -> None:
    dataset = _demo_dataset(f"http://127.0.0.1:{closed_port}")
    with pytest.raises(DownloadError) as caught:
        fetch_all(dataset, tmp_path, progress=False)
    assert "practicum data import demo path/to/data.bin path/to/other.bin" in str(caught.value)


def test_unknown_split_is_named(tmp_path: Path) -> None:
    dataset = _demo_dataset("http://127.0.0.1:1")
    with pytest.raises(DataError, match="no split 'valid'"):
        needed_files(dataset, ["valid"])
    assert [f.name for f in needed_files(dataset, ["test"])] == ["other.bin"]
