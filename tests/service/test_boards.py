"""Leaderboards at a moment, and the gradebook, from stored scores."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from db_backends import Databases
from tiny_homework import (
    AFTER,
    BEFORE,
    HW,
    UNPUBLISHED,
    State,
    forget_submissions,
    homework_with,
    open_state,
)

from practicum import store
from practicum.course import Course, RefreshPolicy
from practicum.service import boards


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[State]:
    found = open_state(
        tmp_path_factory.mktemp("boards"),
        {"ann": "student", "bob": "student", "cat": "student", "tara": "staff"},
        databases,
    )
    yield found
    found.engine.dispose()


@pytest.fixture(autouse=True)
def _no_submissions(state: State) -> Iterator[None]:
    yield
    forget_submissions(state.engine, state.files)


def record(
    state: State,
    name: str,
    public: float,
    private: float,
    at: datetime = BEFORE,
    *,
    status: str = "scored",
) -> int:
    """A submission with exactly these scores (the grader is tested elsewhere)."""
    with store.session_scope(state.engine) as session:
        row = store.Submission(
            homework_id=HW,
            user_id=state.user(session, name).id,
            filename="s.csv",
            created_at=at,
            public_score=public,
            private_score=private,
            full_score=(public + private) / 2,
            status=status,
        )
        content = f"{name} {public} {private} {at}".encode()
        day = store.DailyWindow(at - timedelta(hours=1), at + timedelta(hours=1))
        return store.record_submission(session, state.files, row, content, day).id


def pick(state: State, name: str, *ids: int) -> None:
    with store.session_scope(state.engine) as session:
        store.set_picks(session, state.user(session, name), HW, ids, max_picks=1)


def board(state: State, now: datetime, course: Course | None = None) -> boards.Board:
    with store.session_scope(state.engine, read_only=True) as session:
        return boards.leaderboard(session, course or state.course, HW, now)


def standings(found: boards.Board) -> list[tuple[str, float, int]]:
    return [(row.student, row.score, row.entries) for row in found.rows]


def test_public_board_ranks_public_scores_until_the_deadline(state: State) -> None:
    record(state, "ann", 0.6, 0.9)
    record(state, "bob", 0.8, 0.1)
    record(state, "ann", 0.7, 0.2, BEFORE + timedelta(hours=1))
    found = board(state, BEFORE + timedelta(hours=2))
    assert (found.phase, found.cutoff) == ("public", BEFORE + timedelta(hours=2))
    assert standings(found) == [("bob", 0.8, 1), ("ann", 0.7, 2)]
    assert [row.rank for row in found.rows] == [1, 2]


def test_private_board_decides_after_the_deadline_with_picks(state: State) -> None:
    ann_best = record(state, "ann", 0.6, 0.9)
    ann_pick = record(state, "ann", 0.9, 0.3, BEFORE + timedelta(hours=1))
    record(state, "bob", 0.8, 0.5)
    record(state, "cat", 0.1, 0.4)
    assert standings(board(state, AFTER)) == [("ann", 0.9, 2), ("bob", 0.5, 1), ("cat", 0.4, 1)]
    pick(state, "ann", ann_pick)
    found = board(state, AFTER)
    assert (found.phase, found.cutoff) == ("private", None)
    assert standings(found) == [("bob", 0.5, 1), ("cat", 0.4, 1), ("ann", 0.3, 2)]
    assert found.rows[2].submission_id == ann_pick != ann_best
    no_picks = homework_with(state.course, final_picks=0)  # then the best counts anyway
    assert standings(board(state, AFTER, no_picks))[0] == ("ann", 0.9, 2)


def test_ties_go_to_whoever_submitted_first(state: State) -> None:
    record(state, "bob", 0.5, 0.5, BEFORE + timedelta(minutes=5))
    record(state, "ann", 0.5, 0.5, BEFORE)
    record(state, "cat", 0.5, 0.5, BEFORE + timedelta(minutes=1))
    for now in (BEFORE + timedelta(hours=1), AFTER):
        assert [row.student for row in board(state, now).rows] == ["ann", "cat", "bob"]


def test_late_unranked_submissions_are_on_no_board(state: State) -> None:
    record(state, "ann", 0.5, 0.5)
    record(state, "bob", 0.99, 0.99, AFTER, status="late_unranked")
    record(state, "ann", 1.0, 1.0, AFTER, status="late_unranked")
    assert standings(board(state, AFTER + timedelta(hours=1))) == [("ann", 0.5, 1)]


def test_a_daily_refresh_shows_the_board_of_the_last_refresh(state: State) -> None:
    daily = homework_with(state.course, leaderboard_refresh=RefreshPolicy.parse("daily 09:00"))
    morning = BEFORE.replace(hour=8)
    record(state, "ann", 0.5, 0.5, morning)
    record(state, "bob", 0.9, 0.9, morning + timedelta(hours=2))
    found = board(state, BEFORE, daily)
    assert found.cutoff == BEFORE.replace(hour=9)
    assert standings(found) == [("ann", 0.5, 1)]
    assert board(state, morning, daily).rows == []  # the last refresh was yesterday
    assert [r.student for r in board(state, BEFORE + timedelta(days=1), daily).rows] == [
        "bob",
        "ann",
    ]


def test_unpublished_homework_has_an_empty_board_and_unknown_ones_none(state: State) -> None:
    with store.session_scope(state.engine, read_only=True) as session:
        assert boards.leaderboard(session, state.course, UNPUBLISHED, BEFORE).rows == []
        with pytest.raises(KeyError):
            boards.leaderboard(session, state.course, "no-such-homework", BEFORE)


def test_homework_status_counts_submissions(state: State) -> None:
    record(state, "ann", 0.5, 0.5)
    record(state, "bob", 0.5, 0.5, status="late_unranked")
    with store.session_scope(state.engine, read_only=True) as session:
        found = {
            s.homework.id: (s.published is not None, s.submissions)
            for s in boards.homework_status(session, state.course)
        }
    assert found == {HW: (True, 2), UNPUBLISHED: (False, 0)}


def gradebook(state: State) -> dict[str, dict[str, str]]:
    with store.session_scope(state.engine, read_only=True) as session:
        text = boards.gradebook_csv(session, state.course)
    return {row["student"]: row for row in csv.DictReader(io.StringIO(text))}


def test_gradebook_judges_completion_on_the_score_that_ranks(state: State) -> None:
    record(state, "ann", 0.9, 0.95)
    weak = record(state, "ann", 0.95, 0.5, BEFORE + timedelta(hours=1))
    record(state, "bob", 0.7, 0.65)
    record(state, "bob", 1.0, 1.0, AFTER, status="late_unranked")
    found = gradebook(state)
    assert set(found) == {"ann", "bob", "cat"}
    assert found["ann"][f"{HW}:final"] == "0.95" and found["ann"]["complete"] == "yes"
    assert found["bob"][f"{HW}:submissions"] == "2"  # the late one counts as a submission...
    assert found["bob"][f"{HW}:best_private"] == "0.65"  # ...but not as a score
    assert (found["bob"][f"{HW}:target_reached"], found["bob"]["complete"]) == ("yes", "yes")
    assert (found["cat"][f"{HW}:best_public"], found["cat"]["missing"]) == ("", HW)

    pick(state, "ann", weak)  # picking a weaker submission is the student's call
    ann = gradebook(state)["ann"]
    assert (ann[f"{HW}:best_private"], ann[f"{HW}:final"]) == ("0.95", "0.5")
    assert (ann[f"{HW}:target_reached"], ann["complete"], ann["missing"]) == ("no", "no", HW)
