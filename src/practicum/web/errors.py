"""HTTP answers for refusals: one mapping from the service's errors to status codes, and
handlers that answer the API in JSON and browsers with a page."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from practicum.course import Course
from practicum.grading.submission import SubmissionError
from practicum.service.config import ServiceConfig
from practicum.service.submissions import (
    HomeworkClosed,
    HomeworkNotFound,
    ScoringUnavailable,
    SubmitOutcome,
    SubmitRefused,
    submit,
)
from practicum.store import DailyLimitReached, FileStore, User
from practicum.web.deps import LoginRequired, get_course, get_renderer
from practicum.web.pages import base_path
from practicum.web.uploads import UploadTooLarge, read_upload

SUBMIT_ERRORS = (SubmitRefused, SubmissionError, DailyLimitReached, UploadTooLarge)
"""What `submissions.submit` and reading the upload may raise on purpose."""


@dataclass(frozen=True)
class Failure:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    """More JSON fields for the API (429: resets_at)."""


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
    status = {
        HomeworkNotFound: 404,
        HomeworkClosed: 403,
        ScoringUnavailable: 503,
        SubmissionError: 422,
    }
    for kind, code in status.items():
        if isinstance(exc, kind):
            return Failure(code, str(exc))
    raise TypeError(f"not a submission refusal: {exc!r}")


def take_submission(
    upload: BinaryIO,
    filename: str,
    *,
    db: Session,
    files: FileStore,
    config: ServiceConfig,
    course: Course,
    homework_id: str,
    user: User,
    now: datetime,
) -> SubmitOutcome | Failure:
    """Read a bounded upload and submit it; a refusal rolls back and says why, as a Failure
    both the page (re-render) and the API (JSON) answer in their own way."""
    try:
        content = read_upload(upload, config.max_upload_bytes)
        return submit(db, files, config, course, homework_id, user, content, filename, now)
    except SUBMIT_ERRORS as exc:
        db.rollback()
        return describe_failure(exc, now, course.timezone)


def is_api(request: Request) -> bool:
    """Machines' paths, answered in JSON: the API, and the hub's questions (/hub/...)."""
    return request.url.path.removeprefix(base_path(request)).startswith(("/api/", "/hub/"))


def error_response(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """JSON `{"detail": message}` for the API, the error page for browsers."""
    if is_api(request):
        return JSONResponse({"detail": message}, status, headers=headers)
    return get_renderer(request).page(
        request,
        "error.html",
        course=get_course(request),
        browser=None,
        user=None,
        status_code=status,
        headers=dict(headers or {}),
        status=status,
        message=message,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(request, exc.status_code, str(exc.detail), exc.headers)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        return await request_validation_exception_handler(request, exc)
    fields = ", ".join(str(error["loc"][-1]) for error in exc.errors())
    return error_response(request, 422, f"the form is missing or has a wrong field: {fields}")


async def _login_required(request: Request, exc: Exception) -> Response:
    """Back to the page after logging in, for a GET; a form post starts over at home."""
    page = request.url.path.removeprefix(base_path(request))
    query = f"?next={quote(page)}" if request.method == "GET" else ""
    return RedirectResponse(f"{base_path(request)}/login{query}", status_code=303)


async def reject_upload(scope: Scope, exc: UploadTooLarge) -> Response:
    """BodyLimit's answer: the same as any other 413."""
    return error_response(Request(scope), exc.status_code, str(exc.detail))


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(LoginRequired, _login_required)
