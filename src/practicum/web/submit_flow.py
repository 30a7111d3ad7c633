"""The web's side of taking a submission, shared by the upload form and the JSON API: count
the upload against the student's rate limit, read it within the size limit, make the one
service call, and turn a refusal into a `Failure` that each answers in its own way (the
page re-rendered, or JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

import anyio
from fastapi import HTTPException, Request, UploadFile

from practicum import store
from practicum.course import Course
from practicum.grading.submission import SubmissionError, format_size
from practicum.service import submissions
from practicum.service.submissions import (
    HomeworkClosed,
    HomeworkNotFound,
    ScoringUnavailable,
    SubmissionRequest,
    SubmitOutcome,
    SubmitRefused,
)
from practicum.store import DailyLimitReached
from practicum.web.deps import write_transaction
from practicum.web.errors import retry_after, try_again_at
from practicum.web.submit_deps import SubmitParts
from practicum.web.uploads import UploadTooLarge, read_upload, upload_size

SUBMIT_ERRORS = (SubmitRefused, SubmissionError, DailyLimitReached, UploadTooLarge)
"""What `submissions.submit` and reading the upload may raise on purpose."""

_STATUS: dict[type[Exception], int] = {
    HomeworkNotFound: 404,
    HomeworkClosed: 403,
    ScoringUnavailable: 503,
    SubmissionError: 422,
}


@dataclass(frozen=True)
class Failure:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    """More JSON fields for the API (429: resets_at)."""


async def submit_upload(
    request: Request,
    parts: SubmitParts,
    homework_id: str,
    user_id: int,
    upload: UploadFile,
    now: datetime,
) -> SubmitOutcome | Failure:
    """Read the upload (bounded) into a `SubmissionRequest` and submit it, or say why not.

    The upload counts against the student's rate limit first, before anything looks at
    the file, so that refused files count too. Reading, parsing and scoring run in a
    read-only snapshot, outside the write lock; the lock is held only while the attempt and
    then the scored submission are recorded (where today's limit is counted again,
    authoritatively), so a huge or hostile upload delays no other writer.
    """
    over_rate = await _count_attempt(request, parts, homework_id, user_id, now)
    if over_rate is not None:
        return over_rate
    try:
        scored = await anyio.to_thread.run_sync(
            _check_and_score, parts, homework_id, user_id, upload, now
        )
        recorded = await write_transaction(
            request, lambda db: submissions.record(parts.context(db), scored)
        )
        return await anyio.to_thread.run_sync(_outcome, parts, recorded, scored.request.user, now)
    except SUBMIT_ERRORS as exc:
        return describe_failure(exc, now, parts.course.timezone)


async def _count_attempt(
    request: Request, parts: SubmitParts, homework_id: str, user_id: int, now: datetime
) -> Failure | None:
    """Count the upload against the student's rate limit (course.toml [submissions] rate);
    over it, the 429 that says when to try again, and nothing is counted."""
    rate = parts.course.submission_rate
    retry_at = await write_transaction(
        request,
        lambda db: store.record_attempt(
            db, user_id, homework_id, now, limit=rate.attempts, window=rate.window
        ),
    )
    return None if retry_at is None else rate_limited(retry_at, now, parts.course)


def _check_and_score(
    parts: SubmitParts, homework_id: str, user_id: int, upload: UploadFile, now: datetime
) -> submissions.Scored:
    limit = parts.config.max_upload_bytes
    with store.session_scope(parts.engine, read_only=True) as db:
        user = db.get(store.User, user_id)
        if user is None:  # deleted since it was authenticated a moment ago
            raise HTTPException(401, "the account no longer exists")
        db.expunge(user)  # kept loaded: the snapshot's rollback would expire it
        size = upload_size(upload.file)
        if size is not None and size > limit:  # before any other check, as always
            raise UploadTooLarge(limit, size)
        admission = submissions.admit(parts.context(db), homework_id, user, now)
    content = read_capped(upload.file, admission, limit)
    request = SubmissionRequest(homework_id, user, content, upload.filename or "", now)
    return submissions.score_submission(admission, request)


def read_capped(file: BinaryIO, admission: submissions.Admission, limit: int) -> bytes:
    """The upload, read no further than the homework's own cap (413 naming it)."""
    cap = admission.spec.max_bytes
    try:
        return read_upload(file, cap)
    except UploadTooLarge as exc:
        if cap >= limit:
            raise
        n, kind = admission.spec.n_items, admission.spec.kind
        why = "a policy" if kind == "policy" else f"{n} {kind} rows with room to spare"
        raise UploadTooLarge(
            cap,
            exc.size,
            message=f"file is {format_size(exc.size)}; homework {admission.homework_id!r} "
            f"takes files of at most {format_size(cap)} ({why})",
        ) from None


def _outcome(
    parts: SubmitParts, recorded: submissions.Recorded, user: store.User, now: datetime
) -> SubmitOutcome:
    with store.session_scope(parts.engine, read_only=True) as db:
        return submissions.outcome(parts.context(db), recorded, user, now)


def rate_limited(retry_at: datetime, now: datetime, course: Course) -> Failure:
    """429 for a student over the rate limit, shaped like the daily limit's (and the login
    lock's words): resets_at is when the next upload will be taken."""
    return Failure(
        429,
        try_again_at("submissions", retry_at, course.timezone),
        headers=retry_after(retry_at, now),
        extra={"resets_at": retry_at.astimezone(course.timezone).isoformat()},
    )


def describe_failure(exc: Exception, now: datetime, tz: ZoneInfo) -> Failure:
    """The status and message a refused submission gets (422s do not count against the
    daily limit; every upload counts against the rate limit, see `rate_limited`)."""
    if isinstance(exc, DailyLimitReached):
        resets = exc.resets_at.astimezone(tz)
        return Failure(
            429,
            f"daily limit of {exc.limit} submission(s) for homework {exc.homework_id!r} "
            f"reached; next submission possible at {resets:%Y-%m-%d %H:%M %Z}",
            headers=retry_after(resets, now),
            extra={"resets_at": resets.isoformat()},
        )
    if isinstance(exc, UploadTooLarge):
        return Failure(413, str(exc.detail))
    for kind, code in _STATUS.items():
        if isinstance(exc, kind):
            return Failure(code, str(exc))
    raise TypeError(f"not a submission refusal: {exc!r}")
