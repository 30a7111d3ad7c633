from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from store_helpers import NOON, Submit

from practicum.store import (
    PickError,
    User,
    gradebook_rows,
    scores_for_leaderboard,
    session_scope,
    set_picks,
    submissions_for,
)


def test_picks_are_limited_to_max_picks_and_the_users_own_on_time_submissions(
    engine: Engine, users: dict[str, int], submit: Submit
) -> None:
    with session_scope(engine) as session:
        ann = session.get_one(User, users["ann"])
        bob = session.get_one(User, users["bob"])
        a1, a2, a3 = (submit(session, ann, score=s).id for s in (0.1, 0.2, 0.3))
        late = submit(session, ann, status="late_unranked", late_note="after deadline").id
        b1 = submit(session, bob).id
        other_hw = submit(session, ann, homework_id="hw2").id

        with pytest.raises(PickError, match="at most 2 final pick"):
            set_picks(session, ann, "hw1", [a1, a2, a3], max_picks=2)
        with pytest.raises(PickError, match=rf"\[{b1}\] are not ann's"):
            set_picks(session, ann, "hw1", [a1, b1], max_picks=2)
        with pytest.raises(PickError, match=rf"\[{other_hw}\] are not ann's"):
            set_picks(session, ann, "hw1", [other_hw], max_picks=2)
        with pytest.raises(PickError, match=r"are not ranked \(late, not played yet, or failed\)"):
            set_picks(session, ann, "hw1", [late], max_picks=2)

        assert [s.id for s in set_picks(session, ann, "hw1", [a1, a2, a1], max_picks=2)] == [a1, a2]
        assert [s.id for s in set_picks(session, ann, "hw1", [a3], max_picks=2)] == [a3]
    with session_scope(engine) as session:
        picked = {s.id for s in submissions_for(session, "hw1") if s.picked}
        assert picked == {a3}
        set_picks(session, session.get_one(User, users["ann"]), "hw1", [], max_picks=2)
    with session_scope(engine) as session:
        assert not any(s.picked for s in submissions_for(session, "hw1"))


def test_leaderboard_rows_carry_author_scores_status_and_picks(
    engine: Engine, users: dict[str, int], submit: Submit
) -> None:
    with session_scope(engine) as session:
        ann = session.get_one(User, users["ann"])
        bob = session.get_one(User, users["bob"])
        later = submit(session, bob, score=0.9, created_at=NOON + timedelta(hours=1)).id
        first = submit(session, ann, public_score=0.6, private_score=0.4).id
        set_picks(session, ann, "hw1", [first], max_picks=1)
        submit(session, ann, homework_id="hw2")
    with session_scope(engine, read_only=True) as session:
        rows = scores_for_leaderboard(session, "hw1")
    assert rows == [
        (first, "ann", NOON, 0.6, 0.4, "scored", True),
        (later, "bob", NOON + timedelta(hours=1), 0.9, 0.9, "scored", False),
    ]
    assert rows[0].user_name == "ann" and rows[0].created_at.tzinfo is not None


def test_gradebook_has_every_student_and_homework_with_best_scores_by_direction(
    engine: Engine, users: dict[str, int], submit: Submit
) -> None:
    with session_scope(engine) as session:
        ann = session.get_one(User, users["ann"])
        for score in (0.7, 0.9, 0.8):
            submit(session, ann, score=score)  # hw1: accuracy, higher is better
        submit(session, ann, score=0.99, status="late_unranked")  # counted, never graded
        for score in (3.0, 1.5, 2.0):
            submit(session, ann, homework_id="hw2", score=score)  # hw2: rmse, lower is better
        submit(session, ann, homework_id="hw2", public_score=1.0, private_score=9.0)
        submit(session, session.get_one(User, users["tara"]), score=1.0)  # staff: not graded
    with session_scope(engine, read_only=True) as session:
        rows = gradebook_rows(session)
    assert rows == [
        {
            "user": "ann",
            "homework": "hw1",
            "submissions": 4,
            "best_public": 0.9,
            "best_private": 0.9,
        },
        {
            "user": "ann",
            "homework": "hw2",
            "submissions": 4,
            "best_public": 1.0,
            "best_private": 1.5,
        },
        {
            "user": "bob",
            "homework": "hw1",
            "submissions": 0,
            "best_public": None,
            "best_private": None,
        },
        {
            "user": "bob",
            "homework": "hw2",
            "submissions": 0,
            "best_public": None,
            "best_private": None,
        },
    ]
