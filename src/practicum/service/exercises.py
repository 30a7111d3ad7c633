"""Exercise results from the lesson notebooks: taking a report, and counting for the gradebook.

A notebook reports each exercise check it ran (`POST /api/exercises`); `record` keeps the
student's best outcome per exercise (see `store.record_exercise` for the rule), and
`done_per_lesson` counts, per student and course lesson, the exercises their own code
passed: the gradebook's "L<n> exercises" columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from practicum import store
from practicum.course import Course


class UnknownLesson(ValueError):
    """A lesson number the course does not have; the message is one sentence for the student."""

    def __init__(self, lesson: int, course: Course) -> None:
        numbers = ", ".join(str(each.number) for each in course.lessons)
        super().__init__(
            f"lesson {lesson} is not a lesson of this course, which has lessons {numbers}."
        )
        self.lesson = lesson


@dataclass(frozen=True)
class ExerciseReport:
    """One exercise check as a student's notebook reported it, and when it arrived."""

    user: store.User
    lesson: int
    exercise: str
    done: bool
    used_reference: bool
    at: datetime


def record(session: Session, course: Course, report: ExerciseReport) -> store.ExerciseResult:
    """Store the report for the student; `UnknownLesson` for a lesson the course lacks.

    The exercise id is not checked against a list: notebooks name their exercises, and a
    new notebook version may add some. The store refuses ids outside its pattern.
    """
    if all(lesson.number != report.lesson for lesson in course.lessons):
        raise UnknownLesson(report.lesson, course)
    return store.record_exercise(
        session,
        report.user.id,
        report.lesson,
        report.exercise,
        done=report.done,
        used_reference=report.used_reference,
        now=report.at,
    )


@dataclass(frozen=True)
class ExerciseCounts:
    """Exercises done per student and lesson, every student and every course lesson present
    (0 where nothing was done)."""

    lessons: tuple[int, ...]
    """The course's lesson numbers, ascending: the columns."""
    done: Mapping[str, tuple[int, ...]]
    """Student name (sorted) -> exercises done, one count per entry of `lessons`."""

    def header(self) -> list[str]:
        return [f"L{number} exercises" for number in self.lessons]

    def of(self, student: str) -> tuple[int, ...]:
        return self.done.get(student, (0,) * len(self.lessons))


def done_per_lesson(session: Session, course: Course) -> ExerciseCounts:
    """Per student, how many exercises of each course lesson their own code passed.

    Results for lesson numbers the course no longer has are left out; staff rows too.
    """
    lessons = tuple(sorted(lesson.number for lesson in course.lessons))
    counts = {(name, lesson): n for name, lesson, n in store.exercises_done(session)}
    students = session.scalars(
        select(store.User.name).where(store.User.role == "student").order_by(store.User.name)
    )
    done = {
        student: tuple(counts.get((student, lesson), 0) for lesson in lessons)
        for student in students
    }
    return ExerciseCounts(lessons, done)
