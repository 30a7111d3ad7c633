"""Hub mode without a hub: a fake JupyterHub REST API, a fake OAuth exchange that checks
PKCE like the hub does, and the course service built over them under the service prefix.

Imported by name by the hub-mode test modules, which override the `service` fixture of
conftest.py with `hub_service(...)` so its clock and clean-up apply to them too.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from tiny_homework import BEFORE, make_config, publish_tiny
from tornado.web import HTTPError as TornadoHTTPError
from web_helpers import CSRF, Service

from practicum import store
from practicum.hub.hub_client import HubError
from practicum.hub.types import RunningServer
from practicum.settings.hub import AuthSettings, HubSettings
from practicum.store.models import CreditEntry, GpuAssignment, GpuQueueEntry, Lease, MeteredRun
from practicum.web import create_app
from practicum.web.hub_mode import HubMode

PREFIX = "/services/practicum"
SERVICE_TOKEN = "service-token-of-practicum"
AUTHORIZE = (
    "/hub/api/oauth2/authorize?client_id=service-practicum"
    "&redirect_uri=%2Fservices%2Fpracticum%2Foauth_callback&response_type=code"
)
STAFF = ("tara",)
ACCESS = "access:services!service=practicum"
"""What the hub puts on tokens meant for Practicum: its OAuth logins', and notebook
servers' (the spawner's `server_token_scopes` include it)."""


@dataclass
class FakeHub:
    """`HubApi` over a dict of running servers; `failure` makes every call raise it."""

    servers: dict[str, RunningServer] = field(default_factory=dict)
    starts: list[tuple[str, str]] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)
    failure: HubError | None = None
    now: datetime = BEFORE

    def running_servers(self) -> list[RunningServer]:
        self._maybe_fail()
        return list(self.servers.values())

    def start_server(self, user: str, profile: str) -> None:
        self._maybe_fail()
        self.starts.append((user, profile))
        self.run(user, profile)

    def stop_server(self, user: str) -> None:
        self._maybe_fail()
        self.stops.append(user)
        self.servers.pop(user, None)

    def run(self, user: str, profile: str, *, ready: bool = True, minutes: int = 0) -> None:
        started = self.now - timedelta(minutes=minutes)
        self.servers[user] = RunningServer(user, "", profile, started, None, ready)

    def reset(self) -> None:
        self.servers.clear()
        self.starts.clear()
        self.stops.clear()
        self.failure = None

    def _maybe_fail(self) -> None:
        if self.failure is not None:
            raise self.failure


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class FakeLogin:
    """`HubLogin` as the hub would answer it: codes are bound to a PKCE challenge and used
    once; tokens name a user model (or a service's) with the token's own scopes."""

    codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    lookups: int = 0

    @property
    def login_url(self) -> str:
        return AUTHORIZE

    def generate_pkce_code_challenge(self) -> tuple[str, str, str]:
        verifier = secrets.token_urlsafe(32)
        return verifier, _challenge(verifier), "S256"

    def issue_token(
        self,
        name: str,
        *,
        admin: bool = False,
        kind: str = "user",
        scopes: tuple[str, ...] = (ACCESS,),
    ) -> str:
        """A token as GET /hub/api/user describes it; by default one meant for Practicum
        (a login's, or a notebook server's JUPYTERHUB_API_TOKEN)."""
        token = secrets.token_hex(16)
        self.tokens[token] = {"kind": kind, "name": name, "admin": admin, "scopes": list(scopes)}
        return token

    def authorize(self, name: str, challenge: str, *, admin: bool = False) -> str:
        """The hub's authorize page, once the user is logged in there: a code."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = (challenge, self.issue_token(name, admin=admin))
        return code

    def token_for_code(
        self, code: str, *, code_verifier: str | None, sync: bool
    ) -> Coroutine[Any, Any, str]:
        assert not sync, "the service must not block its event loop"

        async def exchange() -> str:
            challenge, token = self.codes.pop(code, ("", ""))
            if not token or code_verifier is None or _challenge(code_verifier) != challenge:
                raise TornadoHTTPError(500, "Failed to check authorization: invalid_grant")
            return token

        return exchange()

    def user_for_token(
        self, token: str, use_cache: bool = True, *, sync: bool
    ) -> Coroutine[Any, Any, dict[str, Any] | None]:
        assert not sync, "the service must not block its event loop"

        async def lookup() -> dict[str, Any] | None:
            self.lookups += 1
            return self.tokens.get(token)

        return lookup()


@dataclass
class HubService(Service):
    hub: FakeHub = field(default_factory=FakeHub)
    login: FakeLogin = field(default_factory=FakeLogin)

    def browser(self) -> TestClient:
        """A browser with no cookies, its requests under the service prefix."""
        return TestClient(self.app, base_url=f"http://testserver{PREFIX}/")

    def log_in(self, name: str, *, admin: bool = False) -> TestClient:
        """A browser logged in through the (fake) hub's OAuth, as a real browser goes."""
        client = self.browser()
        state, challenge = follow_login(client.get("/login", follow_redirects=False))
        code = self.login.authorize(name, challenge, admin=admin)
        done = client.get(f"/oauth_callback?code={code}&state={state}", follow_redirects=False)
        assert done.status_code == 303, done.text
        return client


def follow_login(answer: httpx.Response) -> tuple[str, str]:
    """The state and PKCE challenge of a redirect to the hub's authorize page."""
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(AUTHORIZE + "&"), location
    query = parse_qs(urlparse(location).query)
    assert query["code_challenge_method"] == ["S256"]
    return query["state"][0], query["code_challenge"][0]


def csrf(client: TestClient, page: str = "/") -> str:
    found = CSRF.search(client.get(page).text)
    assert found, f"{page} has no CSRF field"
    return found[1]


def hub_service(
    root: Path, *, gpus: tuple[str, ...] = ("0",), metering: bool = False
) -> HubService:
    config = make_config(root)
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    publish_tiny(config, engine)
    hub, login = FakeHub(), FakeLogin()
    settings = HubSettings(state=root / "hub", auth=AuthSettings(staff=STAFF), gpus=gpus)
    mode = HubMode(
        settings=settings,
        api=hub,
        login=login,
        api_token=SERVICE_TOKEN,
        prefix=PREFIX,
        metering=metering,
    )
    app = create_app(config, hub=mode)
    app.state.running_servers.max_age_s = 0  # tests change the fake hub between pages
    return HubService(
        config, app, engine, store.FileStore(config.blob_dir), {}, hub=hub, login=login
    )


def forget_compute(engine: Engine) -> None:
    """Empty the ledger, the queue, GPU assignments, metered runs and leases."""
    with store.session_scope(engine) as session:
        for table in (CreditEntry, GpuQueueEntry, GpuAssignment, MeteredRun, Lease):
            session.execute(delete(table))
