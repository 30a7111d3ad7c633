"""The local development login: the hub checks Practicum's own accounts.

One list of people and one password per person, for a course on one machine without a
GitHub organisation: whoever `practicum users add` created logs in with that password;
Practicum's staff become hub admins. (With [auth] kind = "github", oauthenticator's
GitHubOAuthenticator is used instead.)
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyterhub.auth import Authenticator
from sqlalchemy import Engine
from traitlets import Unicode, default

from practicum import store


class PracticumAuthenticator(Authenticator):  # type: ignore[misc]
    database_url = Unicode(help="Practicum's database (SQLAlchemy URL).").tag(config=True)

    _engine: Engine | None = None

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return True  # having a Practicum password is the permission

    def _verify(self, name: str, password: str) -> dict[str, Any] | None:
        if self._engine is None:
            self._engine = store.make_engine(self.database_url)
        with store.session_scope(self._engine) as session:  # may upgrade an old hash
            user = store.verify_password(session, name, password)
            if user is None:
                return None
            return {"name": user.name, "admin": user.role == "staff"}

    async def authenticate(self, handler: Any, data: dict[str, str]) -> dict[str, Any] | None:
        name = (data.get("username") or "").strip().lower()
        password = data.get("password") or ""
        if not name or not password:
            return None
        # argon2 takes tens of milliseconds: keep the hub's event loop free meanwhile
        return await asyncio.to_thread(self._verify, name, password)
