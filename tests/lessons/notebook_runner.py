"""Build a lesson's notebooks and run both variants top to bottom in smoke mode.

Shared by the notebook tests of every lesson. The caller puts look-alike data into
`root / "cache"` first. The full variant passes its own quizzes (its answers are filled
in); the exercise variant leaves them unanswered, so its progress is seeded here and
every exercise must fall back to the reference version.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

from practicum.coursework import exercise, quiz
from practicum.notebook_build import build_all

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SECTIONS = (
    "section1_concepts",
    "section2_implementation",
    "section3_techniques",
    "section4_implementation",
)
QUIZ_SECTIONS = (1, 3)
"""Sections that end in a quiz; each opens the section after it."""
FALLBACK = "using the reference version so the notebook can go on"
VARIANTS = ("full", "exercise")


@dataclass(frozen=True)
class Layout:
    """A lesson's notebooks as written so far: found on disk, their exercises from the
    registry, so a section added later is covered without changing the tests."""

    lesson: int
    present: tuple[str, ...]
    """The sections written so far, in order."""
    exercises: dict[str, list[str]]
    """Notebook -> the ids of the exercises it checks."""
    quizzes: dict[int, str]
    """Quiz section number -> its notebook."""

    @classmethod
    def of(cls, lesson: int) -> Layout:
        present = tuple(s for s in SECTIONS if (NOTEBOOKS / f"lesson{lesson}" / f"{s}.py").exists())

        def section(number: int) -> str | None:
            return next((s for s in present if s.startswith(f"section{number}_")), None)

        exercises: dict[str, list[str]] = {}
        for entry in exercise.lesson_exercises(lesson):
            where = section(entry.section)
            if where is not None:
                exercises.setdefault(where, []).append(entry.id)
        quizzes = {n: where for n in QUIZ_SECTIONS if (where := section(n)) is not None}
        return cls(lesson, present, exercises, quizzes)

    def assert_full_variant_passes(self, outputs: dict[str, dict[str, str]]) -> None:
        """Its quizzes open the next sections, every exercise is correct, no fallback."""
        full = outputs["full"]
        for number, section in self.quizzes.items():
            opened = rf"All \d+ right: Section {number + 1} of Lesson {self.lesson} is now open\."
            assert re.search(opened, full[section]), section
        for section, names in self.exercises.items():
            for name in names:
                assert f"✓ {name} is correct" in full[section]
        assert not any(FALLBACK in text for text in full.values())

    def assert_exercise_variant_falls_back(self, outputs: dict[str, dict[str, str]]) -> None:
        """Quizzes unanswered (no try counted), every exercise on the reference version."""
        student = outputs["exercise"]
        for section in self.quizzes.values():
            assert "q1: unanswered" in student[section]
            assert "not counted as a try" in student[section]
        for section, names in self.exercises.items():
            for name in names:
                assert f"✗ {name}: not implemented yet; {FALLBACK}" in student[section]

    def assert_summaries(self, outputs: dict[str, dict[str, str]]) -> None:
        """Section 2 ends with its own exercises done (full) or on the reference (exercise)
        and the later ones not checked yet; Section 4, once written, with all of them."""
        entries = exercise.lesson_exercises(self.lesson)
        names = [e.id for e in entries]
        early = self.exercises["section2_implementation"]
        later = [name for name in names if name not in early]
        where = " and ".join(sorted({f"Section {e.section}" for e in entries if e.id in later}))
        pending = f"; not checked yet: {', '.join(later)} ({where})" if later else ""
        lesson = self.lesson
        assert (
            f"Lesson {lesson}: {len(early)}/{len(names)} exercises done{pending}."
            in outputs["full"]["section2_implementation"]
        )
        assert (
            f"Lesson {lesson}: 0/{len(names)} exercises done; the reference was used for: "
            f"{', '.join(early)}{pending}."
        ) in outputs["exercise"]["section2_implementation"]
        if "section4_implementation" in self.present:
            assert_exercise_summaries(outputs, lesson)

    def text(self, outputs: dict[str, dict[str, str]], variant: str, section: str) -> str:
        """A section's printed text, or a skip while that section is not written yet."""
        if section not in self.present:
            pytest.skip(f"{section} is not written yet")
        return outputs[variant][section]


def run_lesson(
    root: Path, lesson: int, sections: Sequence[str] = SECTIONS
) -> dict[str, dict[str, str]]:
    """Printed text of every section of both variants, plus what a locked section says.

    Keys: "full" and "exercise" (section -> text), and "locked" ({"section2_implementation":
    the error a student sees opening Section 2 before passing Section 1's quiz}).
    `sections` are run in order (a lesson being written may have only its first ones).
    """
    build_all(NOTEBOOKS, root / "build")
    locked = locked_message(root, lesson)
    seed_progress(root / "home-exercise", lesson)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda variant: run_variant(root, lesson, variant, sections), VARIANTS)
        return {**dict(zip(VARIANTS, results, strict=True)), "locked": locked}


def locked_message(root: Path, lesson: int) -> dict[str, str]:
    """What a student sees opening Section 2 before passing Section 1's quiz."""
    notebook = read(root, "exercise", lesson, "section2_implementation")
    notebook.cells = [cell for cell in notebook.cells if cell.cell_type == "code"][:1]
    with pytest.raises(CellExecutionError) as raised:
        client(notebook, root).execute(env=env(root, "exercise"))
    return {"section2_implementation": str(raised.value)}


def seed_progress(home: Path, lesson: int) -> None:
    """The exercise variant's quizzes stay unanswered, so its later sections need this."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRACTICUM_HOME", str(home))
        for section in QUIZ_SECTIONS:
            quiz.record_pass(lesson, section)


def env(root: Path, variant: str) -> dict[str, str]:
    return {
        **os.environ,
        "PRACTICUM_SMOKE": "1",
        "PRACTICUM_DATA": str(root / "cache"),
        "PRACTICUM_HOME": str(root / f"home-{variant}"),
        "PRACTICUM_SYSTEM_DATA": "",
        "PRACTICUM_URL": "",  # no course site: a notebook's submit cell must not upload
        # one thread per kernel: two kernels share this machine's two cores, and spinning
        # thread pools of competing processes slow small models down tenfold
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def read(root: Path, variant: str, lesson: int, section: str) -> nbformat.NotebookNode:
    return nbformat.read(root / "build" / variant / f"lesson{lesson}" / f"{section}.ipynb", 4)


def client(notebook: nbformat.NotebookNode, root: Path) -> NotebookClient:
    """A client whose kernel talks over Unix sockets in a folder of its own.

    Over TCP, two kernels started at once (the variants run in parallel) can be handed
    the same free port, and one of them dies with "Address already in use".
    """
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = os.path.join(tempfile.mkdtemp(prefix="k", dir=root), "kernel")
    return NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(root)}},
        config=config,
    )


def run_variant(
    root: Path, lesson: int, variant: str, sections: Sequence[str] = SECTIONS
) -> dict[str, str]:
    """Run the sections in order (in `root`, the notebooks' working folder); an
    executed copy of each is kept beside them for a look after a failure."""
    printed = {}
    for section in sections:
        notebook = read(root, variant, lesson, section)
        try:
            client(notebook, root).execute(env=env(root, variant))
        except CellExecutionError as error:
            pytest.fail(f"lesson{lesson} {variant}/{section} failed:\n{str(error)[-3000:]}")
        nbformat.write(notebook, root / f"{variant}-{section}.ipynb")
        printed[section] = text(notebook)
    return printed


def text(notebook: nbformat.NotebookNode) -> str:
    """Everything the cells printed or displayed as text.

    A kernel flushes its stdout every so often, so on a busy machine one `print` can
    arrive as two stream outputs; those are joined as they were written, without a
    line break between them.
    """
    parts: list[str] = []
    for cell in notebook.cells:
        merged: list[dict[str, Any]] = []
        for output in cell.get("outputs", []):
            last = merged[-1] if merged else {}
            same_stream = output.get("output_type") == last.get("output_type") == "stream"
            if same_stream and output.get("name") == last.get("name"):
                merged[-1] = {**last, "text": last["text"] + output["text"]}
            else:
                merged.append(output)
        for output in merged:
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
            parts.append(output.get("data", {}).get("text/markdown", ""))
    return "\n".join(parts)


def assert_quizzes_unanswered(exercise: dict[str, str]) -> None:
    """The exercise variant's quizzes are shown but not passed (no answers filled in), and
    checking them unanswered costs no try."""
    for section in ("section1_concepts", "section3_techniques"):
        assert "q1: unanswered" in exercise[section]
        assert "0/4 answered" in exercise[section]
        assert "not counted as a try" in exercise[section]


def assert_exercise_summaries(outputs: dict[str, dict[str, str]], lesson: int) -> None:
    """Each implementation notebook ends with where the lesson's exercises stand: all done
    in the full variant; in the exercise variant none, each on the reference."""
    names = [e.id for e in exercise.lesson_exercises(lesson)]
    total = len(names)
    full, student = outputs["full"], outputs["exercise"]
    assert f"Lesson {lesson}: {total}/{total} exercises done." in full["section4_implementation"]
    assert "progress.json" in full["section4_implementation"]
    later = [e.id for e in exercise.lesson_exercises(lesson) if e.section == 4]
    early = [name for name in names if name not in later]
    assert (
        f"Lesson {lesson}: 0/{total} exercises done; the reference was used for: "
        f"{', '.join(early)}; not checked yet: {', '.join(later)} (Section 4)."
    ) in student["section2_implementation"]
    assert (
        f"Lesson {lesson}: 0/{total} exercises done; the reference was used for: "
        f"{', '.join(names)}."
    ) in student["section4_implementation"]


def assert_locked(outputs: dict[str, dict[str, str]], lesson: int) -> None:
    """Section 2 refuses to run before Section 1's quiz, and says which notebook opens it."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", outputs["locked"]["section2_implementation"])
    assert f"SectionLocked: Lesson {lesson}, Section 2 is locked" in message
    assert f"lesson{lesson}/section1_concepts.ipynb" in message
