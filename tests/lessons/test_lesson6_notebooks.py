"""Both variants of Lesson 6's first two notebooks run top to bottom, in smoke mode, on
digit look-alikes standing in for Fashion-MNIST (the session fixture `lesson6_outputs` of
conftest.py runs every Lesson 6 notebook there is, once, for this module and the one of
Sections 3-4).

The full variant passes its quiz and its own exercise checks; the exercise variant leaves
every exercise undone, so each falls back to the reference version, and the notebooks
still reach the end: Section 1 trains an autoencoder, a VAE and two toy GANs, Section 2 a
VAE with the student's loop and a DCGAN with the student's step.
"""

from __future__ import annotations

import math
import re

import pytest
from notebook_runner import Layout, assert_locked

pytestmark = pytest.mark.timeout(900)
LESSON = 6
LAYOUT = Layout.of(LESSON)
Outputs = dict[str, dict[str, str]]
NUMBER = r"(-?[\d.]+)"


def test_lesson_six_has_its_first_two_sections() -> None:
    assert LAYOUT.present[:2] == ("section1_concepts", "section2_implementation")
    assert LAYOUT.exercises["section2_implementation"] == [
        "reparameterize",
        "vae_loss",
        "train_vae_epoch",
        "discriminator_loss",
        "generator_loss",
        "gan_step",
    ]


def test_full_variant_passes_its_quizzes_and_its_own_checks(lesson6_outputs: Outputs) -> None:
    LAYOUT.assert_full_variant_passes(lesson6_outputs)


def test_exercise_variant_runs_on_the_reference_versions(lesson6_outputs: Outputs) -> None:
    LAYOUT.assert_exercise_variant_falls_back(lesson6_outputs)


def test_a_section_stays_locked_until_its_quiz_is_passed(lesson6_outputs: Outputs) -> None:
    assert_locked(lesson6_outputs, LESSON)


def test_each_implementation_notebook_ends_with_the_exercise_summary(
    lesson6_outputs: Outputs,
) -> None:
    LAYOUT.assert_summaries(lesson6_outputs)


def _float(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, pattern
    return float(found.group(1))


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_one_works_its_examples_through(lesson6_outputs: Outputs, variant: str) -> None:
    text = LAYOUT.text(lesson6_outputs, variant, "section1_concepts")
    assert "1,200 training images: 1,000 to train on, 200 for validation" in text
    independent = _float(rf"independent pixels: -log p\(x\) = {NUMBER} nats", text)
    assert 0 < independent < 784 * math.log(2) * 2
    assert len(re.findall(r"epoch \d  reconstruction [\d.]+ nats per validation image", text)) == 1
    closed = _float(rf"closed form {NUMBER}", text)
    assert math.isclose(closed, 0.5 * (1 + 0.25 - math.log(0.25) - 1), abs_tol=1e-4)
    assert math.isclose(_float(rf"Monte Carlo {NUMBER}", text), closed, abs_tol=0.02)
    assert "sample():  carries a gradient? False" in text
    assert "rsample(): carries a gradient? True" in text
    epochs = re.findall(
        r"epoch +\d+  training [\d.]+  validation ([\d.]+) = reconstruction ([\d.]+) \+ KL ([\d.]+)",
        text,
    )
    assert len(epochs) == 1
    loss, reconstruction, kl = map(float, epochs[0])
    assert math.isclose(loss, reconstruction + kl, abs_tol=0.11) and kl >= 0
    vae = _float(rf"\(exact\); VAE {NUMBER} \(an upper bound on its -log p\(x\)\)", text)
    assert vae == loss
    spans = re.findall(
        r"(autoencoder|VAE): codes span \[ *[\d.]+ +[\d.]+\] \(z1, z2\); \d+% within", text
    )
    assert spans == ["autoencoder", "VAE"]
    toys = re.findall(
        r"G at (1e-3|1e-4): modes covered at steps \[10, 20, 30, 40, 50, 60\]: \[[\d, ]+\]; "
        r"at the end \d+% of the samples are near a mode",
        text,
    )
    assert toys == ["1e-3", "1e-4"]


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_two_trains_a_vae_and_a_dcgan(lesson6_outputs: Outputs, variant: str) -> None:
    text = LAYOUT.text(lesson6_outputs, variant, "section2_implementation")
    assert "1,000 training images, 200 validation images" in text
    assert re.search(r"one item: image \(1, 28, 28\) torch\.float32 in \[0, 1\], label \d", text)
    assert "one batch: images (128, 1, 28, 28), labels (128,)" in text
    epochs = re.findall(
        r"epoch +\d+  training [\d.]+  validation [\d.]+ = reconstruction [\d.]+ \+ KL [\d.]+",
        text,
    )
    assert len(epochs) == 1
    assert re.search(r"kept the weights of epoch 1: validation loss [\d.]+ nats per image", text)
    assert re.search(r"G: [\d,]+ weights, D: [\d,]+ weights", text)
    steps = re.findall(r"step +(\d+)  D's loss [\d.]+  G's loss [\d.]+  \(means of", text)
    assert steps == ["2", "6", "20"]
    assert re.search(r"20 steps: [\d.]+ epochs of the training images", text)
    assert _float(rf"sample to its nearest training image: {NUMBER}", text) > 0
    scores = re.search(
        rf"D\(x\), mean: training images {NUMBER}, validation images {NUMBER}, "
        rf"G's samples {NUMBER}",
        text,
    )
    assert scores and all(0 <= float(s) <= 1 for s in scores.groups())
