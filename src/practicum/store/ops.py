"""Homework, submissions, picks, leaderboard and gradebook: plain functions over a `Session`.

None of them commits: the caller's `session_scope` does, so that a web request is one
transaction. Times are passed in (`created_at`, `now`); where `now` may be omitted the
current UTC time is used, as documented on the function.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TypedDict

from sqlalchemy import and_, case, delete, func, insert, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from practicum.store.errors import (
    DailyLimitReached,
    InvalidName,
    PickError,
    StoreError,
    UnknownHomework,
)
from practicum.store.files import FileStore
from practicum.store.models import (
    SCORED_STATUSES,
    SUBMISSION_STATUSES,
    Homework,
    StoredFile,
    Submission,
    User,
    check_aware,
    utcnow,
)

HOMEWORK_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
GC_MIN_AGE = timedelta(hours=1)

# Changing any of these after students have submitted would make their scores meaningless.
_SCORING_FIELDS = (
    "metric",
    "higher_is_better",
    "submission_kind",
    "n_items",
    "split_seed",
    "split_digest",
    "public_count",
)


def record_homework(
    session: Session,
    *,
    homework_id: str,
    published_at: datetime,
    metric: str,
    higher_is_better: bool,
    submission_kind: str,
    n_items: int,
    split_seed: int,
    split_digest: str,
    public_count: int,
    private_path: str | Path,
    public_dir: str | Path,
) -> Homework:
    """Create or update a published homework.

    Refuses to change how a homework is scored once it has submissions, and refuses a
    private path inside the public folder (the hidden labels would be readable by all).
    """
    if not HOMEWORK_ID.fullmatch(homework_id):
        raise InvalidName(f"homework id {homework_id!r} must match {HOMEWORK_ID.pattern}")
    if not 0 < public_count < n_items:
        raise ValueError(
            f"homework {homework_id!r}: public_count must be between 1 and n_items - 1 "
            f"({n_items - 1}); got {public_count}"
        )
    private, public = Path(private_path).resolve(), Path(public_dir).resolve()
    if private == public or public in private.parents:
        raise ValueError(
            f"homework {homework_id!r}: private_path {private} lies inside the public folder "
            f"{public}; hidden labels must live in private storage"
        )
    fields: dict[str, Any] = {
        "published_at": published_at,
        "metric": metric,
        "higher_is_better": higher_is_better,
        "submission_kind": submission_kind,
        "n_items": n_items,
        "split_seed": split_seed,
        "split_digest": split_digest,
        "public_count": public_count,
        "private_path": str(private),
        "public_dir": str(public),
    }
    homework = session.get(Homework, homework_id)
    if homework is None:
        homework = Homework(id=homework_id, **fields)
        session.add(homework)
    else:
        changed = [f for f in _SCORING_FIELDS if getattr(homework, f) != fields[f]]
        count = session.scalar(select(func.count()).where(Submission.homework_id == homework_id))
        if changed and count:
            raise StoreError(
                f"homework {homework_id!r} already has {count} submission(s); refusing to "
                f"change {', '.join(changed)} (publish it under a new id instead)"
            )
        for key, value in fields.items():
            setattr(homework, key, value)
    session.flush()
    return homework


def _lock_user(session: Session, user_id: int) -> None:
    """Serialise this user's writers until the transaction ends.

    PostgreSQL locks the user's row. On SQLite FOR UPDATE is not rendered: there the
    engine's BEGIN IMMEDIATE already holds the database's single write lock.
    """
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _insert_file_row(session: Session, digest: str, size: int, now: datetime) -> None:
    """Record the blob, or nothing if another submission already recorded the same bytes."""
    values = {"sha256": digest, "size": size, "created_at": now}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(StoredFile).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(StoredFile).values(values).on_conflict_do_nothing())
    elif session.get(StoredFile, digest) is None:
        session.execute(insert(StoredFile).values(values))


@dataclass(frozen=True)
class DailyWindow:
    """The day a new submission counts in, [start, end), and how many one user may make
    in it for one homework (None: no limit); `end` is when the count starts again."""

    start: datetime
    end: datetime
    limit: int | None = None


def _check_new(submission: Submission, day: DailyWindow) -> None:
    """Refuse a row the database would store but no reader could trust."""
    if submission.status not in SUBMISSION_STATUSES:
        raise ValueError(
            f"status must be one of {', '.join(SUBMISSION_STATUSES)}; got {submission.status!r}"
        )
    _check_scores(submission)
    if len(submission.filename) > 255:
        raise ValueError(
            f"file name is {len(submission.filename)} characters long; at most 255 allowed"
        )
    check_aware(submission.created_at, "created_at")
    check_aware(day.start, "day_start")
    check_aware(day.end, "day_end")
    if not day.start <= submission.created_at < day.end:
        raise ValueError(
            f"created_at {submission.created_at.isoformat()} is outside the daily window "
            f"[{day.start.isoformat()}, {day.end.isoformat()})"
        )


def _check_scores(submission: Submission) -> None:
    """Scored rows have three finite scores; queued and failed ones none at all."""
    scores = {
        "public": submission.public_score,
        "private": submission.private_score,
        "full": submission.full_score,
    }
    if submission.status not in SCORED_STATUSES:
        if any(value is not None for value in scores.values()):
            raise ValueError(f"a {submission.status} submission has no scores; got {scores}")
        return
    bad = {
        name: value for name, value in scores.items() if value is None or not math.isfinite(value)
    }
    if bad:
        raise ValueError(f"submission scores must be finite numbers; got {bad}")


def record_submission(
    session: Session, files: FileStore, submission: Submission, content: bytes, day: DailyWindow
) -> Submission:
    """Store a scored (or queued) submission, all or nothing, within the daily limit.

    `submission` is a new, unsaved row (its `file_sha256` is set here); `content` is its
    file. The blob is written first (outside any lock; content-addressed, so an orphan left
    by a failure below is harmless and `gc_blobs` removes it). Then, in the caller's
    transaction, the user's writers are serialised, the user's submissions to the homework
    in `day` are counted and the row is inserted: concurrent calls can neither exceed
    `day.limit` nor double-count. Over the limit raises `DailyLimitReached`, whose
    `resets_at` is `day.end`.
    """
    _check_new(submission, day)
    submission.file_sha256 = files.put(content)

    _lock_user(session, submission.user_id)
    if session.get(Homework, submission.homework_id) is None:
        raise UnknownHomework(submission.homework_id)
    if day.limit is not None:
        used = session.scalar(
            select(func.count()).where(
                Submission.homework_id == submission.homework_id,
                Submission.user_id == submission.user_id,
                Submission.created_at >= day.start,
                Submission.created_at < day.end,
            )
        )
        if (used or 0) >= day.limit:
            raise DailyLimitReached(submission.homework_id, day.limit, day.end)
    _insert_file_row(session, submission.file_sha256, len(content), submission.created_at)
    submission.picked = False
    session.add(submission)
    session.flush()
    return submission


def submissions_for(
    session: Session, homework_id: str, user_id: int | None = None
) -> list[Submission]:
    """Submissions of a homework (of one user, if given), oldest first."""
    query = select(Submission).where(Submission.homework_id == homework_id)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    return list(session.scalars(query.order_by(Submission.created_at, Submission.id)))


def latest_public_scores(session: Session, user_id: int) -> dict[str, float]:
    """Each homework's public score of the user's latest scored submission (the dashboard's
    "your score" column: what the notebook just printed, seen again on the course site)."""
    latest = (
        select(Submission.homework_id, func.max(Submission.id).label("last"))
        .where(Submission.user_id == user_id, Submission.status.in_(SCORED_STATUSES))
        .group_by(Submission.homework_id)
        .subquery()
    )
    rows = session.execute(
        select(Submission.homework_id, Submission.public_score).join(
            latest, Submission.id == latest.c.last
        )
    )
    return {homework_id: score for homework_id, score in rows if score is not None}


def set_picks(
    session: Session,
    user: User,
    homework_id: str,
    submission_ids: Iterable[int],
    max_picks: int,
) -> list[Submission]:
    """Make exactly `submission_ids` the user's final picks for the homework.

    Only the user's own, on-time submissions can be picked, at most `max_picks` of them;
    an empty list clears the picks.
    """
    wanted = list(dict.fromkeys(submission_ids))
    if len(wanted) > max_picks:
        raise PickError(
            f"at most {max_picks} final pick(s) allowed for homework {homework_id!r}; "
            f"got {len(wanted)}"
        )
    _lock_user(session, user.id)
    own = {s.id: s for s in submissions_for(session, homework_id, user.id)}
    foreign = [i for i in wanted if i not in own]
    if foreign:
        raise PickError(
            f"submission(s) {foreign} are not {user.name}'s submissions for homework "
            f"{homework_id!r}"
        )
    unranked = [i for i in wanted if own[i].status != "scored"]
    if unranked:
        raise PickError(
            f"submission(s) {unranked} are not ranked (late, not played yet, or failed); "
            "pick others"
        )
    for submission in own.values():
        submission.picked = submission.id in wanted
    session.flush()
    return [own[i] for i in wanted]


class LeaderboardRow(NamedTuple):
    submission_id: int
    user_name: str
    created_at: datetime
    public_score: float | None
    private_score: float | None
    """None unless scored (see SCORED_STATUSES)."""
    status: str
    picked: bool


def scores_for_leaderboard(session: Session, homework_id: str) -> list[LeaderboardRow]:
    """Every submission's scores with its author, oldest first; ranking is the caller's."""
    rows = session.execute(
        select(
            Submission.id,
            User.name,
            Submission.created_at,
            Submission.public_score,
            Submission.private_score,
            Submission.status,
            Submission.picked,
        )
        .join(User, User.id == Submission.user_id)
        .where(Submission.homework_id == homework_id)
        .order_by(Submission.created_at, Submission.id)
    )
    return [LeaderboardRow(*row) for row in rows]


class GradebookRow(TypedDict):
    user: str
    homework: str
    submissions: int
    best_public: float | None
    best_private: float | None


def _best(score: InstrumentedAttribute[float | None]) -> ColumnElement[float | None]:
    # Late submissions are counted but never graded; best follows the metric's direction.
    on_time = case((Submission.status == "scored", score))
    return case(
        (Homework.higher_is_better, func.max(on_time)),
        else_=func.min(on_time),
    )


def gradebook_rows(session: Session) -> list[GradebookRow]:
    """One row per student and published homework, also where nothing was submitted."""
    rows = session.execute(
        select(
            User.name,
            Homework.id,
            func.count(Submission.id),
            _best(Submission.public_score),
            _best(Submission.private_score),
        )
        .select_from(User)
        .join(Homework, true())
        .outerjoin(
            Submission,
            and_(Submission.user_id == User.id, Submission.homework_id == Homework.id),
        )
        .where(User.role == "student")
        .group_by(User.id, User.name, Homework.id, Homework.higher_is_better)
        .order_by(User.name, Homework.id)
    )
    return [
        GradebookRow(
            user=name, homework=hw, submissions=count, best_public=public, best_private=private
        )
        for name, hw, count, public, private in rows
    ]


def gc_blobs(
    session: Session,
    store: FileStore,
    *,
    min_age: timedelta = GC_MIN_AGE,
    now: datetime | None = None,
) -> list[str]:
    """Delete blobs and file rows no submission references; return the removed digests.

    Blobs written or re-put within `min_age` before `now` (default: the current time) are
    spared: they may belong to a submission whose transaction has not committed yet.
    """
    now = now or utcnow()
    referenced = select(Submission.file_sha256)
    session.execute(delete(StoredFile).where(StoredFile.sha256.not_in(referenced)))
    keep = set(session.scalars(referenced.distinct()))
    cutoff = now.timestamp()
    removed = []
    for digest in store.digests():
        if digest in keep or store.age_seconds(digest, cutoff) < min_age.total_seconds():
            continue
        if store.delete(digest):
            removed.append(digest)
    return removed
