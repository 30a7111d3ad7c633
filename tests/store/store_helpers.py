"""Fixed times and a homework publisher shared by the store tests (imported by name)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from practicum.store import Submission, record_homework

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY_START = datetime(2026, 12, 1, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)


def publish(
    session: Session,
    homework_id: str,
    tmp: Path,
    *,
    higher_is_better: bool = True,
    submission_kind: str = "labels",
) -> None:
    record_homework(
        session,
        homework_id=homework_id,
        published_at=NOON - timedelta(days=7),
        metric="accuracy" if higher_is_better else "rmse",
        higher_is_better=higher_is_better,
        submission_kind=submission_kind,
        n_items=100,
        split_seed=7,
        split_digest="d" * 64,
        public_count=30,
        private_path=tmp / "private" / homework_id,
        public_dir=tmp / "public" / homework_id,
    )


Submit = Callable[..., Submission]
"""The `submit` fixture: records a submission with sensible defaults."""
