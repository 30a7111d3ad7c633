"""A real JupyterHub, proxy and course service on loopback, configured exactly as
`practicum up` configures it (its written jupyterhub_config.py), with free ports and the
state in a temp folder. Shared by the hub's integration and browser tests.

The course service's own metering loop ticks once at start, then sleeps for an hour: the
tests meter by calling `metering.tick` with their own clock against the same database and
the hub's real REST API, as a second replica would.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import Engine

from practicum import store
from practicum.course import Course, load_course
from practicum.hub import metering
from practicum.hub.hub_client import RestHubApi
from practicum.hub.isolation import resolve as resolve_isolation
from practicum.hub.jupyterhub_config import (
    HubConfigError,
    config_file_text,
    find_proxy,
)
from practicum.sandbox.devices import CONTROL_NODES
from practicum.sandbox.users import remove_user
from practicum.settings.hub import PASSED_THROUGH, HubSettings, load_settings, service_config

T = TypeVar("T")
PASSWORD = "correct horse battery"


def proxy_or_skip() -> None:
    try:
        find_proxy()
    except HubConfigError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"needs the proxy: {exc}", allow_module_level=True)


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_for(what: str, check: Callable[[], T | None], timeout: float, log: Path) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}; hub log:\n{tail}")


@dataclass
class LiveHub:
    settings: HubSettings
    url: str
    """The proxy's public URL (what a browser opens)."""
    api_url: str
    log: Path
    database_url: str
    course: Course

    @property
    def isolated(self) -> bool:
        """Whether student servers run as their own users in sandboxes (as root)."""
        return resolve_isolation(self.settings) == "users"

    @property
    def service_token(self) -> str:
        return (self.settings.state / "practicum_api_token").read_text().strip()

    def api(self) -> RestHubApi:
        """The hub's REST API as the course service calls it (its own token and scopes)."""
        return RestHubApi(self.api_url, self.service_token)

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        engine = store.make_engine(self.database_url)
        try:
            yield engine
        finally:
            engine.dispose()

    def tick(self, now: datetime) -> metering.TickReport:
        """One metering round at `now`, from a fresh engine and client (a fresh process)."""
        with self.engine() as engine, self.api() as api:
            return metering.tick(
                engine,
                api,
                self.course,
                self.settings.compute(self.course),
                now,
                slot_seconds=self.settings.metering.slot_seconds,
            )

    def wait(self, what: str, check: Callable[[], T | None], timeout: float = 40) -> T:
        return wait_for(what, check, timeout, self.log)

    def wait_ready(self, user: str) -> None:
        def ready() -> bool | None:
            with self.api() as api:
                mine = [s for s in api.running_servers() if s.user == user]
            return True if mine and mine[0].ready else None

        self.wait(f"{user}'s server", ready)

    def wait_stopped(self, user: str) -> None:
        def gone() -> bool | None:
            with self.api() as api:
                return None if any(s.user == user for s in api.running_servers()) else True

        self.wait(f"{user}'s server to stop", gone)


def log_in(url: str, user: str, password: str = PASSWORD) -> httpx.Client:
    """A browser-like client logged in to the hub with the local login form."""
    browser = httpx.Client(base_url=url, timeout=15, follow_redirects=False)
    form = browser.get("/hub/login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
    assert xsrf, form.text[:500]
    answer = browser.post(
        "/hub/login", data={"username": user, "password": password, "_xsrf": xsrf[1]}
    )
    assert answer.status_code == 302, answer.text[:500]
    return browser


def open_dashboard(browser: httpx.Client) -> httpx.Response:
    """Follow the hub's landing page through the OAuth dance to the course dashboard."""
    page = browser.get("/hub/", follow_redirects=True)
    assert page.status_code == 200, (page.url, page.text[:500])
    assert str(page.url).endswith("/services/practicum/"), page.url
    return page


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:1000]
    return found[1]


def processes_of(user: str) -> list[dict[str, str]]:
    """Environments of this machine's processes started for `user`'s notebook server."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            pairs = environ.read_bytes().split(b"\0")
        except OSError:
            continue
        env = dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)
        if env.get("JUPYTERHUB_USER") == user and "JUPYTERHUB_API_TOKEN" in env:
            found.append(env)
    return found


def labels_course_toml(homework_id: str, n_classes: int = 10) -> str:
    """A course open since yesterday with one lesson (40 credits) and one labels homework
    on Fashion-MNIST, due in 30 days and needed for completion."""
    opened = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    deadline = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"""
[course]
id = "live"
title = "Live course"
timezone = "UTC"

[[lessons]]
number = 1
title = "Neural networks"
opens = {opened}
credits = 40

[homework.{homework_id}]
lesson = 1
title = "Fashion-MNIST"
dataset = "fashion-mnist"
metric = "accuracy"
target = 0.9
submission = "labels"
n_classes = {n_classes}
public_fraction = 0.5
opens = {opened}
deadline = {deadline}
task = "Predict the class of each image."

[completion]
required_homework = ["{homework_id}"]
report_required = false
"""


def stand_in_gpus(folder: Path, gpus: tuple[str, ...]) -> Path:
    """Plain files named like NVIDIA's device nodes: the machine's GPUs, one more that is
    nobody's, and the control nodes."""
    folder.mkdir()
    spare = str(max((int(g) for g in gpus), default=0) + 1)
    for name in [*(f"nvidia{g}" for g in (*gpus, spare)), *CONTROL_NODES[:2]]:
        (folder / name).write_text(f"stand-in for /dev/{name}\n")
    return folder


@contextmanager
def live_hub(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    users: dict[str, bool],
    course_toml: str | None = None,
    gpus: tuple[str, ...] = (),
    notebooks: Path | None = None,
    staff: tuple[str, ...] = (),
    extra_toml: str = "",
    isolation: str = "auto",
    database_url: str | None = None,
) -> Iterator[LiveHub]:
    """Start the hub with `users` (name → admitted) as students of the course, and `staff`.
    Practicum's database: SQLite in the state folder, or `database_url` (PostgreSQL).

    As root (CI included) the servers are isolated, as `practicum up` does by default:
    system users get a prefix of this run's own, removed again at the end; GPUs are
    stand-in device nodes under the state folder."""
    for name in PASSED_THROUGH:
        if name not in ("PRACTICUM_HOME", "PRACTICUM_DATA"):
            monkeypatch.delenv(name, raising=False)
    if database_url is not None:
        monkeypatch.setenv("PRACTICUM_DATABASE_URL", database_url)
    port, hub_port, proxy_port, service_port = free_ports(4)
    lines = [
        "[hub]",
        f"port = {port}",
        f"hub_port = {hub_port}",
        f"proxy_api_port = {proxy_port}",
        f"service_port = {service_port}",
        'state = "state"',
    ]
    if course_toml is not None:
        (tmp_path / "course.toml").write_text(course_toml)
        lines.append('course = "course.toml"')
    if notebooks is not None:
        lines.append(f"notebooks = {str(notebooks)!r}")
    if staff:
        lines += ["[auth]", f"staff = {list(staff)!r}"]
    prefix = f"pt{secrets.token_hex(3)}-"
    device_dir = stand_in_gpus(tmp_path / "dev", gpus)
    lines += ["[gpus]", f"devices = {list(gpus)!r}", f"device_dir = {str(device_dir)!r}"]
    lines += ["[isolation]", f"user_prefix = {prefix!r}", f"mode = {isolation!r}"]
    lines += ["[metering]", "interval_seconds = 3600", extra_toml]
    toml = tmp_path / "practicum.toml"
    toml.write_text("\n".join(lines).replace("'", '"') + "\n")
    settings = load_settings(toml)
    settings.state.mkdir(mode=0o700)
    config = service_config(settings)
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    with store.session_scope(engine) as session:
        for name, admitted in users.items():
            store.create_user(session, name, "student", PASSWORD).admitted = admitted
        for name in staff:
            store.create_user(session, name, "staff", PASSWORD)
    engine.dispose()
    config_file = settings.state / "jupyterhub_config.py"
    config_file.write_text(config_file_text(settings))

    log = settings.state / "hub.log"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config_file)],
            cwd=settings.state,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # SIGINT may be ignored here (a test run started with `&`): the hub's services
            # would inherit that and outlive the hub's request to stop
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    running = LiveHub(
        settings,
        settings.base_url,
        f"http://127.0.0.1:{hub_port}/hub/api",
        log,
        config.database_url,
        load_course(settings.course) if settings.course else config.course(),
    )
    try:

        def up() -> bool | None:
            assert process.poll() is None, log.read_text(errors="replace")[-4000:]
            try:
                hub_ok = httpx.get(f"{running.url}/hub/api/", timeout=2).status_code == 200
                service = httpx.get(f"{running.url}/services/practicum/login", timeout=2)
            except httpx.HTTPError:
                return None
            return True if hub_ok and service.status_code in (200, 302, 303, 307) else None

        wait_for("the hub and the course service", up, 40, log)
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung hub
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError("the hub did not stop within 15 s of Ctrl-C") from None
        finally:
            for entry in pwd.getpwall():
                if entry.pw_name.startswith(prefix):
                    remove_user(entry.pw_name)
