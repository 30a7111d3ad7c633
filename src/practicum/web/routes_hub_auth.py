"""Logging in through JupyterHub in hub mode: OAuth with PKCE replaces the password form.

/login sends the browser to the hub's authorize page; the hub sends it back to
/oauth_callback with a code, which the service trades for a token and the token for the
hub's user. From then on the service's own session cookie identifies the user, as in
standalone mode. The pending login (state, PKCE verifier, next page) travels in a signed
cookie that lives ten minutes, so a restart or another replica can finish it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from tornado.web import HTTPError as TornadoHTTPError

from practicum.store.credits import grant_due_lessons
from practicum.web.deps import (
    Browser,
    CourseDep,
    CsrfChecked,
    Now,
    end_browser_sessions,
    get_codec,
    hub_mode,
    write_transaction,
)
from practicum.web.hub_mode import HubMode
from practicum.web.hub_users import HubUserRefused, hub_user_from_model, sign_in
from practicum.web.pages import base_path
from practicum.web.security import WebSession, cookie_path, safe_next

router = APIRouter(include_in_schema=False)

OAUTH_COOKIE = "practicum_oauth_state"
OAUTH_MAX_AGE_S = 600
HubModeDep = Annotated[HubMode, Depends(hub_mode)]


@dataclass(frozen=True)
class PendingLogin:
    state: str
    verifier: str
    next_page: str


class PendingLogins:
    """Signs a pending login into a cookie value and back; stale or forged reads as None."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="practicum.web.oauth-state")

    def dumps(self, pending: PendingLogin) -> str:
        return self._serializer.dumps([pending.state, pending.verifier, pending.next_page])

    def loads(self, value: str | None) -> PendingLogin | None:
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=OAUTH_MAX_AGE_S)
        except BadSignature:  # also SignatureExpired
            return None
        if not (
            isinstance(data, list) and len(data) == 3 and all(isinstance(x, str) for x in data)
        ):
            return None
        return PendingLogin(*data)


def _pending_logins(request: Request) -> PendingLogins:
    pending: PendingLogins = request.app.state.pending_logins
    return pending


@router.get("/login")
def login(request: Request, mode: HubModeDep, next: str = "/") -> Response:
    """Always asks the hub: a user logged in there comes straight back, logged in here."""
    verifier, challenge, method = mode.login.generate_pkce_code_challenge()
    pending = PendingLogin(secrets.token_urlsafe(24), verifier, safe_next(next))
    query = urlencode(
        {"state": pending.state, "code_challenge": challenge, "code_challenge_method": method}
    )
    authorize = mode.login.login_url
    response = RedirectResponse(
        f"{authorize}{'&' if '?' in authorize else '?'}{query}", status_code=302
    )
    response.set_cookie(
        OAUTH_COOKIE,
        _pending_logins(request).dumps(pending),
        max_age=OAUTH_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=cookie_path(request),
    )
    return response


@router.get("/oauth_callback")
async def oauth_callback(
    request: Request,
    mode: HubModeDep,
    course: CourseDep,
    now: Now,
    code: str = "",
    state: str = "",
    error: str = "",
    error_description: str = "",
) -> Response:
    if error:
        raise HTTPException(400, f"the hub refused the login: {(error_description or error)[:200]}")
    pending = _pending_logins(request).loads(request.cookies.get(OAUTH_COOKIE))
    if not code or pending is None or not secrets.compare_digest(state, pending.state):
        raise HTTPException(
            400,
            "this login was not started here, expired or was finished in another tab: log in again",
        )
    who = hub_user_from_model(await _hub_user_model(mode, code, pending.verifier))
    if who is None:
        raise HTTPException(403, "the hub did not name a user for this login")

    def enter(db: Session) -> tuple[int, int]:
        user = sign_in(db, who, mode.settings.auth.staff, now)
        # The dashboard shows opened lessons' credits at once, not after the next tick.
        grant_due_lessons(db, user, course, now)
        return user.id, user.session_epoch

    try:
        user_id, epoch = await write_transaction(request, enter)
    except HubUserRefused as exc:
        raise HTTPException(403, str(exc)) from None
    response = RedirectResponse(base_path(request) + pending.next_page, status_code=303)
    response.delete_cookie(OAUTH_COOKIE, path=cookie_path(request))
    get_codec(request).store(response, request, WebSession.fresh(user_id, epoch))
    return response


async def _hub_user_model(mode: HubMode, code: str, verifier: str) -> Any:
    try:
        token = await mode.login.token_for_code(code, code_verifier=verifier, sync=False)
        return await mode.login.user_for_token(token, use_cache=False, sync=False)
    except TornadoHTTPError as exc:
        raise HTTPException(
            502, f"the hub did not confirm the login ({exc.log_message}): log in again"
        ) from None


@router.post("/login")
def no_password_login(request: Request) -> Response:
    """Behind the hub, passwords are the hub's business: a posted form starts over there."""
    return RedirectResponse(base_path(request) + "/login", status_code=303)


@router.post("/logout")
async def logout(
    request: Request, mode: HubModeDep, browser: Browser, _csrf: CsrfChecked
) -> Response:
    """Out of the course site and the hub: else /login would log straight back in. Every
    copy of the session cookie ends too."""
    await write_transaction(request, lambda db: end_browser_sessions(db, browser))
    response = RedirectResponse(mode.hub_url("logout"), status_code=303)
    get_codec(request).clear(response, request)
    return response
