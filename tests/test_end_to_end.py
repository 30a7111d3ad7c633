"""The Lesson 1 homework end to end, on the real Fashion-MNIST; and exercise results from a
notebook reaching the staff gradebook.

Staff publish it and make accounts with the `practicum` command; a student trains the
reference solution (`practicum lesson homework 1`, smoke size: same code, short training) and
submits its file to the live service (uvicorn on a loopback port) through the API and through
`practicum.submit`. Every score must be the accuracy computed here, independently, from the
t10k labels in the Debian package's own file.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

sys.path[:0] = [str(Path(__file__).parent / "web"), str(Path(__file__).parent / "service")]

from web_helpers import login, password, serve_live, table_cells  # noqa: E402

import practicum  # noqa: E402
from practicum.cli import app as cli  # noqa: E402
from practicum.service.answers import load_answer  # noqa: E402
from practicum.settings.service import load_config  # noqa: E402
from practicum.web import create_app  # noqa: E402
from practicum.web.deps import get_now  # noqa: E402

HW = "lesson1-fashion-mnist"
T10K_LABELS = Path("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")

needs_t10k = pytest.mark.skipif(
    not T10K_LABELS.is_file(),
    reason=f"{T10K_LABELS.parent} is missing: install Debian's dataset-fashion-mnist "
    "(scripts/setup.sh does)",
)


def t10k_labels() -> np.ndarray:
    """The test labels straight from the package's file (IDX1: magic 2049, count, bytes)."""
    raw = gzip.decompress(T10K_LABELS.read_bytes())
    assert int.from_bytes(raw[:4], "big") == 2049 and int.from_bytes(raw[4:8], "big") == 10_000
    return np.frombuffer(raw, np.uint8, offset=8).astype(np.int64)


def practicum_cli(*args: str, stdin: str | None = None) -> str:
    """Run `practicum ARGS` in-process; its standard output."""
    result = CliRunner().invoke(cli, list(args), input=stdin, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def add_user(name: str, role: str) -> str:
    """A user with a password (for the pages) and an API token; the token."""
    practicum_cli("users", "add", name, "--role", role, "--password-stdin", stdin=password(name))
    return practicum_cli("tokens", "create", name).split()[-1]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh service state over the demo course, reading the machine's real data sets."""
    for name in (
        "PRACTICUM_SYSTEM_DATA",
        "PRACTICUM_COURSE",
        "PRACTICUM_DATABASE_URL",
        "PRACTICUM_SHARED_DIR",
        "PRACTICUM_PRIVATE_DIR",
        "PRACTICUM_MAX_UPLOAD_MB",
        "PRACTICUM_SMOKE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRACTICUM_STATE", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@needs_t10k
def test_lesson1_homework_scores_match_the_t10k_labels(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    practicum_cli("homework", "publish", HW)
    tokens = {name: add_user(name, role) for name, role in (("ann", "student"), ("tara", "staff"))}

    monkeypatch.setenv("PRACTICUM_SMOKE", "1")
    trained = practicum_cli("lesson", "homework", "1", "--out", "s.csv")
    monkeypatch.delenv("PRACTICUM_SMOKE")
    content = (state / "s.csv").read_bytes()
    rows = np.loadtxt(state / "s.csv", delimiter=",", skiprows=1, dtype=np.int64)
    assert (rows[:, 0] == np.arange(10_000)).all()
    predictions = rows[:, 1]

    y_test = t10k_labels()
    config = load_config()
    public = load_answer(config, HW).public_mask
    expected_public = float(np.mean(predictions[public] == y_test[public]))
    expected_private = float(np.mean(predictions[~public] == y_test[~public]))
    expected_full = float(np.mean(predictions == y_test))
    assert expected_full > 0.5, "the smoke-trained reference should beat chance (0.1) by far"
    shown = re.search(r"test accuracy: ([0-9.]+)", trained)
    assert shown and float(shown[1]) == pytest.approx(expected_full, abs=5e-5)

    app = create_app(config)
    homework = config.course().homework[HW]  # inside the homework's window, whatever the date
    now = min(max(datetime.now(UTC), homework.opens), homework.deadline - timedelta(hours=1))
    app.dependency_overrides[get_now] = lambda: now
    with serve_live(app) as url:
        answer = httpx.post(
            f"{url}/api/homework/{HW}/submissions",
            headers={"Authorization": f"Bearer {tokens['ann']}"},
            files={"file": ("s.csv", content, "text/csv")},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["public_score"] == pytest.approx(expected_public, abs=1e-12)

        monkeypatch.setenv("PRACTICUM_URL", url)
        monkeypatch.setenv("PRACTICUM_TOKEN", tokens["ann"])
        result = practicum.submit(HW, predictions)
        assert result.public_score == pytest.approx(expected_public, abs=1e-12)
        assert result.rank == 1

        staff_view = httpx.get(
            f"{url}/api/staff/submissions",
            headers={"Authorization": f"Bearer {tokens['tara']}"},
        ).json()
        assert len(staff_view) == 2
        for row in staff_view:
            assert row["student"] == "ann"
            assert row["full_score"] == pytest.approx(expected_full, abs=1e-12)
            assert row["private_score"] == pytest.approx(expected_private, abs=1e-12)

        with httpx.Client(base_url=url) as browser:
            board = login(browser, "ann", password("ann")).get(f"/homework/{HW}/leaderboard")
        my_row = board.text.split('id="my-row"')[1].split("</tr>")[0]
        assert f"{expected_public:.4f}" in my_row


def test_an_exercise_result_reaches_the_staff_gradebook_through_the_service(state: Path) -> None:
    """A student's notebook reports exercise checks with the student's token, as the
    notebook client does (POST /api/exercises) to the live service over the demo course;
    staff then see the count for that lesson on the staff page and in the gradebook CSV."""
    tokens = {name: add_user(name, role) for name, role in (("ann", "student"), ("tara", "staff"))}
    add_user("bob", "student")
    reports = [
        ("relu", True, False),
        ("softmax", False, True),  # wrong: the notebook went on with the reference...
        ("softmax", True, False),  # ...fixed and re-run
        ("softmax", False, True),  # broken again later: stays done
        ("cross-entropy", False, True),  # never right
    ]
    with serve_live(create_app(load_config())) as url:
        for exercise, done, used_reference in reports:
            answer = httpx.post(
                f"{url}/api/exercises",
                headers={"Authorization": f"Bearer {tokens['ann']}"},
                json={
                    "lesson": 1,
                    "exercise": exercise,
                    "done": done,
                    "used_reference": used_reference,
                },
            )
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"recorded": True}
        with httpx.Client(base_url=url) as browser:
            staff = login(browser, "tara", password("tara"))
            page = staff.get("/staff")
            gradebook = staff.get("/staff/gradebook.csv")
    assert page.status_code == 200 and gradebook.status_code == 200
    lessons = [f"L{n} exercises" for n in range(1, 8)]  # the demo course's seven lessons
    header = page.text.split('id="exercises-done"')[1].split("</thead>")[0]
    assert all(column in header for column in lessons)
    assert table_cells(page.text, "exercises-done") == {
        "ann": ["2", *["0"] * 6],
        "bob": ["0"] * 7,
    }
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(gradebook.text))}
    assert list(rows["ann"])[-7:] == lessons
    assert [rows["ann"][column] for column in lessons] == ["2", *["0"] * 6]
    assert [rows["bob"][column] for column in lessons] == ["0"] * 7
