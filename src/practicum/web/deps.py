"""What routes receive instead of reaching for globals: the service's parts, the clock, a
database session, and the user, checked once here for every request.

Pages redirect to /login without a session cookie; staff pages answer 403 to students;
form posts need the session's CSRF token; the API needs `Authorization: Bearer <token>`
(a Practicum token, or in hub mode also a token the hub issued, e.g. a notebook's).
Tests swap any of these with `app.dependency_overrides` (e.g. `get_now` to move the clock).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Form, HTTPException, Request
from fastapi.concurrency import contextmanager_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from practicum import store
from practicum.compute import Compute
from practicum.course import Course, Homework
from practicum.service.submissions import SubmitContext
from practicum.settings.service import ServiceConfig
from practicum.store.accounts import TOKEN_PREFIX
from practicum.web.hub_mode import HubMode, HubTokenNotForPracticum, HubUnavailable
from practicum.web.hub_users import HubUser, HubUserRefused, sign_in
from practicum.web.pages import Renderer
from practicum.web.security import CSRF_FIELD, SESSION_COOKIE, SessionCodec, WebSession

T = TypeVar("T")


def get_config(request: Request) -> ServiceConfig:
    config: ServiceConfig = request.app.state.config
    return config


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_files(request: Request) -> store.FileStore:
    files: store.FileStore = request.app.state.files
    return files


def get_course(request: Request) -> Course:
    course: Course = request.app.state.course
    return course


def get_codec(request: Request) -> SessionCodec:
    codec: SessionCodec = request.app.state.codec
    return codec


def get_renderer(request: Request) -> Renderer:
    renderer: Renderer = request.app.state.renderer
    return renderer


def course_homework(course: Course, homework_id: str) -> Homework:
    """The course's homework of that id, or 404 (the id is quoted back, shortened)."""
    homework = course.homework.get(homework_id)
    if homework is None:
        raise HTTPException(404, f"no homework {homework_id[:64]!r} in this course")
    return homework


def get_now() -> datetime:
    """The moment a request is decided at; overridden in tests to cross deadlines."""
    return datetime.now(UTC)


def read_db(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A read-only snapshot: pages never wait for the database's write lock."""
    with store.session_scope(engine, read_only=True) as session:
        yield session


WriterTurns = AbstractAsyncContextManager[object]


def writer_turns(engine: Engine) -> WriterTurns:
    """What writers of this process queue on before their transaction opens.

    SQLite has one write lock for the whole file, so writers take turns in the event loop
    (see `write_db`). PostgreSQL locks rows, not the database: writers run side by side,
    bounded by the worker threads and the connection pool, and the store's row locks keep
    counts such as the daily limit exact.
    """
    return anyio.Lock() if engine.dialect.name == "sqlite" else nullcontext()


async def write_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response leaves (scope
    "function"), so a client never sees success for a write that then fails.

    On SQLite, writers of this process take turns in the event loop before their
    transaction opens (`writer_turns`). SQLite has one write lock: a request holding it needs worker threads to finish, so
    writers must never queue for the lock inside worker threads (300 at once would block
    every thread, then time out with nothing done; see BENCHMARKS.md).
    """
    engine = get_engine(request)
    lock: WriterTurns = request.app.state.write_lock
    async with (
        lock,
        contextmanager_in_threadpool(store.session_scope(engine)) as session,
    ):
        yield session


async def write_transaction(request: Request, action: Callable[[Session], T]) -> T:
    """`action` in a transaction of its own, taking its turn like `write_db`, for routes
    that must talk to the hub after committing: the hub may call back into this service
    (the spawn check), which would otherwise wait for a lock held by the caller."""
    engine = get_engine(request)
    lock: WriterTurns = request.app.state.write_lock

    def run() -> T:
        with store.session_scope(engine) as session:
            return action(session)

    async with lock:
        return await anyio.to_thread.run_sync(run)


def hub_mode(request: Request) -> HubMode:
    """The hub's side of the service; only hub-mode routes ask for it."""
    mode: HubMode = request.app.state.hub_mode
    return mode


def get_compute(request: Request) -> Compute:
    """Hub mode's compute: the course's credit rates with practicum.toml's profiles and GPUs."""
    return hub_mode(request).settings.compute(get_course(request))


Config = Annotated[ServiceConfig, Depends(get_config)]
Files = Annotated[store.FileStore, Depends(get_files)]
CourseDep = Annotated[Course, Depends(get_course)]
ComputeDep = Annotated[Compute, Depends(get_compute)]
Now = Annotated[datetime, Depends(get_now)]
Pages = Annotated[Renderer, Depends(get_renderer)]
ReadDb = Annotated[Session, Depends(read_db, scope="function")]
WriteDb = Annotated[Session, Depends(write_db, scope="function")]


def submit_context(db: WriteDb, files: Files, config: Config, course: CourseDep) -> SubmitContext:
    """The request's transaction and the service's parts, as `submissions.submit` takes them."""
    return SubmitContext(db, files, config, course)


Submitting = Annotated[SubmitContext, Depends(submit_context)]


def web_session(request: Request, codec: Annotated[SessionCodec, Depends(get_codec)]) -> WebSession:
    """The visitor's session from its cookie, or a fresh anonymous one (sent with the page)."""
    existing: WebSession | None = getattr(request.state, "web_session", None)
    if existing is None:
        existing = codec.loads(request.cookies.get(SESSION_COOKIE)) or WebSession.fresh()
        request.state.web_session = existing
    return existing


Browser = Annotated[WebSession, Depends(web_session)]


class LoginRequired(Exception):
    """A page needs a logged-in user; answered with a redirect to the login form."""


def _cookie_user(session: Session, browser: WebSession) -> store.User:
    user = session.get(store.User, browser.user_id) if browser.user_id is not None else None
    if user is None or user.session_epoch != browser.epoch:  # ended server-side
        raise LoginRequired
    return user


def end_browser_sessions(session: Session, browser: WebSession) -> None:
    """At logout: every copy of this browser's cookie (and the user's other sessions) ends.
    A cookie already ended changes nothing."""
    if browser.user_id is None:
        return
    user = session.get(store.User, browser.user_id)
    if user is not None and user.session_epoch == browser.epoch:
        store.end_sessions(session, user)


def page_user(db: ReadDb, browser: Browser) -> store.User:
    return _cookie_user(db, browser)


def staff_page_user(user: Annotated[store.User, Depends(page_user)]) -> store.User:
    _require_staff(user)
    return user


CsrfField = Annotated[str | None, Form(alias=CSRF_FIELD)]


def _check_csrf(browser: WebSession, token: str | None) -> None:
    if not browser.csrf_matches(token):
        raise HTTPException(
            403, "missing or invalid CSRF token: reload the page and submit the form again"
        )


def check_csrf(browser: Browser, csrf_token: CsrfField = None) -> None:
    """Every form post carries the session's token; a form on another site cannot."""
    _check_csrf(browser, csrf_token)


CsrfChecked = Annotated[None, Depends(check_csrf)]


def form_user(db: WriteDb, browser: Browser, csrf_token: CsrfField = None) -> store.User:
    """The logged-in author of a form post (an expired login goes to the login form first,
    where a fresh token is issued), checked against CSRF."""
    user = _cookie_user(db, browser)
    _check_csrf(browser, csrf_token)
    return user


def staff_form_user(user: Annotated[store.User, Depends(form_user)]) -> store.User:
    _require_staff(user)
    return user


_bearer = HTTPBearer(auto_error=False, description="An API token made on the account page")


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def hub_token_owner(request: Request, credentials: Bearer) -> HubUser | None:
    """In hub mode, who the hub says a bearer token that is not Practicum's belongs to
    (a notebook's JUPYTERHUB_API_TOKEN). Asked before the write lock is taken: the hub
    may be slow, and other writers should not wait for it. A token the hub knows but did
    not issue for Practicum is refused with 403: it is known, just not valid here."""
    mode: HubMode | None = getattr(request.app.state, "hub_mode", None)
    if mode is None or credentials is None or credentials.credentials.startswith(TOKEN_PREFIX):
        return None
    try:
        return await mode.token_owner(credentials.credentials)
    except HubUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
    except HubTokenNotForPracticum as exc:
        raise HTTPException(403, str(exc)) from None


def api_user(
    request: Request,
    hub_owner: Annotated[HubUser | None, Depends(hub_token_owner)],
    db: WriteDb,
    now: Now,
    credentials: Bearer,
) -> store.User:
    user = None
    if hub_owner is not None:
        try:
            user = sign_in(db, hub_owner, hub_mode(request).settings.auth.staff, now)
        except HubUserRefused as exc:
            raise HTTPException(403, str(exc)) from None
    elif credentials is not None:
        user = store.user_for_token(db, credentials.credentials, now=now)
    if user is None:
        raise HTTPException(
            401, "missing, invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


def api_staff(user: Annotated[store.User, Depends(api_user)]) -> store.User:
    _require_staff(user)
    return user


def _require_staff(user: store.User) -> None:
    if user.role != "staff":
        raise HTTPException(403, "staff only")


PageUser = Annotated[store.User, Depends(page_user)]
StaffPageUser = Annotated[store.User, Depends(staff_page_user)]
FormUser = Annotated[store.User, Depends(form_user)]
StaffFormUser = Annotated[store.User, Depends(staff_form_user)]
ApiUser = Annotated[store.User, Depends(api_user)]
ApiStaff = Annotated[store.User, Depends(api_staff)]
