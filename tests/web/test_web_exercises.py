"""POST /api/exercises: notebooks report exercise checks; staff see the counts per lesson."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from web_helpers import Service, table_cells

from practicum import store

GOOD = {"lesson": 1, "exercise": "relu", "done": True, "used_reference": False}


@pytest.fixture(autouse=True)
def _no_results(service: Service) -> Iterator[None]:
    yield
    with store.session_scope(service.engine) as session:
        session.execute(delete(store.ExerciseResult))


def post(service: Service, name: str | None, body: Any) -> Any:
    headers = service.bearer(name) if name else {}
    return TestClient(service.app).post("/api/exercises", headers=headers, json=body)


def stored(service: Service) -> list[tuple[Any, ...]]:
    with store.session_scope(service.engine, read_only=True) as session:
        rows = session.execute(
            select(
                store.User.name,
                store.ExerciseResult.lesson,
                store.ExerciseResult.exercise,
                store.ExerciseResult.done,
                store.ExerciseResult.used_reference,
            )
            .join(store.User, store.User.id == store.ExerciseResult.user_id)
            .order_by(store.ExerciseResult.id)
        )
        return [tuple(row) for row in rows]


def test_a_report_is_recorded_and_recording_it_again_changes_nothing(service: Service) -> None:
    for _ in range(2):
        answer = post(service, "ann", GOOD)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"recorded": True}
    assert stored(service) == [("ann", 1, "relu", True, False)]


def test_a_done_exercise_is_not_undone_by_a_later_failing_run(service: Service) -> None:
    assert post(service, "ann", GOOD).status_code == 200
    failing = {**GOOD, "done": False, "used_reference": True}
    assert post(service, "ann", failing).status_code == 200
    assert stored(service) == [("ann", 1, "relu", True, True)]


@pytest.mark.parametrize("token", [None, "pt_not-a-real-token", "garbage"])
def test_without_a_valid_token_the_answer_is_401_and_nothing_is_stored(
    service: Service, token: str | None
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = TestClient(service.app).post("/api/exercises", headers=headers, json=GOOD)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert stored(service) == []


@pytest.mark.parametrize(
    "change",
    [
        {"lesson": 0},
        {"lesson": 100},
        {"lesson": "1"},
        {"lesson": 1.5},
        {"lesson": True},
        {"exercise": ""},
        {"exercise": "x" * 65},
        {"exercise": "Relu"},
        {"exercise": "../etc/passwd"},
        {"exercise": "relu'; DROP TABLE users; --"},
        {"exercise": "relu\n"},
        {"exercise": 7},
        {"done": "yes"},
        {"done": 1},
        {"used_reference": None},
        {"extra": "field"},
    ],
)
def test_malformed_reports_are_refused_with_422(service: Service, change: dict[str, Any]) -> None:
    answer = post(service, "ann", {**GOOD, **change})
    assert answer.status_code == 422, answer.text
    assert stored(service) == []


@pytest.mark.parametrize("body", [{}, [], "relu", None, {"lesson": 1}])
def test_bodies_that_are_not_a_report_are_refused_with_422(service: Service, body: Any) -> None:
    assert post(service, "ann", body).status_code == 422
    assert stored(service) == []


def test_a_body_that_is_not_json_is_refused_with_422(service: Service) -> None:
    answer = TestClient(service.app).post(
        "/api/exercises",
        headers={**service.bearer("ann"), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert answer.status_code == 422
    assert stored(service) == []


def test_a_lesson_the_course_lacks_is_refused_in_one_sentence(service: Service) -> None:
    answer = post(service, "ann", {**GOOD, "lesson": 3})
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": "lesson 3 is not a lesson of this course, which has lessons 1, 2."
    }
    assert stored(service) == []


def test_an_oversized_body_is_refused_before_it_is_read(service: Service) -> None:
    huge = {**GOOD, "exercise": "x" * (service.config.max_upload_bytes + 2**17)}
    assert post(service, "ann", huge).status_code == 413
    assert stored(service) == []


def test_staff_see_exercises_done_per_lesson_on_the_page_and_in_the_csv(
    service: Service, tara: TestClient
) -> None:
    for exercise in ("relu", "softmax"):
        assert post(service, "ann", {**GOOD, "exercise": exercise}).status_code == 200
    assert post(service, "ann", {**GOOD, "lesson": 2, "exercise": "conv"}).status_code == 200
    reference = {**GOOD, "exercise": "relu", "done": False, "used_reference": True}
    assert post(service, "bob", reference).status_code == 200

    page = tara.get("/staff").text
    header = page.split('id="exercises-done"')[1].split("</thead>")[0]
    assert "L1 exercises" in header and "L2 exercises" in header
    assert table_cells(page, "exercises-done") == {"ann": ["2", "1"], "bob": ["0", "0"]}

    gradebook = tara.get("/staff/gradebook.csv").text
    found = {
        row["student"]: (row["L1 exercises"], row["L2 exercises"])
        for row in csv.DictReader(io.StringIO(gradebook))
    }
    assert found == {"ann": ("2", "1"), "bob": ("0", "0")}


def test_students_cannot_open_the_staff_counts(service: Service, ann: TestClient) -> None:
    assert ann.get("/staff").status_code == 403
    assert ann.get("/staff/gradebook.csv").status_code == 403
