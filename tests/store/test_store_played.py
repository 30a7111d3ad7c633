"""Policy submissions wait unscored (queued) until the worker finishes them, once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from store_helpers import NOON, Submit, publish

from practicum.store import (
    Finished,
    Submission,
    User,
    finish,
    queued_policies,
    session_scope,
)


def test_queued_policies_wait_oldest_first_and_are_finished_once(
    engine: Engine, users: dict[str, int], submit: Submit, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        publish(session, "pol", tmp_path, submission_kind="policy")
    with session_scope(engine) as session:
        ann, bob = (session.get(User, users[name]) for name in ("ann", "bob"))
        assert ann is not None and bob is not None
        later = submit(
            session, bob, homework_id="pol", status="queued", score=None, created_at=NOON
        ).id
        first = submit(
            session,
            ann,
            homework_id="pol",
            status="queued",
            score=None,
            created_at=NOON - timedelta(minutes=1),
        ).id
        submit(session, ann)  # a scored labels submission: never in the queue
    with session_scope(engine) as session:
        assert queued_policies(session, limit=10) == [first, later]
        assert queued_policies(session, limit=1) == [first]
        assert finish(session, first, Finished("scored", 1.0, 2.0, 1.7))
        assert not finish(session, first, Finished("failed", message="again")), "finished once"
        assert finish(session, later, Finished("failed", message="it hung"))
    with session_scope(engine, read_only=True) as session:
        assert queued_policies(session, limit=10) == []
        rows = {
            row.id: (row.status, row.public_score, row.private_score, row.full_score, row.message)
            for row in session.query(Submission).filter(Submission.homework_id == "pol")
        }
    assert rows == {
        first: ("scored", 1.0, 2.0, 1.7, None),
        later: ("failed", None, None, None, "it hung"),
    }


def test_scores_go_with_scored_statuses_only(
    engine: Engine, users: dict[str, int], submit: Submit, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        publish(session, "pol", tmp_path, submission_kind="policy")
    with session_scope(engine) as session:
        ann = session.get(User, users["ann"])
        assert ann is not None
        with pytest.raises(ValueError, match="a queued submission has no scores"):
            submit(session, ann, homework_id="pol", status="queued", score=1.0)
        with pytest.raises(ValueError, match="must be finite numbers"):
            submit(session, ann, homework_id="pol", status="scored", score=None)
        with pytest.raises(ValueError, match="not a finished submission"):
            finish(session, 1, Finished("scored", 1.0, None, 1.0))
        with pytest.raises(ValueError, match="not a finished submission"):
            finish(session, 1, Finished("queued"))
