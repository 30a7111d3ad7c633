"""A throwaway PostgreSQL server in a temporary folder, for the tests and benchmarks.

The store's PostgreSQL paths (row locks, the metering lease, savepoint retries) only prove
themselves against a real server; Debian's `postgresql` package (installed by
scripts/setup.sh) provides the binaries, and this starts a private cluster from them: its
own data folder, a free port on 127.0.0.1, a random password, durability switched off
(nothing in it is worth an fsync), and stopped with the folder removed at the end. The
server gets SIGQUIT (PostgreSQL's immediate shutdown) if the process that started it dies,
so a killed test run leaves no server behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from practicum.store.db import make_engine

READY_TIMEOUT_S = 30.0
SUPERUSER = "practicum"
_PR_SET_PDEATHSIG = 1
_FAST_AND_FORGETFUL = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
}


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing, or the server would not start."""


def server_binaries() -> Path:
    """The folder with `initdb` and `postgres`: on PATH, else Debian's newest version."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not versions:
        raise PostgresUnavailable(
            "PostgreSQL's server is not installed (no initdb); scripts/setup.sh installs "
            "Debian's `postgresql` package"
        )
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root: as root, the `postgres` system user runs it."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable(
            "running as root, and there is no `postgres` user to run the server as"
        ) from exc
    return "postgres"


def _die_with_parent() -> None:
    """In the child after the user switch (which clears the death signal), before exec."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)


class ScratchPostgres:
    """`with ScratchPostgres() as pg: url = pg.create_database("t1")`."""

    def __init__(self, *, max_connections: int = 200) -> None:
        self.max_connections = max_connections
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self.folder: Path | None = None
        self._server: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ScratchPostgres:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        binaries = server_binaries()
        user = _run_as()
        self.folder = Path(tempfile.mkdtemp(prefix="practicum-pg-"))
        if user is not None:
            shutil.chown(self.folder, user, user)
        password_file = self.folder / "password"
        password_file.write_text(self.password, encoding="utf-8")
        if user is not None:
            shutil.chown(password_file, user, user)
        data = self.folder / "data"
        self._run(
            [
                str(binaries / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(password_file),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ],
            user,
        )
        password_file.unlink()
        self.port = _free_port()
        settings = {
            **_FAST_AND_FORGETFUL,
            "port": str(self.port),
            "max_connections": str(self.max_connections),
        }
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        log = (self.folder / "server.log").open("wb")
        self._server = subprocess.Popen(
            [str(binaries / "postgres"), "-D", str(data), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=user,
            group=user,
            extra_groups=[] if user else None,
            preexec_fn=_die_with_parent,
        )
        log.close()
        self._wait_ready()

    def _run(self, command: list[str], user: str | None) -> None:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise PostgresUnavailable(f"{Path(command[0]).name} failed:\n{done.stderr.strip()}")

    def _wait_ready(self) -> None:
        assert self._server is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise PostgresUnavailable(f"the server exited:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                self._execute("SELECT 1")
                return
            except (OSError, OperationalError):
                time.sleep(0.1)
        self.stop()
        raise PostgresUnavailable(f"not ready after {READY_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        log = self.folder / "server.log" if self.folder else None
        if log is None or not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _execute(self, statement: str) -> object:
        """Outside a transaction (CREATE DATABASE may not run inside one); the first value."""
        engine = make_engine(self.url()).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()

    def version(self) -> str:
        """ "PostgreSQL 15.14", for benchmark reports."""
        return " ".join(str(self._execute("SELECT version()")).split()[:2])

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new, empty database (or a copy of `template`, which nobody may be connected
        to); its URL."""
        if not name.isidentifier() or (template and not template.isidentifier()):
            raise ValueError(f"database names here are plain identifiers: {name!r}")
        copy = f" TEMPLATE {template}" if template else ""
        self._execute(f"CREATE DATABASE {name}{copy}")
        return self.url(name)

    def stop(self) -> None:
        """Immediate shutdown (SIGQUIT: nothing here needs a checkpoint), folder removed."""
        if self._server is not None and self._server.poll() is None:
            self._server.send_signal(signal.SIGQUIT)
            try:
                self._server.wait(READY_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
        self._server = None
        if self.folder is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.folder)
            self.folder = None
