"""The hub-mode dashboard (credits, server, GPU queue, its buttons) and the staff page of
balances with its grant form, over a fake hub with one GPU."""

from __future__ import annotations

import html as html_module
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hub_helpers import PREFIX, HubService, csrf, forget_compute, hub_service
from sqlalchemy import select

from practicum import store
from practicum.hub.hub_client import HubError
from practicum.store.credits import staff_grant
from practicum.store.models import CreditEntry, Lease


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubService]:
    """Overrides conftest's: the clock and clean-up fixtures there apply to this app."""
    found = hub_service(tmp_path_factory.mktemp("dash"))
    yield found
    found.engine.dispose()


@pytest.fixture(autouse=True)
def fresh_hub(service: HubService) -> Iterator[None]:
    yield
    service.hub.reset()
    forget_compute(service.engine)


def press(client: TestClient, action: str, **fields: str) -> httpx.Response:
    """Submit one of the dashboard's forms, as the browser would (with its CSRF token)."""
    return client.post(action, data={"csrf_token": csrf(client), **fields}, follow_redirects=False)


def grant(tara: TestClient, student: str, amount: str, reason: str = "test") -> httpx.Response:
    token = csrf(tara, "/staff/credits")
    form = {"csrf_token": token, "student": student, "amount": amount, "reason": reason}
    return tara.post("/staff/credits/grant", data=form, follow_redirects=False)


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with that id, tags and spacing flattened."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no element {element_id!r}"
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", match[2])).split())


def test_dashboard_shows_balance_rate_time_left_history_and_start_buttons(
    service: HubService,
) -> None:
    page = service.log_in("ann").get("/").text  # logging in granted lesson 1's 10 credits
    assert text_of(page, "balance") == "10.00"
    assert text_of(page, "rate").startswith("2.00 credits an hour")  # the dearest profile
    assert text_of(page, "time-left") == "5 h 00 min"
    history = page.split('id="credit-history"')[1].split("</table>")[0]
    assert "lesson 1 opened: Basics" in history and "+10.00" in history and "system" in history
    assert "Start CPU server" in page and "Start GPU server (one whole GPU)" in page
    assert "your credits last 5 h 00 min" in page
    assert 'id="credit-warning"' not in page
    assert 'http-equiv="refresh"' not in page


def test_start_a_cpu_server_open_jupyterlab_and_stop_it(service: HubService) -> None:
    ann = service.log_in("ann")
    started = press(ann, "/server/start", profile="cpu")
    assert (started.status_code, started.headers["location"]) == (303, f"{PREFIX}/#server")
    assert service.hub.starts == [("ann", "cpu")]
    page = ann.get("/").text
    assert text_of(page, "notice") == "Your CPU server is starting"
    assert "running" in text_of(page, "server-state")
    assert 'href="/user/ann/lab"' in page and "Open JupyterLab" in page
    assert text_of(page, "rate").startswith("free")  # the running CPU server's rate
    assert text_of(page, "time-left") == "unlimited"
    assert 'id="notice"' not in ann.get("/").text  # shown once
    stopped = press(ann, "/server/stop")
    assert stopped.status_code == 303 and service.hub.stops == ["ann"]
    page = ann.get("/").text
    assert "Your server is stopping" in text_of(page, "notice") and "Start CPU server" in page


def test_a_starting_server_makes_the_page_reload_itself(service: HubService) -> None:
    ann = service.log_in("ann")
    service.hub.run("ann", "cpu", ready=False)
    page = ann.get("/").text
    assert "starting" in text_of(page, "server-state")
    assert '<meta http-equiv="refresh" content="10">' in page
    assert "Open JupyterLab" not in page


def test_the_gpu_goes_to_the_first_student_and_the_second_waits_in_the_queue(
    service: HubService,
) -> None:
    ann, bob = service.log_in("ann"), service.log_in("bob")
    assert press(ann, "/server/start", profile="gpu").status_code == 303
    assert service.hub.starts == [("ann", "gpu")]
    assert "on GPU 0" in text_of(ann.get("/").text, "server-state")
    assert press(bob, "/server/start", profile="gpu").status_code == 303
    assert service.hub.starts == [("ann", "gpu")]  # bob waits: nothing started
    page = bob.get("/").text
    assert text_of(page, "queue-position") == "1"
    assert text_of(page, "queue-wait") == "1 h 00 min"  # ann's fresh session, typically 1 h
    assert 'id="notice"' not in page  # the queue panel says it all
    assert '<meta http-equiv="refresh"' in page and "Leave the queue" in page
    assert press(bob, "/server/start", profile="gpu").status_code == 303  # no second place
    assert text_of(bob.get("/").text, "queue-position") == "1"
    left = press(bob, "/queue/leave")
    assert left.status_code == 303
    page = bob.get("/").text
    assert text_of(page, "notice") == "You left the GPU queue" and 'id="queue"' not in page


def test_the_buttons_need_the_pages_csrf_token(service: HubService) -> None:
    ann = service.log_in("ann")
    for action, data in (
        ("/server/start", {"profile": "gpu"}),
        ("/server/stop", {}),
        ("/queue/leave", {}),
    ):
        forged = ann.post(action, data={**data, "csrf_token": "forged"}, follow_redirects=False)
        assert forged.status_code == 403, action
    assert service.hub.starts == [] and service.hub.stops == []
    logged_out = service.browser().post(
        "/server/start", data={"profile": "cpu"}, follow_redirects=False
    )
    assert (logged_out.status_code, logged_out.headers["location"]) == (303, f"{PREFIX}/login")
    assert service.hub.starts == []


def test_low_credits_warn_and_no_credits_refuse_the_gpu_but_not_the_free_cpu(
    service: HubService,
) -> None:
    ann, tara = service.log_in("ann"), service.log_in("tara")
    assert grant(tara, "ann", "-7", "test: spend").status_code == 303
    page = ann.get("/").text
    assert text_of(page, "balance") == "3.00"
    assert "running low" in text_of(page, "credit-warning")
    assert 'class="balance low"' in page
    assert grant(tara, "ann", "-3").status_code == 303
    page = ann.get("/").text
    assert "No credits left" in text_of(page, "credit-warning")
    assert re.search(r'id="start-gpu"\s+disabled', page)
    refused = press(ann, "/server/start", profile="gpu")  # a stale page's button
    assert refused.status_code == 303 and service.hub.starts == []
    assert text_of(ann.get("/").text, "notice").startswith("No credits left: a GPU server")
    assert press(ann, "/server/start", profile="cpu").status_code == 303
    assert service.hub.starts == [("ann", "cpu")]


def test_a_hub_that_does_not_answer_is_reported_on_the_page(service: HubService) -> None:
    ann = service.log_in("ann")
    service.hub.failure = HubError("JupyterHub at http://127.0.0.1:8081/hub/api is not answering")
    page = ann.get("/")
    assert page.status_code == 200 and "is not answering" in text_of(page.text, "hub-error")
    press(ann, "/server/start", profile="cpu")
    assert "JupyterHub did not start your server" in text_of(ann.get("/").text, "notice")


# ---------------------------------------------------------------------------------------------
# staff


def test_staff_see_every_balance_and_grant_with_a_reason(service: HubService) -> None:
    ann, tara = service.log_in("ann"), service.log_in("tara")
    service.log_in("bob")
    press(ann, "/server/start", profile="gpu")
    page = tara.get("/staff/credits").text
    balances = page.split('id="balances"')[1].split("</table>")[0]
    for name in ("ann", "bob", "tara"):
        assert f"<td>{name}" in balances
    ann_row = balances.split("<td>ann")[1].split("</tr>")[0]
    assert "10.00" in ann_row and "gpu, ready" in ann_row and "<td>0</td>" in ann_row
    assert "ann" in text_of(page, "gpu-table")
    done = grant(tara, "ann", "12.5", "extra lab session")
    assert (done.status_code, done.headers["location"]) == (303, f"{PREFIX}/staff/credits")
    notice = text_of(tara.get("/staff/credits").text, "notice")
    assert notice == "Granted 12.50 credits to ann; balance now 22.50"
    history = ann.get("/").text.split('id="credit-history"')[1]
    assert "extra lab session" in history and "tara" in history and "+12.50" in history


@pytest.mark.parametrize(
    ("student", "amount", "reason", "status", "message"),
    [
        ("ann", "ten", "x", 400, "'ten' is not a number of credits"),
        ("ann", "0", "x", 400, "must not be zero"),
        ("ann", "0.0001", "x", 400, "at most three decimals"),
        ("ann", "1e9", "x", 400, "limited to"),
        ("ann", "5", "   ", 400, "say why"),
        ("nobody", "5", "x", 404, "no user 'nobody'"),
    ],
)
def test_a_wrong_grant_is_refused_with_the_reason_and_keeps_the_form(
    service: HubService, student: str, amount: str, reason: str, status: int, message: str
) -> None:
    service.log_in("ann")
    tara = service.log_in("tara")
    answer = grant(tara, student, amount, reason)
    assert answer.status_code == status
    assert message in text_of(answer.text, "grant-error")
    assert f'value="{amount}"' in answer.text
    with store.session_scope(service.engine, read_only=True) as session:
        assert session.scalar(select(CreditEntry).where(CreditEntry.actor == "tara")) is None


def test_students_cannot_see_or_use_the_staff_page(service: HubService) -> None:
    ann = service.log_in("ann")
    assert ann.get("/staff/credits").status_code == 403
    form = {"csrf_token": csrf(ann), "student": "ann", "amount": "100", "reason": "mine"}
    assert ann.post("/staff/credits/grant", data=form).status_code == 403
    tara = service.log_in("tara")
    form = {"student": "ann", "amount": "100", "reason": "no token"}
    assert tara.post("/staff/credits/grant", data=form).status_code == 403
    assert text_of(ann.get("/").text, "balance") == "10.00"


# ---------------------------------------------------------------------------------------------
# metering in the app's lifespan


def test_the_metering_loop_runs_while_the_app_does(tmp_path: Path) -> None:
    service = hub_service(tmp_path, metering=True)
    now = datetime.now(UTC)
    with store.session_scope(service.engine) as session:
        staff = store.create_user(session, "tara", "staff")
        ann = store.create_user(session, "ann", "student")
        staff_grant(session, staff, ann, 50_000, "start", now)
    service.hub.now = now
    service.hub.run("ann", "gpu", minutes=10)
    charged: list[int] = []
    with TestClient(service.app):  # runs the lifespan: the loop's first tick comes at once
        give_up = time.monotonic() + 15
        while not charged and time.monotonic() < give_up:
            with store.session_scope(service.engine, read_only=True) as session:
                charged = list(
                    session.scalars(
                        select(CreditEntry.amount_mc).where(CreditEntry.actor == "meter")
                    )
                )
            time.sleep(0.05)
    assert charged == [-367]  # 11 one-minute slots of 2 credits an hour
    with store.session_scope(service.engine, read_only=True) as session:
        assert session.scalar(select(Lease)) is None  # given back on shutdown
    service.engine.dispose()
