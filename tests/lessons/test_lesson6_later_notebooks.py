"""Both variants of Lesson 6's Sections 3 and 4 run top to bottom, in smoke mode, on digit
look-alikes standing in for Fashion-MNIST (the session fixture `lesson6_outputs` of
conftest.py runs every Lesson 6 notebook there is, once, for this module and the one of
Sections 1-2, which also checks the quizzes, the fallbacks and the summaries of all).

Section 3 trains four cGANs that differ in one trick each, scores them with the judge,
puts the real images' floor next to them, and trains a small diffusion model; Section 4
checks the four exercises, trains the student's cGAN and compares it with a VAE and the
diffusion model in one table.
"""

from __future__ import annotations

import math
import re

import pytest
from notebook_runner import Layout

pytestmark = pytest.mark.timeout(900)
LAYOUT = Layout.of(6)
Outputs = dict[str, dict[str, str]]
NUMBER = r"(-?[\d.]+)"
LATER = [
    "conditional_generator",
    "conditional_discriminator",
    "frechet_distance",
    "class_consistency",
]


def _float(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, pattern
    return float(found.group(1))


def test_section_four_checks_the_four_exercises() -> None:
    if "section4_implementation" not in LAYOUT.present:
        pytest.skip("section4_implementation is not written yet")
    assert LAYOUT.exercises["section4_implementation"] == LATER


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_three_compares_the_tricks_and_measures_them(
    lesson6_outputs: Outputs, variant: str
) -> None:
    text = LAYOUT.text(lesson6_outputs, variant, "section3_techniques")
    assert re.search(
        r"[\d,]+ training images, [\d,]+ validation images \(both from the training", text
    )
    assert 0 <= _float(rf"the judge puts {NUMBER}% of the validation images", text) <= 100
    runs = re.findall(
        r"^ *(.+?): \d+ steps in \d+ s; at step \d+: FD [\d.]+, class consistency ([\d.]+), "
        r"D\(real\) [\d.]+, D\(fake\) [\d.]+$",
        text,
        re.M,
    )
    assert [name for name, _ in runs] == [
        "reference",
        "no spectral norm",
        "TTUR (D 4x)",
        "real target 0.9",
    ]
    assert all(0 <= float(share) <= 1 for _, share in runs)
    layers = re.findall(r"^ +(\S+) +([\d.]+) +([\d.]+)$", text, re.M)
    assert [name for name, _, _ in layers] == [
        "features.0",
        "features.2",
        "features.4",
        "linear",
        "embed",
    ]
    assert all(math.isclose(float(normed), 1.0, abs_tol=0.3) for _, normed, _ in layers)
    floor = [float(fd) for fd in re.findall(r"^ *\d+ validation images: FD +([\d.]+)", text, re.M)]
    assert len(floor) >= 3 and floor[0] > floor[-1]
    rows = re.findall(
        r"^ *(validation images|cGAN, \d+ steps) +[\d.]+ +[\d.]+ +([\d.]+) +([\d.]+)$", text, re.M
    )
    assert [row[0].split(",")[0] for row in rows] == ["validation images", "cGAN"]
    assert all(0 <= float(share) <= 1 and float(spread) >= 0 for _, share, spread in rows)
    assert re.search(
        r"median distance to the nearest training image: cGAN [\d.]+, validation", text
    )
    linear = _float(rf"linear: alpha_bar at t = \d+ is {NUMBER}", text)
    cosine = _float(rf"cosine: alpha_bar at t = \d+ is {NUMBER}", text)
    assert 0 < linear < cosine < 1
    assert re.search(r"trained in \d+ s, saved to lesson6_ddpm\.pt", text)
    assert re.search(r"\d+ images, \d+ network calls each, in \d+ s", text)


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_four_trains_the_cgan_and_compares_three_models(
    lesson6_outputs: Outputs, variant: str
) -> None:
    text = LAYOUT.text(lesson6_outputs, variant, "section4_implementation")
    for name in LATER:
        if variant == "full":
            assert f"✓ {name} is correct" in text
        else:
            assert f"✗ {name}: not implemented yet; using the reference version" in text
    two = _float(rf"N\(0, I\) against N\(\(1, 0\), diag\(4, 1\)\): {NUMBER} \(formula: 2\)", text)
    assert math.isclose(two, 2.0, abs_tol=0.05)
    assert _float(rf"two samples of N\(0, I\): {NUMBER}", text) < 0.01
    steps = re.findall(
        r"step +\d+  D loss [\d.]+  G loss [\d.]+  D\(real\) [\d.]+  D\(fake\)", text
    )
    assert len(steps) >= 2
    assert re.search(r"epoch 1  training loss [\d.]+ nats per image", text)
    assert re.search(r"loaded lesson6_ddpm\.pt|step +\d+  loss [\d.]+", text)
    assert re.search(r"\d+ images sampled in \d+ s", text)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == (
        "|  | FD | class FD | class consistency | spread | nearest (median) | training time |"
    )
    assert [row.split(" | ")[0] for row in table[1:]] == [
        "| validation images (real)",
        "| cGAN (yours)",
        "| VAE",
        "| diffusion",
    ]
    assert re.search(r"\| VAE \| [\d.]+ \| — \| — \| — \| [\d.]+ \| \d+ s \|", text)
    shares = re.findall(
        r"^\| (?:validation|cGAN|diffusion).*? \| [\d.]+ \| [\d.]+ \| ([\d.]+) \|", text, re.M
    )
    assert len(shares) == 3 and all(0 <= float(s) <= 1 for s in shares)
    assert re.search(r"lowest FD: .+ \([\d.]+; the real images' floor [\d.]+\)", text)
    assert len(re.findall(r": nearest training image [+-][\d.]+ from the validation", text)) == 3
