"""Quizzes: checking answers without giving them away, recording passes, locking sections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from practicum.coursework import quiz


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRACTICUM_HOME", str(tmp_path))
    return tmp_path


def _quiz() -> quiz.Quiz:
    return quiz.Quiz(
        2,
        1,
        [
            quiz.Question(
                "q1",
                "Two plus two?",
                {"a": "three", "b": "four"},
                quiz.answer_hash(2, 1, "q1", "b"),
            ),
            quiz.Question(
                "q2",
                "Capital of France?",
                {"a": "Paris", "b": "Rome", "c": "Oslo"},
                quiz.answer_hash(2, 1, "q2", "a"),
            ),
        ],
    )


def test_all_right_records_the_pass_and_opens_the_next_section(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not quiz.passed(2, 1)
    assert _quiz().check({"q1": "B ", "q2": "a"})
    out = capsys.readouterr().out
    assert "Section 2 of Lesson 2 is now open" in out
    assert quiz.passed(2, 1)
    progress = json.loads((home / "progress.json").read_text())
    assert "passed_at" in progress["quizzes"]["lesson2/section1"]
    assert [p.name for p in home.iterdir()] == ["progress.json"]  # no temporary file left


def test_wrong_and_missing_answers_are_reported_without_the_solution(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert not _quiz().check({"q1": "a", "q9": "x"})
    out = capsys.readouterr().out
    assert "✗ q1: not right" in out
    assert "q2: unanswered" in out
    assert "q9" in out  # unknown keys are pointed out
    assert "four" not in out and "Paris" not in out
    assert "0/2 right" in out
    assert not quiz.passed(2, 1)


def test_a_letter_that_is_not_a_choice_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    _quiz().check({"q1": "z", "q2": "a"})
    assert "'z' is not a choice; pick one of a, b" in capsys.readouterr().out


def test_require_locks_until_the_previous_quiz_is_passed() -> None:
    quiz.require(2, 1)  # a first section is never locked
    with pytest.raises(quiz.SectionLocked, match=r"Section 2 is locked.*lesson2/section1_x\.ipynb"):
        quiz.require(2, 2, quiz_notebook="lesson2/section1_x.ipynb")
    _quiz().check({"q1": "b", "q2": "a"})
    quiz.require(2, 2)
    with pytest.raises(quiz.SectionLocked):
        quiz.require(2, 3)


def test_passes_accumulate_and_keep_their_first_time(home: Path) -> None:
    quiz.record_pass(1, 1)
    first = json.loads((home / "progress.json").read_text())["quizzes"]["lesson1/section1"]
    quiz.record_pass(1, 3)
    quiz.record_pass(1, 1)
    quizzes = json.loads((home / "progress.json").read_text())["quizzes"]
    assert set(quizzes) == {"lesson1/section1", "lesson1/section3"}
    assert quizzes["lesson1/section1"] == first


def test_a_corrupt_progress_file_is_reported_and_left_alone(home: Path) -> None:
    (home / "progress.json").write_text("{not json")
    with pytest.raises(quiz.ProgressError, match=r"progress\.json: not valid JSON \(line 1\)"):
        quiz.require(1, 2)
    with pytest.raises(quiz.ProgressError):
        quiz.record_pass(1, 1)
    assert (home / "progress.json").read_text() == "{not json"


def test_hashes_are_salted_per_question_and_hide_the_answer() -> None:
    h1 = quiz.answer_hash(1, 1, "q1", "b")
    assert len(h1) == 64 and set(h1) <= set("0123456789abcdef")
    assert h1 != quiz.answer_hash(1, 1, "q2", "b") != quiz.answer_hash(1, 2, "q1", "b")
    assert h1 == quiz.answer_hash(1, 1, "q1", " B")
    rendered = _quiz().markdown() + _quiz().text()
    assert quiz.answer_hash(2, 1, "q1", "b") not in rendered


def test_a_question_whose_hash_matches_no_choice_is_an_author_error() -> None:
    bad = quiz.Question("q1", "?", {"a": "x", "b": "y"}, quiz.answer_hash(1, 1, "q1", "c"))
    with pytest.raises(ValueError, match="q1: the stored answer matches none of its choices"):
        quiz.Quiz(1, 1, [bad])


def test_show_prints_plain_text_outside_jupyter(capsys: pytest.CaptureFixture[str]) -> None:
    _quiz().show()
    out = capsys.readouterr().out
    assert "Quiz: Lesson 2, Section 1" in out
    assert "q2. Capital of France?" in out and "   c) Oslo" in out
