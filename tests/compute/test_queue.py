"""The queue policy: first come first served, one place each, one GPU each, wait estimates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from practicum.compute.queue import QueueEntry, estimated_wait, plan_starts, position

T = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def entry(user: str, minutes: int, id: int = 0) -> QueueEntry:
    return QueueEntry(user, "gpu", T + timedelta(minutes=minutes), id)


def test_starts_go_first_come_first_served_with_ties_by_id() -> None:
    waiting = [entry("cat", 5, 3), entry("bob", 1, 2), entry("ann", 1, 1), entry("dan", 9, 4)]
    planned = plan_starts(waiting, ["0", "1"])
    assert [(e.user, gpu) for e, gpu in planned] == [("ann", "0"), ("bob", "1")]
    assert plan_starts(waiting, []) == []
    assert [e.user for e, _ in plan_starts(waiting, ["0", "1", "2", "3", "4"])] == [
        "ann",
        "bob",
        "cat",
        "dan",
    ]


def test_a_student_holds_one_place_the_earliest() -> None:
    waiting = [entry("ann", 1, 1), entry("bob", 2, 2), entry("ann", 3, 3)]
    assert position(waiting, "ann") == 1
    assert position(waiting, "bob") == 2
    assert position(waiting, "eve") is None
    assert [e.user for e, _ in plan_starts(waiting, ["0", "1", "2"])] == ["ann", "bob"]


@given(
    users=st.lists(st.sampled_from("abcdefgh"), max_size=20),
    gpus=st.lists(st.sampled_from("01234"), max_size=8),
)
def test_no_gpu_to_two_students_and_no_student_on_two_gpus(
    users: list[str], gpus: list[str]
) -> None:
    waiting = [entry(u, i % 4, i) for i, u in enumerate(users)]
    planned = plan_starts(waiting, gpus)
    given_gpus = [gpu for _, gpu in planned]
    given_users = [e.user for e, _ in planned]
    assert len(set(given_gpus)) == len(given_gpus)
    assert len(set(given_users)) == len(given_users)
    assert len(planned) == min(len(set(users)), len(set(gpus)))


def test_wait_follows_the_gpus_as_they_free() -> None:
    # Two GPUs busy for 40 and 10 minutes of a typical hour: they free in 20 and 50 minutes.
    elapsed = [timedelta(minutes=40), timedelta(minutes=10)]
    assert estimated_wait(1, 2, elapsed, H) == timedelta(minutes=20)
    assert estimated_wait(2, 2, elapsed, H) == timedelta(minutes=50)
    assert estimated_wait(3, 2, elapsed, H) == timedelta(minutes=80)


def test_overdue_sessions_and_idle_gpus_mean_no_wait() -> None:
    assert estimated_wait(1, 1, [2 * H], H) == timedelta(0)
    assert estimated_wait(1, 2, [timedelta(minutes=5)], H) == timedelta(0)
    assert estimated_wait(2, 2, [timedelta(minutes=5)], H) == timedelta(minutes=55)


def test_wait_needs_gpus_and_a_real_position() -> None:
    with pytest.raises(ValueError, match="no GPUs"):
        estimated_wait(1, 0, [], H)
    with pytest.raises(ValueError, match="start at 1"):
        estimated_wait(0, 1, [], H)
