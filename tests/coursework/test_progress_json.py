"""progress.json: exercise results merged into what is there, written atomically, never lost."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from practicum.coursework import progress, quiz


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRACTICUM_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def _saved(home: Path) -> dict:
    return json.loads((home / "progress.json").read_text())


def test_an_exercise_result_has_the_documented_form(home: Path) -> None:
    progress.record_exercise(2, "conv2d_unfold", done=False, used_reference=True)
    entry = _saved(home)["exercises"]["lesson2/conv2d_unfold"]
    assert entry["lesson"] == 2 and entry["exercise"] == "conv2d_unfold"
    assert entry["done"] is False and entry["used_reference"] is True
    assert entry["checks"] == 1 and "checked_at" in entry and "first_done_at" not in entry
    assert progress.exercise_results(2) == {"conv2d_unfold": entry}
    assert progress.exercise_results(1) == {}


def test_results_merge_with_what_is_there(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "progress.json").write_text(
        json.dumps(
            {
                "quizzes": {"lesson1/section1": {"passed_at": "2025-01-01T00:00:00+00:00"}},
                "exercises": {"lesson1/softmax": {"done": True, "used_reference": False}},
                "notes": "kept as it is",
            }
        )
    )
    progress.record_exercise(1, "one_hot", done=True, used_reference=False)
    quiz.record_pass(1, 3)
    saved = _saved(home)
    assert set(saved["exercises"]) == {"lesson1/softmax", "lesson1/one_hot"}
    assert saved["exercises"]["lesson1/softmax"] == {"done": True, "used_reference": False}
    assert set(saved["quizzes"]) == {"lesson1/section1", "lesson1/section3"}
    assert saved["notes"] == "kept as it is"


def test_the_latest_check_wins_but_a_first_success_is_kept(home: Path) -> None:
    progress.record_exercise(1, "softmax", done=True, used_reference=False)
    first = _saved(home)["exercises"]["lesson1/softmax"]["first_done_at"]
    progress.record_exercise(1, "softmax", done=False, used_reference=True)
    entry = _saved(home)["exercises"]["lesson1/softmax"]
    assert entry["done"] is False and entry["used_reference"] is True
    assert entry["first_done_at"] == first and entry["checks"] == 2


def test_a_failed_write_leaves_the_old_file_whole(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress.record_exercise(1, "softmax", done=True, used_reference=False)
    before = (home / "progress.json").read_text()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        progress.record_exercise(1, "one_hot", done=True, used_reference=False)
    assert (home / "progress.json").read_text() == before
    assert [p.name for p in home.iterdir()] == ["progress.json"]  # no temporary file left


def test_a_corrupt_file_is_never_overwritten(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "progress.json").write_text("[1, 2]")
    with pytest.raises(progress.ProgressError, match="expected an object"):
        progress.record_exercise(1, "softmax", done=True, used_reference=False)
    assert (home / "progress.json").read_text() == "[1, 2]"


def _record_many(worker: int) -> None:
    for i in range(15):
        progress.record_exercise(worker, f"ex{i}", done=i % 2 == 0, used_reference=i % 2 == 1)


def test_notebooks_writing_at_once_lose_nothing(home: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_record_many, args=(n,)) for n in range(1, 5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert len(_saved(home)["exercises"]) == 4 * 15
