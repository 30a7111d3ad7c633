"""Local accounts: logging in and out (name and password), and the API tokens that
notebooks and scripts use. Behind JupyterHub, `routes_hub_auth` comes first and its
/login and /logout take the place of these: the hub logs people in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from practicum import store
from practicum.store import throttle
from practicum.web.deps import (
    Browser,
    CourseDep,
    CsrfChecked,
    FormUser,
    Now,
    PageUser,
    ReadDb,
    WriteDb,
    end_browser_sessions,
    get_codec,
    get_renderer,
)
from practicum.web.errors import try_again_at
from practicum.web.pages import base_path
from practicum.web.security import WebSession, safe_next

router = APIRouter(include_in_schema=False)


def _login_page(
    request: Request,
    course: CourseDep,
    browser: WebSession,
    next_page: str,
    *,
    error: str = "",
    name: str = "",
    status_code: int | None = None,
) -> Response:
    return get_renderer(request).page(
        request,
        "login.html",
        course=course,
        browser=browser,
        user=None,
        status_code=status_code or (401 if error else 200),
        next_page=safe_next(next_page),
        error=error,
        name=name,
    )


@router.get("/login")
def login_form(
    request: Request, course: CourseDep, browser: Browser, db: ReadDb, next: str = "/"
) -> Response:
    if browser.user_id is not None:
        user = db.get(store.User, browser.user_id)
        if user is not None and user.session_epoch == browser.epoch:
            return RedirectResponse(base_path(request) + safe_next(next), status_code=303)
    return _login_page(request, course, browser, next)


@router.post("/login")
def login(
    request: Request,
    course: CourseDep,
    browser: Browser,
    db: WriteDb,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    now: Now,
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Wrong passwords are counted per name and per address (`store.throttle`): during a
    lock every attempt is refused with 429, the right password too."""
    key = name.strip().lower()
    address = request.client.host if request.client else None
    until = throttle.locked_until(db, key, address, now)
    if until is None:
        user = store.verify_password(db, key, password)
        if user is not None:
            throttle.record_success(db, key)
            response = RedirectResponse(base_path(request) + safe_next(next), status_code=303)
            session = WebSession.fresh(user.id, user.session_epoch)
            get_codec(request).store(response, request, session)
            return response
        # The failure that reaches the limit is answered as wrong; the lock refuses the next.
        throttle.record_failure(db, key, address, now)
        return _login_page(
            request, course, browser, next, error="wrong name or password", name=name
        )
    return _login_page(
        request,
        course,
        browser,
        next,
        error=try_again_at("attempts", until, course.timezone),
        name=name,
        status_code=429,
    )


@router.post("/logout")
def logout(request: Request, browser: Browser, db: WriteDb, _csrf: CsrfChecked) -> Response:
    """Out of this browser, and every copy of its cookie stops working too."""
    end_browser_sessions(db, browser)
    response = RedirectResponse(base_path(request) + "/login", status_code=303)
    get_codec(request).clear(response, request)
    return response


@router.post("/account/sessions/end")
def sign_out_everywhere(request: Request, user: FormUser, db: WriteDb) -> Response:
    """Every session of the user's, on every device, this one included, ends."""
    store.end_sessions(db, user)
    response = RedirectResponse(base_path(request) + "/login", status_code=303)
    get_codec(request).clear(response, request)
    return response


def _account_page(
    request: Request,
    course: CourseDep,
    browser: WebSession,
    user: store.User,
    db: Session,
    *,
    new_token: str = "",
) -> Response:
    return get_renderer(request).page(
        request,
        "account.html",
        course=course,
        browser=browser,
        user=user,
        tokens=store.tokens_for(db, user),
        new_token=new_token,
    )


@router.get("/account")
def account(
    request: Request, course: CourseDep, user: PageUser, browser: Browser, db: ReadDb
) -> Response:
    return _account_page(request, course, browser, user, db)


@router.post("/account/tokens")
def create_token(
    request: Request,
    course: CourseDep,
    user: FormUser,
    browser: Browser,
    db: WriteDb,
    now: Now,
    label: Annotated[str, Form(min_length=1, max_length=100)],
) -> Response:
    """A new API token, shown on this page once: only its hash is kept."""
    token = store.create_token(db, user, label.strip() or "token", now=now)
    return _account_page(request, course, browser, user, db, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: int, user: FormUser, db: WriteDb, now: Now
) -> Response:
    if not store.revoke_token(db, user, token_id, now=now):
        raise HTTPException(404, f"no live token {token_id} of yours")
    return RedirectResponse(base_path(request) + "/account", status_code=303)
