"""A real JupyterHub, proxy and course service on loopback: log in, start a server, stop it.

Configured exactly as `practicum up` configures it (the written jupyterhub_config.py),
with free ports and the state in a temp folder. Needs configurable-http-proxy (installed
by scripts/setup.sh); skipped without it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from practicum import store
from practicum.hub.hub_client import HubError, RestHubApi
from practicum.hub.jupyterhub_config import (
    PASSED_THROUGH,
    HubConfigError,
    config_file_text,
    find_proxy,
    service_config,
)
from practicum.hub.settings import HubSettings, load_settings

T = TypeVar("T")
STUDENT, PASSWORD = "alice", "correct horse battery"
NEWCOMER = "bob"
"""Not admitted yet: Practicum refuses his start, and the hub passes the reason on."""

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
class RunningHub:
    settings: HubSettings
    url: str
    api: str
    log: Path


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningHub]:
    for name in PASSED_THROUGH:
        if name not in ("PRACTICUM_HOME", "PRACTICUM_DATA"):
            monkeypatch.delenv(name, raising=False)
    port, hub_port, proxy_port, service_port = free_ports(4)
    exercise = tmp_path / "exercise" / "lesson1"
    exercise.mkdir(parents=True)
    (exercise / "mlp.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    toml = tmp_path / "practicum.toml"
    toml.write_text(
        f"[hub]\nport = {port}\nhub_port = {hub_port}\nproxy_api_port = {proxy_port}\n"
        f'service_port = {service_port}\nstate = "state"\nnotebooks = "exercise"\n'
        "[gpus]\ndevices = []\n"
    )
    settings = load_settings(toml)
    settings.state.mkdir(mode=0o700)
    database_url = service_config(settings).database_url
    store.upgrade(database_url)
    engine = store.make_engine(database_url)
    with store.session_scope(engine) as session:
        store.create_user(session, STUDENT, "student", PASSWORD)
        store.create_user(session, NEWCOMER, "student", PASSWORD).admitted = False
    engine.dispose()
    config = settings.state / "jupyterhub_config.py"
    config.write_text(config_file_text(settings))

    log = settings.state / "hub.log"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)],
            cwd=settings.state,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # SIGINT may be ignored here (a test run started with `&`): the hub's services
            # would inherit that and outlive the hub's request to stop
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    running = RunningHub(settings, settings.base_url, f"http://127.0.0.1:{hub_port}/hub/api", log)
    try:

        def hub_up() -> bool | None:
            assert process.poll() is None, log.read_text(errors="replace")[-4000:]
            try:
                return httpx.get(f"{running.url}/hub/api/", timeout=2).status_code == 200 or None
            except httpx.HTTPError:
                return None

        wait_for("the hub", hub_up, 30, log)
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        stopping = time.monotonic()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung hub
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError("the hub did not stop within 15 s of Ctrl-C") from None
        print(f"hub smoke: shutdown in {time.monotonic() - stopping:.1f} s")


def log_in(url: str, user: str, password: str) -> httpx.Client:
    browser = httpx.Client(base_url=url, timeout=10, follow_redirects=False)
    form = browser.get("/hub/login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
    assert xsrf, form.text[:500]
    answer = browser.post(
        "/hub/login", data={"username": user, "password": password, "_xsrf": xsrf[1]}
    )
    assert answer.status_code == 302, answer.text[:500]
    return browser


def test_login_start_stop_through_the_rest_api(hub: RunningHub) -> None:
    started = time.monotonic()
    wrong = httpx.Client(base_url=hub.url, timeout=10)
    form = wrong.get("/hub/login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
    assert xsrf is not None
    refused = wrong.post(
        "/hub/login", data={"username": STUDENT, "password": "wrong", "_xsrf": xsrf[1]}
    )
    assert refused.status_code == 403

    browser = log_in(hub.url, STUDENT, PASSWORD)
    assert browser.get("/hub/").headers["location"].endswith("/services/practicum/")

    token = (hub.settings.state / "practicum_api_token").read_text().strip()
    with RestHubApi(hub.api, token) as api:
        assert api.running_servers() == []
        api.start_server(STUDENT, "cpu")

        def ready() -> bool | None:
            servers = api.running_servers()
            return True if servers and servers[0].ready else None

        wait_for("the notebook server", ready, 30, hub.log)
        (server,) = api.running_servers()
        assert (server.user, server.profile) == (STUDENT, "cpu")
        through_proxy = httpx.get(f"{hub.url}/user/{STUDENT}/api", timeout=10)
        assert through_proxy.status_code == 200 and "version" in through_proxy.json()
        home = hub.settings.state / "homes" / STUDENT
        assert (home / "notebooks" / "lesson1" / "mlp.ipynb").is_file()
        assert (home / "homework").is_symlink()

        api.stop_server(STUDENT)
        wait_for("the stop", lambda: True if not api.running_servers() else None, 20, hub.log)

        log_in(hub.url, NEWCOMER, PASSWORD)
        with pytest.raises(HubError) as refused_start:
            api.start_server(NEWCOMER, "cpu")
        assert refused_start.value.status == 403
        assert "not admitted" in refused_start.value.detail
        assert api.running_servers() == []
    print(f"hub smoke: login, start, ready, stop in {time.monotonic() - started:.1f} s")
