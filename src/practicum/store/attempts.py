"""The per-student upload rate limit: every upload counts, refused ones too.

The daily limit counts scored submissions only, so without this a student could send
invalid or oversized files without end, each one read and parsed by the service. An
attempt is recorded before the file is looked at; at the limit nothing is recorded (a
refused request must not push the retry time further out) and the caller is told when the
oldest attempt in the sliding window ages out. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from practicum.store.models import SubmissionAttempt, User, check_aware

HOMEWORK_ID_LENGTH = 64


def retry_time(times: list[datetime], *, limit: int, window: timedelta) -> datetime | None:
    """None while `times` (the attempts within the window, oldest first) leave room for one
    more; else the moment enough of them age out of the window. More than `limit` happen
    only if the limit was lowered since they were recorded."""
    if len(times) < limit:
        return None
    return times[len(times) - limit] + window


def record_attempt(
    session: Session,
    user_id: int,
    homework_id: str,
    now: datetime,
    *,
    limit: int,
    window: timedelta,
) -> datetime | None:
    """Count one upload of the user's, or say when the next one may come.

    Within `window` before `now` the user may send `limit` uploads. Under it a new attempt
    is recorded and None returned; at it nothing is recorded and the answer is
    `retry_time`. Run in the caller's write transaction: the user's writers are serialised
    (as in `ops.record_submission`), so concurrent uploads cannot both take the last place.
    Attempts older than the window are deleted on the way.
    """
    check_aware(now, "now")
    if limit < 1 or window <= timedelta(0):
        raise ValueError(f"a rate limit needs limit >= 1 and a positive window: {limit}, {window}")
    # PostgreSQL locks the user's row; SQLite's BEGIN IMMEDIATE already serialises writers.
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    mine = SubmissionAttempt.user_id == user_id
    session.execute(delete(SubmissionAttempt).where(mine, SubmissionAttempt.at <= now - window))
    oldest_first = select(SubmissionAttempt.at).where(mine).order_by(SubmissionAttempt.at)
    retry_at = retry_time(list(session.scalars(oldest_first)), limit=limit, window=window)
    if retry_at is None:
        homework_id = homework_id[:HOMEWORK_ID_LENGTH]
        session.add(SubmissionAttempt(user_id=user_id, homework_id=homework_id, at=now))
        session.flush()
    return retry_at


def attempt_count(session: Session, user_id: int) -> int:
    """Attempts on record for one user (for tests and operators)."""
    mine = SubmissionAttempt.user_id == user_id
    return session.scalar(select(func.count()).select_from(SubmissionAttempt).where(mine)) or 0
