"""A real JupyterHub, proxy and course service on loopback: log in, start a server, stop it.

Configured exactly as `practicum up` configures it (see live_hub). Needs
configurable-http-proxy (installed by scripts/setup.sh); skipped without it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_hub import PASSWORD, LiveHub, live_hub, log_in, proxy_or_skip

from practicum.hub.hub_client import HubError

proxy_or_skip()

STUDENT = "alice"
NEWCOMER = "bob"
"""Not admitted yet: Practicum refuses his start, and the hub passes the reason on."""


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveHub]:
    exercise = tmp_path / "exercise" / "lesson1"
    exercise.mkdir(parents=True)
    (exercise / "mlp.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    with live_hub(
        tmp_path,
        monkeypatch,
        users={STUDENT: True, NEWCOMER: False},
        notebooks=tmp_path / "exercise",
    ) as running:
        yield running


def test_login_start_stop_through_the_rest_api(hub: LiveHub) -> None:
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

    with hub.api() as api:
        assert api.running_servers() == []
        api.start_server(STUDENT, "cpu")

        def ready() -> bool | None:
            servers = api.running_servers()
            return True if servers and servers[0].ready else None

        hub.wait("the notebook server", ready)
        (server,) = api.running_servers()
        assert (server.user, server.profile) == (STUDENT, "cpu")
        through_proxy = httpx.get(f"{hub.url}/user/{STUDENT}/api", timeout=10)
        assert through_proxy.status_code == 200 and "version" in through_proxy.json()
        home = hub.settings.state / "homes" / STUDENT
        assert (home / "notebooks" / "lesson1" / "mlp.ipynb").is_file()
        assert (home / "homework").is_symlink()

        api.stop_server(STUDENT)
        hub.wait_stopped(STUDENT)

        log_in(hub.url, NEWCOMER, PASSWORD)
        with pytest.raises(HubError) as refused_start:
            api.start_server(NEWCOMER, "cpu")
        assert refused_start.value.status == 403
        assert "not admitted" in refused_start.value.detail
        assert api.running_servers() == []
    print(f"hub smoke: login, start, ready, stop in {time.monotonic() - started:.1f} s")
