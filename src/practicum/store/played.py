"""Policy submissions waiting for the worker: which to play next, and writing their outcome.

The web only ever inserts a queued row; the worker (another process) reads the queue and
finishes rows here, each in its own short transaction, so a game that takes minutes holds
no lock. Finishing is conditional on the row still being queued: a row is finished once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from practicum.store.models import Homework, Submission


def queued_policies(session: Session, limit: int) -> list[int]:
    """Ids of queued policy submissions, oldest first."""
    query = (
        select(Submission.id)
        .join(Homework, Homework.id == Submission.homework_id)
        .where(Submission.status == "queued", Homework.submission_kind == "policy")
        .order_by(Submission.created_at, Submission.id)
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class Finished:
    """What playing a policy came to: its scores (after the late policy) and status, or
    status "failed" with the message for the student."""

    status: str
    public: float | None = None
    private: float | None = None
    full: float | None = None
    late_note: str | None = None
    message: str | None = None

    def columns(self) -> dict[str, object]:
        """The submission's columns these set."""
        return {
            "status": self.status,
            "public_score": self.public,
            "private_score": self.private,
            "full_score": self.full,
            "late_note": self.late_note,
            "message": self.message,
        }


def finish(session: Session, submission_id: int, finished: Finished) -> bool:
    """Write the outcome of a queued submission; False when it is not queued (any more)."""
    scored = finished.status in ("scored", "late_unranked")
    scores = (finished.public, finished.private, finished.full)
    if scored != all(value is not None for value in scores) or (
        not scored and finished.status != "failed"
    ):
        raise ValueError(f"not a finished submission: {finished}")
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == "queued")
        .values(finished.columns())
    )
    return bool(getattr(result, "rowcount", 0))
