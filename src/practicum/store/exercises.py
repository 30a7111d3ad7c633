"""Exercise results the lesson notebooks report: one row per student, lesson and exercise.

Like the other store modules these never commit; the caller's `session_scope` does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from practicum.store.errors import InvalidName
from practicum.store.models import ExerciseResult, User, check_aware

EXERCISE_ID = r"[a-z0-9_.\-]{1,64}"
"""What an exercise id may be: 1-64 of a-z, 0-9, '_', '-', '.'."""
MIN_LESSON, MAX_LESSON = 1, 99
_EXERCISE_ID = re.compile(EXERCISE_ID)


def record_exercise(
    session: Session,
    user_id: int,
    lesson: int,
    exercise: str,
    *,
    done: bool,
    used_reference: bool,
    now: datetime,
) -> ExerciseResult:
    """Record one report of an exercise; the stored row after it.

    The rule, so that re-running a notebook never takes credit away:
    - a report *passes* when `done` is true and `used_reference` is false (the student's
      own code ran and passed its check);
    - the stored `done` is true once any report passed, and stays true: a later failing
      or reference run does not undo it; `first_done_at` is when the first pass came;
    - the stored `used_reference` is the latest report's, and `updated_at` its time.

    The same report twice changes nothing but `updated_at`. Raises `InvalidName` for an
    exercise id or lesson number outside the allowed ones (the web layer checks first).
    """
    if not isinstance(exercise, str) or _EXERCISE_ID.fullmatch(exercise) is None:
        raise InvalidName(f"exercise id {str(exercise)[:64]!r} is not 1-64 of a-z 0-9 _ - .")
    if isinstance(lesson, bool) or not MIN_LESSON <= lesson <= MAX_LESSON:
        raise InvalidName(f"lesson {lesson!r} is not a number from {MIN_LESSON} to {MAX_LESSON}")
    check_aware(now, "now")
    passed = bool(done) and not used_reference
    values: dict[str, Any] = {
        "user_id": user_id,
        "lesson": lesson,
        "exercise": exercise,
        "done": passed,
        "used_reference": bool(used_reference),
        "first_done_at": now if passed else None,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(ExerciseResult).values(values)
        excluded = statement.excluded
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "lesson", "exercise"],
                set_={
                    "done": or_(ExerciseResult.done, excluded.done),
                    "first_done_at": func.coalesce(
                        ExerciseResult.first_done_at, excluded.first_done_at
                    ),
                    "used_reference": excluded.used_reference,
                    "updated_at": excluded.updated_at,
                },
            )
        )
    else:
        _update_portably(session, values)
    found = session.scalars(
        select(ExerciseResult)
        .where(
            ExerciseResult.user_id == user_id,
            ExerciseResult.lesson == lesson,
            ExerciseResult.exercise == exercise,
        )
        .execution_options(populate_existing=True)
    ).one()
    return found


def _update_portably(session: Session, values: dict[str, Any]) -> None:
    row = session.scalars(
        select(ExerciseResult)
        .where(
            ExerciseResult.user_id == values["user_id"],
            ExerciseResult.lesson == values["lesson"],
            ExerciseResult.exercise == values["exercise"],
        )
        .with_for_update()
    ).one_or_none()
    if row is None:
        session.add(ExerciseResult(**values))
        session.flush()
        return
    row.done = row.done or values["done"]
    row.first_done_at = row.first_done_at or values["first_done_at"]
    row.used_reference = values["used_reference"]
    row.updated_at = values["updated_at"]
    session.flush()


def exercises_done(session: Session) -> list[tuple[str, int, int]]:
    """(student name, lesson, exercises done) for every student and lesson with at least one
    done; students' names in order, lessons ascending."""
    rows = session.execute(
        select(User.name, ExerciseResult.lesson, func.count(ExerciseResult.id))
        .join(User, User.id == ExerciseResult.user_id)
        .where(User.role == "student", ExerciseResult.done)
        .group_by(User.name, ExerciseResult.lesson)
        .order_by(User.name, ExerciseResult.lesson)
    )
    return [(name, lesson, count) for name, lesson, count in rows]
