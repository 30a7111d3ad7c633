"""The JSON API, for notebooks and scripts: `Authorization: Bearer <token>` on every call.

No CSRF tokens here: a browser never attaches a bearer token on its own, so another site
cannot make one of these requests in a student's name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from practicum import store
from practicum.course import leaderboard_phase
from practicum.service import boards, exercises, submissions
from practicum.service.answers import AnswerCorrupt, NotPublished, load_answer, submission_spec
from practicum.web.deps import (
    ApiStaff,
    ApiUser,
    Config,
    CourseDep,
    Now,
    WriteDb,
    course_homework,
)
from practicum.web.schemas import (
    ExerciseRecorded,
    ExerciseReportIn,
    Leaderboard,
    Me,
    MySubmission,
    Problem,
    RateLimited,
    Spec,
    StaffSubmission,
    SubmitResult,
)
from practicum.web.submit_deps import SubmitApiUser, SubmitService
from practicum.web.submit_flow import Failure, submit_upload

router = APIRouter(prefix="/api", tags=["api"])

_REFUSALS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "missing, invalid or revoked token"},
    403: {"model": Problem, "description": "homework closed (the message says since when)"},
    404: {"model": Problem, "description": "no such homework, or not published"},
    413: {"model": Problem, "description": "file over the upload limit"},
    422: {"model": Problem, "description": "the file is invalid; the message names the row"},
    429: {
        "model": RateLimited,
        "description": "daily limit reached, or too many uploads within minutes, refused ones "
        "included (see Retry-After; resets_at: when the next one is taken)",
    },
}


@router.post(
    "/homework/{homework_id}/submissions", response_model=SubmitResult, responses=_REFUSALS
)
async def submit(
    request: Request,
    homework_id: str,
    file: Annotated[UploadFile, File(description="submission.csv (or .txt / .npy / policy.pt)")],
    user_id: SubmitApiUser,
    parts: SubmitService,
    now: Now,
) -> Response | SubmitResult:
    """Validate, score and record a submission; answers the public score and rank. A policy
    (policy.pt) is checked and queued (status "queued", no score yet): its games are played
    later, and its submissions show the scores or the failure's message."""
    outcome = await submit_upload(request, parts, homework_id, user_id, file, now)
    if isinstance(outcome, Failure):
        return JSONResponse(
            {"detail": outcome.message, **outcome.extra}, outcome.status, headers=outcome.headers
        )
    return SubmitResult.model_validate(outcome)


@router.get("/homework/{homework_id}/submissions", response_model=list[MySubmission])
def my_submissions(
    homework_id: str, course: CourseDep, user: ApiUser, db: WriteDb, now: Now
) -> list[MySubmission]:
    """The caller's own submissions, oldest first; private scores only after the deadline."""
    homework = course_homework(course, homework_id)
    rows = [MySubmission.model_validate(s) for s in store.submissions_for(db, homework_id, user.id)]
    if leaderboard_phase(homework, now) == "private":
        return rows
    return [row.model_copy(update={"private_score": None}) for row in rows]


@router.get("/homework/{homework_id}/leaderboard", response_model=Leaderboard)
def leaderboard(
    homework_id: str, course: CourseDep, _user: ApiUser, db: WriteDb, now: Now
) -> Leaderboard:
    """Public scores until the deadline, private (final picks honoured) after it."""
    course_homework(course, homework_id)
    return Leaderboard.model_validate(boards.leaderboard(db, course, homework_id, now))


@router.get("/homework/{homework_id}/spec", response_model=Spec, responses=_REFUSALS)
def spec(homework_id: str, config: Config, course: CourseDep, _user: ApiUser) -> Spec:
    """What a valid submission looks like, for checking predictions before uploading;
    max_bytes is this homework's own upload cap (a larger file is refused with 413)."""
    homework = course_homework(course, homework_id)
    try:
        answer = load_answer(config, homework_id)
    except NotPublished as exc:
        raise HTTPException(404, str(exc)) from None
    except AnswerCorrupt:
        raise HTTPException(503, f"homework {homework_id!r} cannot be scored right now") from None
    return Spec.model_validate(submission_spec(homework, answer, max_bytes=config.max_upload_bytes))


_EXERCISE_REFUSALS: dict[int | str, dict[str, object]] = {
    401: _REFUSALS[401],
    422: {"description": "a malformed report, or a lesson the course does not have"},
}


@router.post("/exercises", response_model=ExerciseRecorded, responses=_EXERCISE_REFUSALS)
def record_exercise(
    report: ExerciseReportIn, course: CourseDep, user: ApiUser, db: WriteDb, now: Now
) -> ExerciseRecorded:
    """Record an exercise check a notebook ran; reporting the same result again is harmless,
    and an exercise once done stays done."""
    try:
        exercises.record(
            db, course, exercises.ExerciseReport(user=user, at=now, **report.model_dump())
        )
    except exercises.UnknownLesson as exc:
        raise HTTPException(422, str(exc)) from None
    return ExerciseRecorded()


@router.get("/me", response_model=Me)
def me(user: ApiUser) -> Me:
    return Me.model_validate(user)


@router.get("/staff/submissions", response_model=list[StaffSubmission])
def all_submissions(_staff: ApiStaff, db: WriteDb, limit: int = 500) -> list[StaffSubmission]:
    """Every student's latest submissions with all their scores (staff only)."""
    recent = submissions.recent_submissions(db, min(max(limit, 1), 5000))
    return [StaffSubmission.model_validate(s) for s in recent]
