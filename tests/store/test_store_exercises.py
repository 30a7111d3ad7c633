"""Exercise results: one row per student, lesson and exercise; done once passed, for good."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from store_helpers import NOON

from practicum.store import (
    ExerciseResult,
    InvalidName,
    exercises_done,
    record_exercise,
    session_scope,
)

LATER = NOON + timedelta(hours=1)


def report(
    engine: Engine,
    user_id: int,
    *,
    lesson: int = 1,
    exercise: str = "relu",
    done: bool = True,
    used_reference: bool = False,
    now: datetime = NOON,
) -> ExerciseResult:
    with session_scope(engine) as session:
        return record_exercise(
            session,
            user_id,
            lesson,
            exercise,
            done=done,
            used_reference=used_reference,
            now=now,
        )


def rows(engine: Engine) -> int:
    with session_scope(engine, read_only=True) as session:
        return session.scalar(select(func.count()).select_from(ExerciseResult)) or 0


def test_a_pass_is_recorded_once_and_repeating_it_only_touches_updated_at(
    engine: Engine, users: dict[str, int]
) -> None:
    first = report(engine, users["ann"])
    again = report(engine, users["ann"], now=LATER)
    assert rows(engine) == 1
    assert (first.done, first.used_reference, first.first_done_at) == (True, False, NOON)
    assert (again.done, again.first_done_at, again.updated_at) == (True, NOON, LATER)


def test_a_later_failing_or_reference_run_does_not_undo_done(
    engine: Engine, users: dict[str, int]
) -> None:
    report(engine, users["ann"])
    failed = report(engine, users["ann"], done=False, used_reference=True, now=LATER)
    assert (failed.done, failed.used_reference, failed.first_done_at) == (True, True, NOON)
    assert failed.updated_at == LATER


def test_only_the_students_own_passing_code_counts_as_done(
    engine: Engine, users: dict[str, int]
) -> None:
    failed = report(engine, users["ann"], done=False, used_reference=True)
    assert (failed.done, failed.first_done_at) == (False, None)
    on_reference = report(engine, users["ann"], done=True, used_reference=True, now=LATER)
    assert on_reference.done is False  # the reference passed, not the student
    passed = report(engine, users["ann"], now=LATER + timedelta(hours=1))
    assert (passed.done, passed.used_reference) == (True, False)
    assert passed.first_done_at == LATER + timedelta(hours=1)


def test_counts_per_student_and_lesson_are_of_done_exercises_of_students_only(
    engine: Engine, users: dict[str, int]
) -> None:
    for exercise in ("relu", "softmax", "loss"):
        report(engine, users["ann"], exercise=exercise)
    report(engine, users["ann"], lesson=2, exercise="conv")
    report(engine, users["ann"], lesson=2, exercise="pool", done=False, used_reference=True)
    report(engine, users["bob"], exercise="relu", done=False, used_reference=True)
    report(engine, users["tara"], exercise="relu")  # staff trying the notebook
    with session_scope(engine, read_only=True) as session:
        assert exercises_done(session) == [("ann", 1, 3), ("ann", 2, 1)]


@pytest.mark.parametrize(
    ("lesson", "exercise"),
    [(1, ""), (1, "A"), (1, "x" * 65), (1, "a/b"), (1, "relu\n"), (0, "relu"), (100, "relu")],
)
def test_ids_and_lessons_outside_the_pattern_are_refused(
    engine: Engine, users: dict[str, int], lesson: int, exercise: str
) -> None:
    with pytest.raises(InvalidName):
        report(engine, users["ann"], lesson=lesson, exercise=exercise)
    assert rows(engine) == 0


def test_a_naive_time_is_refused(engine: Engine, users: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="naive"):
        report(engine, users["ann"], now=NOON.replace(tzinfo=None))
