"""The local login: Practicum's own accounts and passwords; staff become hub admins."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from tornado.web import HTTPError

from practicum import store
from practicum.hub.authenticator import PracticumAuthenticator
from practicum.store import throttle

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_checks_practicums_passwords_and_makes_staff_admins(db_url: str) -> None:
    url = db_url
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


def test_refuses_every_password_during_a_lock_shared_with_the_service(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = db_url
    engine = store.make_engine(url)
    with store.session_scope(engine) as session:
        store.create_user(session, "alice", "student", "alice-password")
    auth = PracticumAuthenticator(database_url=url)
    clock = [T0]
    monkeypatch.setattr(auth, "_now", lambda: clock[0])
    handler = SimpleNamespace(request=SimpleNamespace(remote_ip="10.0.0.7"))

    def login(password: str) -> object:
        return asyncio.run(auth.authenticate(handler, {"username": "alice", "password": password}))

    for _ in range(10):
        assert login("wrong") is None
    with pytest.raises(HTTPError) as refused:
        login("alice-password")  # the right one too, during the lock
    assert refused.value.status_code == 429
    assert "too many attempts, try again at" in str(refused.value.log_message)

    clock[0] = T0 + timedelta(minutes=2)
    assert login("alice-password") == {"name": "alice", "admin": False}
    with store.session_scope(engine, read_only=True) as session:
        assert throttle.failure_count(session, "account", "alice") == 0

    with store.session_scope(engine) as session:  # the service's failures count here too
        for _ in range(10):
            throttle.record_failure(session, "alice", "192.0.2.1", clock[0])
    with pytest.raises(HTTPError):
        login("alice-password")
    engine.dispose()
