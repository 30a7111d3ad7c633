"""Quizzes at the end of the concept sections; passing one opens the next section.

Answers are stored as salted sha256 hashes, so reading the notebook's source does not give
them away (with four choices a determined student can still guess: the quiz is a
checkpoint for the reader, not an exam). The choices are shuffled per student (stable
across re-runs), all answers are checked at once, and a quiz has a few tries: after the
last the right answers are shown and the next section opens. Tries, passes and reveals are
kept in `state_home()/progress.json` (see `progress`).
"""

from __future__ import annotations

import getpass
import hashlib
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from practicum.coursework.progress import (
    ProgressError,
    entry_id,
    now,
    progress_path,
    read_progress,
    update_progress,
)

__all__ = [
    "ProgressError",
    "Question",
    "Quiz",
    "SectionLocked",
    "answer_hash",
    "passed",
    "progress_path",
    "read_progress",
    "record_pass",
    "require",
    "student_seed",
]

SALT = "practicum-quiz-v1"
TRIES = 3
"""Checks a student gets before the answers are shown."""


class SectionLocked(Exception):
    """A section was opened before the quiz that unlocks it was passed."""


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

    def __init__(
        self,
        lesson: int,
        section: int,
        questions: Sequence[Question],
        *,
        tries: int = TRIES,
        seed: str | None = None,
    ) -> None:
        self.lesson = lesson
        self.section = section
        self.questions = tuple(questions)
        self.tries = tries
        self.seed = student_seed() if seed is None else seed
        """What the shuffle of the choices depends on, besides the question."""
        if tries < 1:
            raise ValueError(f"{self.title}: tries must be at least 1, got {tries}")
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

    def order(self, question: Question) -> list[str]:
        """The question's choice letters in the order this student sees them.

        Shuffled with a seed made of the student's name and the question, so that a re-run
        shows the same order and the right answer is not always where the author put it.
        """
        letters = list(question.choices)
        digest = hashlib.sha256(
            f"{self.seed}:{self.lesson}:{self.section}:{question.key}".encode()
        ).digest()
        random.Random(digest).shuffle(letters)
        return letters

    def _shown(self, question: Question) -> dict[str, str]:
        """Shown letter -> the author's letter of the choice shown under it."""
        return dict(zip(question.choices, self.order(question), strict=True))

    def shown_letters(self, answers: Mapping[str, str]) -> dict[str, str]:
        """The author's answer letters translated into the letters this student sees
        (for the filled-in answers of the full notebook)."""
        result = {}
        for q in self.questions:
            back = {source: shown for shown, source in self._shown(q).items()}
            given = str(answers.get(q.key, "")).strip().lower()
            result[q.key] = back.get(given, given)
        return result

    def markdown(self) -> str:
        lines = [f"**{self.title}**", ""]
        for q in self.questions:
            lines += [f"**{q.key}.** {q.text}", ""]
            lines += [f"- **{shown})** {q.choices[src]}" for shown, src in self._shown(q).items()]
            lines.append("")
        lines.append(self._rules())
        return "\n".join(lines)

    def text(self) -> str:
        lines = [self.title, ""]
        for q in self.questions:
            lines.append(f"{q.key}. {q.text}")
            lines += [f"   {shown}) {q.choices[src]}" for shown, src in self._shown(q).items()]
            lines.append("")
        lines.append(self._rules())
        return "\n".join(lines)

    def _rules(self) -> str:
        return (
            f"Answer every question, then run the check: it says which answers are wrong. "
            f"After {self.tries} tries the right answers are shown and the next section opens."
        )

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
        """Check all answers at once: say which are wrong, never what the right ones are,
        until the tries run out; then show them and open the next section.

        Returns True when every answer is right (the pass is recorded). A check with a
        question unanswered, or a letter that is not a choice, does not count as a try.
        """
        given = {q.key: str(answers.get(q.key, "")).strip().lower() for q in self.questions}
        extra = sorted(set(answers) - set(given))
        if extra:
            print(f"(ignored: {', '.join(extra)} are not questions of this quiz)")
        total = len(self.questions)
        following = f"Section {self.section + 1} of Lesson {self.lesson}"
        incomplete = False
        for q in self.questions:
            if not given[q.key]:
                print(f"· {q.key}: unanswered")
                incomplete = True
            elif given[q.key] not in q.choices:
                print(
                    f"✗ {q.key}: {given[q.key]!r} is not a choice; pick one of {', '.join(q.choices)}"
                )
                incomplete = True
        if incomplete:
            answered = sum(1 for q in self.questions if given[q.key] in q.choices)
            print(
                f"{answered}/{total} answered. Answer every question, then check again "
                "(this was not counted as a try)."
            )
            return False
        right = 0
        for q in self.questions:
            if self._is_right(q, self._shown(q)[given[q.key]]):
                print(f"✓ {q.key}: right")
                right += 1
            else:
                print(f"✗ {q.key}: not right; have another look at that part of the section")
        entry = quiz_entry(self.lesson, self.section)
        settled = "passed_at" in entry or "revealed_at" in entry
        if right == total:
            record_pass(self.lesson, self.section, count_try=True)
            print(f"All {total} right: {following} is now open.")
            return True
        if settled:
            print(f"{right}/{total} right. ({following} is already open.)")
            return False
        tries = record_try(self.lesson, self.section)
        left = self.tries - tries
        if left > 0:
            print(
                f"{right}/{total} right. Answer every question correctly to open {following} "
                f"({left} {'try' if left == 1 else 'tries'} left)."
            )
            return False
        print(f"{right}/{total} right, and that was the last of {self.tries} tries. The answers:")
        for q in self.questions:
            shown = next(s for s, src in self._shown(q).items() if self._is_right(q, src))
            print(f"  {q.key}: {shown}) {q.choices[self._shown(q)[shown]]}")
        record_reveal(self.lesson, self.section)
        print(f"{following} is now open; read those parts of the section again.")
        return False


def student_seed() -> str:
    """The student's name: the hub's user in a course notebook server, else the login."""
    name = os.environ.get("JUPYTERHUB_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "student"


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


# ---------------------------------------------------------------------------------------
# Progress (kept with the exercises' in progress.json, see `progress`)
# ---------------------------------------------------------------------------------------


def _quiz_id(lesson: int, section: int) -> str:
    return entry_id(lesson, f"section{section}")


def quiz_entry(lesson: int, section: int) -> dict[str, Any]:
    entry = read_progress().get("quizzes", {}).get(_quiz_id(lesson, section))
    return entry if isinstance(entry, dict) else {}


def passed(lesson: int, section: int) -> bool:
    """Whether the quiz of (lesson, section) opens the next section: passed, or its tries
    used up and the answers shown."""
    entry = quiz_entry(lesson, section)
    return "passed_at" in entry or "revealed_at" in entry


def _update_quiz(lesson: int, section: int, change: Callable[[dict[str, Any]], None]) -> int:
    tries = 0

    def apply(progress: dict[str, Any]) -> None:
        nonlocal tries
        quizzes = progress.setdefault("quizzes", {})
        old = quizzes.get(_quiz_id(lesson, section))
        entry = dict(old) if isinstance(old, dict) else {}
        change(entry)
        tries = int(entry.get("tries", 0))
        quizzes[_quiz_id(lesson, section)] = entry

    update_progress(apply)
    return tries


def record_pass(lesson: int, section: int, *, count_try: bool = False) -> None:
    """Note that the quiz of (lesson, section) was passed; the first pass's time is kept."""
    stamp = now()

    def change(entry: dict[str, Any]) -> None:
        if count_try and "passed_at" not in entry and "revealed_at" not in entry:
            entry["tries"] = int(entry.get("tries", 0)) + 1
        entry.setdefault("passed_at", stamp)

    _update_quiz(lesson, section, change)


def record_try(lesson: int, section: int) -> int:
    """Count one more wrong try; returns the number of tries so far."""

    def change(entry: dict[str, Any]) -> None:
        entry["tries"] = int(entry.get("tries", 0)) + 1

    return _update_quiz(lesson, section, change)


def record_reveal(lesson: int, section: int) -> None:
    """The tries ran out: the answers were shown, and the next section opens."""
    stamp = now()
    _update_quiz(lesson, section, lambda entry: entry.setdefault("revealed_at", stamp))


def require(lesson: int, section: int, *, quiz_notebook: str | None = None) -> None:
    """Raise SectionLocked unless the quiz at the end of the previous section was passed."""
    if section <= 1 or passed(lesson, section - 1):
        return
    where = f"the notebook {quiz_notebook}" if quiz_notebook else f"Section {section - 1}"
    raise SectionLocked(
        f"Lesson {lesson}, Section {section} is locked: first pass the quiz at the end of "
        f"{where} (run its last cells with your answers)."
    )
