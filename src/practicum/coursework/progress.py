"""A student's progress through the lessons, kept in `state_home()/progress.json`.

One JSON object with two parts, both keyed "lesson<N>/<name>":

    {
      "quizzes": {
        "lesson1/section1": {"tries": 2, "passed_at": "2025-01-01T10:00:00+00:00"},
        "lesson1/section3": {"tries": 3, "revealed_at": "2025-01-01T11:00:00+00:00"}
      },
      "exercises": {
        "lesson1/softmax": {"lesson": 1, "exercise": "softmax", "done": true,
                            "used_reference": false, "checks": 2,
                            "checked_at": "...", "first_done_at": "..."}
      }
    }

A quiz entry opens the next section once it has `passed_at` (all answers right) or
`revealed_at` (the tries ran out and the answers were shown). An exercise entry holds the
latest check's outcome; `first_done_at` remembers that it was once solved. Every change
reads the file afresh, changes one entry and replaces the file atomically under a lock, so
two notebooks writing at once never lose each other's results.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from practicum import settings
from practicum.atomic import write_text_atomic

PARTS = ("quizzes", "exercises")


class ProgressError(Exception):
    """progress.json cannot be read; it is left untouched for the student to fix."""


def progress_path() -> Path:
    return settings.state_home() / "progress.json"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_progress() -> dict[str, Any]:
    """The whole file ({} when there is none yet); ProgressError when it is unreadable."""
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
    if not isinstance(progress, dict) or not all(
        isinstance(progress.get(part, {}), dict) for part in PARTS
    ):
        raise ProgressError(
            f"{path}: expected an object with 'quizzes' and 'exercises' objects inside"
        )
    return progress


def update_progress(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply `change` to the current progress and save it; returns what was saved.

    Entries `change` does not touch are kept as they are on disk at this moment, not as
    some earlier read saw them.
    """
    path = progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent):
        progress = read_progress()
        change(progress)
        write_text_atomic(path, json.dumps(progress, indent=2, sort_keys=True) + "\n")
    return progress


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the state folder between processes, where the system has one
    (POSIX flock on the folder itself: no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: atomic replace only
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def entry_id(lesson: int, name: str) -> str:
    return f"lesson{lesson}/{name}"


def record_exercise(lesson: int, exercise: str, *, done: bool, used_reference: bool) -> None:
    """Keep the outcome of one exercise check (the latest wins; a first success is kept)."""
    stamp = now()

    def change(progress: dict[str, Any]) -> None:
        exercises = progress.setdefault("exercises", {})
        old = exercises.get(entry_id(lesson, exercise))
        entry = dict(old) if isinstance(old, dict) else {}
        entry.update(
            lesson=lesson,
            exercise=exercise,
            done=done,
            used_reference=used_reference,
            checked_at=stamp,
            checks=int(entry.get("checks", 0)) + 1,
        )
        if done:
            entry.setdefault("first_done_at", stamp)
        exercises[entry_id(lesson, exercise)] = entry

    update_progress(change)


def exercise_results(lesson: int) -> dict[str, dict[str, Any]]:
    """Exercise id -> its latest recorded outcome, for one lesson."""
    prefix = entry_id(lesson, "")
    return {
        key.removeprefix(prefix): value
        for key, value in read_progress().get("exercises", {}).items()
        if key.startswith(prefix) and isinstance(value, dict)
    }
