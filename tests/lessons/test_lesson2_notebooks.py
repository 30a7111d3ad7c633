"""Both variants of Lesson 2's notebooks run top to bottom, in smoke mode, on look-alike
data: digits stand in for Fashion-MNIST's clothes, coloured blobs for CIFAR-10's photos."""

from __future__ import annotations

import re

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
    root = tmp_path_factory.mktemp("lesson2")
    raw = synthetic.write_mnist_like(root / "raw", n_train=1100, n_test=520, seed=0)
    import_files("fashion-mnist", sorted(raw.iterdir()), verify=False, home=root / "cache")
    cifar = synthetic.write_cifar10_like(root / "cifar-10-python.tar.gz", n_train=1100, n_test=520)
    import_files("cifar10", [cifar], verify=False, home=root / "cache")
    return run_lesson(root, 2)


def test_full_variant_passes_its_quizzes_and_its_own_checks(
    outputs: dict[str, dict[str, str]],
) -> None:
    full = outputs["full"]
    assert "All 4 right: Section 2 of Lesson 2 is now open." in full["section1_concepts"]
    assert "All 4 right: Section 4 of Lesson 2 is now open." in full["section3_techniques"]
    for name in ("conv_output_size", "conv2d_unfold", "MyCNN"):
        assert f"✓ {name} is correct" in full["section2_implementation"]
    for name in ("smoothed_cross_entropy", "flip_tta"):
        assert f"✓ {name} is correct" in full["section4_implementation"]
    assert not any(FALLBACK in text for text in full.values())
    assert "CNN:" in full["section2_implementation"]
    assert "TTA level 2: validation accuracy" in full["section4_implementation"]


def test_section3_trains_a_feature_extractor_and_loads_resnet18_weights(
    outputs: dict[str, dict[str, str]],
) -> None:
    text = outputs["full"]["section3_techniques"]
    for run in ("LeNet", "+ augmentation", "+ batch norm", "small ResNet", "one-cycle"):
        assert re.search(rf"{re.escape(run)}.* best validation accuracy 0\.\d{{4}}", text), run
    assert "linear probe on trained ResNet's features" in text
    assert "loaded 120 tensors; fc is new: (10, 512)" in text
    assert "features: (8, 512)" in text
    assert "does not fit ResNet" in text and "unexpected (66)" in text


def test_exercise_variant_runs_on_the_reference_versions(
    outputs: dict[str, dict[str, str]],
) -> None:
    exercise = outputs["exercise"]
    assert_quizzes_unanswered(exercise)
    assert exercise["section2_implementation"].count(f"not implemented yet; {FALLBACK}") == 3
    assert exercise["section4_implementation"].count(f"not implemented yet; {FALLBACK}") == 2
    assert "TTA level 2: validation accuracy" in exercise["section4_implementation"]


def test_a_section_stays_locked_until_its_quiz_is_passed(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_locked(outputs, 2)


def test_each_implementation_notebook_ends_with_the_exercise_summary(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_exercise_summaries(outputs, 2)
