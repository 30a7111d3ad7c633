"""The local development login: the hub checks Practicum's own accounts.

One list of people and one password per person, for a course on one machine without a
GitHub organisation: whoever `practicum users add` created logs in with that password;
Practicum's staff become hub admins. (With [auth] kind = "github", oauthenticator's
GitHubOAuthenticator is used instead.)
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from jupyterhub.auth import Authenticator
from sqlalchemy import Engine
from tornado.web import HTTPError
from traitlets import Unicode, default

from practicum import store
from practicum.store import throttle


class PracticumAuthenticator(Authenticator):  # type: ignore[misc]
    database_url = Unicode(help="Practicum's database (SQLAlchemy URL).").tag(config=True)

    _engine: Engine | None = None

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return True  # having a Practicum password is the permission

    def _verify(
        self, name: str, password: str, address: str | None, now: datetime
    ) -> dict[str, Any] | datetime | None:
        """The hub's user, None for a wrong password, or when the lock on the name or
        address ends (the failures are Practicum's, shared with its login form)."""
        if self._engine is None:
            self._engine = store.make_engine(self.database_url)
        with store.session_scope(self._engine) as session:  # may upgrade an old hash
            until = throttle.locked_until(session, name, address, now)
            if until is not None:
                return until
            user = store.verify_password(session, name, password)
            if user is None:
                throttle.record_failure(session, name, address, now)
                return None
            throttle.record_success(session, name)
            return {"name": user.name, "admin": user.role == "staff"}

    async def authenticate(self, handler: Any, data: dict[str, str]) -> dict[str, Any] | None:
        name = (data.get("username") or "").strip().lower()
        password = data.get("password") or ""
        if not name or not password:
            return None
        request = getattr(handler, "request", None)
        address = getattr(request, "remote_ip", None)
        # argon2 takes tens of milliseconds: keep the hub's event loop free meanwhile
        found = await asyncio.to_thread(self._verify, name, password, address, self._now())
        if isinstance(found, datetime):
            # The hub's login page shows an HTTPError's message as its login error.
            local = found.astimezone()
            raise HTTPError(429, f"too many attempts, try again at {local:%H:%M}")
        return found

    def _now(self) -> datetime:
        """The moment of a login attempt (tests move it)."""
        return datetime.now(UTC)
