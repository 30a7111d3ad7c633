"""Rendering pages: one Jinja2 environment with autoescaping everywhere, and the headers
every page carries.

Uploaded file names and validator messages (which quote bits of the upload) reach the
pages; autoescaping is what keeps them text. The task text is staff-written Markdown,
rendered with raw HTML disabled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

from practicum.compute.credits import format_credits, format_duration
from practicum.course import Course
from practicum.store import User
from practicum.web.security import SessionCodec, WebSession

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""No scripts at all, nothing from other hosts, never framed, never cached (pages hold a
student's own scores)."""

_markdown = MarkdownIt("commonmark", {"html": False})


def base_path(request: Request) -> str:
    """The prefix the service is mounted under (e.g. behind JupyterHub's proxy), or ''."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@jinja2.pass_context
def _local_time(context: jinja2.runtime.Context, moment: datetime | None) -> str:
    if moment is None:
        return ""
    course: Course = context["course"]
    return moment.astimezone(course.timezone).strftime("%Y-%m-%d %H:%M %Z")


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _size(n_bytes: int) -> str:
    if n_bytes < 1024:
        return f"{n_bytes} bytes"
    size, unit = n_bytes / 1024, "KB"
    for bigger in ("MB", "GB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.1f} {unit}"


def _markdown_filter(text: str) -> Markup:
    return Markup(_markdown.render(text))


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("practicum.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(local=_local_time, score=_score, size=_size, markdown=_markdown_filter)
    env.filters.update(credits=format_credits, duration=format_duration)
    # True behind JupyterHub (set by create_app): the compute pages exist.
    env.globals["hub_mode"] = False
    return env


class Renderer:
    """Turns a template and its context into a page, adding what every page needs."""

    def __init__(self, env: jinja2.Environment, codec: SessionCodec) -> None:
        self.env = env
        self.codec = codec

    def page(
        self,
        request: Request,
        template: str,
        *,
        course: Course,
        browser: WebSession | None,
        user: User | None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(
            request=request,
            base=base_path(request),
            course=course,
            user=user,
            csrf=browser.csrf if browser else "",
            **context,
        )
        response = HTMLResponse(html, status_code, headers={**PAGE_HEADERS, **(headers or {})})
        if browser is not None and browser.changed:
            self.codec.store(response, request, browser)
        return response

    def redirect(
        self,
        request: Request,
        browser: WebSession,
        page: str,
        notice: tuple[str, str] | None = None,
    ) -> RedirectResponse:
        """303 to `page` (e.g. "/#server") after a form post, which shows `notice` (level,
        message) once: a reload of that page repeats nothing."""
        response = RedirectResponse(f"{base_path(request)}{page}", status_code=303)
        if notice is not None:
            level, message = notice
            notice = (level, message[:1].upper() + message[1:])
            self.codec.store(response, request, browser.with_notice(notice))
        return response
