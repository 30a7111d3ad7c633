"""The per-student upload rate limit: refused files count too, before anything parses them,
and it is separate from the daily limit (which counts scored submissions only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from tiny_homework import BEFORE, DAILY_LIMIT, HW, N_ITEMS, labels_csv, with_errors
from web_helpers import Clock, Service, upload

from practicum.course import SubmissionRate
from practicum.grading import submission as grading
from practicum.grading.submission import CAP_BYTES_PER_ROW, CAP_SLACK_BYTES
from practicum.service import submissions

RATE = SubmissionRate()
"""The tiny course sets none: the default, 20 uploads in 10 minutes."""
INVALID = b"id,label\n0,7\n"
OVERSIZED = b"0" * (N_ITEMS * CAP_BYTES_PER_ROW["labels"] + CAP_SLACK_BYTES + 1)
VALID = labels_csv(with_errors(1))


def _api(service: Service, name: str, content: bytes) -> httpx.Response:
    return TestClient(service.app).post(
        f"/api/homework/{HW}/submissions",
        headers=service.bearer(name),
        files={"file": ("s.csv", content)},
    )


def _never_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> grading.Parsed:
        raise AssertionError("an upload over the rate limit was parsed")

    monkeypatch.setattr(submissions, "parse_submission", refuse)


def _use_up_the_rate(service: Service, clock: Clock, name: str) -> None:
    """RATE.attempts refused uploads, one every 10 s from BEFORE: half invalid (422), half
    over the homework's size cap (413)."""
    for i in range(RATE.attempts):
        clock.set(BEFORE + timedelta(seconds=10 * i))
        content = INVALID if i % 2 else OVERSIZED
        assert _api(service, name, content).status_code == (422 if i % 2 else 413), i


def test_refused_uploads_count_and_the_next_valid_one_gets_429_until_the_window_moves(
    service: Service, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert service.app.state.course.submission_rate == RATE
    assert (RATE.attempts, RATE.minutes) == (20, 10)
    _use_up_the_rate(service, clock, "ann")
    clock.set(BEFORE + timedelta(seconds=200))
    before = service.stored()
    with monkeypatch.context() as patched:
        _never_parse(patched)
        refused = _api(service, "ann", VALID)
    assert refused.status_code == 429
    # The first attempt (at BEFORE, 12:00 JST) leaves the window 10 minutes later.
    assert refused.headers["retry-after"] == str(600 - 200)
    assert refused.json() == {
        "detail": "too many submissions, try again at 12:10 JST",
        "resets_at": "2026-12-05T12:10:00+09:00",
    }
    assert service.stored() == before

    assert _api(service, "bob", VALID).status_code == 200  # his own window

    clock.set(BEFORE + RATE.window - timedelta(seconds=1))
    assert _api(service, "ann", VALID).status_code == 429
    clock.set(BEFORE + RATE.window)
    accepted = _api(service, "ann", VALID)
    assert accepted.status_code == 200
    assert accepted.json()["remaining_today"] == DAILY_LIMIT - 1  # refused ones never counted
    assert _api(service, "ann", VALID).status_code == 429  # the next one of the 20 is still in


@pytest.fixture
def two_in_five_minutes(service: Service) -> Iterator[None]:
    """The course with `[submissions] rate = { attempts = 2, minutes = 5 }`, for one test."""
    course = service.app.state.course
    service.app.state.course = replace(course, submission_rate=SubmissionRate(2, 5))
    yield
    service.app.state.course = course


@pytest.mark.usefixtures("two_in_five_minutes")
def test_the_form_shows_the_rate_limit_refusal(ann: TestClient, clock: Clock) -> None:
    assert upload(ann, INVALID).status_code == 422
    page = ann.get(f"/homework/{HW}")
    assert "every upload counts towards the limit of 2 in 5 minutes" in page.text
    clock.set(BEFORE + timedelta(minutes=1))
    assert upload(ann, INVALID).status_code == 422
    clock.set(BEFORE + timedelta(minutes=2))
    refused = upload(ann, VALID)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(3 * 60)
    assert 'id="last-error"' in refused.text
    assert "submission.csv: too many submissions, try again at 12:05 JST" in refused.text


def test_the_daily_limit_still_counts_scored_submissions_only(
    service: Service, clock: Clock
) -> None:
    for i in range(5):
        clock.set(BEFORE + timedelta(seconds=i))
        assert _api(service, "ann", INVALID).status_code == 422
    for i in range(DAILY_LIMIT):
        answer = _api(service, "ann", VALID)
        assert answer.json()["remaining_today"] == DAILY_LIMIT - 1 - i
    refused = _api(service, "ann", VALID)
    assert refused.status_code == 429
    assert "daily limit of 3" in refused.json()["detail"]
