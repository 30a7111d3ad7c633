"""Both variants of Lesson 1's notebooks run top to bottom, in smoke mode, on look-alike data.

The full variant passes its own quizzes (its answers are filled in), so Sections 2 and 4
open on their own; the exercise variant leaves every exercise undone, so its quizzes fail,
its progress is seeded, and each exercise must fall back to the reference version.
"""

from __future__ import annotations

import pytest
from notebook_runner import (
    FALLBACK,
    assert_exercise_summaries,
    assert_locked,
    assert_quizzes_unanswered,
    run_lesson,
)

from practicum.data import import_files, synthetic

pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Printed text of every notebook of both variants, after running them all."""
    root = tmp_path_factory.mktemp("lesson1")
    raw = synthetic.write_mnist_like(root / "raw", n_train=1100, n_test=520, seed=0)
    for name in ("mnist", "fashion-mnist"):  # digits stand in for clothes: same format
        import_files(name, sorted(raw.iterdir()), verify=False, home=root / "cache")
    return run_lesson(root, 1)


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
    assert_quizzes_unanswered(exercise)
    assert exercise["section2_implementation"].count(f"not implemented yet; {FALLBACK}") == 5
    assert exercise["section4_implementation"].count(f"not implemented yet; {FALLBACK}") == 2
    assert "test accuracy" in exercise["section4_implementation"]


def test_a_section_stays_locked_until_its_quiz_is_passed(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_locked(outputs, 1)


def test_each_implementation_notebook_ends_with_the_exercise_summary(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_exercise_summaries(outputs, 1)
