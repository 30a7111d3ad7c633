"""Pages for students: the course, a homework (task, data, upload, my submissions), its
leaderboard, and downloading one's own submitted files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import anyio
from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from practicum import store
from practicum.course import Course, is_open, lateness, open_lessons
from practicum.grading.policy_sandbox import MAX_POLICY_BYTES
from practicum.grading.submission import format_size
from practicum.service import boards, submissions
from practicum.settings.service import ServiceConfig
from practicum.web.deps import (
    Browser,
    Config,
    CourseDep,
    Files,
    FormUser,
    Now,
    PageUser,
    ReadDb,
    WriteDb,
    course_homework,
    get_codec,
    get_renderer,
)
from practicum.web.pages import base_path
from practicum.web.routes_credits import HubServers, dashboard_panel
from practicum.web.security import WebSession
from practicum.web.submit_deps import SubmitFormUser, SubmitService
from practicum.web.submit_flow import Failure, submit_upload

router = APIRouter(include_in_schema=False)

FORMAT_HELP = {
    "labels": "a CSV file with the header <code>id,label</code> and one row per test item: "
    "ids 0 to {last}, each once, labels 0 to {top_label}",
    "regression": "a CSV file with the header <code>id,value</code> and one row per test item: "
    "ids 0 to {last}, each once, finite numbers",
    "tokens": "a UTF-8 text file of {n} lines, line <i>i</i> the output for test item <i>i</i>, "
    "tokens separated by spaces",
    "images": "a <code>.npy</code> array of {n} images, item <i>i</i> the image for test "
    "item <i>i</i>: uint8 pixels 0..255 or floats in 0..1 (or a CSV of {n} rows without header)",
    "policy": "a TorchScript file of at most {max_size}, saved with "
    '<code>torch.jit.save(torch.jit.script(policy), "policy.pt")</code>: it takes uint8 '
    "observations (N, 4, 84, 84) and returns action logits (N, 4). The service plays {n} "
    "whole games with it in a sandbox, with limits on time and memory: your submission is "
    "queued, and its score appears here once its games are played",
}


@router.get("/")
def home(
    request: Request,
    course: CourseDep,
    user: PageUser,
    servers: HubServers,
    browser: Browser,
    db: ReadDb,
    now: Now,
) -> Response:
    """The course; behind JupyterHub also the student's credits, server and GPU queue."""
    notice = browser.notice
    if notice:
        browser = browser.with_notice(None)
    return get_renderer(request).page(
        request,
        "home.html",
        course=course,
        browser=browser,
        user=user,
        open_numbers={lesson.number for lesson in open_lessons(course, now)},
        homework=boards.homework_status(db, course),
        my_scores=store.latest_public_scores(db, user.id),
        lateness={hw_id: lateness(hw, now).status for hw_id, hw in course.homework.items()},
        now=now,
        credits=dashboard_panel(request, db, user, servers, now),
        notice=notice,
    )


def homework_page(
    request: Request,
    *,
    db: Session,
    config: ServiceConfig,
    course: Course,
    user: store.User,
    browser: WebSession,
    now: datetime,
    homework_id: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The homework page; also the answer to a refused upload, with the reason on it."""
    homework = course_homework(course, homework_id)
    record = db.get(store.Homework, homework_id)
    mine = store.submissions_for(db, homework_id, user.id)
    board = boards.leaderboard(db, course, homework_id, now)
    data_dir = config.shared_dir / homework_id
    n_items = record.n_items if record else 0
    return get_renderer(request).page(
        request,
        "homework.html",
        course=course,
        browser=browser,
        user=user,
        status_code=status_code,
        headers=headers,
        hw=homework,
        record=record,
        mine=mine,
        latest=mine[-1] if mine else None,
        my_row=next((row for row in board.rows if row.student == user.name), None),
        board=board,
        allowance=submissions.allowance(db, course, homework, user, now),
        is_open=is_open(homework, now),
        late=lateness(homework, now),
        picks_open=bool(record and homework.final_picks and board.phase == "public"),
        failed=browser.failed[1] if browser.failed and browser.failed[0] == homework_id else "",
        data_dir=data_dir,
        data_files=_files_in(data_dir),
        format_help=Markup(FORMAT_HELP[homework.submission]).format(
            n=n_items,
            last=n_items - 1,
            top_label=(homework.n_classes or 0) - 1,
            max_size=format_size(min(config.max_upload_bytes, MAX_POLICY_BYTES)),
        ),
        submitted=request.query_params.get("submitted", ""),
    )


def _files_in(folder: Path) -> list[tuple[str, int]]:
    if not folder.is_dir():
        return []
    return sorted((p.name, p.stat().st_size) for p in folder.iterdir() if p.is_file())


@router.get("/homework/{homework_id}")
def homework(
    request: Request,
    homework_id: str,
    config: Config,
    course: CourseDep,
    user: PageUser,
    browser: Browser,
    db: ReadDb,
    now: Now,
) -> Response:
    return homework_page(
        request,
        db=db,
        config=config,
        course=course,
        user=user,
        browser=browser,
        now=now,
        homework_id=homework_id,
    )


@router.post("/homework/{homework_id}/submissions")
async def submit(
    request: Request,
    homework_id: str,
    file: Annotated[UploadFile, File()],
    user_id: SubmitFormUser,
    browser: Browser,
    parts: SubmitService,
    now: Now,
) -> Response:
    """Take an upload from the form; a refusal re-renders the page with the reason."""
    course_homework(parts.course, homework_id)
    outcome = await submit_upload(request, parts, homework_id, user_id, file, now)
    if isinstance(outcome, Failure):
        if outcome.status == 404:
            raise HTTPException(404, outcome.message)
        named = f"{submissions.safe_filename(file.filename)}: {outcome.message}"

        def refused_page() -> Response:
            with store.session_scope(parts.engine, read_only=True) as db:
                user = db.get(store.User, user_id)
                if user is None:
                    raise HTTPException(401, "the account no longer exists")
                return homework_page(
                    request,
                    db=db,
                    config=parts.config,
                    course=parts.course,
                    user=user,
                    browser=browser.with_failure((homework_id, named)),
                    now=now,
                    homework_id=homework_id,
                    status_code=outcome.status,
                    headers=outcome.headers,
                )

        return await anyio.to_thread.run_sync(refused_page)
    target = f"{base_path(request)}/homework/{homework_id}?submitted={outcome.submission_id}#score"
    response = RedirectResponse(target, status_code=303)
    if browser.failed:
        get_codec(request).store(response, request, browser.with_failure(None))
    return response


@router.post("/homework/{homework_id}/picks")
def save_picks(
    request: Request,
    homework_id: str,
    course: CourseDep,
    user: FormUser,
    db: WriteDb,
    now: Now,
    pick: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Make the ticked submissions the ones the private leaderboard ranks."""
    homework = course_homework(course, homework_id)
    if homework.final_picks == 0:
        raise HTTPException(400, f"homework {homework_id!r} ranks each student's best submission")
    if boards.leaderboard(db, course, homework_id, now).phase != "public":
        raise HTTPException(403, "final picks cannot change after the deadline")
    try:
        store.set_picks(db, user, homework_id, pick or [], homework.final_picks)
    except store.PickError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(
        f"{base_path(request)}/homework/{homework_id}#my-submissions", status_code=303
    )


@router.get("/homework/{homework_id}/leaderboard")
def leaderboard(
    request: Request,
    homework_id: str,
    course: CourseDep,
    user: PageUser,
    browser: Browser,
    db: ReadDb,
    now: Now,
) -> Response:
    homework = course_homework(course, homework_id)
    return get_renderer(request).page(
        request,
        "leaderboard.html",
        course=course,
        browser=browser,
        user=user,
        hw=homework,
        board=boards.leaderboard(db, course, homework_id, now),
        published=db.get(store.Homework, homework_id) is not None,
    )


@router.get("/submissions/{submission_id}/file")
def download(submission_id: int, user: PageUser, db: ReadDb, files: Files) -> Response:
    """A student's own file (staff: anyone's); anything else is 'not found'."""
    try:
        submission = submissions.own_submission(db, user, submission_id)
        content = files.read(submission.file_sha256)
    except (LookupError, store.BlobMissing):
        raise HTTPException(404, f"submission {submission_id} not found") from None
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": attachment(submission.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


def attachment(filename: str) -> str:
    """A download header that no file name can break out of (RFC 6266 with an ASCII twin)."""
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
