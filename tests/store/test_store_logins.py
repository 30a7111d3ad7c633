"""Login throttling's policy and bookkeeping, and the password policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from practicum import store
from practicum.store import throttle
from practicum.store.passwords import WeakPassword, check_password, password_problem
from practicum.store.throttle import Lock, lock_length, next_lock

T = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with store.session_scope(engine) as found:
        yield found


def test_ten_failures_within_a_minute_lock_the_account_for_a_minute() -> None:
    nine = [T + timedelta(seconds=s) for s in range(9)]
    assert next_lock(nine, T + timedelta(seconds=9), limit=10) is None
    ten = [*nine, T + timedelta(seconds=9)]
    assert next_lock(ten, T + timedelta(seconds=9), limit=10) == Lock(T + timedelta(seconds=69), 1)
    spread = [T + timedelta(seconds=10 * s) for s in range(10)]  # over 90 s: no lock
    assert next_lock(spread, T + timedelta(seconds=90), limit=10) is None


def test_repeated_lock_outs_double_up_to_an_hour_and_are_forgiven_after_a_day() -> None:
    assert [lock_length(n) for n in (1, 2, 3, 4, 7, 20)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 60, 60)
    ]
    failures = [T] * 10
    assert next_lock(failures, T, limit=10, previous=Lock(T - timedelta(minutes=1), 2)) == Lock(
        T + timedelta(minutes=4), 3
    )
    long_ago = Lock(T - timedelta(days=2), 6)
    assert next_lock(failures, T, limit=10, previous=long_ago) == Lock(T + timedelta(minutes=1), 1)


def test_failures_lock_names_and_addresses_and_success_clears_the_account(
    session: Session,
) -> None:
    for _ in range(9):
        assert throttle.record_failure(session, "ann", "10.0.0.1", T) is None
    assert throttle.locked_until(session, "ann", "10.0.0.2", T) is None
    until = throttle.record_failure(session, "ann", "10.0.0.1", T)
    assert until == T + timedelta(minutes=1)
    assert throttle.locked_until(session, "ann", "10.0.0.2", T) == until
    assert throttle.locked_until(session, "bob", "10.0.0.1", T) is None  # 10 < 30
    assert throttle.locked_until(session, "ann", None, until) is None  # over
    throttle.record_success(session, "ann")
    assert session.get(store.LoginLock, ("account", "ann")) is None
    assert throttle.failure_count(session, "account", "ann") == 0
    assert throttle.failure_count(session, "address", "10.0.0.1") == 10


def test_a_new_password_or_signing_out_everywhere_raises_the_session_epoch(
    session: Session,
) -> None:
    user = store.create_user(session, "ann", "student", "ann-secret-pw", now=T)
    assert user.session_epoch == 0
    store.end_sessions(session, user)
    store.set_password(session, user, "another-Secret-9")
    assert user.session_epoch == 2
    assert store.verify_password(session, "ann", "another-Secret-9") is user


@pytest.mark.parametrize(
    ("password", "name", "reason"),
    [
        ("x", "ann", "at least 10 characters; it has 1"),
        ("password123", "ann", "too easy to guess"),
        ("annsmith1234", "annsmith", "too easy to guess"),
        ("qwertyuiop", "ann", "too easy to guess: "),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, name: str, reason: str) -> None:
    problem = password_problem(password, name)
    assert problem is not None and reason in problem
    with pytest.raises(WeakPassword, match="password"):
        check_password(password, name)


def test_strong_passwords_pass() -> None:
    assert password_problem("Tr0ub4dor&3-s3cret", "tara") is None
    assert password_problem("correct horse battery staple", "ann") is None
