"""The per-student upload rate limit's bookkeeping: a sliding window of attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from store_helpers import NOON

from practicum.store import SubmissionAttempt, record_attempt, session_scope
from practicum.store.attempts import attempt_count, retry_time

WINDOW = timedelta(minutes=10)
LIMIT = 3


def _try(engine: Engine, user_id: int, at: datetime, homework_id: str = "hw1") -> datetime | None:
    with session_scope(engine) as session:
        return record_attempt(session, user_id, homework_id, at, limit=LIMIT, window=WINDOW)


def _count(engine: Engine, user_id: int) -> int:
    with session_scope(engine, read_only=True) as session:
        return attempt_count(session, user_id)


def test_the_retry_time_is_when_enough_attempts_age_out() -> None:
    times = [NOON, NOON + timedelta(minutes=1), NOON + timedelta(minutes=2)]
    assert retry_time(times[:2], limit=3, window=WINDOW) is None
    assert retry_time(times, limit=3, window=WINDOW) == NOON + WINDOW
    # The limit lowered to 2 since: two have to age out before one more fits.
    assert retry_time(times, limit=2, window=WINDOW) == NOON + timedelta(minutes=1) + WINDOW


def test_attempts_over_the_limit_are_refused_until_the_oldest_ages_out(
    engine: Engine, users: dict[str, int]
) -> None:
    ann = users["ann"]
    for minute in range(LIMIT):
        assert _try(engine, ann, NOON + timedelta(minutes=minute)) is None
    late = NOON + timedelta(minutes=5)
    assert _try(engine, ann, late) == NOON + WINDOW  # any homework: the limit is per student
    assert _try(engine, ann, late, "hw2") == NOON + WINDOW
    assert _count(engine, ann) == LIMIT  # a refusal is not recorded: the retry time holds
    assert _try(engine, ann, NOON + WINDOW - timedelta(seconds=1)) == NOON + WINDOW
    assert _try(engine, ann, NOON + WINDOW) is None
    assert _count(engine, ann) == LIMIT  # the oldest was pruned, the new one recorded


def test_each_student_has_a_window_of_their_own(engine: Engine, users: dict[str, int]) -> None:
    for _ in range(LIMIT):
        assert _try(engine, users["ann"], NOON) is None
    assert _try(engine, users["ann"], NOON) is not None
    assert _try(engine, users["bob"], NOON) is None
    assert (_count(engine, users["ann"]), _count(engine, users["bob"])) == (LIMIT, 1)


def test_attempts_older_than_the_window_are_pruned_when_recording(
    engine: Engine, users: dict[str, int]
) -> None:
    for minute in range(LIMIT):
        _try(engine, users["ann"], NOON + timedelta(minutes=minute))
    _try(engine, users["bob"], NOON)
    assert _try(engine, users["ann"], NOON + timedelta(hours=1), "x" * 200) is None
    with session_scope(engine, read_only=True) as session:
        rows = session.execute(
            select(SubmissionAttempt.user_id, SubmissionAttempt.homework_id)
        ).all()
    # ann's old ones are gone (bob's wait for his next upload); a long id is cut to fit.
    assert sorted(map(tuple, rows)) == sorted([(users["ann"], "x" * 64), (users["bob"], "hw1")])
