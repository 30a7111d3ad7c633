"""Login throttling, shared by the service's login form and the hub's login.

Wrong passwords are recorded per account name and per client address in the database,
so the hub and the service (separate processes) see the same count. Too many within a
minute lock that name or address: every attempt is refused, the right password too,
until the lock ends; each further lock-out doubles its length, up to an hour.
`next_lock` is the policy, a pure function; the rest applies it. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from practicum.store.models import LoginFailure, LoginLock, check_aware

WINDOW = timedelta(minutes=1)
ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 30
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
FORGIVEN_AFTER = timedelta(hours=24)
"""A name or address without a lock-out for this long starts again at FIRST_LOCK."""
KEY_LENGTH = 100


@dataclass(frozen=True)
class Lock:
    until: datetime
    strikes: int


def lock_length(strikes: int) -> timedelta:
    """1 min for the first lock-out, then 2, 4, ... capped at LONGEST_LOCK."""
    doublings: int = min(max(strikes - 1, 0), 16)
    return min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)


def next_lock(
    failures: list[datetime],
    now: datetime,
    *,
    limit: int,
    previous: Lock | None = None,
) -> Lock | None:
    """The lock that these failures (of one name or address) call for, or None.

    `failures` are the failure times seen; those within WINDOW before `now` count. At
    `limit` of them a lock starts at `now`, one strike more than `previous` (unless that
    lock ended over FORGIVEN_AFTER ago).
    """
    recent = [at for at in failures if now - WINDOW < at <= now]
    if len(recent) < limit:
        return None
    strikes = 1
    if previous is not None and now - previous.until < FORGIVEN_AFTER:
        strikes = previous.strikes + 1
    return Lock(now + lock_length(strikes), strikes)


def _keys(name: str, address: str | None) -> list[tuple[str, str, int]]:
    keys = [("account", name[:KEY_LENGTH], ACCOUNT_LIMIT)]
    if address:
        keys.append(("address", address[:KEY_LENGTH], ADDRESS_LIMIT))
    return keys


def locked_until(
    session: Session, name: str, address: str | None, now: datetime
) -> datetime | None:
    """When the lock on this name or address ends (the later of the two), or None."""
    check_aware(now, "now")
    ends = [
        row.locked_until
        for scope, key, _ in _keys(name, address)
        if (row := session.get(LoginLock, (scope, key))) is not None and row.locked_until > now
    ]
    return max(ends, default=None)


def record_failure(
    session: Session, name: str, address: str | None, now: datetime
) -> datetime | None:
    """Count a wrong password; when the lock this starts ends, or None."""
    check_aware(now, "now")
    ends: list[datetime] = []
    for scope, key, limit in _keys(name, address):
        same = (LoginFailure.scope == scope) & (LoginFailure.key == key)
        session.execute(delete(LoginFailure).where(same, LoginFailure.failed_at <= now - WINDOW))
        session.add(LoginFailure(scope=scope, key=key, failed_at=now))
        session.flush()
        failures = list(session.scalars(select(LoginFailure.failed_at).where(same)))
        row = session.get(LoginLock, (scope, key))
        previous = None if row is None else Lock(row.locked_until, row.strikes)
        lock = next_lock(failures, now, limit=limit, previous=previous)
        if lock is None:
            continue
        if row is None:
            session.add(
                LoginLock(scope=scope, key=key, locked_until=lock.until, strikes=lock.strikes)
            )
        else:
            row.locked_until, row.strikes = lock.until, lock.strikes
        session.execute(delete(LoginFailure).where(same))  # the lock has counted them
        ends.append(lock.until)
    session.flush()
    return max(ends, default=None)


def record_success(session: Session, name: str) -> None:
    """A right password (outside a lock): the account's failures and lock are forgotten."""
    key = name[:KEY_LENGTH]
    session.execute(
        delete(LoginFailure).where(LoginFailure.scope == "account", LoginFailure.key == key)
    )
    session.execute(delete(LoginLock).where(LoginLock.scope == "account", LoginLock.key == key))
    session.flush()


def failure_count(session: Session, scope: str, key: str) -> int:
    """Failures on record for one name or address (for tests and operators)."""
    return (
        session.scalar(
            select(func.count()).where(LoginFailure.scope == scope, LoginFailure.key == key)
        )
        or 0
    )
