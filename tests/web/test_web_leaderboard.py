"""Leaderboards: public scores before the deadline, private after, ties, late policies."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from tiny_homework import (
    AFTER,
    BEFORE,
    HW,
    PUBLIC_MASK,
    accuracy,
    homework_with,
    labels_csv,
    with_errors,
)
from web_helpers import Clock, Service, csrf_of

from practicum.course import LatePolicy, RefreshPolicy
from practicum.web.deps import get_course


def api_submit(service: Service, name: str, labels: np.ndarray) -> httpx.Response:
    return TestClient(service.app).post(
        f"/api/homework/{HW}/submissions",
        headers=service.bearer(name),
        files={"file": ("s.csv", labels_csv(labels))},
    )


def board(service: Service, name: str = "ann") -> dict[str, Any]:
    answer = TestClient(service.app).get(
        f"/api/homework/{HW}/leaderboard", headers=service.bearer(name)
    )
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def ranking(service: Service) -> list[tuple[str, float]]:
    return [(row["student"], row["score"]) for row in board(service)["rows"]]


def with_policy(service: Service, **changes: Any) -> None:
    """Serve the course with the homework changed (late policy...) from now on."""
    changed = homework_with(service.app.state.course, **changes)
    service.app.dependency_overrides[get_course] = lambda: changed


def test_private_scores_appear_nowhere_before_the_deadline(
    service: Service, ann: TestClient
) -> None:
    labels = with_errors(2, 5)  # public 0.75, private 7/12 = 0.5833, full 0.65
    private = accuracy(labels, ~PUBLIC_MASK)
    full = accuracy(labels, PUBLIC_MASK | ~PUBLIC_MASK)
    submitted = api_submit(service, "ann", labels)
    texts = [
        submitted.text,
        ann.get(f"/homework/{HW}").text,
        ann.get(f"/homework/{HW}/leaderboard").text,
        TestClient(service.app)
        .get(f"/api/homework/{HW}/submissions", headers=service.bearer("ann"))
        .text,
        TestClient(service.app)
        .get(f"/api/homework/{HW}/leaderboard", headers=service.bearer("ann"))
        .text,
    ]
    for text in texts:
        for hidden in (private, full):
            assert f"{hidden:.4f}" not in text and repr(hidden) not in text
    assert board(service)["phase"] == "public"
    assert ranking(service) == [("ann", pytest.approx(accuracy(labels, PUBLIC_MASK)))]


def test_private_scores_rank_after_the_deadline(
    service: Service, ann: TestClient, clock: Clock
) -> None:
    api_submit(service, "ann", with_errors(0, 6))  # public 1.0, private 0.5
    api_submit(service, "bob", with_errors(3, 0))  # public 0.625, private 1.0
    assert [name for name, _ in ranking(service)] == ["ann", "bob"]
    clock.set(AFTER)
    found = board(service)
    assert found["phase"] == "private" and found["cutoff"] is None
    assert ranking(service) == [("bob", 1.0), ("ann", 0.5)]
    page = ann.get(f"/homework/{HW}/leaderboard").text
    assert 'data-phase="private"' in page and "Final leaderboard" in page
    assert '<tr class="me" id="my-row" aria-current="true">' in page
    assert "0.5000" in ann.get(f"/homework/{HW}").text  # own private score, now shown


def test_ties_go_to_the_earlier_submission(service: Service, clock: Clock) -> None:
    labels = with_errors(1, 1)
    api_submit(service, "bob", labels)
    clock.set(BEFORE.replace(hour=13))
    api_submit(service, "ann", labels)
    assert [name for name, _ in ranking(service)] == ["bob", "ann"]
    clock.set(AFTER)
    assert [name for name, _ in ranking(service)] == ["bob", "ann"]


def test_final_picks_decide_the_private_board(
    service: Service, ann: TestClient, clock: Clock
) -> None:
    best_private = api_submit(service, "ann", with_errors(4, 0)).json()["submission_id"]
    picked = api_submit(service, "ann", with_errors(0, 6)).json()["submission_id"]
    page = ann.get(f"/homework/{HW}")
    saved = ann.post(
        f"/homework/{HW}/picks",
        data={"csrf_token": csrf_of(page.text), "pick": str(picked)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    clock.set(AFTER)
    assert ranking(service) == [("ann", 0.5)]  # the pick, not the better unpicked one
    assert best_private != picked
    late = ann.post(
        f"/homework/{HW}/picks",
        data={"csrf_token": csrf_of(page.text), "pick": str(best_private)},
    )
    assert late.status_code == 403


def test_refuse_policy_closes_at_the_deadline(service: Service, clock: Clock) -> None:
    clock.set(AFTER)
    refused = api_submit(service, "ann", with_errors(0))
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"homework '{HW}' is closed: no submissions after 2026-12-10 23:59 JST"
    )
    assert service.stored() == (0, 0)


def test_late_unranked_submissions_are_scored_but_never_ranked(
    service: Service, clock: Clock
) -> None:
    with_policy(service, late_policy=LatePolicy("accept_unranked"))
    api_submit(service, "bob", with_errors(3, 3))
    clock.set(AFTER)
    late = api_submit(service, "ann", with_errors(0)).json()
    assert late["status"] == "late_unranked" and late["rank"] is None
    assert late["public_score"] == 1.0
    assert "1 day late" in late["late_note"]
    assert [name for name, _ in ranking(service)] == ["bob"]


def test_penalty_policy_ranks_the_reduced_score(service: Service, clock: Clock) -> None:
    with_policy(service, late_policy=LatePolicy("penalty", penalty_per_day=0.5))
    api_submit(service, "bob", with_errors(0, 8))  # private 4/12 = 0.3333
    clock.set(AFTER)
    late = api_submit(service, "ann", with_errors(0, 0)).json()  # 1.0 × 0.5
    assert late["status"] == "scored"
    assert late["public_score"] == 0.5
    assert late["rank"] == 1
    assert ranking(service) == [("ann", 0.5), ("bob", pytest.approx(1 / 3))]


def test_daily_refresh_shows_the_board_as_of_the_last_refresh(
    service: Service, clock: Clock
) -> None:
    with_policy(service, leaderboard_refresh=RefreshPolicy.parse("daily 09:00"))
    clock.set(BEFORE.replace(hour=8))
    api_submit(service, "bob", with_errors(2))
    clock.set(BEFORE.replace(hour=10))
    first = api_submit(service, "ann", with_errors(0)).json()
    assert first["rank"] is None  # shown from tomorrow's refresh on
    assert [name for name, _ in ranking(service)] == ["bob"]
    clock.set(BEFORE.replace(day=6, hour=9))
    assert [name for name, _ in ranking(service)] == ["ann", "bob"]
