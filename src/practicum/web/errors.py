"""HTTP answers for refusals: handlers that answer the API in JSON and browsers with a page.

(A refused submission is described in `submit_flow`, which the upload routes answer.)"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from practicum.web.deps import LoginRequired, get_course, get_renderer
from practicum.web.pages import base_path
from practicum.web.uploads import UploadTooLarge


def is_api(request: Request) -> bool:
    """Machines' paths, answered in JSON: the API, and the hub's questions (/hub/...)."""
    return request.url.path.removeprefix(base_path(request)).startswith(("/api/", "/hub/"))


def try_again_at(what: str, until: datetime, tz: ZoneInfo) -> str:
    """The refusal during a lock or rate limit ("too many attempts, try again at 12:01 JST"):
    the time in the course's time zone, with its name, so that nobody has to guess it."""
    return f"too many {what}, try again at {until.astimezone(tz):%H:%M %Z}"


def retry_after(until: datetime, now: datetime) -> dict[str, str]:
    """The Retry-After header for a refusal that lifts at `until` (whole seconds, at least 1)."""
    return {"Retry-After": str(max(1, math.ceil((until - now).total_seconds())))}


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
