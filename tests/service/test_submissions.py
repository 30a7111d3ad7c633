"""`submissions.submit`: the order of checks, what is recorded, and what is not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from db_backends import Databases
from tiny_homework import (
    AFTER,
    BEFORE,
    DAILY_LIMIT,
    HW,
    OPENS,
    PUBLIC_MASK,
    UNPUBLISHED,
    State,
    accuracy,
    count_stored,
    forget_submissions,
    homework_with,
    labels_csv,
    open_state,
    with_errors,
)

from practicum import store
from practicum.course import Course, LatePolicy
from practicum.grading.submission import SubmissionError
from practicum.service import submissions
from practicum.service.answers import AnswerCorrupt
from practicum.service.submissions import (
    HomeworkClosed,
    HomeworkNotFound,
    ScoringUnavailable,
    SubmissionRequest,
    SubmitContext,
    SubmitOutcome,
    safe_filename,
)

EVERYONE = slice(None)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[State]:
    found = open_state(
        tmp_path_factory.mktemp("submit"),
        {"ann": "student", "bob": "student", "tara": "staff"},
        databases,
    )
    yield found
    found.engine.dispose()


@pytest.fixture(autouse=True)
def _no_submissions(state: State) -> Iterator[None]:
    yield
    forget_submissions(state.engine, state.files)


def submit(
    state: State,
    content: bytes,
    *,
    name: str = "ann",
    now: datetime = BEFORE,
    course: Course | None = None,
    homework: str = HW,
    filename: str = "submission.csv",
) -> SubmitOutcome:
    with store.session_scope(state.engine) as session:
        ctx = SubmitContext(session, state.files, state.config, course or state.course)
        request = SubmissionRequest(homework, state.user(session, name), content, filename, now)
        return submissions.submit(ctx, request)


def stored_submissions(state: State, name: str = "ann") -> list[store.Submission]:
    with store.session_scope(state.engine, read_only=True) as session:
        rows = store.submissions_for(session, HW, state.user_ids[name])
        session.expunge_all()  # loaded as they are: the read-only rollback would expire them
        return rows


def test_a_valid_submission_is_scored_recorded_and_ranked(state: State) -> None:
    labels = with_errors(1, 2)
    outcome = submit(state, labels_csv(labels))
    assert outcome.public_score == pytest.approx(accuracy(labels, PUBLIC_MASK))
    assert (outcome.rank, outcome.remaining_today, outcome.status) == (1, DAILY_LIMIT - 1, "scored")
    assert outcome.resets_at == datetime(2026, 12, 6, tzinfo=BEFORE.tzinfo)
    assert outcome.late_note is None
    [row] = stored_submissions(state)
    assert row.id == outcome.submission_id
    assert row.private_score == pytest.approx(accuracy(labels, ~PUBLIC_MASK))
    assert row.full_score == pytest.approx(accuracy(labels, EVERYONE))
    assert state.files.read(row.file_sha256) == labels_csv(labels)
    assert submit(state, labels_csv(with_errors(0)), name="bob").rank == 1
    assert submit(state, labels_csv(with_errors(3)), name="ann").rank == 2


def test_unknown_and_unpublished_homework_are_not_found(state: State) -> None:
    with pytest.raises(HomeworkNotFound, match="not part of this course"):
        submit(state, b"", homework="no-such-homework")
    with pytest.raises(HomeworkNotFound, match="not published yet"):
        submit(state, b"", homework=UNPUBLISHED)


def test_closed_homework_says_when_and_looks_at_no_file(state: State) -> None:
    with pytest.raises(HomeworkClosed, match="not open yet: opens 2026-12-01 10:00 JST"):
        submit(state, b"not even a csv", now=OPENS - timedelta(minutes=1))
    with pytest.raises(HomeworkClosed, match="closed: no submissions after 2026-12-10 23:59 JST"):
        submit(state, b"not even a csv", now=AFTER)
    assert count_stored(state.engine, state.files) == (0, 0)


def test_invalid_files_are_refused_uncounted_and_unstored(state: State) -> None:
    submit(state, labels_csv(with_errors(0)))
    before = count_stored(state.engine, state.files)
    for bad in (b"id,label\n0,1\n", b"id,label\n0,9\n", b"\xff\xfe", b""):
        with pytest.raises(SubmissionError):
            submit(state, bad)
    assert count_stored(state.engine, state.files) == before
    assert submit(state, labels_csv(with_errors(0))).remaining_today == DAILY_LIMIT - 2


def test_the_daily_limit_is_checked_before_the_file_is_read(state: State) -> None:
    for _ in range(DAILY_LIMIT):
        submit(state, labels_csv(with_errors(1)))
    with pytest.raises(store.DailyLimitReached) as refused:
        submit(state, b"spam that would fail validation")
    assert refused.value.resets_at == datetime(2026, 12, 6, tzinfo=BEFORE.tzinfo)
    assert len(stored_submissions(state)) == DAILY_LIMIT
    tomorrow = submit(state, labels_csv(with_errors(1)), now=BEFORE + timedelta(days=1))
    assert tomorrow.remaining_today == DAILY_LIMIT - 1


def test_accept_unranked_scores_late_work_without_ranking_it(state: State) -> None:
    course = homework_with(state.course, late_policy=LatePolicy("accept_unranked"))
    outcome = submit(state, labels_csv(with_errors(0)), now=AFTER, course=course)
    assert (outcome.status, outcome.rank, outcome.public_score) == ("late_unranked", None, 1.0)
    assert outcome.late_note is not None and "scored but not ranked" in outcome.late_note


def test_penalty_reduces_every_stored_score(state: State) -> None:
    course = homework_with(state.course, late_policy=LatePolicy("penalty", penalty_per_day=0.25))
    labels = with_errors(2, 3)
    two_days_late = AFTER + timedelta(days=1)
    outcome = submit(state, labels_csv(labels), now=two_days_late, course=course)
    factor = 0.75**2
    assert outcome.status == "scored"
    assert outcome.public_score == pytest.approx(accuracy(labels, PUBLIC_MASK) * factor)
    [row] = stored_submissions(state)
    assert row.private_score == pytest.approx(accuracy(labels, ~PUBLIC_MASK) * factor)
    assert row.full_score == pytest.approx(accuracy(labels, EVERYONE) * factor)
    assert outcome.late_note is not None and "2 days late" in outcome.late_note
    assert outcome.rank == 1  # on the private board, which decides after the deadline


def test_tampered_answers_stop_scoring(state: State, monkeypatch: pytest.MonkeyPatch) -> None:
    def corrupt(*_: object) -> None:
        raise AnswerCorrupt("y_test.npy does not match the digest in split.json")

    monkeypatch.setattr(submissions, "load_answer", corrupt)
    with pytest.raises(ScoringUnavailable, match="cannot be scored right now"):
        submit(state, labels_csv(with_errors(0)))
    assert count_stored(state.engine, state.files) == (0, 0)


def test_only_owners_and_staff_reach_a_submission(state: State) -> None:
    anns = submit(state, labels_csv(with_errors(0))).submission_id
    with store.session_scope(state.engine, read_only=True) as session:
        for name in ("ann", "tara"):
            found = submissions.own_submission(session, state.user(session, name), anns)
            assert found.id == anns
        with pytest.raises(LookupError):
            submissions.own_submission(session, state.user(session, "bob"), anns)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("submission.csv", "submission.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ann\\preds.csv", "preds.csv"),
        ("evil\r\nSet-Cookie: x=1.csv", "evilSet-Cookie: x=1.csv"),
        ("..", "submission"),
        ("", "submission"),
        (None, "submission"),
        ("a" * 300 + ".csv", "a" * 100),
    ],
)
def test_file_names_are_made_safe_to_store_and_show(given: str | None, shown: str) -> None:
    assert safe_filename(given) == shown
