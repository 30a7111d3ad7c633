"""Credits and the GPU queue against a real JupyterHub, proxy and course service on loopback.

Students log in through the hub, reach the dashboard through the hub's OAuth, press the
dashboard's buttons, and their notebook servers really start and stop. Metering runs with
the test's clock (`LiveHub.tick(now)`), each tick from a fresh engine and REST client, as a
restarted service would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from db_backends import Databases
from live_hub import (
    LiveHub,
    csrf_of,
    live_hub,
    log_in,
    open_dashboard,
    processes_of,
    proxy_or_skip,
)
from sqlalchemy import select

from practicum import store
from practicum.hub import metering
from practicum.hub.hub_client import HubError
from practicum.store.models import CreditEntry

proxy_or_skip()

GPU = "7"
"""A made-up device id: the test machine has no GPU, but the hub hands it out all the same."""


def course_toml(*, cpu_rate: float, credits: float) -> str:
    opened = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"""
[course]
id = "live"
title = "Live course"
timezone = "UTC"

[credits]
gpu_rate_per_hour = 2.0
cpu_rate_per_hour = {cpu_rate}
warn_below = 0.5

[[lessons]]
number = 1
title = "Basics"
opens = {opened}
credits = {credits}

[completion]
required_homework = []
report_required = false
"""


def balance(hub: LiveHub, user: str) -> int:
    with hub.engine() as engine, store.session_scope(engine, read_only=True) as session:
        found = session.scalar(select(store.User).where(store.User.name == user))
        assert found is not None
        return store.balance_mc(session, found)


def charges(hub: LiveHub, user: str) -> list[tuple[int, str | None]]:
    with hub.engine() as engine, store.session_scope(engine, read_only=True) as session:
        rows = session.execute(
            select(CreditEntry.amount_mc, CreditEntry.key)
            .join(store.User)
            .where(store.User.name == user, CreditEntry.kind == "charge")
        )
        return [(amount, key) for amount, key in rows]


def gpus_of(user: str) -> set[str]:
    """The GPU each of the user's server processes was given: isolated (as root) the
    machine's number is PRACTICUM_GPU and CUDA counts the sandbox's one GPU as 0."""
    found = set()
    for env in processes_of(user):
        if "PRACTICUM_GPU" in env:
            assert env["CUDA_VISIBLE_DEVICES"] == "0"
            found.add(env["PRACTICUM_GPU"])
        else:
            found.add(env["CUDA_VISIBLE_DEVICES"])
    return found


def press(browser_page: tuple[httpx.Client, str], path: str, **form: str) -> None:
    """A dashboard button: a form post with the page's CSRF token."""
    browser, csrf = browser_page
    answer = browser.post(f"/services/practicum{path}", data={"csrf_token": csrf, **form})
    assert answer.status_code == 303, answer.text[:500]


@pytest.fixture
def metered_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, databases: Databases
) -> Iterator[LiveHub]:
    """CPU servers cost 2 credits an hour; the one open lesson grants 1 credit (30 minutes).
    On SQLite and on PostgreSQL: metering's lease and row locks are where they differ."""
    with live_hub(
        tmp_path,
        monkeypatch,
        users={"alice": True, "bob": False},
        course_toml=course_toml(cpu_rate=2.0, credits=1.0),
        database_url=databases.new(tmp_path / "db"),
    ) as hub:
        yield hub


def test_charged_while_running_stopped_at_zero_and_refused_with_the_reason(
    metered_hub: LiveHub,
) -> None:
    hub = metered_hub
    browser = log_in(hub.url, "alice")
    page = open_dashboard(browser)
    assert "1.00" in page.text  # the lesson's grant, on the dashboard
    press((browser, csrf_of(page)), "/server/start", profile="cpu")
    hub.wait_ready("alice")
    with hub.api() as api:
        (server,) = api.running_servers()
    started = server.started

    # 10 minutes in: slots 0..10 are prepaid, 2 credits/h = 33.33 mc a minute
    report = hub.tick(started + timedelta(minutes=10, seconds=5))
    assert report.stops == [] and report.charged_mc > 0
    assert balance(hub, "alice") == 1000 - 367  # 11 minutes = round(2000 * 11 / 60)

    # a restarted service ticks again at the same moment: nothing more; then catches up
    assert hub.tick(started + timedelta(minutes=10, seconds=5)).charges == 0
    hub.tick(started + timedelta(minutes=20, seconds=5))
    assert balance(hub, "alice") == 1000 - 700  # 21 minutes
    keys = [key for _, key in charges(hub, "alice")]
    assert len(keys) == len(set(keys))

    page = open_dashboard(browser)
    assert "0.30" in page.text  # balance after 21 minutes

    # past 30 minutes the credit is spent: the server is stopped, the files stay
    report = hub.tick(started + timedelta(minutes=30, seconds=5))
    assert report.stops == ["alice"]
    hub.wait_stopped("alice")
    assert balance(hub, "alice") <= 0
    assert (hub.settings.homes / "alice").is_dir()

    # a new start is refused with the reason, on the dashboard and through the hub
    page = open_dashboard(browser)
    press((browser, csrf_of(page)), "/server/start", profile="cpu")
    notice = re.search(r'id="notice">([^<]*)<', open_dashboard(browser).text)
    assert notice and "no credits left" in notice[1].lower(), notice
    with hub.api() as api, pytest.raises(HubError) as refused:
        api.start_server("alice", "cpu")
    assert refused.value.status == 403 and "no credits left" in refused.value.detail

    # and a student who is not admitted hears that instead
    log_in(hub.url, "bob")
    with hub.api() as api, pytest.raises(HubError) as not_admitted:
        api.start_server("bob", "cpu")
    assert "not admitted" in not_admitted.value.detail
    with hub.api() as api:
        assert api.running_servers() == []


def test_a_crash_inside_a_tick_neither_loses_nor_doubles_a_charge(
    metered_hub: LiveHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = metered_hub
    browser = log_in(hub.url, "alice")
    press((browser, csrf_of(open_dashboard(browser))), "/server/start", profile="cpu")
    hub.wait_ready("alice")
    with hub.api() as api:
        (server,) = api.running_servers()
    hub.tick(server.started + timedelta(minutes=5, seconds=1))  # 6 minutes: 200 mc

    real_add_entries = metering.add_entries

    def crash_after_writing(*args: Any, **kwargs: Any) -> int:
        real_add_entries(*args, **kwargs)
        raise RuntimeError("the service was killed mid-tick")

    monkeypatch.setattr(metering, "add_entries", crash_after_writing)
    with pytest.raises(RuntimeError, match="killed mid-tick"):
        hub.tick(server.started + timedelta(minutes=12, seconds=1))
    monkeypatch.undo()
    assert balance(hub, "alice") == 1000 - 200  # the half-done tick left nothing behind

    hub.tick(server.started + timedelta(minutes=12, seconds=1))  # the restart catches up
    assert balance(hub, "alice") == 1000 - 433  # 13 minutes, each charged once
    with hub.api() as api:
        api.stop_server("alice")
    hub.wait_stopped("alice")


def test_one_gpu_three_students_started_in_order_each_with_the_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    students = ("ann", "ben", "cid")
    with live_hub(
        tmp_path,
        monkeypatch,
        users=dict.fromkeys(students, True),
        course_toml=course_toml(cpu_rate=0.0, credits=40.0),
        gpus=(GPU,),
    ) as hub:
        pages = {}
        for name in students:  # in this order
            browser = log_in(hub.url, name)
            pages[name] = (browser, csrf_of(open_dashboard(browser)))
            press(pages[name], "/server/start", profile="gpu")
        press(pages["ben"], "/server/start", profile="gpu")  # asking twice keeps one place

        hub.wait_ready("ann")
        assert gpus_of("ann") == {GPU}
        queue = [open_dashboard(pages[name][0]).text for name in ("ben", "cid")]
        assert 'id="queue-position">1<' in queue[0]
        assert 'id="queue-position">2<' in queue[1]

        later = datetime.now(UTC) + timedelta(minutes=10)  # past the spawn grace
        for running, waiting in (("ann", "ben"), ("ben", "cid")):
            report = hub.tick(later)
            assert report.starts == [], "the GPU is busy: nobody else starts"
            with hub.api() as api:
                api.stop_server(running)
            hub.wait_stopped(running)
            report = hub.tick(later)
            assert [(s.user, s.gpu) for s in report.starts] == [(waiting, GPU)]
            hub.wait_ready(waiting)
            assert gpus_of(waiting) == {GPU}
            assert processes_of(running) == []
            later += timedelta(minutes=10)
        with hub.api() as api:
            assert [s.user for s in api.running_servers()] == ["cid"]
            api.stop_server("cid")
        hub.wait_stopped("cid")
