"""Logins under attack: throttling wrong passwords, and sessions ended server-side."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from tiny_homework import BEFORE
from web_helpers import Clock, Service, csrf_of, login, password

from practicum import store
from practicum.store import throttle


def _try(client: TestClient, name: str, secret: str) -> httpx.Response:
    form = client.get("/login")
    return client.post(
        "/login",
        data={"name": name, "password": secret, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )


def test_the_11th_wrong_password_within_a_minute_is_refused_whatever_the_password(
    service: Service, clock: Clock
) -> None:
    client = TestClient(service.app)
    for attempt in range(10):
        clock.set(BEFORE + timedelta(seconds=attempt))
        answer = _try(client, "bob", f"wrong-{attempt}")
        assert answer.status_code == 401, attempt
        assert "wrong name or password" in answer.text
    clock.set(BEFORE + timedelta(seconds=10))
    for secret in ("wrong-again", password("bob")):  # even the right one, during the lock
        answer = _try(client, "bob", secret)
        assert answer.status_code == 429
        # The lock started at the 10th failure (BEFORE + 9 s) and lasts one minute.
        assert "too many attempts, try again at 12:01" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 303
    other = TestClient(service.app)  # the account is locked, from any address
    assert _try(other, "bob", password("bob")).status_code == 429

    clock.set(BEFORE + timedelta(seconds=70))  # the lock is over
    assert _try(client, "bob", password("bob")).status_code == 303
    assert client.get("/").status_code == 200
    with store.session_scope(service.engine, read_only=True) as session:
        assert throttle.failure_count(session, "account", "bob") == 0  # cleared by success


def test_a_client_address_is_locked_after_30_failures_over_several_names(
    service: Service, clock: Clock
) -> None:
    client = TestClient(service.app)
    for attempt in range(30):
        clock.set(BEFORE + timedelta(seconds=attempt))
        assert _try(client, f"guess{attempt}", "wrong").status_code == 401
    assert _try(client, "ann", password("ann")).status_code == 429


def test_a_copied_cookie_stops_working_after_logout(service: Service) -> None:
    client = login(TestClient(service.app), "bob", password("bob"))
    copy = TestClient(service.app, cookies=dict(client.cookies))
    assert copy.get("/", follow_redirects=False).status_code == 200
    page = client.get("/")
    assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 200
    assert copy.get("/", follow_redirects=False).status_code == 303
    assert copy.get("/login", follow_redirects=False).status_code == 200  # no redirect loop
    assert copy.get("/account", follow_redirects=False).status_code == 303


def test_sign_out_everywhere_and_a_new_password_end_every_session(service: Service) -> None:
    laptop = login(TestClient(service.app), "bob", password("bob"))
    phone = login(TestClient(service.app), "bob", password("bob"))
    account = laptop.get("/account")
    title, main = account.text.split("</title>")[0], account.text.split("<main>")[1]
    assert "<form" not in title and 'id="sessions-form"' in main  # on the page, not its title
    assert laptop.post("/account/sessions/end", follow_redirects=False).status_code == 403
    answer = laptop.post(
        "/account/sessions/end",
        data={"csrf_token": csrf_of(account.text)},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    for browser in (laptop, phone):
        assert browser.get("/", follow_redirects=False).status_code == 303

    again = login(TestClient(service.app), "bob", password("bob"))
    with store.session_scope(service.engine) as session:
        user = session.get(store.User, service.user_id("bob"))
        assert user is not None
        store.set_password(session, user, password("bob"))
    assert again.get("/", follow_redirects=False).status_code == 303


def _end_sessions_of(staff: TestClient, name: str, csrf: str | None) -> httpx.Response:
    data = {"name": name} if csrf is None else {"name": name, "csrf_token": csrf}
    return staff.post("/staff/sessions/end", data=data, follow_redirects=False)


def test_staff_sign_a_student_out_everywhere(service: Service) -> None:
    laptop = login(TestClient(service.app), "bob", password("bob"))
    copy = TestClient(service.app, cookies=dict(laptop.cookies))
    tara = login(TestClient(service.app), "tara", password("tara"))
    page = tara.get("/staff")
    assert 'id="end-sessions-form"' in page.text and '<option value="bob">' in page.text
    answer = _end_sessions_of(tara, " Bob ", csrf_of(page.text))
    assert (answer.status_code, answer.headers["location"]) == (303, "/staff#sessions")
    for browser in (laptop, copy):
        assert browser.get("/", follow_redirects=False).status_code == 303
    shown = tara.get("/staff")
    assert "Signed bob out everywhere" in shown.text
    assert "Signed bob out everywhere" not in tara.get("/staff").text  # shown once
    missing = _end_sessions_of(tara, "nobody", csrf_of(shown.text))
    assert "No user &#39;nobody&#39;" in tara.get(missing.headers["location"]).text


def test_only_staff_sign_others_out_and_only_with_the_csrf_token(service: Service) -> None:
    bob = login(TestClient(service.app), "bob", password("bob"))
    ann = login(TestClient(service.app), "ann", password("ann"))
    assert _end_sessions_of(ann, "bob", csrf_of(ann.get("/account").text)).status_code == 403
    tara = login(TestClient(service.app), "tara", password("tara"))
    assert _end_sessions_of(tara, "bob", None).status_code == 403
    assert _end_sessions_of(tara, "bob", "forged").status_code == 403
    assert bob.get("/", follow_redirects=False).status_code == 200
