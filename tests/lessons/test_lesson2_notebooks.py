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


SECTION2 = (
    "conv_output_size",
    "conv_forward",
    "conv_backward",
    "conv2d_unfold",
    "maxpool_forward",
    "maxpool_backward",
    "MyCNN",
)
SECTION4 = ("ResidualBlock", "RandomCropFlip", "smoothed_cross_entropy", "flip_tta")


def test_full_variant_passes_its_quizzes_and_its_own_checks(
    outputs: dict[str, dict[str, str]],
) -> None:
    full = outputs["full"]
    assert "All 4 right: Section 2 of Lesson 2 is now open." in full["section1_concepts"]
    assert "All 4 right: Section 4 of Lesson 2 is now open." in full["section3_techniques"]
    for name in SECTION2:
        assert f"✓ {name} is correct" in full["section2_implementation"]
    for name in SECTION4:
        assert f"✓ {name} is correct" in full["section4_implementation"]
    assert not any(FALLBACK in text for text in full.values())
    assert "CNN:" in full["section2_implementation"]
    assert "TTA level 2: validation accuracy" in full["section4_implementation"]


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section2_checks_the_layers_against_numerical_gradients_and_autograd(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = outputs[variant]["section2_implementation"]
    errors = re.findall(r"(dx|dw|db): relative error to the numerical gradient ([\d.e+-]+)", text)
    assert [name for name, _ in errors] == ["dx", "dw", "db"]
    assert all(float(value) < 1e-7 for _, value in errors)
    gaps = re.findall(r"(dx|dw|db): largest difference to PyTorch's autograd ([\d.e+-]+)", text)
    assert [name for name, _ in gaps] == ["dx", "dw", "db"]
    assert all(float(value) < 1e-9 for _, value in gaps)
    assert "same result: True" in text
    assert re.search(r"MLP: .* validation accuracy 0\.\d{4}", text)
    assert "test accuracy" not in text and "test images" not in text


def test_section3_trains_and_transfers_on_the_validation_split(
    outputs: dict[str, dict[str, str]],
) -> None:
    text = outputs["full"]["section3_techniques"]
    for run in ("LeNet", "+ augmentation", "+ batch norm", "small ResNet", "one-cycle"):
        assert re.search(rf"{re.escape(run)}.* best validation accuracy 0\.\d{{4}}", text), run
    transfers = re.findall(r"  (\d)\. [^\n]+ validation accuracy (\d\.\d{4})", text)
    assert [n for n, _ in transfers] == ["1", "2", "3", "4", "5"]
    assert re.search(r"loaded \d+ tensors; fc is new: \(10, 128\)", text)
    assert "does not fit ResNet" in text and "missing (" in text


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section4_uses_the_blocks_the_augmentation_and_the_baseline(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = outputs[variant]["section4_implementation"]
    assert "(2, 32, 32, 32) -> (2, 32, 32, 32)  shortcut: identity" in text
    assert "(2, 32, 32, 32) -> (2, 64, 16, 16)  shortcut: projection" in text
    assert "evaluation mode leaves the images as they are: True" in text
    assert "baseline: widths 16/32/32, 1.0 epochs" in text
    assert re.search(r"your flip_tta on the first \d+ validation images: accuracy 0\.\d{4}", text)


def test_exercise_variant_runs_on_the_reference_versions(
    outputs: dict[str, dict[str, str]],
) -> None:
    exercise = outputs["exercise"]
    assert_quizzes_unanswered(exercise)
    assert exercise["section2_implementation"].count(f"not implemented yet; {FALLBACK}") == 7
    assert exercise["section4_implementation"].count(f"not implemented yet; {FALLBACK}") == 4
    assert "TTA level 2: validation accuracy" in exercise["section4_implementation"]


def test_a_section_stays_locked_until_its_quiz_is_passed(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_locked(outputs, 2)


def test_each_implementation_notebook_ends_with_the_exercise_summary(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_exercise_summaries(outputs, 2)
