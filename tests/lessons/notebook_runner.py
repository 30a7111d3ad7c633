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
from pathlib import Path

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
    """Everything the cells printed or displayed as text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
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
