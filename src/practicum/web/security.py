"""Browser sessions and CSRF tokens, in one signed cookie.

The cookie holds who is logged in (with the user's session epoch, which logout, a new
password or "sign out everywhere" raise in the database, ending every copy of the cookie
server-side), the session's CSRF token, the message of the last
failed upload and the outcome of the last dashboard action; it is signed (itsdangerous),
so it cannot be forged, and it expires. Every visitor gets one before their first form,
the login form included: a form posted from another site cannot know the token, so it is
refused. The JSON API authenticates with bearer tokens instead, which a browser never
sends on its own, so it needs no CSRF token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "practicum_session"
SESSION_MAX_AGE_S = 12 * 3600
CSRF_FIELD = "csrf_token"
MAX_REMEMBERED_ERROR = 500
"""Characters of a failed upload's message kept in the cookie (browsers cap cookies at 4 KB)."""


@dataclass(frozen=True)
class WebSession:
    csrf: str
    user_id: int | None = None
    epoch: int = 0
    """The user's session epoch at login: raising it in the database ends this session."""
    failed: tuple[str, str] | None = None
    """(homework id, message) of the last refused upload, shown on the homework page."""
    notice: tuple[str, str] | None = None
    """("ok" | "error", message) of the last dashboard action, shown once on the dashboard."""
    changed: bool = False
    """Whether the response must (re)send the cookie."""

    @classmethod
    def fresh(cls, user_id: int | None = None, epoch: int = 0) -> WebSession:
        """A new session with a new CSRF token: at login too, so a token planted before
        login is worthless after it."""
        return cls(csrf=secrets.token_urlsafe(32), user_id=user_id, epoch=epoch, changed=True)

    def with_failure(self, failed: tuple[str, str] | None) -> WebSession:
        if failed is not None:
            failed = (failed[0], failed[1][:MAX_REMEMBERED_ERROR])
        return replace(self, failed=failed, changed=True)

    def with_notice(self, notice: tuple[str, str] | None) -> WebSession:
        if notice is not None:
            notice = (notice[0], notice[1][:MAX_REMEMBERED_ERROR])
        return replace(self, notice=notice, changed=True)

    def csrf_matches(self, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(str(token), self.csrf)


class SessionCodec:
    """Signs sessions into cookie values and back; a bad or stale cookie reads as none."""

    def __init__(self, secret_key: str, max_age_s: int = SESSION_MAX_AGE_S) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="practicum.web.session")
        self.max_age_s = max_age_s

    def dumps(self, session: WebSession) -> str:
        data: dict[str, Any] = {"csrf": session.csrf, "uid": session.user_id}
        if session.epoch:
            data["ep"] = session.epoch
        if session.failed:
            data["failed"] = list(session.failed)
        if session.notice:
            data["notice"] = list(session.notice)
        return self._serializer.dumps(data)

    def loads(self, value: str | None) -> WebSession | None:
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=self.max_age_s)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        uid, epoch = data.get("uid"), data.get("ep", 0)
        return WebSession(
            csrf=data["csrf"],
            user_id=uid if isinstance(uid, int) else None,
            epoch=epoch if isinstance(epoch, int) else -1,
            failed=_pair(data.get("failed")),
            notice=_pair(data.get("notice")),
        )

    def store(self, response: Response, request: Request, session: WebSession) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.dumps(session),
            max_age=self.max_age_s,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path=cookie_path(request),
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            SESSION_COOKIE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path=cookie_path(request),
        )


def _pair(value: Any) -> tuple[str, str] | None:
    return (str(value[0]), str(value[1])) if isinstance(value, list) and len(value) == 2 else None


def cookie_path(request: Request) -> str:
    """The service's own path: behind JupyterHub the cookie must not reach the students'
    servers under /user/..., which run code their owners control."""
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
