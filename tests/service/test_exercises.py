"""Exercise reports through the service: lessons checked against the course, counts for the
gradebook per student and lesson."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from db_backends import Databases
from sqlalchemy import delete
from tiny_homework import BEFORE, State, open_state

from practicum import store
from practicum.service import boards, exercises


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[State]:
    found = open_state(
        tmp_path_factory.mktemp("exercises"),
        {"ann": "student", "bob": "student", "tara": "staff"},
        databases,
    )
    yield found
    found.engine.dispose()


@pytest.fixture(autouse=True)
def _no_results(state: State) -> Iterator[None]:
    yield
    with store.session_scope(state.engine) as session:
        session.execute(delete(store.ExerciseResult))


def send(state: State, name: str, lesson: int, exercise: str, *, done: bool = True) -> None:
    with store.session_scope(state.engine) as session:
        exercises.record(
            session,
            state.course,
            exercises.ExerciseReport(
                user=state.user(session, name),
                lesson=lesson,
                exercise=exercise,
                done=done,
                used_reference=not done,
                at=BEFORE,
            ),
        )


def test_a_lesson_the_course_lacks_is_refused_in_one_sentence(state: State) -> None:
    with pytest.raises(exercises.UnknownLesson) as refused:
        send(state, "ann", 3, "relu")
    assert str(refused.value) == "lesson 3 is not a lesson of this course, which has lessons 1, 2."
    with store.session_scope(state.engine, read_only=True) as session:
        assert session.scalars(store.ExerciseResult.__table__.select()).all() == []


def test_counts_per_lesson_list_every_student_and_course_lesson(state: State) -> None:
    send(state, "ann", 1, "relu")
    send(state, "ann", 1, "softmax")
    send(state, "ann", 1, "softmax")  # the same exercise again
    send(state, "ann", 2, "conv", done=False)
    send(state, "bob", 2, "conv")
    send(state, "tara", 1, "relu")
    with store.session_scope(state.engine, read_only=True) as session:
        counts = exercises.done_per_lesson(session, state.course)
    assert counts.header() == ["L1 exercises", "L2 exercises"]
    assert dict(counts.done) == {"ann": (2, 0), "bob": (0, 1)}
    assert counts.of("nobody") == (0, 0)


def test_the_gradebook_csv_ends_with_the_exercise_columns(state: State) -> None:
    send(state, "bob", 1, "relu")
    with store.session_scope(state.engine, read_only=True) as session:
        text = boards.gradebook_csv(session, state.course)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[-2:] == ["L1 exercises", "L2 exercises"]
    found = {row["student"]: (row["L1 exercises"], row["L2 exercises"]) for row in rows}
    assert found == {"ann": ("0", "0"), "bob": ("1", "0")}
