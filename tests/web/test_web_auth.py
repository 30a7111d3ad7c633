"""Who may do what: logins, sessions, CSRF, roles, API tokens."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from tiny_homework import Y_TEST, labels_csv
from web_helpers import Service, csrf_of, login, password, upload

from practicum import store
from practicum.web.security import SESSION_COOKIE, SessionCodec, WebSession


def test_pages_redirect_to_login_when_logged_out(fresh: TestClient) -> None:
    for path in ("/", "/homework/hw-tiny", "/homework/hw-tiny/leaderboard", "/staff", "/account"):
        answer = fresh.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/login?next={path}"


def test_login_sets_a_protected_cookie_and_returns_to_the_page(service: Service) -> None:
    client = TestClient(service.app)
    form = client.get("/login?next=/homework/hw-tiny")
    answer = client.post(
        "/login",
        data={
            "name": "ann",
            "password": password("ann"),
            "csrf_token": csrf_of(form.text),
            "next": "/homework/hw-tiny",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/homework/hw-tiny"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
    assert "secure" not in cookie  # plain http: a Secure cookie would never come back
    assert client.get("/").status_code == 200


def test_cookie_is_secure_over_https(service: Service) -> None:
    client = TestClient(service.app, base_url="https://testserver")
    form = client.get("/login")
    assert "; secure" in form.headers["set-cookie"].lower()
    login(client, "bob", password("bob"))
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part(fresh: TestClient) -> None:
    for name, secret in (("ann", "nope"), ("nobody", "nope")):
        form = fresh.get("/login")
        answer = fresh.post(
            "/login", data={"name": name, "password": secret, "csrf_token": csrf_of(form.text)}
        )
        assert answer.status_code == 401
        assert "wrong name or password" in answer.text
    assert fresh.get("/", follow_redirects=False).status_code == 303


def test_login_needs_the_csrf_token_of_its_form(service: Service, fresh: TestClient) -> None:
    fresh.get("/login")
    data = {"name": "ann", "password": password("ann")}
    assert fresh.post("/login", data=data).status_code == 403
    other_form = TestClient(service.app).get("/login")  # another browser's token
    refused = fresh.post("/login", data={**data, "csrf_token": csrf_of(other_form.text)})
    assert refused.status_code == 403
    assert "missing or invalid CSRF token" in refused.text


def test_login_never_redirects_to_another_site(service: Service, fresh: TestClient) -> None:
    form = fresh.get("/login")
    answer = fresh.post(
        "/login",
        data={
            "name": "ann",
            "password": password("ann"),
            "csrf_token": csrf_of(form.text),
            "next": "//evil.example/phish",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_logout_needs_csrf_and_ends_the_session(service: Service) -> None:
    client = login(TestClient(service.app), "bob", password("bob"))
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    page = client.get("/")
    answer = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_forged_or_expired_cookies_count_as_logged_out(
    service: Service, fresh: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tara = service.user_id("tara")
    forged = SessionCodec("not-the-secret").dumps(WebSession.fresh(tara))
    fresh.cookies.set(SESSION_COOKIE, forged)
    assert fresh.get("/staff", follow_redirects=False).status_code == 303

    codec = SessionCodec(service.config.secret_key())
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 13 * 3600)
    stale = codec.dumps(WebSession.fresh(tara))
    monkeypatch.undo()
    fresh.cookies.set(SESSION_COOKIE, stale)
    assert fresh.get("/staff", follow_redirects=False).status_code == 303
    fresh.cookies.set(SESSION_COOKIE, codec.dumps(WebSession.fresh(tara)))
    assert fresh.get("/staff", follow_redirects=False).status_code == 200


def test_students_get_403_on_staff_pages(ann: TestClient, tara: TestClient) -> None:
    for path in ("/staff", "/staff/gradebook.csv"):
        assert ann.get(path).status_code == 403
        assert tara.get(path).status_code == 200


def test_form_posts_without_the_csrf_token_are_refused_and_store_nothing(
    service: Service, ann: TestClient, bob: TestClient
) -> None:
    content = labels_csv(Y_TEST)
    before = service.stored()
    no_token = ann.post("/homework/hw-tiny/submissions", files={"file": ("s.csv", content)})
    bobs_token = csrf_of(bob.get("/homework/hw-tiny").text)
    wrong_session = ann.post(
        "/homework/hw-tiny/submissions",
        data={"csrf_token": bobs_token},
        files={"file": ("s.csv", content)},
    )
    for answer in (no_token, wrong_session):
        assert answer.status_code == 403
        assert "missing or invalid CSRF token" in answer.text
    assert service.stored() == before
    assert upload(ann, content).status_code == 303  # the same upload with the token is taken
    assert ann.post("/homework/hw-tiny/picks", data={"pick": "1"}).status_code == 403
    assert ann.post("/account/tokens", data={"label": "x"}).status_code == 403


def test_api_needs_a_live_bearer_token(service: Service, fresh: TestClient) -> None:
    missing = fresh.get("/api/me")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert fresh.get("/api/me", headers={"Authorization": "Bearer pk_made-up"}).status_code == 401
    assert fresh.get("/api/me", headers=service.bearer("ann")).json() == {
        "name": "ann",
        "role": "student",
    }
    with store.session_scope(service.engine) as session:
        ann = session.get(store.User, service.user_id("ann"))
        assert ann is not None
        token = store.create_token(session, ann, "to revoke")
        token_id = store.tokens_for(session, ann)[-1].id
    headers = {"Authorization": f"Bearer {token}"}
    assert fresh.get("/api/me", headers=headers).status_code == 200
    with store.session_scope(service.engine) as session:
        ann = session.get(store.User, service.user_id("ann"))
        assert ann is not None and store.revoke_token(session, ann, token_id)
    assert fresh.get("/api/me", headers=headers).status_code == 401
    submit = fresh.post(
        "/api/homework/hw-tiny/submissions",
        headers=headers,
        files={"file": ("s.csv", labels_csv(Y_TEST))},
    )
    assert submit.status_code == 401


def test_the_session_cookie_is_not_an_api_credential(ann: TestClient) -> None:
    assert ann.get("/api/me").status_code == 401


def test_students_get_403_from_staff_api(service: Service, fresh: TestClient) -> None:
    assert fresh.get("/api/staff/submissions", headers=service.bearer("ann")).status_code == 403
    assert fresh.get("/api/staff/submissions", headers=service.bearer("tara")).status_code == 200


def test_tokens_made_on_the_account_page_work_until_revoked(
    service: Service, bob: TestClient, fresh: TestClient
) -> None:
    page = bob.get("/account")
    made = bob.post("/account/tokens", data={"label": "laptop", "csrf_token": csrf_of(page.text)})
    assert made.status_code == 200
    token = made.text.split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert fresh.get("/api/me", headers=headers).json()["name"] == "bob"
    assert bob.get("/account").text.count('id="new-token"') == 0  # shown once only
    revoke = made.text.split('action="/account/tokens/')[-1].split("/")[0]
    answer = bob.post(
        f"/account/tokens/{revoke}/revoke",
        data={"csrf_token": csrf_of(made.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert fresh.get("/api/me", headers=headers).status_code == 401
    beyond = bob.post(f"/account/tokens/{2**63}/revoke", data={"csrf_token": csrf_of(made.text)})
    assert beyond.status_code == 404  # no row can have that id: not found, never a 500


def test_openapi_and_docs_are_served(fresh: TestClient) -> None:
    schema = fresh.get("/openapi.json").json()
    assert "/api/homework/{homework_id}/submissions" in schema["paths"]
    assert "/login" not in schema["paths"]  # pages are not API
    assert fresh.get("/docs").status_code == 200


def test_a_form_posted_after_the_login_expired_leads_to_the_login_form(
    service: Service, fresh: TestClient
) -> None:
    page = fresh.get("/login")  # an anonymous session: a valid token, but nobody logged in
    answer = fresh.post(
        "/homework/hw-tiny/submissions",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("s.csv", labels_csv(Y_TEST))},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert service.stored() == (0, 0)
