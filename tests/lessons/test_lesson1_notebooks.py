"""Both variants of Lesson 1's notebooks run top to bottom, in smoke mode, on look-alike data.

The full variant passes its own quizzes (its answers are filled in), so Sections 2 and 4
open on their own; the exercise variant leaves every exercise undone, so its quizzes fail,
its progress is seeded, and each exercise must fall back to the reference version.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from practicum.data import import_files, synthetic
from practicum.lessons import quiz
from practicum.notebook_build import build_all

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SECTIONS = (
    "section1_concepts",
    "section2_implementation",
    "section3_techniques",
    "section4_implementation",
)
FALLBACK = "using the reference version so the notebook can go on"

pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Printed text of every notebook of both variants, after running them all."""
    root = tmp_path_factory.mktemp("lesson1")
    raw = synthetic.write_mnist_like(root / "raw", n_train=1100, n_test=520, seed=0)
    for name in ("mnist", "fashion-mnist"):  # digits stand in for clothes: same format
        import_files(name, sorted(raw.iterdir()), verify=False, home=root / "cache")
    build_all(NOTEBOOKS, root / "build")
    locked = _locked_message(root)
    _seed_progress(root / "home-exercise")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda variant: _run_variant(root, variant), ("full", "exercise"))
        return {**dict(zip(("full", "exercise"), results, strict=True)), "locked": locked}


def _locked_message(root: Path) -> dict[str, str]:
    """What a student sees opening Section 2 before passing Section 1's quiz."""
    notebook = _read(root, "exercise", "section2_implementation")
    notebook.cells = [cell for cell in notebook.cells if cell.cell_type == "code"][:1]
    with pytest.raises(CellExecutionError) as raised:
        _client(notebook, root).execute(env=_env(root, "exercise"))
    return {"section2_implementation": str(raised.value)}


def _seed_progress(home: Path) -> None:
    """The exercise variant's quizzes stay unanswered, so its later sections need this."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRACTICUM_HOME", str(home))
        quiz.record_pass(1, 1)
        quiz.record_pass(1, 3)


def _env(root: Path, variant: str) -> dict[str, str]:
    return {
        **os.environ,
        "PRACTICUM_SMOKE": "1",
        "PRACTICUM_DATA": str(root / "cache"),
        "PRACTICUM_HOME": str(root / f"home-{variant}"),
        "PRACTICUM_SYSTEM_DATA": "",
        # one thread per kernel: two kernels share this machine's two cores, and spinning
        # thread pools of competing processes slow small models down tenfold
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _read(root: Path, variant: str, section: str) -> nbformat.NotebookNode:
    return nbformat.read(root / "build" / variant / "lesson1" / f"{section}.ipynb", 4)


def _client(notebook: nbformat.NotebookNode, root: Path) -> NotebookClient:
    return NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(root)}}
    )


def _run_variant(root: Path, variant: str) -> dict[str, str]:
    printed = {}
    for section in SECTIONS:
        notebook = _read(root, variant, section)
        try:
            _client(notebook, root).execute(env=_env(root, variant))
        except CellExecutionError as error:
            pytest.fail(f"{variant}/{section} failed:\n{str(error)[-3000:]}")
        nbformat.write(notebook, root / f"{variant}-{section}.ipynb")
        printed[section] = _text(notebook)
    return printed


def _text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_full_variant_passes_its_quizzes_and_its_own_checks(
    outputs: dict[str, dict[str, str]],
) -> None:
    full = outputs["full"]
    assert "All 4 right: Section 2 of Lesson 1 is now open." in full["section1_concepts"]
    assert "All 4 right: Section 4 of Lesson 1 is now open." in full["section3_techniques"]
    for name in ("one_hot", "softmax", "cross_entropy", "MyMLP.backward", "train_step"):
        assert f"✓ {name} is correct" in full["section2_implementation"]
    for name in ("l1_penalty", "l2_penalty"):
        assert f"✓ {name} is correct" in full["section4_implementation"]
    assert not any(FALLBACK in text for text in full.values())
    assert "test accuracy" in full["section4_implementation"]


def test_exercise_variant_runs_on_the_reference_versions(
    outputs: dict[str, dict[str, str]],
) -> None:
    exercise = outputs["exercise"]
    for section in ("section1_concepts", "section3_techniques"):
        assert "q1: unanswered" in exercise[section]
        assert "0/4 right" in exercise[section]
    assert exercise["section2_implementation"].count(f"not implemented yet; {FALLBACK}") == 5
    assert exercise["section4_implementation"].count(f"not implemented yet; {FALLBACK}") == 2
    assert "test accuracy" in exercise["section4_implementation"]


def test_a_section_stays_locked_until_its_quiz_is_passed(
    outputs: dict[str, dict[str, str]],
) -> None:
    message = re.sub(r"\x1b\[[0-9;]*m", "", outputs["locked"]["section2_implementation"])
    assert "SectionLocked: Lesson 1, Section 2 is locked" in message
    assert "lesson1/section1_concepts.ipynb" in message
