"""Both variants of Lesson 1's notebooks run top to bottom, in smoke mode, on look-alike data.

The full variant passes its own quizzes (its answers are filled in) and every exercise
check, so Sections 2 and 4 open on their own; the exercise variant leaves every exercise
undone, so its quizzes stay unanswered, its progress is seeded, and each exercise falls
back to the reference version while the notebook still reaches its end and its summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from notebook_runner import NOTEBOOKS, Layout, assert_locked, assert_quizzes_unanswered, run_lesson

from practicum.data import import_files, synthetic

pytestmark = pytest.mark.timeout(420)
LESSON = 1
LAYOUT = Layout.of(LESSON)
Outputs = dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    """Printed text of every notebook of both variants, after running them all."""
    root = tmp_path_factory.mktemp("lesson1")
    raw = synthetic.write_mnist_like(root / "raw", n_train=1100, n_test=520, seed=0)
    for name in ("mnist", "fashion-mnist"):  # digits stand in for clothes: same format
        import_files(name, sorted(raw.iterdir()), verify=False, home=root / "cache")
    return run_lesson(root, LESSON)


def test_lesson_one_has_its_exercises_in_sections_two_and_four() -> None:
    assert LAYOUT.exercises["section2_implementation"] == [
        "value",
        "softmax",
        "affine",
        "relu",
        "softmax_cross_entropy",
        "mlp_backward",
        "train_epoch",
        "evaluate",
    ]
    assert LAYOUT.exercises["section4_implementation"] == [
        "sgd_momentum",
        "adam",
        "dropout",
        "batchnorm",
        "l2_penalty",
        "l1_penalty",
    ]


def test_full_variant_passes_its_quizzes_and_its_own_checks(outputs: Outputs) -> None:
    LAYOUT.assert_full_variant_passes(outputs)


def test_exercise_variant_runs_on_the_reference_versions(outputs: Outputs) -> None:
    assert_quizzes_unanswered(outputs["exercise"])
    LAYOUT.assert_exercise_variant_falls_back(outputs)


def test_a_section_stays_locked_until_its_quiz_is_passed(outputs: Outputs) -> None:
    assert_locked(outputs, LESSON)


def test_each_implementation_notebook_ends_with_the_exercise_summary(outputs: Outputs) -> None:
    LAYOUT.assert_summaries(outputs)


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_two_chooses_on_validation_and_tests_once(outputs: Outputs, variant: str) -> None:
    text = outputs[variant]["section2_implementation"]
    assert re.search(r"train \(\d+, 784\)  validation \(200, 784\)  test \(\d+, 784\)", text)
    assert "loss=3.2400  dL/dw1=5.9400  dL/dw2=-3.6000" in text
    error = re.search(r"first layer's dW, 20 entries: relative error ([\d.e+-]+)", text)
    assert error and float(error.group(1)) < 1e-6
    assert len(re.findall(r"validation acc [\d.]+", text)) == 2  # numpy and bare PyTorch
    before, table = text.split("validation acc  test acc")
    assert "test acc" not in before  # the test split is measured once, in the table
    assert len(re.findall(r"(numpy|bare PyTorch|train\.fit) +[\d.]+ +[\d.]+ +[\d.]+s", table)) == 3


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_four_never_touches_the_homework_test_images(
    outputs: Outputs, variant: str
) -> None:
    text = outputs[variant]["section4_implementation"]
    assert re.search(r"train \d+  validation 256  held out 128", text)
    assert re.search(r"baseline: held-out accuracy [\d.]+ \(128 images, measured once\)", text)
    assert "test accuracy" not in text
    source = (NOTEBOOKS / "lesson1" / "section4_implementation.py").read_text(encoding="utf-8")
    assert '"test"' not in source


def test_no_lesson_one_notebook_scores_on_the_fashion_mnist_test_split() -> None:
    for path in sorted(Path(NOTEBOOKS / "lesson1").glob("section*.py")):
        source = path.read_text(encoding="utf-8")
        assert 'load_split("fashion-mnist", "test"' not in source, path.name


def test_the_closing_note_counts_the_lines_the_student_writes() -> None:
    lines = 0
    for path in sorted((NOTEBOOKS / "lesson1").glob("section*.py")):
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() == "### BEGIN SOLUTION":
                inside = True
            elif line.strip() == "### END SOLUTION":
                inside = False
            elif inside and line.strip():
                lines += 1
    note = (NOTEBOOKS / "lesson1" / "section4_implementation.py").read_text(encoding="utf-8")
    total = sum(len(names) for names in LAYOUT.exercises.values())
    assert f"Lesson 1 has {total} exercises" in note
    assert f"you write {lines} lines" in note.replace("\n# ", " ")
