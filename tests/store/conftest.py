"""A migrated SQLite database and a file store in a temp folder, plus users and homework."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from store_helpers import DAY_END, DAY_START, NOON, Submit, publish

from practicum.store import (
    DailyWindow,
    FileStore,
    Submission,
    User,
    create_user,
    record_submission,
    session_scope,
)


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


@pytest.fixture
def users(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """Students ann and bob, staff tara; homework hw1 (accuracy, up) and hw2 (rmse, down)."""
    with session_scope(engine) as session:
        publish(session, "hw1", tmp_path)
        publish(session, "hw2", tmp_path, higher_is_better=False)
        made = [
            create_user(session, name, role)
            for name, role in [("ann", "student"), ("bob", "student"), ("tara", "staff")]
        ]
        return {u.name: u.id for u in made}


@pytest.fixture
def submit(store: FileStore) -> Submit:
    """record_submission with defaults for everything a test does not care about."""

    def call(session: Session, user: User, **kw: Any) -> Submission:
        score = kw.pop("score", 0.5)
        content = kw.pop("content", b"id,label\n0,1\n")
        day = DailyWindow(
            kw.pop("day_start", DAY_START), kw.pop("day_end", DAY_END), kw.pop("daily_limit", None)
        )
        fields: dict[str, Any] = {
            "homework_id": "hw1",
            "filename": "submission.csv",
            "created_at": NOON,
            "public_score": score,
            "private_score": score,
            "full_score": score,
            "status": "scored",
        }
        fields.update(kw)
        return record_submission(
            session, store, Submission(user_id=user.id, **fields), content, day
        )

    return call
