"""The credit ledger: append-only entries, balances summed from them, lesson grants.

Nothing is ever updated or deleted: a correction is a new `adjust` entry, so the history
always explains the balance. Entries with a key are written at most once, which is what
makes lesson grants and metering charges safe to retry. Like `ops`, nothing here commits.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from practicum.compute.credits import (
    GRANT_KEY_PREFIX,
    Entry,
    credits_to_mc,
    format_credits,
    grant_key,
)
from practicum.course import Course
from practicum.store.errors import StoreError
from practicum.store.models import CREDIT_KINDS, CreditEntry, User, check_aware

SYSTEM_ACTOR = "system"
_GRANT_KEY_END = GRANT_KEY_PREFIX[:-1] + ";"
"""Sorts right after every key that starts with the prefix (";" follows ":")."""
_SIGN_RULES = {"grant": 1, "refund": 1, "charge": -1}
"""Kinds whose amount has a fixed sign; "adjust" may go either way."""


class NotStaff(StoreError, PermissionError):
    def __init__(self, name: str) -> None:
        super().__init__(f"only staff can grant credits; {name!r} is not staff")


def _check(entry: Entry) -> None:
    if entry.kind not in CREDIT_KINDS:
        raise ValueError(
            f"credit kind must be one of {', '.join(CREDIT_KINDS)}; got {entry.kind!r}"
        )
    sign = _SIGN_RULES.get(entry.kind)
    if sign is not None and entry.amount_mc * sign < 0:
        raise ValueError(
            f"a {entry.kind} must be {'positive' if sign > 0 else 'negative'}; "
            f"got {entry.amount_mc} mc (use kind 'adjust' for corrections)"
        )
    if not entry.actor or len(entry.actor) > 64:
        raise ValueError(f"actor must be 1-64 characters; got {entry.actor!r}")
    if not entry.reason.strip():
        raise ValueError("every credit entry needs a reason (it is shown in the history)")
    if entry.key is not None and not 0 < len(entry.key) <= 200:
        raise ValueError(f"entry key must be 1-200 characters; got {len(entry.key)}")
    check_aware(entry.created_at, "created_at")


def _row(entry: Entry) -> dict[str, object]:
    return {
        "user_id": entry.user_id,
        "kind": entry.kind,
        "amount_mc": entry.amount_mc,
        "created_at": entry.created_at,
        "actor": entry.actor,
        "reason": entry.reason,
        "key": entry.key,
    }


def add_entries(session: Session, entries: Iterable[Entry]) -> int:
    """Append entries in one statement, skipping those whose key is already in the ledger.

    Returns how many were written. Keyed duplicates are skipped by the database itself
    (ON CONFLICT DO NOTHING), so two writers racing on the same key cannot both succeed.
    """
    entries = list(entries)
    for entry in entries:
        _check(entry)
    unique: dict[str, Entry] = {}
    for entry in entries:
        if entry.key is not None:
            unique.setdefault(entry.key, entry)
    plain = [e for e in entries if e.key is None]
    written = 0
    if plain:
        session.execute(insert(CreditEntry), [_row(e) for e in plain])
        written += len(plain)
    if unique:
        written += _insert_keyed(session, list(unique.values()))
    return written


def _insert_keyed(session: Session, entries: Sequence[Entry]) -> int:
    dialect = session.get_bind().dialect.name
    rows = [_row(e) for e in entries]
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        statement = (
            module.insert(CreditEntry)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(CreditEntry.id)
        )
        return len(session.scalars(statement, rows).all())
    existing = set(
        session.scalars(
            select(CreditEntry.key).where(CreditEntry.key.in_([e.key for e in entries]))
        )
    )
    fresh = [row for row in rows if row["key"] not in existing]
    if fresh:
        session.execute(insert(CreditEntry), fresh)
    return len(fresh)


def add_entry(
    session: Session,
    user: User,
    kind: str,
    amount_mc: int,
    *,
    actor: str,
    reason: str,
    now: datetime,
    key: str | None = None,
) -> bool:
    """Append one entry; False (and nothing written) when `key` is already in the ledger."""
    entry = Entry(user.id, kind, amount_mc, actor, reason, now, key)
    return add_entries(session, [entry]) == 1


def balance_mc(session: Session, user: User) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(CreditEntry.amount_mc), 0)).where(
            CreditEntry.user_id == user.id
        )
    )
    return int(total or 0)


def balances(session: Session, user_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Balance of every user with entries (or of `user_ids`, 0 for those without any)."""
    query = select(CreditEntry.user_id, func.sum(CreditEntry.amount_mc)).group_by(
        CreditEntry.user_id
    )
    wanted: list[int] | None = None
    if user_ids is not None:
        wanted = list(dict.fromkeys(user_ids))
        if not wanted:
            return {}
        query = query.where(CreditEntry.user_id.in_(wanted))
    found = {user_id: int(total) for user_id, total in session.execute(query)}
    if wanted is None:
        return found
    return {user_id: found.get(user_id, 0) for user_id in wanted}


def history(session: Session, user: User, limit: int = 50) -> list[CreditEntry]:
    """The user's latest entries, newest first."""
    return list(
        session.scalars(
            select(CreditEntry)
            .where(CreditEntry.user_id == user.id)
            .order_by(CreditEntry.created_at.desc(), CreditEntry.id.desc())
            .limit(limit)
        )
    )


def _lesson_grants(
    course: Course, user_ids: Iterable[int], now: datetime, done: Container[str] = ()
) -> list[Entry]:
    """Grants of the lessons opened by `now` to these users, but those whose key is `done`."""
    check_aware(now, "now")
    opened = [
        (
            lesson.number,
            credits_to_mc(lesson.credits),
            f"lesson {lesson.number} opened: {lesson.title}",
        )
        for lesson in course.lessons
        if lesson.opens <= now and lesson.credits > 0
    ]
    grants = []
    for user_id in user_ids:
        for number, amount, reason in opened:
            key = grant_key(number, user_id)
            if key not in done:
                grants.append(Entry(user_id, "grant", amount, SYSTEM_ACTOR, reason, now, key))
    return grants


def _granted_keys(session: Session) -> set[str]:
    # Grant keys sort together; this range reads them through the unique index on key.
    return set(
        session.scalars(
            select(CreditEntry.key).where(
                CreditEntry.key >= GRANT_KEY_PREFIX, CreditEntry.key < _GRANT_KEY_END
            )
        )
    )


def is_metered(user: User) -> bool:
    """Staff run servers to prepare the course: neither charged nor refused for credits."""
    return user.role != "staff"


def _receives_grants(user: User) -> bool:
    return user.admitted and user.role == "student"


def grant_due_lessons(session: Session, user: User, course: Course, now: datetime) -> int:
    """Grant the user each lesson opened by `now` that they have not received; returns how many.

    Only admitted students receive lesson credits (staff are not metered).
    """
    if not _receives_grants(user):
        return 0
    return add_entries(session, _lesson_grants(course, [user.id], now))


def grant_due_lessons_to_all(session: Session, course: Course, now: datetime) -> int:
    """`grant_due_lessons` for every admitted student, in a few statements."""
    students = session.scalars(
        select(User.id).where(User.role == "student", User.admitted.is_(True))
    ).all()
    return add_entries(session, _lesson_grants(course, students, now, _granted_keys(session)))


def staff_grant(
    session: Session,
    staff_user: User,
    student: User,
    amount_mc: int,
    reason: str,
    now: datetime,
) -> int:
    """Give (or, with a negative amount, take back) credits; returns the new balance in mc.

    Positive amounts are recorded as grants, negative ones as adjustments, both with the
    staff member's name, so the student's history shows who did it and why.
    """
    if staff_user.role != "staff":
        raise NotStaff(staff_user.name)
    if amount_mc == 0:
        raise ValueError("grant amount must not be zero")
    if not reason.strip():
        raise ValueError(
            f"say why you grant {format_credits(amount_mc)} credits to {student.name} "
            "(the reason is shown in their history)"
        )
    kind = "grant" if amount_mc > 0 else "adjust"
    add_entry(session, student, kind, amount_mc, actor=staff_user.name, reason=reason, now=now)
    return balance_mc(session, student)
