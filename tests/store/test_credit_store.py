"""The credit ledger, the GPU queue and assignments, and leases, as stored rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from db_backends import Databases
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from practicum.course import CompletionRules, Course, CreditPolicy, Lesson
from practicum.store import (
    CreditEntry,
    GpuBusy,
    NotStaff,
    User,
    acquire_lease,
    add_entry,
    assign_gpu,
    assignment_of,
    assignments,
    balance_mc,
    balances,
    grant_due_lessons,
    grant_due_lessons_to_all,
    history,
    join_queue,
    leave_queue,
    make_engine,
    release_gpu,
    release_gpu_of,
    release_lease,
    session_scope,
    staff_grant,
    upgrade,
    waiting,
)
from practicum.store.db import alembic_config

T = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
COURSE = Course(
    id="dl-test",
    title="Test course",
    timezone=ZoneInfo("UTC"),
    lessons=(
        Lesson(1, "Basics", T - timedelta(days=1), None, 40.0),
        Lesson(2, "CNNs", T + timedelta(days=6), None, 40.0),
        Lesson(3, "Reading week", T - timedelta(hours=1), None, 0.0),
    ),
    homework={},
    credits=CreditPolicy(),
    completion=CompletionRules((), False),
)


def named(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    assert user is not None
    return user


# --- ledger --------------------------------------------------------------------------------


def charge_slot_0(session: Session, user: User) -> bool:
    key = "charge:ann::x:0"
    return add_entry(session, user, "charge", -33, actor="meter", reason="GPU", now=T, key=key)


def test_keyed_entries_are_written_once(engine: Engine, users: dict[str, int]) -> None:
    with session_scope(engine) as session:
        ann = named(session, "ann")
        assert add_entry(session, ann, "grant", 5000, actor="system", reason="hello", now=T)
        assert charge_slot_0(session, ann) is True
        assert charge_slot_0(session, ann) is False
    with session_scope(engine) as session:  # and in a later transaction too
        ann = named(session, "ann")
        assert charge_slot_0(session, ann) is False
        assert balance_mc(session, ann) == 5000 - 33


@pytest.mark.parametrize(
    ("kind", "amount", "reason", "message"),
    [
        ("charge", 33, "slot", "a charge must be negative"),
        ("grant", -1, "oops", "a grant must be positive"),
        ("gift", 1, "why not", "credit kind must be one of"),
        ("adjust", -5, "  ", "needs a reason"),
    ],
)
def test_entries_that_make_no_sense_are_refused(
    engine: Engine, users: dict[str, int], kind: str, amount: int, reason: str, message: str
) -> None:
    with session_scope(engine) as session, pytest.raises(ValueError, match=message):
        add_entry(session, named(session, "ann"), kind, amount, actor="x", reason=reason, now=T)


def test_balances_and_history(engine: Engine, users: dict[str, int]) -> None:
    with session_scope(engine) as session:
        ann, bob = named(session, "ann"), named(session, "bob")
        for minute, amount in enumerate([10_000, -33, -34, -33]):
            kind = "grant" if amount > 0 else "charge"
            add_entry(
                session, ann, kind, amount, actor="t", reason=f"#{minute}", now=T + minute * MIN
            )
        add_entry(session, bob, "refund", 500, actor="t", reason="bad GPU", now=T)
    with session_scope(engine, read_only=True) as session:
        ann = named(session, "ann")
        assert balance_mc(session, ann) == 9900
        assert balances(session) == {users["ann"]: 9900, users["bob"]: 500}
        assert balances(session, [users["tara"], users["bob"]]) == {
            users["tara"]: 0,
            users["bob"]: 500,
        }
        assert balances(session, []) == {}
        assert [e.reason for e in history(session, ann)] == ["#3", "#2", "#1", "#0"]
        assert [e.reason for e in history(session, ann, limit=2)] == ["#3", "#2"]


def test_lessons_grant_once_when_they_open_to_admitted_students_only(
    engine: Engine, users: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        named(session, "bob").admitted = False
        ann = named(session, "ann")
        assert grant_due_lessons(session, ann, COURSE, T) == 1  # lesson 1; lesson 3 grants 0
        assert grant_due_lessons(session, ann, COURSE, T) == 0
        assert grant_due_lessons_to_all(session, COURSE, T) == 0  # bob not admitted, tara staff
        assert grant_due_lessons(session, named(session, "tara"), COURSE, T) == 0
        assert balances(session) == {users["ann"]: 40_000}
    with session_scope(engine) as session:
        named(session, "bob").admitted = True
        assert grant_due_lessons_to_all(session, COURSE, T + timedelta(days=7)) == 3
        assert grant_due_lessons_to_all(session, COURSE, T + timedelta(days=7)) == 0
        assert balances(session) == {users["ann"]: 80_000, users["bob"]: 80_000}
        grant = history(session, named(session, "bob"))[-1]
        assert (grant.kind, grant.actor, grant.key) == (
            "grant",
            "system",
            f"grant:lesson:1:{users['bob']}",
        )
        assert grant.reason == "lesson 1 opened: Basics"


def test_staff_grant_and_take_back_with_a_reason(engine: Engine, users: dict[str, int]) -> None:
    with session_scope(engine) as session:
        tara, ann, bob = (named(session, n) for n in ("tara", "ann", "bob"))
        assert staff_grant(session, tara, ann, 10_000, "final project", T) == 10_000
        assert staff_grant(session, tara, ann, -2_500, "granted twice by mistake", T) == 7_500
        with pytest.raises(NotStaff, match="only staff can grant credits; 'bob' is not staff"):
            staff_grant(session, bob, ann, 10_000, "friend", T)
        with pytest.raises(ValueError, match=r"say why you grant 1\.00 credits to ann"):
            staff_grant(session, tara, ann, 1_000, "", T)
        latest = history(session, ann)
        assert [(e.kind, e.actor, e.amount_mc) for e in latest] == [
            ("adjust", "tara", -2_500),
            ("grant", "tara", 10_000),
        ]


# --- queue and assignments -----------------------------------------------------------------


def test_joining_twice_keeps_the_first_place(engine: Engine, users: dict[str, int]) -> None:
    with session_scope(engine) as session:
        ann, bob = named(session, "ann"), named(session, "bob")
        assert join_queue(session, ann, "gpu", T) == 1
        assert join_queue(session, bob, "gpu", T + MIN) == 2
        assert join_queue(session, ann, "gpu", T + 2 * MIN) == 1
        queue = waiting(session)
        assert [(e.user, e.requested_at) for e in queue] == [("ann", T), ("bob", T + MIN)]
        assert leave_queue(session, ann) is True
        assert leave_queue(session, ann) is False
        assert [e.user for e in waiting(session)] == ["bob"]
        assert join_queue(session, ann, "gpu", T + 3 * MIN) == 2  # back of the line


def test_a_gpu_goes_to_one_student_and_a_student_gets_one_gpu(
    engine: Engine, users: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        ann, bob = named(session, "ann"), named(session, "bob")
        assign_gpu(session, ann, "0", T)
        with pytest.raises(GpuBusy, match="GPU 0 is already assigned"):
            assign_gpu(session, bob, "0", T)
        with pytest.raises(GpuBusy, match="ann already holds GPU 0"):
            assign_gpu(session, ann, "1", T)
        assign_gpu(session, bob, "1", T, start_requested=True)
        assert [(a.gpu, a.user, a.start_requested_at) for a in assignments(session)] == [
            ("0", "ann", None),
            ("1", "bob", T),
        ]
        assert release_gpu(session, "0") is True
        assert release_gpu(session, "0") is False
        assert release_gpu_of(session, bob) == "1"
        assert assignment_of(session, ann) is None and assignments(session) == []


def test_the_database_itself_refuses_a_second_gpu_for_a_student(
    engine: Engine, users: dict[str, int]
) -> None:
    """Even a writer that skips assign_gpu's checks cannot double-book (the race backstop)."""
    with session_scope(engine) as session:
        assign_gpu(session, named(session, "ann"), "0", T)
    with engine.connect() as conn, pytest.raises(IntegrityError, match=r"(?i)unique"):
        conn.execute(
            text(
                "INSERT INTO gpu_assignments (gpu, user_id, assigned_at) VALUES ('1', :user, :at)"
            ),
            {"user": users["ann"], "at": T.isoformat()},
        )


# --- leases --------------------------------------------------------------------------------


def test_a_lease_has_one_holder_until_it_expires_or_is_released(engine: Engine) -> None:
    ttl = timedelta(minutes=3)

    def take(holder: str, at: datetime) -> bool:
        with session_scope(engine) as session:
            return acquire_lease(session, "metering", holder, at, ttl)

    assert take("a", T)
    assert not take("b", T + MIN)
    assert take("a", T + 2 * MIN)  # renewed until T + 5 min
    assert not take("b", T + 4 * MIN)
    assert take("b", T + 5 * MIN)  # expired: passes on
    assert not take("a", T + 6 * MIN)
    with session_scope(engine) as session:
        assert release_lease(session, "metering", "a") is False
        assert release_lease(session, "metering", "b") is True
    assert take("a", T + 6 * MIN)


# --- migration -----------------------------------------------------------------------------


def test_the_credit_tables_come_and_go_without_touching_older_data(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.new(tmp_path, blank=True)
    upgrade(url, "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:  # the ORM's User has columns of later revisions
            conn.execute(
                text("INSERT INTO users (name, role, created_at) VALUES ('ann', 'student', :at)"),
                {"at": T.isoformat(" ")},
            )
        upgrade(url)
        with session_scope(engine) as session:
            add_entry(session, named(session, "ann"), "grant", 1, actor="t", reason="r", now=T)
            assert session.scalar(select(CreditEntry.amount_mc)) == 1
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
        tables = set(inspect(engine).get_table_names())
        assert "credit_entries" not in tables and "gpu_queue" not in tables
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM users")).scalar_one() == "ann"
    finally:
        engine.dispose()
