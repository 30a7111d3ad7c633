"""Hub mode: mounted under the service prefix, logins through the hub's OAuth (state and
PKCE), the hub's tokens on the API, and the spawn check only the hub may ask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hub_helpers import (
    ACCESS,
    PREFIX,
    SERVICE_TOKEN,
    HubService,
    follow_login,
    forget_compute,
    hub_service,
)
from sqlalchemy import select
from tiny_homework import HW, labels_csv, with_errors
from typer.testing import CliRunner
from web_helpers import serve_live

import practicum
from practicum import cli, store
from practicum.settings.hub import HubSettings
from practicum.settings.hub_env import HubServiceError, hub_service_env
from practicum.store.models import GpuAssignment
from practicum.web import routes_credits, routes_hub_auth
from practicum.web.hub_mode import (
    ACCESS_SCOPE,
    HubMode,
    grants_practicum_access,
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubService]:
    """Overrides conftest's: the clock and clean-up fixtures there apply to this app."""
    found = hub_service(tmp_path_factory.mktemp("hub"))
    yield found
    found.engine.dispose()


@pytest.fixture(autouse=True)
def fresh_hub(service: HubService) -> Iterator[None]:
    yield
    service.hub.reset()
    forget_compute(service.engine)


def role_of(service: HubService, name: str) -> str | None:
    with store.session_scope(service.engine, read_only=True) as session:
        return session.scalar(select(store.User.role).where(store.User.name == name))


# ---------------------------------------------------------------------------------------------
# mounting


def test_the_app_answers_only_under_the_service_prefix(service: HubService) -> None:
    raw = TestClient(service.app)
    bare = raw.get(PREFIX, follow_redirects=False)
    assert (bare.status_code, bare.headers["location"]) == (307, PREFIX + "/")
    assert raw.get("/login", follow_redirects=False).status_code == 404
    assert raw.get("/user/ann/lab").status_code == 404
    assert raw.get(f"{PREFIX}/static/style.css").status_code == 200
    anonymous = raw.get(f"{PREFIX}/", follow_redirects=False)
    assert anonymous.headers["location"] == f"{PREFIX}/login?next=/"


def test_hub_mode_routes_readable_by_get_are_reviewed_here() -> None:
    """The GET routes hub mode adds; a new one is added here after checking what it shows."""
    readable = {
        r.path
        for module in (routes_hub_auth, routes_credits)
        for r in module.router.routes
        if isinstance(r, APIRoute) and "GET" in (r.methods or ())
    }
    assert readable == {"/login", "/oauth_callback", "/staff/credits"}


# ---------------------------------------------------------------------------------------------
# logging in through the hub


def test_login_goes_to_the_hub_with_state_and_pkce_and_comes_back_logged_in(
    service: HubService,
) -> None:
    client = service.browser()
    state, challenge = follow_login(
        client.get(f"/login?next=/homework/{HW}", follow_redirects=False)
    )
    assert len(state) >= 20 and len(challenge) == 43  # S256 of the verifier, base64url
    code = service.login.authorize("ann", challenge)
    back = client.get(f"/oauth_callback?code={code}&state={state}", follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == f"{PREFIX}/homework/{HW}"
    cookie = back.headers.get_list("set-cookie")
    session = next(c for c in cookie if c.startswith("practicum_session="))
    assert f"Path={PREFIX}/" in session and "HttpOnly" in session  # never sent to /user/...
    page = client.get("/")
    assert page.status_code == 200 and 'id="whoami"' in page.text and ">ann<" in page.text
    assert role_of(service, "ann") == "student"


@pytest.mark.parametrize("tamper", ["wrong state", "no state", "no cookie", "reused code"])
def test_a_callback_that_this_browser_did_not_start_is_refused(
    service: HubService, tamper: str
) -> None:
    client = service.browser()
    state, challenge = follow_login(client.get("/login", follow_redirects=False))
    code = service.login.authorize("ann", challenge)
    if tamper == "reused code":
        assert client.get(f"/oauth_callback?code={code}&state={state}").status_code == 200
        client.cookies.clear()
        state, _ = follow_login(client.get("/login", follow_redirects=False))
        answer = client.get(f"/oauth_callback?code={code}&state={state}")
        assert answer.status_code == 502 and "did not confirm the login" in answer.text
        return
    if tamper == "no cookie":
        client.cookies.clear()
    query = {"wrong state": f"&state={state[:-2]}xx", "no state": ""}.get(tamper, f"&state={state}")
    answer = client.get(f"/oauth_callback?code={code}{query}", follow_redirects=False)
    assert answer.status_code == 400
    assert "log in again" in answer.text
    assert "practicum_session" not in answer.headers.get("set-cookie", "")


def test_a_code_sent_without_the_right_pkce_verifier_logs_nobody_in(service: HubService) -> None:
    client = service.browser()
    state, _ = follow_login(client.get("/login", follow_redirects=False))
    stolen = service.login.authorize("ann", "challenge-of-another-login")
    answer = client.get(f"/oauth_callback?code={stolen}&state={state}", follow_redirects=False)
    assert answer.status_code == 502
    assert client.get("/", follow_redirects=False).status_code == 303  # still logged out


def test_the_hub_refusing_the_login_is_shown(service: HubService) -> None:
    answer = service.browser().get("/oauth_callback?error=access_denied&error_description=nope")
    assert answer.status_code == 400 and "the hub refused the login: nope" in answer.text


def test_staff_listed_in_settings_and_hub_admins_become_staff(service: HubService) -> None:
    service.log_in("tara")
    service.log_in("adam", admin=True)
    service.log_in("bob")
    assert [role_of(service, n) for n in ("tara", "adam", "bob")] == ["staff", "staff", "student"]


def test_logout_leaves_the_course_site_and_the_hub(service: HubService) -> None:
    client = service.log_in("ann")
    token = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/hub/logout")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.post("/logout", follow_redirects=False).status_code == 403  # needs CSRF


def test_the_password_form_is_not_used_behind_the_hub(service: HubService) -> None:
    answer = service.browser().post("/login", data={"name": "ann"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, f"{PREFIX}/login")


# ---------------------------------------------------------------------------------------------
# the hub's tokens on the API


def test_the_api_accepts_a_notebooks_hub_token_and_nothing_the_hub_does_not_vouch_for(
    service: HubService,
) -> None:
    api = service.browser()
    notebook = service.login.issue_token("carol")  # a user never seen before: created
    me = api.get("/api/me", headers={"Authorization": f"Bearer {notebook}"})
    assert me.status_code == 200 and me.json()["name"] == "carol"
    assert role_of(service, "carol") == "student"
    service_own = service.login.issue_token("practicum", kind="service")
    for token in ("not-a-hub-token", service_own, SERVICE_TOKEN):
        refused = api.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401, token


NOT_FOR_PRACTICUM = {
    "detail": f"this hub token is not for Practicum: it lacks the {ACCESS} scope",
}


@pytest.mark.parametrize(
    ("name", "scopes", "status"),
    [
        ("hugo", (ACCESS,), 200),  # a notebook server's (the spawner's server_token_scopes)
        ("hana", ("access:services",), 200),  # every service, this one included
        ("ivan", ("access:servers!server=alice/", "read:users:name!user=ivan"), 403),  # cookie
        ("jack", ("access:services!service=grader",), 403),  # another service's
        ("kate", ("admin:users", "admin:servers"), 403),  # powerful, yet not for Practicum
        ("liam", (), 403),
    ],
)
def test_a_hub_token_acts_here_only_with_practicums_access_scope(
    service: HubService, name: str, scopes: tuple[str, ...], status: int
) -> None:
    """The hub vouches for every token it issued; only those meant for Practicum may act
    here, or a token captured from a notebook server would act as its owner."""
    token = service.login.issue_token(name, scopes=scopes)
    me = service.browser().get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == status, me.text
    if status == 403:
        assert me.json() == NOT_FOR_PRACTICUM
        assert role_of(service, name) is None  # not even created
    else:
        assert me.json()["name"] == name


def test_a_staff_members_token_captured_from_a_students_server_cannot_read_grades(
    service: HubService,
) -> None:
    """The cookie a hub admin's browser gets when opening alice's server: identity plus
    access to that server, never to Practicum."""
    api = service.browser()
    captured = service.login.issue_token(
        "tara", admin=True, scopes=("access:servers!server=alice/", "read:users:name!user=tara")
    )
    for path in ("/api/staff/submissions", "/api/me"):
        answer = api.get(path, headers={"Authorization": f"Bearer {captured}"})
        assert (answer.status_code, answer.json()) == (403, NOT_FOR_PRACTICUM), path
    own = service.login.issue_token("tara", admin=True)  # her own notebook's: fine
    grades = api.get("/api/staff/submissions", headers={"Authorization": f"Bearer {own}"})
    assert grades.status_code == 200


def test_a_hub_user_model_without_scopes_is_not_trusted(service: HubService) -> None:
    token = service.login.issue_token("iris")
    del service.login.tokens[token]["scopes"]
    answer = service.browser().get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json()) == (403, NOT_FOR_PRACTICUM)


@pytest.mark.parametrize(
    ("scopes", "granted"),
    [
        ([ACCESS], True),
        (["access:services"], True),
        (["access:services!service=practicum-old"], False),
        (["access:servers", "access:servers!server=alice/"], False),
        (["self", "inherit"], False),  # the hub expands these before it answers
        ([], False),
    ],
)
def test_practicums_access_scope_is_checked_with_jupyterhubs_filter_rules(
    scopes: list[str], granted: bool
) -> None:
    assert ACCESS_SCOPE == ACCESS
    assert grants_practicum_access(scopes) is granted


def test_practicum_submit_in_a_notebook_uses_the_servers_hub_token(
    service: HubService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a student's server has: PRACTICUM_URL from the spawner and the hub's token."""
    monkeypatch.delenv("PRACTICUM_TOKEN", raising=False)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", service.login.issue_token("dora"))
    with serve_live(service.app) as url:
        monkeypatch.setenv("PRACTICUM_URL", url + PREFIX)
        result = practicum.submit(HW, with_errors(2))
    assert result.public_score is not None and result.rank == 1
    with store.session_scope(service.engine, read_only=True) as session:
        mine = store.submissions_for(
            session,
            HW,
            session.scalar(select(store.User.id).where(store.User.name == "dora")) or -1,
        )
    assert len(mine) == 1


def test_practicum_tokens_still_work_and_never_reach_the_hub(service: HubService) -> None:
    api = service.browser()
    notebook = {"Authorization": f"Bearer {service.login.issue_token('erin')}"}
    assert api.get("/api/me", headers=notebook).status_code == 200  # creates erin
    with store.session_scope(service.engine) as session:
        erin = session.scalar(select(store.User).where(store.User.name == "erin"))
        assert erin is not None
        own = store.create_token(session, erin, "script")
    before = service.login.lookups
    answer = api.post(
        f"/api/homework/{HW}/submissions",
        headers={"Authorization": f"Bearer {own}"},
        files={"file": ("s.csv", labels_csv(with_errors(1)))},
    )
    assert answer.status_code == 200 and service.login.lookups == before


# ---------------------------------------------------------------------------------------------
# the spawn check


def spawn_check(service: HubService, token: str | None, user: str, profile: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return service.browser().post(
        "/hub/spawn-check", json={"user": user, "profile": profile}, headers=headers
    )


def test_only_the_hubs_service_token_may_ask_the_spawn_check(service: HubService) -> None:
    service.log_in("ann")
    assert spawn_check(service, None, "ann", "gpu").status_code == 401
    notebook = service.login.issue_token("ann")
    with store.session_scope(service.engine) as session:
        ann = session.scalar(select(store.User).where(store.User.name == "ann"))
        assert ann is not None
        practicum_token = store.create_token(session, ann, "notebook")
    for token in (notebook, practicum_token, SERVICE_TOKEN[:-1], SERVICE_TOKEN + "x"):
        answer = spawn_check(service, token, "ann", "gpu")
        assert answer.status_code == 403, token
        assert answer.json() == {"detail": "only JupyterHub may ask this"}
    with store.session_scope(service.engine, read_only=True) as session:
        assert session.scalar(select(GpuAssignment)) is None  # nobody got the GPU


def test_the_spawn_check_hands_out_the_gpu_then_queues(service: HubService) -> None:
    for name in ("ann", "bob"):
        service.log_in(name)  # grants lesson 1's credits
    cpu = spawn_check(service, SERVICE_TOKEN, "ann", "cpu").json()
    assert cpu == {
        "allowed": True,
        "message": "",
        "environment": {"CUDA_VISIBLE_DEVICES": ""},
        "queue_position": None,
    }
    gpu = spawn_check(service, SERVICE_TOKEN, "ann", "gpu").json()
    assert gpu["allowed"] and gpu["environment"] == {"CUDA_VISIBLE_DEVICES": "0"}
    queued = spawn_check(service, SERVICE_TOKEN, "bob", "gpu").json()
    assert not queued["allowed"] and queued["queue_position"] == 1
    assert "number 1 in the queue" in queued["message"]
    unknown = spawn_check(service, SERVICE_TOKEN, "ann", "tpu").json()
    assert not unknown["allowed"] and "unknown server profile 'tpu'" in unknown["message"]


def test_a_hub_user_first_seen_at_the_spawn_check_is_created(service: HubService) -> None:
    answer = spawn_check(service, SERVICE_TOKEN, "Fay", "cpu").json()
    assert answer["allowed"] and role_of(service, "fay") == "student"
    odd = spawn_check(service, SERVICE_TOKEN, "x", "cpu").json()  # too short for Practicum
    assert not odd["allowed"] and "cannot use the course site" in odd["message"]


# ---------------------------------------------------------------------------------------------
# starting outside a hub


def test_serve_hub_outside_a_hub_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    env = {"JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api"}
    with pytest.raises(HubServiceError, match="JUPYTERHUB_API_TOKEN, JUPYTERHUB_SERVICE_PREFIX"):
        hub_service_env(env)


@pytest.mark.parametrize(
    ("base_url", "host", "root"),
    [("/", "", "/"), ("/course/", "", "/course/"), ("/", "https://hub.example.org", None)],
)
def test_the_hubs_environment_gives_a_real_hub_oauth(
    base_url: str, host: str, root: str | None
) -> None:
    env = {
        "JUPYTERHUB_API_TOKEN": "t0ken",
        "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
        "JUPYTERHUB_SERVICE_PREFIX": f"{base_url}services/practicum/",
        "JUPYTERHUB_CLIENT_ID": "service-practicum",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{base_url}services/practicum/oauth_callback",
        "JUPYTERHUB_BASE_URL": base_url,
        "JUPYTERHUB_HOST": host,
    }
    mode = HubMode.connect(HubSettings(gpus=()), hub_service_env(env))
    root = root or f"{host}/"
    assert mode.prefix == f"{base_url}services/practicum" and mode.api_token == "t0ken"
    callback = quote(f"{base_url}services/practicum/oauth_callback", safe="")
    assert mode.login.login_url == (
        f"{root}hub/api/oauth2/authorize?client_id=service-practicum"
        f"&redirect_uri={callback}&response_type=code"
    )
    verifier, challenge, method = mode.login.generate_pkce_code_challenge()
    assert method == "S256" and verifier != challenge
    assert mode.lab_url("ann") == f"{root}user/ann/lab"
    assert mode.hub_url("logout") == f"{root}hub/logout"


def test_practicum_serve_hub_outside_a_hub_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX", "PRACTICUM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no practicum.toml here: the embedded defaults
    answer = CliRunner().invoke(cli.app, ["serve", "--hub"])
    assert answer.exit_code == 1
    assert "JUPYTERHUB_API_TOKEN" in answer.output and "--standalone" in answer.output
    assert "Traceback" not in answer.output
