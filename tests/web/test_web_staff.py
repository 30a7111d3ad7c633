"""Staff pages: all submissions, publish status, the gradebook."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tiny_homework import HW, PUBLIC_MASK, UNPUBLISHED, accuracy, labels_csv, with_errors
from web_helpers import Service


def api_submit(service: Service, name: str, labels: np.ndarray) -> None:
    answer = TestClient(service.app).post(
        f"/api/homework/{HW}/submissions",
        headers=service.bearer(name),
        files={"file": ("s.csv", labels_csv(labels))},
    )
    assert answer.status_code == 200


def test_staff_overview_lists_every_submission_and_publish_status(
    service: Service, tara: TestClient
) -> None:
    api_submit(service, "ann", with_errors(1, 2))
    api_submit(service, "bob", with_errors(0, 0))
    page = tara.get("/staff").text
    table = page.split('id="all-submissions"')[1].split("</table>")[0]
    assert table.count("<tr>") == 3  # header + 2
    assert "ann" in table and "bob" in table
    assert f"{accuracy(with_errors(1, 2), ~PUBLIC_MASK):.4f}" in table  # staff see private
    status = page.split('id="publish-status"')[1].split("</table>")[0]
    assert f"practicum homework publish {UNPUBLISHED}" in status
    assert "2026-11-30 10:00 JST" in status  # the tiny homework's publish time
    assert 'href="/staff/gradebook.csv"' in page


def test_gradebook_has_a_row_per_student_and_columns_per_homework(
    service: Service, tara: TestClient
) -> None:
    ann_first, ann_second = with_errors(1, 6), with_errors(3, 1)
    api_submit(service, "ann", ann_first)
    api_submit(service, "ann", ann_second)
    answer = tara.get("/staff/gradebook.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == [
        "student",
        *(
            f"{hw}:{field}"
            for hw in (HW, UNPUBLISHED)
            for field in ("submissions", "best_public", "best_private", "final", "target_reached")
        ),
        "complete",
        "missing",
        "L1 exercises",
        "L2 exercises",
    ]
    by_name = {row["student"]: row for row in rows}
    assert set(by_name) == {"ann", "bob"}  # students only
    ann, bob = by_name["ann"], by_name["bob"]
    best_private = accuracy(ann_second, ~PUBLIC_MASK)
    assert ann[f"{HW}:submissions"] == "2"
    assert float(ann[f"{HW}:best_public"]) == pytest.approx(accuracy(ann_first, PUBLIC_MASK))
    assert float(ann[f"{HW}:best_private"]) == pytest.approx(best_private)
    assert float(ann[f"{HW}:final"]) == pytest.approx(best_private)  # no picks: best counts
    assert ann[f"{HW}:target_reached"] == "yes"  # 11/12 >= 0.6
    assert (ann["complete"], ann["missing"]) == ("yes", "")
    assert (bob[f"{HW}:submissions"], bob[f"{HW}:final"], bob[f"{HW}:target_reached"]) == (
        "0",
        "",
        "no",
    )
    assert (bob["complete"], bob["missing"]) == ("no", HW)
    assert ann[f"{UNPUBLISHED}:submissions"] == "0"
