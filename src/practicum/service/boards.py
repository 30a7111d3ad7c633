"""Leaderboards and the gradebook, built from stored scores at a given moment.

Before the deadline the board ranks public scores, as of the last refresh (a daily refresh
keeps students from probing the public split); after it, private scores decide, among each
student's final picks when they picked. Late submissions that the policy leaves unranked
are never on a board, and never count for completion.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from practicum import store
from practicum.course import (
    Course,
    Homework,
    completion,
    leaderboard_phase,
    public_cutoff,
    target_reached,
)
from practicum.grading import scoring
from practicum.grading.metrics import signature
from practicum.service.exercises import done_per_lesson

Phase = Literal["public", "private"]


@dataclass(frozen=True)
class Board:
    homework_id: str
    phase: Phase
    rows: list[scoring.Row]
    cutoff: datetime | None
    """Public phase: submissions made up to this moment are shown. None: all of them."""
    metric: str
    higher_is_better: bool

    @property
    def signature(self) -> str | None:
        """How the scores were computed, where the metric's name does not say (BLEU)."""
        return signature(self.metric)


def leaderboard(session: Session, course: Course, homework_id: str, now: datetime) -> Board:
    """The board everyone sees at `now`; KeyError for a homework the course does not have.

    An unpublished homework has an empty board.
    """
    homework = course.homework[homework_id]
    record = session.get(store.Homework, homework_id)
    higher = record.higher_is_better if record else homework.higher_is_better
    phase = leaderboard_phase(homework, now)
    cutoff = public_cutoff(homework, course.timezone, now) if phase == "public" else None
    rows = (
        _ranked(session, homework, use=phase, higher_is_better=higher, cutoff=cutoff)
        if record
        else []
    )
    return Board(
        homework_id, phase, rows, cutoff, record.metric if record else homework.metric, higher
    )


def _ranked(
    session: Session,
    homework: Homework,
    *,
    use: Phase,
    higher_is_better: bool,
    cutoff: datetime | None,
) -> list[scoring.Row]:
    ranked = [
        row
        for row in store.scores_for_leaderboard(session, homework.id)
        if row.status == "scored" and (cutoff is None or row.created_at <= cutoff)
    ]
    picks: dict[str, list[int]] = {}
    if use == "private" and homework.final_picks:
        for row in ranked:
            if row.picked:
                picks.setdefault(row.user_name, []).append(row.submission_id)
    entries = [
        scoring.SubmissionScore(
            submission_id=row.submission_id,
            student=row.user_name,
            submitted_at=row.created_at,
            public=row.public_score,
            private=row.private_score,
        )
        for row in ranked
        if row.public_score is not None and row.private_score is not None  # scored: always
    ]
    return scoring.leaderboard(entries, use=use, higher_is_better=higher_is_better, picks=picks)


@dataclass(frozen=True)
class HomeworkStatus:
    homework: Homework
    published: store.Homework | None
    submissions: int


def homework_status(session: Session, course: Course) -> list[HomeworkStatus]:
    """Each course homework, whether it is published, and how many submissions it has."""
    query = select(store.Submission.homework_id, func.count()).group_by(
        store.Submission.homework_id
    )
    counts = {homework_id: count for homework_id, count in session.execute(query)}
    return [
        HomeworkStatus(hw, session.get(store.Homework, hw_id), counts.get(hw_id, 0))
        for hw_id, hw in course.homework.items()
    ]


GRADEBOOK_FIELDS = ("submissions", "best_public", "best_private", "final", "target_reached")
"""Per homework: `final` is the score the student ranks with on the private board (their
picks when they picked), the one completion is judged on."""


def gradebook_csv(session: Session, course: Course) -> str:
    """One row per student: per homework, GRADEBOOK_FIELDS; then completion and what is
    missing; then per course lesson the exercises done ("L1 exercises", ...). Staff only:
    it holds private scores whatever the date."""
    best = {(row["user"], row["homework"]): row for row in store.gradebook_rows(session)}
    finals = _final_scores(session, course)
    students = session.scalars(
        select(store.User.name).where(store.User.role == "student").order_by(store.User.name)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [f"{hw_id}:{field}" for hw_id in course.homework for field in GRADEBOOK_FIELDS]
    exercises = done_per_lesson(session, course)
    writer.writerow(["student", *columns, "complete", "missing", *exercises.header()])
    for student in students:
        cells: list[str] = [student]
        reached: dict[str, float] = {}
        for hw_id, homework in course.homework.items():
            row = best.get((student, hw_id))
            final = finals.get(hw_id, {}).get(student)
            hit = final is not None and target_reached(homework, final)
            if final is not None:
                reached[hw_id] = final
            cells += [
                str(row["submissions"] if row else 0),
                _number(row["best_public"] if row else None),
                _number(row["best_private"] if row else None),
                _number(final),
                "yes" if hit else "no",
            ]
        status = completion(course, reached, report_accepted=False)
        cells += ["yes" if status.complete else "no", "; ".join(status.missing)]
        cells += [str(count) for count in exercises.of(student)]
        writer.writerow(cells)
    return out.getvalue()


def _final_scores(session: Session, course: Course) -> Mapping[str, Mapping[str, float]]:
    """homework id -> student -> the private score they rank with (picks honoured)."""
    finals: dict[str, dict[str, float]] = {}
    for hw_id, homework in course.homework.items():
        record = session.get(store.Homework, hw_id)
        if record is None:
            continue
        rows: Sequence[scoring.Row] = _ranked(
            session, homework, use="private", higher_is_better=record.higher_is_better, cutoff=None
        )
        finals[hw_id] = {row.student: row.score for row in rows}
    return finals


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.10g}"
