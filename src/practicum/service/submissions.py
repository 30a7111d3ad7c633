"""Taking a homework submission: check it, score it on the hidden answer, record it.

A policy (a file to play, Lesson 7) is only checked here, as a zip archive, and recorded
as queued: the worker (`policy_queue`, a process of its own) plays and scores it later.

`submit(ctx, request)` is the one entry, shared by the web form and the JSON API, so both
refuse the same files with the same words. It raises `SubmitRefused` subclasses, the
grader's `SubmissionError` or the store's `DailyLimitReached`; the caller turns them into
HTTP answers. A refused submission leaves nothing behind and never counts against the
daily limit.
"""

from __future__ import annotations

import logging
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from practicum import store
from practicum.course import Course, Homework, apply_late_policy, is_open
from practicum.course import submissions_left_today as left_today
from practicum.grading import policy_sandbox
from practicum.grading.metrics import MetricUnavailable
from practicum.grading.scoring import Scores, score
from practicum.grading.submission import SubmissionError, SubmissionSpec, parse_submission
from practicum.service import boards
from practicum.service.answers import (
    Answer,
    AnswerCorrupt,
    NotPublished,
    load_answer,
    submission_spec,
)
from practicum.settings.service import ServiceConfig

MAX_SHOWN_FILENAME = 100
log = logging.getLogger(__name__)


class SubmitRefused(Exception):
    """A submission the service does not take at all; the message says why."""


class HomeworkNotFound(SubmitRefused, LookupError):
    """Not a homework of this course, or not published yet."""


class HomeworkClosed(SubmitRefused):
    """Not open yet, or past the deadline (and whatever the late policy allows)."""


class ScoringUnavailable(SubmitRefused):
    """The hidden answers fail their checks, or what the metric measures with (the judge of
    generated images) is missing or changed: scoring would give wrong scores, or none."""


@dataclass(frozen=True)
class SubmitContext:
    """What a submission is taken against, built once per web request or command so that
    no layer passes the session, blob store, configuration and course one by one."""

    db: Session
    files: store.FileStore
    config: ServiceConfig
    course: Course


@dataclass(frozen=True)
class SubmissionRequest:
    """One submission as the student sent it: the file's bytes, the name they gave it, and
    the moment it is decided at (deadline, late policy, daily limit)."""

    homework_id: str
    user: store.User
    content: bytes
    filename: str
    at: datetime


@dataclass(frozen=True)
class Allowance:
    remaining: int
    resets_at: datetime
    """Course-local midnight that starts the next day's count."""
    day_start: datetime


@dataclass(frozen=True)
class SubmitOutcome:
    submission_id: int
    public_score: float | None
    """After any late penalty: the score the submission ranks with; None while queued (a
    policy whose games the worker has not played yet)."""
    rank: int | None
    """The student's place on the leaderboard as everyone sees it now; None if not on it."""
    n_ranked: int
    """How many students the leaderboard ranks now ("rank 3 of 41")."""
    remaining_today: int
    resets_at: datetime
    timezone: str
    """The course's time zone (IANA name), for showing resets_at as students live it."""
    late_note: str | None
    status: str
    signature: str | None = None
    """How the score was computed where the metric's name does not say (sacrebleu's)."""


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


@dataclass(frozen=True)
class Admission:
    """A submission the homework takes now, before its file is read: what the file must look
    like (`spec`, whose `max_bytes` is the homework's own upload cap) and what scores it."""

    homework_id: str
    homework: Homework
    higher_is_better: bool
    metric: str
    answer: Answer
    spec: SubmissionSpec
    left: Allowance


@dataclass(frozen=True)
class Scored:
    """A checked and scored submission, not yet recorded."""

    request: SubmissionRequest
    admission: Admission
    raw: Scores | None
    """None: a policy, checked and to be played by the worker (recorded as queued)."""


@dataclass(frozen=True)
class Recorded:
    submission: store.Submission
    left: Allowance
    """Today's allowance as counted inside the recording transaction."""


def submit(ctx: SubmitContext, request: SubmissionRequest) -> SubmitOutcome:
    """Validate, score and record one submission, or raise without recording anything.

    Checks run cheapest first: the homework is published, it is open (late policy), today's
    limit has room (re-checked atomically when recording), the file is valid. The web runs
    the same three steps, `admit` and `score_submission` outside the write lock and
    `record` inside it; this runs them in one transaction.
    """
    admission = admit(ctx, request.homework_id, request.user, request.at)
    scored = score_submission(admission, request)
    recorded = record(ctx, scored)
    return outcome(ctx, recorded, request.user, request.at)


def admit(ctx: SubmitContext, homework_id: str, user: store.User, now: datetime) -> Admission:
    """Whether `user` may submit to the homework now (published, open, today's limit not
    reached yet), and the format and hidden answer to check the file against. Only reads,
    so it may run in a read-only snapshot; `record` re-checks the limit."""
    record_ = published(ctx.db, ctx.course, homework_id)
    homework = ctx.course.homework[homework_id]
    if not is_open(homework, now):
        _, reason = apply_late_policy(homework, 0.0, record_.higher_is_better, now)  # which date
        raise HomeworkClosed(f"homework {homework_id!r} is {reason}")
    left = allowance(ctx.db, ctx.course, homework, user, now)
    if left.remaining == 0:  # checked early so spam costs no parsing; the store re-checks
        raise store.DailyLimitReached(homework_id, homework.daily_limit, left.resets_at)
    answer = _hidden_answer(ctx.config, homework_id)
    spec = submission_spec(homework, answer, max_bytes=ctx.config.max_upload_bytes)
    return Admission(
        homework_id, homework, record_.higher_is_better, record_.metric, answer, spec, left
    )


def score_submission(admission: Admission, request: SubmissionRequest) -> Scored:
    """Parse the file against the homework's format and score it on the hidden answer
    (SubmissionError if invalid); touches no database."""
    answer = admission.answer
    if admission.spec.kind == "policy":
        check_policy(request.content, admission.spec.max_bytes)
        return Scored(request, admission, None)
    parsed = parse_submission(request.content, admission.spec, filename=request.filename)
    try:
        raw = score(parsed, answer.y_test, answer.public_mask, admission.metric)
    except MetricUnavailable as exc:  # the judge of generated images is missing or changed
        log.error("homework %s cannot be scored: %s", admission.homework_id, exc)
        raise ScoringUnavailable(
            f"homework {admission.homework_id!r} cannot be scored right now; staff have to "
            "check the model that scores it"
        ) from exc
    return Scored(request, admission, raw)


def record(ctx: SubmitContext, scored: Scored) -> Recorded:
    """Record an already scored submission in `ctx.db`'s (write) transaction, counting
    today's submissions again there: this count, not `admit`'s, is authoritative."""
    request, homework = scored.request, scored.admission.homework
    record_ = published(ctx.db, ctx.course, request.homework_id)
    left = allowance(ctx.db, ctx.course, homework, request.user, request.at)
    if left.remaining == 0:
        raise store.DailyLimitReached(request.homework_id, homework.daily_limit, left.resets_at)
    row = (
        _queued_row(request)
        if scored.raw is None
        else _scored_row(request, homework, record_.higher_is_better, scored.raw)
    )
    day = store.DailyWindow(left.day_start, left.resets_at, homework.daily_limit)
    store.record_submission(ctx.db, ctx.files, row, request.content, day)
    return Recorded(row, left)


def outcome(
    ctx: SubmitContext, recorded: Recorded, user: store.User, now: datetime
) -> SubmitOutcome:
    """What the student is told: the score, their rank on the board as it is now, and
    what is left of today's limit."""
    row, left = recorded.submission, recorded.left
    board = boards.leaderboard(ctx.db, ctx.course, row.homework_id, now)
    return SubmitOutcome(
        submission_id=row.id,
        public_score=row.public_score,
        rank=next((r.rank for r in board.rows if r.student == user.name), None),
        n_ranked=len(board.rows),
        remaining_today=left.remaining - 1,
        resets_at=left.resets_at,
        timezone=ctx.course.timezone.key,
        late_note=row.late_note,
        status=row.status,
        signature=board.signature,
    )


def _hidden_answer(config: ServiceConfig, homework_id: str) -> Answer:
    """The hidden answer to score on; its absence or corruption is the service's refusal."""
    try:
        return load_answer(config, homework_id)
    except NotPublished as exc:
        raise HomeworkNotFound(str(exc)) from None
    except AnswerCorrupt as exc:
        raise ScoringUnavailable(
            f"homework {homework_id!r} cannot be scored right now; staff have to check "
            "its hidden answers"
        ) from exc


def _scored_row(
    request: SubmissionRequest, homework: Homework, higher_is_better: bool, raw: Scores
) -> store.Submission:
    """The new row: scores after the late policy (see `late_scores`)."""
    late = late_scores(homework, higher_is_better, raw, request.at)
    return store.Submission(
        homework_id=request.homework_id,
        user_id=request.user.id,
        filename=safe_filename(request.filename),
        created_at=request.at,
        **late.columns(),
    )


def late_scores(
    homework: Homework, higher_is_better: bool, raw: Scores, at: datetime
) -> store.Finished:
    """Scores after the late policy for a submission made `at`; one it leaves unranked
    (accept_unranked) keeps its raw scores, shown but never ranked."""
    public, note = apply_late_policy(homework, raw.public, higher_is_better, at)
    private, _ = apply_late_policy(homework, raw.private, higher_is_better, at)
    full, _ = apply_late_policy(homework, raw.full, higher_is_better, at)
    return store.Finished(
        status="late_unranked" if public is None else "scored",
        public=raw.public if public is None else public,
        private=raw.private if private is None else private,
        full=raw.full if full is None else full,
        late_note=note or None,
    )


def _queued_row(request: SubmissionRequest) -> store.Submission:
    """A checked policy, to be played by the worker (`policy_queue`): no scores yet."""
    return store.Submission(
        homework_id=request.homework_id,
        user_id=request.user.id,
        filename=safe_filename(request.filename),
        created_at=request.at,
        status="queued",
    )


def check_policy(content: bytes, max_bytes: int) -> None:
    """Refuse a file that is no playable policy (SubmissionError with the sandbox's reason),
    reading it only as a zip archive: nothing in it runs here."""
    with tempfile.TemporaryDirectory(prefix="practicum-upload-") as folder:
        path = Path(folder) / "policy.pt"
        path.write_bytes(content)
        try:
            policy_sandbox.check_file(path, max_bytes=max_bytes)
        except policy_sandbox.PolicyRefused as exc:
            raise SubmissionError(str(exc)) from None


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
    fits = store.fits_row_id(submission_id)
    submission = session.get(store.Submission, submission_id) if fits else None
    if submission is None or (user.role != "staff" and submission.user_id != user.id):
        raise LookupError(f"submission {submission_id} not found")
    return submission
