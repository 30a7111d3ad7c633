"""The web's side of taking a submission, shared by the upload form and the JSON API: read
the upload within the limit, make the one service call, and turn a refusal into a
`Failure` that each answers in its own way (the page re-rendered, or JSON)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import UploadFile

from practicum.grading.submission import SubmissionError
from practicum.service import submissions
from practicum.service.submissions import (
    HomeworkClosed,
    HomeworkNotFound,
    ScoringUnavailable,
    SubmissionRequest,
    SubmitContext,
    SubmitOutcome,
    SubmitRefused,
)
from practicum.store import DailyLimitReached, User
from practicum.web.uploads import UploadTooLarge, read_upload

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


def submit_upload(
    ctx: SubmitContext, homework_id: str, user: User, upload: UploadFile, now: datetime
) -> SubmitOutcome | Failure:
    """Read the upload (bounded) into a `SubmissionRequest` and submit it; a refusal rolls
    the request's transaction back and says why."""
    try:
        content = read_upload(upload.file, ctx.config.max_upload_bytes)
        request = SubmissionRequest(homework_id, user, content, upload.filename or "", now)
        return submissions.submit(ctx, request)
    except SUBMIT_ERRORS as exc:
        ctx.db.rollback()
        return describe_failure(exc, now, ctx.course.timezone)


def describe_failure(exc: Exception, now: datetime, tz: ZoneInfo) -> Failure:
    """The status and message a refused submission gets (422s are not counted)."""
    if isinstance(exc, DailyLimitReached):
        resets = exc.resets_at.astimezone(tz)
        wait = max(1, math.ceil((resets - now).total_seconds()))
        return Failure(
            429,
            f"daily limit of {exc.limit} submission(s) for homework {exc.homework_id!r} "
            f"reached; next submission possible at {resets:%Y-%m-%d %H:%M %Z}",
            headers={"Retry-After": str(wait)},
            extra={"resets_at": resets.isoformat()},
        )
    if isinstance(exc, UploadTooLarge):
        return Failure(413, str(exc.detail))
    for kind, code in _STATUS.items():
        if isinstance(exc, kind):
            return Failure(code, str(exc))
    raise TypeError(f"not a submission refusal: {exc!r}")
