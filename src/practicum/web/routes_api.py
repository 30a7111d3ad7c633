"""The JSON API, for notebooks and scripts: `Authorization: Bearer <token>` on every call.

No CSRF tokens here: a browser never attaches a bearer token on its own, so another site
cannot make one of these requests in a student's name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.responses import JSONResponse, Response

from practicum import store
from practicum.course import leaderboard_phase
from practicum.service import boards, submissions
from practicum.service.answers import AnswerCorrupt, NotPublished, load_answer, submission_spec
from practicum.web.deps import (
    ApiStaff,
    ApiUser,
    Config,
    CourseDep,
    Files,
    Now,
    WriteDb,
    course_homework,
)
from practicum.web.errors import Failure, take_submission
from practicum.web.schemas import (
    Leaderboard,
    LeaderboardEntry,
    Me,
    MySubmission,
    Problem,
    RateLimited,
    Spec,
    StaffSubmission,
    SubmitResult,
)

router = APIRouter(prefix="/api", tags=["api"])

_REFUSALS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "missing, invalid or revoked token"},
    403: {"model": Problem, "description": "homework closed (the message says since when)"},
    404: {"model": Problem, "description": "no such homework, or not published"},
    413: {"model": Problem, "description": "file over the upload limit"},
    422: {"model": Problem, "description": "the file is invalid; the message names the row"},
    429: {"model": RateLimited, "description": "daily limit reached (see Retry-After)"},
}


@router.post(
    "/homework/{homework_id}/submissions", response_model=SubmitResult, responses=_REFUSALS
)
def submit(
    homework_id: str,
    file: Annotated[UploadFile, File(description="submission.csv (or .txt / .npy)")],
    config: Config,
    files: Files,
    course: CourseDep,
    user: ApiUser,
    db: WriteDb,
    now: Now,
) -> Response | SubmitResult:
    """Validate, score and record a submission; answers the public score and rank."""
    outcome = take_submission(
        file.file,
        file.filename or "",
        db=db,
        files=files,
        config=config,
        course=course,
        homework_id=homework_id,
        user=user,
        now=now,
    )
    if isinstance(outcome, Failure):
        return JSONResponse(
            {"detail": outcome.message, **outcome.extra}, outcome.status, headers=outcome.headers
        )
    return SubmitResult(
        submission_id=outcome.submission_id,
        public_score=outcome.public_score,
        rank=outcome.rank,
        n_ranked=outcome.n_ranked,
        remaining_today=outcome.remaining_today,
        resets_at=outcome.resets_at,
        timezone=course.timezone.key,
        status=outcome.status,
        late_note=outcome.late_note,
    )


@router.get("/homework/{homework_id}/submissions", response_model=list[MySubmission])
def my_submissions(
    homework_id: str, course: CourseDep, user: ApiUser, db: WriteDb, now: Now
) -> list[MySubmission]:
    """The caller's own submissions, oldest first; private scores only after the deadline."""
    homework = course_homework(course, homework_id)
    after = leaderboard_phase(homework, now) == "private"
    return [
        MySubmission(
            id=s.id,
            created_at=s.created_at,
            filename=s.filename,
            status=s.status,
            public_score=s.public_score,
            private_score=s.private_score if after else None,
            late_note=s.late_note,
            picked=s.picked,
        )
        for s in store.submissions_for(db, homework_id, user.id)
    ]


@router.get("/homework/{homework_id}/leaderboard", response_model=Leaderboard)
def leaderboard(
    homework_id: str, course: CourseDep, _user: ApiUser, db: WriteDb, now: Now
) -> Leaderboard:
    """Public scores until the deadline, private (final picks honoured) after it."""
    course_homework(course, homework_id)
    board = boards.leaderboard(db, course, homework_id, now)
    return Leaderboard(
        homework=homework_id,
        phase=board.phase,
        metric=board.metric,
        higher_is_better=board.higher_is_better,
        cutoff=board.cutoff,
        rows=[
            LeaderboardEntry(
                rank=row.rank,
                student=row.student,
                score=row.score,
                entries=row.entries,
                submitted_at=row.submitted_at,
            )
            for row in board.rows
        ],
    )


@router.get("/homework/{homework_id}/spec", response_model=Spec, responses=_REFUSALS)
def spec(homework_id: str, config: Config, course: CourseDep, _user: ApiUser) -> Spec:
    """What a valid submission looks like, for checking predictions before uploading."""
    homework = course_homework(course, homework_id)
    try:
        answer = load_answer(config, homework_id)
    except NotPublished as exc:
        raise HTTPException(404, str(exc)) from None
    except AnswerCorrupt:
        raise HTTPException(503, f"homework {homework_id!r} cannot be scored right now") from None
    found = submission_spec(homework, answer, max_bytes=config.max_upload_bytes)
    return Spec(
        kind=found.kind,
        n_items=found.n_items,
        n_classes=found.n_classes,
        image_shape=list(found.image_shape) if found.image_shape else None,
        max_bytes=found.max_bytes,
    )


@router.get("/me", response_model=Me)
def me(user: ApiUser) -> Me:
    return Me(name=user.name, role=user.role)


@router.get("/staff/submissions", response_model=list[StaffSubmission])
def all_submissions(_staff: ApiStaff, db: WriteDb, limit: int = 500) -> list[StaffSubmission]:
    """Every student's latest submissions with all their scores (staff only)."""
    return [
        StaffSubmission(
            id=s.id,
            homework=s.homework_id,
            student=s.user.name,
            created_at=s.created_at,
            filename=s.filename,
            status=s.status,
            public_score=s.public_score,
            private_score=s.private_score,
            full_score=s.full_score,
            late_note=s.late_note,
            picked=s.picked,
        )
        for s in submissions.recent_submissions(db, min(max(limit, 1), 5000))
    ]
