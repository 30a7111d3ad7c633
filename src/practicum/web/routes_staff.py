"""Staff pages: every submission, each homework's publish status, exercises done per lesson,
the gradebook."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from practicum.service import boards, exercises, submissions
from practicum.web.deps import Browser, CourseDep, Pages, ReadDb, StaffPageUser
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
    return pages.page(
        request,
        "staff.html",
        course=course,
        browser=browser,
        user=user,
        homework=boards.homework_status(db, course),
        submissions=submissions.recent_submissions(db, SHOWN_SUBMISSIONS),
        shown=SHOWN_SUBMISSIONS,
        exercises=exercises.done_per_lesson(db, course),
    )


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
