"""Taking a homework submission: check it, score it on the hidden answer, record it.

`submit` is shared by the web form and the JSON API, so both refuse the same files with the
same words. It raises `SubmitRefused` subclasses, the grader's `SubmissionError` or the
store's `DailyLimitReached`; the caller turns them into HTTP answers. A refused submission
leaves nothing behind and never counts against the daily limit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from practicum import store
from practicum.course import Course, Homework, apply_late_policy, is_open
from practicum.course import submissions_left_today as left_today
from practicum.grading.scoring import score
from practicum.grading.submission import parse_submission
from practicum.service import boards
from practicum.service.answers import AnswerCorrupt, NotPublished, load_answer, submission_spec
from practicum.service.config import ServiceConfig

MAX_SHOWN_FILENAME = 100


class SubmitRefused(Exception):
    """A submission the service does not take at all; the message says why."""


class HomeworkNotFound(SubmitRefused, LookupError):
    """Not a homework of this course, or not published yet."""


class HomeworkClosed(SubmitRefused):
    """Not open yet, or past the deadline (and whatever the late policy allows)."""


class ScoringUnavailable(SubmitRefused):
    """The hidden answers fail their checks: scoring on them would give wrong scores."""


@dataclass(frozen=True)
class Allowance:
    remaining: int
    resets_at: datetime
    """Course-local midnight that starts the next day's count."""
    day_start: datetime


@dataclass(frozen=True)
class SubmitOutcome:
    submission_id: int
    public_score: float
    """After any late penalty: the score the submission ranks with."""
    rank: int | None
    """The student's place on the leaderboard as everyone sees it now; None if not on it."""
    n_ranked: int
    """How many students the leaderboard ranks now ("rank 3 of 41")."""
    remaining_today: int
    resets_at: datetime
    late_note: str | None
    status: str


def safe_filename(name: str | None) -> str:
    """A file name fit to store and show: no folders, no control characters, bounded length.

    The name is only ever a label (files are stored by content hash), but it is shown in
    pages and download headers, where a hostile one could mislead or break the markup.
    """
    base = re.split(r"[/\\]", name or "")[-1]
    cleaned = "".join(
        ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C"
    ).strip(" .")
    return cleaned[:MAX_SHOWN_FILENAME] or "submission"


def allowance(
    session: Session, course: Course, homework: Homework, user: store.User, now: datetime
) -> Allowance:
    """Submissions the user has left today, counted in the course's time zone."""
    times = [s.created_at for s in store.submissions_for(session, homework.id, user.id)]
    remaining, resets_at = left_today(homework, course.timezone, times, now)
    today = now.astimezone(course.timezone).date()
    day_start = datetime.combine(today, time(0), tzinfo=course.timezone)
    return Allowance(remaining, resets_at, day_start)


def published(session: Session, course: Course, homework_id: str) -> store.Homework:
    """The store's record of a course homework, or HomeworkNotFound."""
    if homework_id not in course.homework:
        raise HomeworkNotFound(f"homework {homework_id!r} is not part of this course")
    record = session.get(store.Homework, homework_id)
    if record is None:
        raise HomeworkNotFound(f"homework {homework_id!r} is not published yet")
    return record


def submit(
    session: Session,
    files: store.FileStore,
    config: ServiceConfig,
    course: Course,
    homework_id: str,
    user: store.User,
    content: bytes,
    filename: str,
    now: datetime,
) -> SubmitOutcome:
    """Validate, score and record one submission, or raise without recording anything.

    Checks run cheapest first: the homework is published, it is open (late policy), today's
    limit has room (re-checked atomically when recording), the file is valid.
    """
    record = published(session, course, homework_id)
    homework = course.homework[homework_id]
    higher = record.higher_is_better
    if not is_open(homework, now):
        _, reason = apply_late_policy(homework, 0.0, higher, now)  # says which date
        raise HomeworkClosed(f"homework {homework_id!r} is {reason}")
    left = allowance(session, course, homework, user, now)
    if left.remaining == 0:  # checked early so spam costs no parsing; the store re-checks
        raise store.DailyLimitReached(homework_id, homework.daily_limit, left.resets_at)
    try:
        answer = load_answer(config, homework_id)
    except NotPublished as exc:
        raise HomeworkNotFound(str(exc)) from None
    except AnswerCorrupt as exc:
        raise ScoringUnavailable(
            f"homework {homework_id!r} cannot be scored right now; staff have to check "
            "its hidden answers"
        ) from exc
    spec = submission_spec(homework, answer, max_bytes=config.max_upload_bytes)
    parsed = parse_submission(content, spec, filename=filename)
    raw = score(parsed, answer.y_test, answer.public_mask, record.metric)

    public, note = apply_late_policy(homework, raw.public, higher, now)
    private, _ = apply_late_policy(homework, raw.private, higher, now)
    full, _ = apply_late_policy(homework, raw.full, higher, now)
    unranked = public is None  # accept_unranked: scored, shown, never ranked
    submission = store.record_submission(
        session,
        files,
        homework_id=homework_id,
        user=user,
        content=content,
        filename=safe_filename(filename),
        created_at=now,
        public_score=raw.public if public is None else public,
        private_score=raw.private if private is None else private,
        full_score=raw.full if full is None else full,
        status="late_unranked" if unranked else "scored",
        daily_limit=homework.daily_limit,
        day_start=left.day_start,
        day_end=left.resets_at,
        late_note=note or None,
    )
    board = boards.leaderboard(session, course, homework_id, now)
    rank = next((row.rank for row in board.rows if row.student == user.name), None)
    return SubmitOutcome(
        submission_id=submission.id,
        public_score=submission.public_score,
        rank=rank,
        n_ranked=len(board.rows),
        remaining_today=left.remaining - 1,
        resets_at=left.resets_at,
        late_note=submission.late_note,
        status=submission.status,
    )


def recent_submissions(session: Session, limit: int = 500) -> list[store.Submission]:
    """The newest submissions of every student, newest first (the staff overview)."""
    query = (
        select(store.Submission)
        .options(joinedload(store.Submission.user))
        .order_by(store.Submission.created_at.desc(), store.Submission.id.desc())
    )
    return list(session.scalars(query.limit(limit)))


def own_submission(session: Session, user: store.User, submission_id: int) -> store.Submission:
    """A submission the user may download: their own, or any for staff; else LookupError.

    Someone else's submission answers exactly like a missing one, so ids reveal nothing.
    """
    submission = session.get(store.Submission, submission_id)
    if submission is None or (user.role != "staff" and submission.user_id != user.id):
        raise LookupError(f"submission {submission_id} not found")
    return submission
