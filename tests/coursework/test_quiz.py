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


SOURCE_ANSWERS = {"q1": "b", "q2": "a"}
"""The right letters as the author wrote the choices (before shuffling)."""


def _quiz(seed: str = "tester", tries: int = 3) -> quiz.Quiz:
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
        seed=seed,
        tries=tries,
    )


def _right(q: quiz.Quiz) -> dict[str, str]:
    return q.shown_letters(SOURCE_ANSWERS)


def _wrong(q: quiz.Quiz) -> dict[str, str]:
    """Every answer wrong, as this student sees the letters."""
    right = _right(q)
    return {
        question.key: next(c for c in question.choices if c != right[question.key])
        for question in q.questions
    }


def test_all_right_records_the_pass_and_opens_the_next_section(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = _quiz()
    assert not quiz.passed(2, 1)
    answers = {k: f"{v.upper()} " for k, v in _right(q).items()}
    assert q.check(answers)
    out = capsys.readouterr().out
    assert "Section 2 of Lesson 2 is now open" in out
    assert quiz.passed(2, 1)
    progress = json.loads((home / "progress.json").read_text())
    assert "passed_at" in progress["quizzes"]["lesson2/section1"]
    assert progress["quizzes"]["lesson2/section1"]["tries"] == 1
    assert [p.name for p in home.iterdir()] == ["progress.json"]  # no temporary file left


def test_choices_are_shuffled_stably_per_student() -> None:
    orders = {seed: [_quiz(seed).order(q) for q in _quiz(seed).questions] for seed in "abcdefgh"}
    # a re-run (a new Quiz object, same student) shows the same order
    assert all(orders[s] == [_quiz(s).order(q) for q in _quiz(s).questions] for s in orders)
    # not always the author's order, and not the same for everyone
    source = [list(q.choices) for q in _quiz().questions]
    assert any(order != source for order in orders.values())
    assert len({str(order) for order in orders.values()}) > 1
    # each order is a permutation of the choices
    for order in orders.values():
        assert [sorted(o) for o in order] == [sorted(s) for s in source]


def test_the_shown_text_follows_the_shuffle(capsys: pytest.CaptureFixture[str]) -> None:
    q = _quiz()
    q.show()
    out = capsys.readouterr().out
    question = q.questions[1]
    for shown, source in zip(question.choices, q.order(question), strict=True):
        assert f"   {shown}) {question.choices[source]}" in out
    # the letters a student types are the letters shown: the right one is Paris
    paris = next(s for s, src in zip("abc", q.order(question), strict=True) if src == "a")
    assert _right(q)["q2"] == paris


def test_the_student_name_seeds_the_shuffle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    assert quiz.student_seed() == "ada"
    assert quiz.Quiz(2, 1, _quiz().questions).seed == "ada"


def test_all_answers_are_checked_at_once_and_the_wrong_ones_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    q = _quiz()
    answers = {**_right(q), "q2": _wrong(q)["q2"]}
    assert not q.check(answers)
    out = capsys.readouterr().out
    assert "✓ q1: right" in out and "✗ q2: not right" in out
    assert "1/2 right" in out and "2 tries left" in out
    assert "Paris" not in out  # the right answer is not given away
    assert not quiz.passed(2, 1)


def test_an_incomplete_answer_sheet_costs_no_try(capsys: pytest.CaptureFixture[str]) -> None:
    q = _quiz()
    assert not q.check({"q1": _wrong(q)["q1"], "q9": "x"})
    out = capsys.readouterr().out
    assert "q2: unanswered" in out
    assert "q9" in out  # unknown keys are pointed out
    assert "✗ q1" not in out  # nothing is marked before every question is answered
    assert "1/2 answered" in out and "not counted as a try" in out
    assert quiz.quiz_entry(2, 1).get("tries", 0) == 0


def test_a_letter_that_is_not_a_choice_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    _quiz().check({"q1": "z", "q2": "a"})
    assert "'z' is not a choice; pick one of a, b" in capsys.readouterr().out
    assert quiz.quiz_entry(2, 1).get("tries", 0) == 0


def test_after_the_last_try_the_answers_are_shown_and_the_section_opens(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = _quiz()
    for left in (2, 1):
        assert not q.check(_wrong(q))
        assert f"{left} {'tries' if left > 1 else 'try'} left" in capsys.readouterr().out
        with pytest.raises(quiz.SectionLocked):
            quiz.require(2, 2)
    assert not q.check(_wrong(q))
    out = capsys.readouterr().out
    assert "that was the last of 3 tries" in out
    right = _right(q)
    assert f"q1: {right['q1']}) four" in out and f"q2: {right['q2']}) Paris" in out
    assert "Section 2 of Lesson 2 is now open" in out
    quiz.require(2, 2)  # opened, though not passed
    entry = json.loads((home / "progress.json").read_text())["quizzes"]["lesson2/section1"]
    assert entry["tries"] == 3 and "revealed_at" in entry and "passed_at" not in entry
    # further checks count nothing more and keep the section open
    assert not q.check(_wrong(q))
    assert "already open" in capsys.readouterr().out
    assert quiz.quiz_entry(2, 1)["tries"] == 3
    assert q.check(_right(q))
    assert "passed_at" in quiz.quiz_entry(2, 1)


def test_the_number_of_tries_is_the_quizs(capsys: pytest.CaptureFixture[str]) -> None:
    assert not _quiz(tries=1).check(_wrong(_quiz()))
    assert "last of 1 tries" in capsys.readouterr().out
    with pytest.raises(ValueError, match="tries"):
        _quiz(tries=0)


def test_require_locks_until_the_previous_quiz_is_passed() -> None:
    quiz.require(2, 1)  # a first section is never locked
    with pytest.raises(quiz.SectionLocked, match=r"Section 2 is locked.*lesson2/section1_x\.ipynb"):
        quiz.require(2, 2, quiz_notebook="lesson2/section1_x.ipynb")
    _quiz().check(_right(_quiz()))
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


def test_a_pass_written_by_the_earlier_version_still_opens_the_section(home: Path) -> None:
    (home / "progress.json").write_text(
        '{"quizzes": {"lesson1/section1": {"passed_at": "2025-01-01T00:00:00+00:00"}}}'
    )
    quiz.require(1, 2)


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
    assert "q2. Capital of France?" in out and "Oslo" in out
    assert "After 3 tries the right answers are shown" in out
