"""The local login: Practicum's own accounts and passwords; staff become hub admins."""

from __future__ import annotations

import asyncio
from pathlib import Path

from practicum import store
from practicum.hub.authenticator import PracticumAuthenticator


def test_checks_practicums_passwords_and_makes_staff_admins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'practicum.db'}"
    store.upgrade(url)
    engine = store.make_engine(url)
    with store.session_scope(engine) as session:
        store.create_user(session, "alice", "student", "alice-password")
        store.create_user(session, "prof", "staff", "prof-password")
        store.create_user(session, "hubonly", "student", None)
    engine.dispose()
    auth = PracticumAuthenticator(database_url=url)
    assert auth.allow_all  # a Practicum password is the permission to log in

    def login(name: str, password: str) -> object:
        return asyncio.run(auth.authenticate(None, {"username": name, "password": password}))

    assert login("alice", "alice-password") == {"name": "alice", "admin": False}
    assert login("  Alice ", "alice-password") == {"name": "alice", "admin": False}
    assert login("prof", "prof-password") == {"name": "prof", "admin": True}
    assert login("alice", "prof-password") is None
    assert login("nobody", "alice-password") is None
    assert login("hubonly", "") is None
    assert login("", "x") is None
