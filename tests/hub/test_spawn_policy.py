"""The pre-spawn answer: who may start what, and what a refused student is told to do."""

from __future__ import annotations

from datetime import datetime

import pytest
from credit_helpers import MINUTE, T0, add_users, compute, course, set_admitted
from sqlalchemy import Engine, select

from practicum.course import Course
from practicum.hub import spawn_policy
from practicum.hub.spawn_policy import decide_spawn, request_start
from practicum.hub.types import SpawnDecision
from practicum.store import (
    GpuBusy,
    User,
    add_entry,
    assignments,
    balance_mc,
    release_gpu,
    session_scope,
    waiting,
)


def ask(
    engine: Engine,
    user: str,
    profile: str = "gpu",
    now: datetime = T0,
    *,
    gpus: tuple[str, ...] = ("0",),
    the_course: Course | None = None,
    start: bool = False,
) -> SpawnDecision:
    decide = request_start if start else decide_spawn
    with session_scope(engine) as session:
        the_course = the_course or course()
        return decide(session, the_course, compute(gpus, the_course), user, profile, now)


def spend(engine: Engine, user: str, mc: int) -> None:
    """Take the user's balance down by `mc` (as a staff correction would)."""
    with session_scope(engine) as session:
        row = session.scalar(select(User).where(User.name == user))
        assert row is not None
        add_entry(session, row, "adjust", -mc, actor="tara", reason="test", now=T0)


def test_unknown_and_unadmitted_users_are_told_to_ask_staff(engine: Engine) -> None:
    add_users(engine, "ann")
    set_admitted(engine, "ann", False)
    for user in ("ann", "eve"):
        decision = ask(engine, user, "cpu")
        assert decision == SpawnDecision(False, "not admitted to Test course yet: ask staff")


def test_unknown_profiles_are_refused_with_the_choices(engine: Engine) -> None:
    add_users(engine, "ann")
    decision = ask(engine, "ann", "tpu")
    assert not decision.allowed
    assert decision.message == "unknown server profile 'tpu'; choose one of: cpu, gpu"


def test_cpu_servers_see_no_gpu_and_cost_nothing(engine: Engine) -> None:
    add_users(engine, "ann")
    spend(engine, "ann", 40_000 + 1)  # before the lesson grant: the grant comes on the check
    for profile in ("cpu", ""):  # "" is the spawner's default: the CPU profile
        decision = ask(engine, "ann", profile)
        assert decision.allowed
        assert decision.environment == {"CUDA_VISIBLE_DEVICES": ""}


def test_the_lesson_grant_arrives_before_the_first_check(engine: Engine) -> None:
    add_users(engine, "ann")
    assert ask(engine, "ann").allowed
    with session_scope(engine, read_only=True) as session:
        ann = session.scalar(select(User).where(User.name == "ann"))
        assert ann is not None and balance_mc(session, ann) == 40_000


def test_no_credits_refuses_charged_profiles_and_says_what_to_do(engine: Engine) -> None:
    add_users(engine, "ann")
    spend(engine, "ann", 40_000)
    decision = ask(engine, "ann")
    assert decision == SpawnDecision(
        False,
        "no credits left: a GPU server costs 2 credits an hour; staff can grant credits; "
        "CPU servers are free",
    )
    paid_cpu = course(cpu_rate_per_hour=0.5)
    decision = ask(engine, "ann", "cpu", the_course=paid_cpu)
    assert decision.message == (
        "no credits left: a CPU server costs 0.5 credits an hour; staff can grant credits"
    )
    assert "free" not in ask(engine, "ann", the_course=paid_cpu).message


def test_staff_are_not_metered(engine: Engine) -> None:
    add_users(engine, "tara", role="staff")
    decision = ask(engine, "tara")
    assert decision.allowed and decision.environment == {"CUDA_VISIBLE_DEVICES": "0"}


def test_low_credits_are_mentioned_when_the_gpu_is_granted(engine: Engine) -> None:
    add_users(engine, "ann")
    spend(engine, "ann", 40_000 - 3_000)
    decision = ask(engine, "ann")
    assert decision.allowed
    assert decision.message == "GPU 0 is yours; 3.00 credits left, about 1 h 30 min"


def test_a_busy_gpu_queues_the_student_with_position_and_wait(engine: Engine) -> None:
    add_users(engine, "ann", "bob", "cat")
    assert ask(engine, "ann").environment == {"CUDA_VISIBLE_DEVICES": "0"}
    bob = ask(engine, "bob", now=T0 + 10 * MINUTE)
    assert (bob.allowed, bob.queue_position) == (False, 1)
    assert bob.message == (
        "all 1 GPU(s) are busy: you are number 1 in the queue, about 50 min to wait; "
        "your server starts by itself when a GPU frees; keep the dashboard open"
    )
    cat = ask(engine, "cat", now=T0 + 11 * MINUTE)
    assert cat.queue_position == 2 and "about 1 h 49 min to wait" in cat.message
    again = ask(engine, "bob", now=T0 + 12 * MINUTE)  # asking again keeps the first place
    assert again.queue_position == 1
    with session_scope(engine, read_only=True) as session:
        assert [(e.user, e.requested_at) for e in waiting(session)] == [
            ("bob", T0 + 10 * MINUTE),
            ("cat", T0 + 11 * MINUTE),
        ]
    assert ask(engine, "ann").environment == {"CUDA_VISIBLE_DEVICES": "0"}  # the hook, again


def test_a_free_gpu_goes_to_whoever_waited_first(engine: Engine) -> None:
    add_users(engine, "ann", "bob", "cat")
    ask(engine, "ann")
    ask(engine, "bob")
    with session_scope(engine) as session:  # ann's server ends; no tick has run yet
        assert release_gpu(session, "0")
    cat = ask(engine, "cat", gpus=("0",))
    assert (cat.allowed, cat.queue_position) == (False, 2)
    assert ask(engine, "bob").environment == {"CUDA_VISIBLE_DEVICES": "0"}
    with session_scope(engine, read_only=True) as session:
        assert [e.user for e in waiting(session)] == ["cat"]


def test_choosing_cpu_gives_back_the_gpu_and_the_queue_place(engine: Engine) -> None:
    add_users(engine, "ann", "bob")
    ask(engine, "ann")
    ask(engine, "bob")
    assert ask(engine, "bob", "cpu").allowed
    assert ask(engine, "ann", "cpu").allowed
    with session_scope(engine, read_only=True) as session:
        assert waiting(session) == [] and assignments(session) == []


@pytest.mark.parametrize("gpus", [(), ("0", "1")])
def test_each_student_gets_a_gpu_of_their_own(engine: Engine, gpus: tuple[str, ...]) -> None:
    add_users(engine, "ann", "bob", "cat")
    decisions = [ask(engine, user, gpus=gpus) for user in ("ann", "bob", "cat")]
    if not gpus:
        assert decisions[0].message == ("this machine has no GPUs for GPU servers; start a CPU one")
        return
    assert [d.environment.get("CUDA_VISIBLE_DEVICES") for d in decisions] == ["0", "1", None]
    assert decisions[2].queue_position == 1


def test_the_start_button_restarts_the_spawn_grace(engine: Engine) -> None:
    add_users(engine, "ann")
    ask(engine, "ann")
    assert ask(engine, "ann", now=T0 + 7 * MINUTE, start=True).allowed
    with session_scope(engine, read_only=True) as session:
        (held,) = assignments(session)
    assert (held.assigned_at, held.start_requested_at) == (T0, T0 + 7 * MINUTE)
    assert held.since == T0 + 7 * MINUTE


def test_a_gpu_taken_by_a_concurrent_check_queues_instead(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL lets two checks see the same free GPU; the loser's insert fails: queue it."""
    add_users(engine, "ann")

    def lose_the_race(*args: object, **kwargs: object) -> None:
        raise GpuBusy("GPU 0 was just assigned to someone else")

    monkeypatch.setattr(spawn_policy, "assign_gpu", lose_the_race)
    decision = ask(engine, "ann")
    assert (decision.allowed, decision.queue_position) == (False, 1)
