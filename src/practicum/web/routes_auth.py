"""Local accounts: logging in and out (name and password), and the API tokens that
notebooks and scripts use. Behind JupyterHub, `routes_hub_auth` comes first and its
/login and /logout take the place of these: the hub logs people in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from practicum import store
from practicum.web.deps import (
    Browser,
    CourseDep,
    CsrfChecked,
    FormUser,
    Now,
    PageUser,
    ReadDb,
    WriteDb,
    get_codec,
    get_renderer,
)
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
) -> Response:
    return get_renderer(request).page(
        request,
        "login.html",
        course=course,
        browser=browser,
        user=None,
        status_code=401 if error else 200,
        next_page=safe_next(next_page),
        error=error,
        name=name,
    )


@router.get("/login")
def login_form(request: Request, course: CourseDep, browser: Browser, next: str = "/") -> Response:
    if browser.user_id is not None:
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
    next: Annotated[str, Form()] = "/",
) -> Response:
    user = store.verify_password(db, name.strip().lower(), password)
    if user is None:
        return _login_page(
            request, course, browser, next, error="wrong name or password", name=name
        )
    response = RedirectResponse(base_path(request) + safe_next(next), status_code=303)
    get_codec(request).store(response, request, WebSession.fresh(user.id))
    return response


@router.post("/logout")
def logout(request: Request, _csrf: CsrfChecked) -> Response:
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
