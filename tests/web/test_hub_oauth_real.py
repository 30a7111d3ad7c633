"""The login with JupyterHub's own HubOAuth class, against a stand-in for the hub's OAuth
and identity endpoints on a loopback port: the service sends what the hub expects (the
code, its PKCE verifier, the service token as client secret) and reads what it answers."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Form, Header, HTTPException
from fastapi.responses import JSONResponse, Response
from hub_helpers import ACCESS, PREFIX, FakeHub, HubService, follow_login, hub_service
from web_helpers import serve_live

from practicum.settings.hub import HubSettings
from practicum.settings.hub_env import hub_service_env
from practicum.web import create_app
from practicum.web.hub_mode import HubMode

SERVICE_TOKEN = "the-service-token"


class HubStandIn:
    """POST /hub/api/oauth2/token and GET /hub/api/user, as JupyterHub answers them."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, str]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.app = FastAPI()
        self.app.post("/hub/api/oauth2/token")(self.token)
        self.app.get("/hub/api/user")(self.user)

    def authorize(self, name: str, challenge: str) -> str:
        code = secrets.token_urlsafe(12)
        self.codes[code] = (challenge, name)
        return code

    def token(
        self,
        client_id: Annotated[str, Form()],
        client_secret: Annotated[str, Form()],
        grant_type: Annotated[str, Form()],
        code: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        code_verifier: Annotated[str, Form()],
    ) -> Response:
        challenge, name = self.codes.pop(code, ("", ""))
        digest = hashlib.sha256(code_verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if (
            client_secret != SERVICE_TOKEN
            or client_id != "service-practicum"
            or grant_type != "authorization_code"
            or redirect_uri != f"{PREFIX}/oauth_callback"
            or not name
            or expected != challenge
        ):
            refusal = {"error": "invalid_grant", "error_description": "code or verifier wrong"}
            return JSONResponse(refusal, 400)
        access = secrets.token_hex(16)
        self.tokens[access] = {"kind": "user", "name": name, "admin": False, "scopes": [ACCESS]}
        return JSONResponse({"access_token": access, "token_type": "Bearer"})

    def user(self, authorization: Annotated[str, Header()] = "") -> dict[str, Any]:
        model = self.tokens.get(authorization.removeprefix("token "))
        if model is None:
            raise HTTPException(403, "not a token of this hub")
        return model


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[HubStandIn, str]]:
    hub = HubStandIn()
    with serve_live(hub.app) as url:
        yield hub, url


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, stand_in: tuple[HubStandIn, str]
) -> Iterator[HubService]:
    """The service with a real HubOAuth from the environment the hub gives services."""
    found = hub_service(tmp_path_factory.mktemp("real"))
    env = {
        "JUPYTERHUB_API_TOKEN": SERVICE_TOKEN,
        "JUPYTERHUB_API_URL": f"{stand_in[1]}/hub/api",
        "JUPYTERHUB_SERVICE_PREFIX": PREFIX + "/",
        "JUPYTERHUB_CLIENT_ID": "service-practicum",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{PREFIX}/oauth_callback",
    }
    mode = replace(
        HubMode.connect(HubSettings(gpus=()), hub_service_env(env)), api=FakeHub(), metering=False
    )
    found.app = create_app(found.config, hub=mode)
    yield found
    found.engine.dispose()


def test_a_login_completes_with_the_real_hub_oauth(
    service: HubService, stand_in: tuple[HubStandIn, str]
) -> None:
    hub, _ = stand_in
    client = service.browser()
    state, challenge = follow_login(client.get("/login?next=/account", follow_redirects=False))
    back = client.get(
        f"/oauth_callback?code={hub.authorize('gwen', challenge)}&state={state}",
        follow_redirects=False,
    )
    assert (back.status_code, back.headers["location"]) == (303, f"{PREFIX}/account")
    assert ">gwen<" in client.get("/account").text


def test_a_code_for_another_pkce_challenge_is_refused_by_the_hub(
    service: HubService, stand_in: tuple[HubStandIn, str]
) -> None:
    hub, _ = stand_in
    client = service.browser()
    state, _ = follow_login(client.get("/login", follow_redirects=False))
    answer = client.get(f"/oauth_callback?code={hub.authorize('gwen', 'other')}&state={state}")
    assert answer.status_code == 502 and "code or verifier wrong" in answer.text


def test_the_api_asks_the_real_hub_who_a_notebook_token_is(
    service: HubService, stand_in: tuple[HubStandIn, str]
) -> None:
    hub, _ = stand_in
    hub.tokens["notebook-token"] = {
        "kind": "user",
        "name": "hana",
        "admin": False,
        "scopes": [ACCESS],
    }
    api = service.browser()
    me = api.get("/api/me", headers={"Authorization": "Bearer notebook-token"})
    assert me.status_code == 200 and me.json()["name"] == "hana"
    assert api.get("/api/me", headers={"Authorization": "Bearer forged"}).status_code == 401
