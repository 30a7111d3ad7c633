"""Quizzes at the end of the concept sections; passing one opens the next section.

Answers are stored as salted sha256 hashes, so reading the notebook's source does not give
them away (with four choices a determined student can still guess: the quiz is a
checkpoint for the reader, not an exam). Passes are kept in `state_home()/progress.json`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from practicum import settings
from practicum.atomic import write_text_atomic

SALT = "practicum-quiz-v1"


class SectionLocked(Exception):
    """A section was opened before the quiz that unlocks it was passed."""


class ProgressError(Exception):
    """progress.json cannot be read; it is left untouched for the student to fix."""


def answer_hash(lesson: int, section: int, key: str, choice: str) -> str:
    """The stored form of an answer; the salt differs per question, so equal answers of two
    questions do not share a hash. Authors call this once to get the string to paste."""
    text = f"{SALT}:{lesson}:{section}:{key}:{choice.strip().lower()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    choices: Mapping[str, str]
    """Choice letter -> text, e.g. {"a": "...", "b": "..."}."""
    answer: str
    """answer_hash(...) of the right letter."""


class Quiz:
    """Multiple-choice questions for the end of one section of a lesson."""

    def __init__(self, lesson: int, section: int, questions: Sequence[Question]) -> None:
        self.lesson = lesson
        self.section = section
        self.questions = tuple(questions)
        keys = [q.key for q in self.questions]
        if not keys or len(set(keys)) != len(keys):
            raise ValueError(f"{self.title}: question keys must be present and unique, got {keys}")
        for q in self.questions:
            if not any(self._is_right(q, c) for c in q.choices):
                raise ValueError(
                    f"{self.title} {q.key}: the stored answer matches none of its choices"
                )

    @property
    def title(self) -> str:
        return f"Quiz: Lesson {self.lesson}, Section {self.section}"

    def _is_right(self, question: Question, choice: str) -> bool:
        return answer_hash(self.lesson, self.section, question.key, choice) == question.answer

    def markdown(self) -> str:
        lines = [f"**{self.title}**", ""]
        for q in self.questions:
            lines += [f"**{q.key}.** {q.text}", ""]
            lines += [f"- **{letter})** {text}" for letter, text in q.choices.items()]
            lines.append("")
        return "\n".join(lines)

    def text(self) -> str:
        lines = [self.title, ""]
        for q in self.questions:
            lines.append(f"{q.key}. {q.text}")
            lines += [f"   {letter}) {text}" for letter, text in q.choices.items()]
            lines.append("")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __repr__(self) -> str:
        return self.text()

    def show(self) -> None:
        """Rendered markdown (with formulas) in Jupyter, plain text anywhere else."""
        if _in_notebook():
            from IPython.display import Markdown, display

            display(Markdown(self.markdown()))
        else:
            print(self.text())

    def check(self, answers: Mapping[str, str]) -> bool:
        """Say which answers are right, never what the right ones are; record a full pass."""
        right = 0
        for q in self.questions:
            given = str(answers.get(q.key, "")).strip().lower()
            if not given:
                print(f"· {q.key}: unanswered")
            elif given not in q.choices:
                print(f"✗ {q.key}: {given!r} is not a choice; pick one of {', '.join(q.choices)}")
            elif self._is_right(q, given):
                print(f"✓ {q.key}: right")
                right += 1
            else:
                print(f"✗ {q.key}: not right; have another look at that part of the section")
        extra = sorted(set(answers) - {q.key for q in self.questions})
        if extra:
            print(f"(ignored: {', '.join(extra)} are not questions of this quiz)")
        total = len(self.questions)
        following = f"Section {self.section + 1} of Lesson {self.lesson}"
        if right < total:
            print(f"{right}/{total} right. Answer every question correctly to open {following}.")
            return False
        record_pass(self.lesson, self.section)
        print(f"All {total} right: {following} is now open.")
        return True


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


# ---------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------


def progress_path() -> Path:
    return settings.state_home() / "progress.json"


def _quiz_id(lesson: int, section: int) -> str:
    return f"lesson{lesson}/section{section}"


def read_progress() -> dict[str, Any]:
    path = progress_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        progress = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ProgressError(
            f"{path}: not valid JSON (line {error.lineno}); fix it, or delete it to start over"
        ) from None
    if not isinstance(progress, dict) or not isinstance(progress.get("quizzes", {}), dict):
        raise ProgressError(f"{path}: expected an object with a 'quizzes' object inside")
    return progress


def passed(lesson: int, section: int) -> bool:
    return _quiz_id(lesson, section) in read_progress().get("quizzes", {})


def record_pass(lesson: int, section: int) -> None:
    """Note that the quiz of (lesson, section) was passed; the first pass's time is kept."""
    progress = read_progress()
    quizzes = progress.setdefault("quizzes", {})
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    quizzes.setdefault(_quiz_id(lesson, section), {"passed_at": stamp})
    write_text_atomic(progress_path(), json.dumps(progress, indent=2, sort_keys=True) + "\n")


def require(lesson: int, section: int, *, quiz_notebook: str | None = None) -> None:
    """Raise SectionLocked unless the quiz at the end of the previous section was passed."""
    if section <= 1 or passed(lesson, section - 1):
        return
    where = f"the notebook {quiz_notebook}" if quiz_notebook else f"Section {section - 1}"
    raise SectionLocked(
        f"Lesson {lesson}, Section {section} is locked: first pass the quiz at the end of "
        f"{where} (run its last cells with your answers)."
    )
