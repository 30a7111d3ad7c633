"""Staff pages: every submission, each homework's publish status, exercises done per lesson,
the gradebook, and signing a user out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from practicum import store
from practicum.service import boards, exercises, submissions
from practicum.web.deps import (
    Browser,
    CourseDep,
    Pages,
    ReadDb,
    StaffFormUser,
    StaffPageUser,
    WriteDb,
)
from practicum.web.pages import PAGE_HEADERS

router = APIRouter(prefix="/staff", include_in_schema=False)

SHOWN_SUBMISSIONS = 500


@router.get("")
def overview(
    request: Request,
    pages: Pages,
    course: CourseDep,
    user: StaffPageUser,
    browser: Browser,
    db: ReadDb,
) -> Response:
    notice = browser.notice
    if notice:
        browser = browser.with_notice(None)
    return pages.page(
        request,
        "staff.html",
        course=course,
        browser=browser,
        user=user,
        notice=notice,
        homework=boards.homework_status(db, course),
        submissions=submissions.recent_submissions(db, SHOWN_SUBMISSIONS),
        shown=SHOWN_SUBMISSIONS,
        exercises=exercises.done_per_lesson(db, course),
        user_names=db.scalars(select(store.User.name).order_by(store.User.name)).all(),
    )


@router.post("/sessions/end")
def end_user_sessions(
    request: Request,
    pages: Pages,
    staff: StaffFormUser,
    browser: Browser,
    db: WriteDb,
    name: Annotated[str, Form(max_length=100)],
) -> Response:
    """Sign a user out on every device (a cookie that leaked, a shared computer): their
    session epoch goes up, so every copy of every cookie they hold stops working. API
    tokens are not touched; those the user revokes on their account page."""
    key = name.strip().lower()
    target = db.scalar(select(store.User).where(store.User.name == key))
    if target is None:
        return pages.redirect(request, browser, "/staff#sessions", ("error", f"no user {key!r}"))
    store.end_sessions(db, target)
    if target.id == staff.id:  # this browser's session has just ended too
        return pages.redirect(request, browser, "/login")
    done = f"signed {target.name} out everywhere: every session of theirs has ended"
    return pages.redirect(request, browser, "/staff#sessions", ("ok", done))


@router.get("/gradebook.csv")
def gradebook(course: CourseDep, _user: StaffPageUser, db: ReadDb) -> Response:
    return Response(
        boards.gradebook_csv(db, course),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="gradebook-{course.id}.csv"',
            "Cache-Control": PAGE_HEADERS["Cache-Control"],
        },
    )
