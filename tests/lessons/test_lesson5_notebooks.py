"""Both variants of every Lesson 5 notebook there is run top to bottom, in smoke mode, on
look-alike data (`synthetic.write_flickr8k_like`, `synthetic.write_cifar10_like`).

The full variant passes its own quizzes and exercise checks; the exercise variant leaves
every exercise undone, so each must fall back to the reference version, and the notebooks
still reach the end: Section 2 trains its captioner and compares it with the baselines.

The sections are found in notebooks/lesson5 and their exercises in the registry, so a
section added later is covered without changing this file.
"""

from __future__ import annotations

import math
import re

import pytest
from notebook_runner import (
    Layout,
    assert_locked,
    run_lesson,
)

from practicum.data import import_files, synthetic

pytestmark = pytest.mark.timeout(900)
LESSON = 5
LAYOUT = Layout.of(LESSON)
PRESENT, EXERCISES = LAYOUT.present, LAYOUT.exercises


def test_lesson_five_has_its_first_two_sections() -> None:
    assert PRESENT[:2] == ("section1_concepts", "section2_implementation")
    assert EXERCISES["section2_implementation"] == ["pad_captions", "show_and_tell", "train_epoch"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Printed text of every notebook of both variants, after running them all."""
    root = tmp_path_factory.mktemp("lesson5")
    photos = synthetic.write_flickr8k_like(root / "raw" / "flickr8k", n_images=40, seed=0)
    import_files("flickr8k", [photos], verify=False, home=root / "cache")
    cifar = synthetic.write_cifar10_like(root / "raw" / "cifar-10-python.tar.gz")
    import_files("cifar10", [cifar], verify=False, home=root / "cache")
    return run_lesson(root, LESSON, PRESENT)


def test_full_variant_passes_its_quizzes_and_its_own_checks(
    outputs: dict[str, dict[str, str]],
) -> None:
    LAYOUT.assert_full_variant_passes(outputs)


def test_exercise_variant_runs_on_the_reference_versions(
    outputs: dict[str, dict[str, str]],
) -> None:
    LAYOUT.assert_exercise_variant_falls_back(outputs)


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_one_works_its_examples_through(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = outputs[variant]["section1_concepts"]
    assert "min_freq  vocabulary  <unk> among the validation words" in text
    assert re.search(r"photos \(\d+, 128, 128, 3\) -> grid \(\d+, 16, 15, 15\)", text)
    loss = re.search(r"untrained loss ([\d.]+), ln V = ([\d.]+)", text)
    assert loss and math.isclose(float(loss.group(1)), float(loss.group(2)), abs_tol=0.2)
    assert "greedy: a dog runs     P = 0.119" in text
    assert "beam search, beam 2: two dogs play  P = 0.324" in text
    bleu_by_hand = re.search(r"by hand: BLEU-4 = 100 × [\d.]+ × [\d.]+ = ([\d.]+)", text)
    bleu = re.search(r"caption_bleu: ([\d.]+)", text)
    assert bleu_by_hand and bleu and bleu_by_hand.group(1) == bleu.group(1)
    assert re.search(r"brevity penalty 0\.\d+", text)
    cider_by_hand = re.search(r"by hand: CIDEr-D = ([\d.]+)", text)
    cider = re.search(r"cider_d: ([\d.]+)", text)
    assert cider_by_hand and cider and cider_by_hand.group(1) == cider.group(1)
    rows = dict(
        re.findall(
            r"^(a human|a human, wrong photo|one generic caption) +[\d.]+ +([\d.]+)$", text, re.M
        )
    )
    assert len(rows) == 3 and float(rows["a human"]) > float(rows["one generic caption"])


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_two_trains_and_compares_with_the_baselines(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = outputs[variant]["section2_implementation"]
    loss = re.search(r"untrained: validation loss ([\d.]+), ln V = ([\d.]+)", text)
    assert loss and math.isclose(float(loss.group(1)), float(loss.group(2)), abs_tol=0.3)
    epochs = re.findall(
        r"epoch +\d+  train loss [\d.]+  valid loss [\d.]+  valid BLEU-4 [\d.]+  CIDEr-D [\d.]+",
        text,
    )
    assert len(epochs) == 2
    assert re.search(r"kept the weights of epoch \d: validation CIDEr-D [\d.]+", text)
    assert re.search(r"best constant caption: '.+'", text)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == "| captioner | BLEU-4 | CIDEr-D | different captions |"
    assert [row.split(" | ")[0] for row in table[1:]] == [
        "| constant caption",
        "| nearest neighbour, k = 1",
        "| nearest neighbours, k = 10",
        "| Show and Tell, greedy",
        "| Show and Tell, beam 3",
    ]
    assert re.search(r"\| constant caption \| [\d.]+ \| [\d.]+ \| 1 \|", text)


def test_a_section_stays_locked_until_its_quiz_is_passed(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_locked(outputs, LESSON)


def test_each_implementation_notebook_ends_with_the_exercise_summary(
    outputs: dict[str, dict[str, str]],
) -> None:
    LAYOUT.assert_summaries(outputs)


# Sections 3 and 4


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_three_attends_pretrains_and_searches(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = LAYOUT.text(outputs, variant, "section3_techniques")
    assert re.search(r"\d+ training photos, \d+ validation photos; regions per photo 225", text)
    assert re.search(r"what it says about a blank photo: '.*'", text)
    kept = re.findall(r"(pretrained|from scratch): kept epoch \d+, validation BLEU-4", text)
    assert kept == ["pretrained", "from scratch"]
    assert re.search(r"pretraining changed validation CIDEr-D by [+-][\d.]+ and BLEU-4", text)
    assert "the weights computed by hand equal the model's own: True" in text
    assert re.search(r"225 weights summing to 1\.000", text)
    assert re.search(r"penalty 1 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+", text)
    assert re.search(r"penalty 0 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+", text)
    assert "beam 3, here and in Lesson 4's batched search alike: True" in text
    assert "beam 1 is greedy search: True" in text
    sweep = re.findall(r"alpha (\d\.\d) +[\d.]+ +[\d.]+ +[\d.]+ +\d+", text)
    assert sweep == ["0.0", "0.5", "1.0", "1.5", "2.0"]


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_four_compares_four_captioners_and_writes_the_file(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = LAYOUT.text(outputs, variant, "section4_implementation")
    assert re.search(r"each photo's weights sum to \[1\. 1\.\]", text)
    assert "beam 1: a dog  (P = 0.216)\nbeam 2: dogs  (P = 0.400)" in text
    assert "alpha 0.0: (empty)\nalpha 0.6: two dogs run on grass" in text
    assert re.search(r"best constant caption: '.+'", text)
    assert re.search(r"k = \d+ has the best validation CIDEr-D", text)
    assert len(re.findall(r"kept epoch \d+: validation BLEU-4 [\d.]+  CIDEr-D [\d.]+", text)) == 2
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == (
        "| captioner | valid BLEU-4 | valid CIDEr-D | dev BLEU-4 | dev CIDEr-D | dev distinct |"
    )
    rows = [row.split(" | ")[0] for row in table[1:]]
    assert rows[0] == "| best constant caption" and rows[1].startswith("| nearest neighbour, k = ")
    assert rows[2:] == [
        "| Show and Tell, greedy",
        "| Show and Tell, beam 3",
        "| Show, Attend and Tell, greedy",
        "| Show, Attend and Tell, beam 3",
    ]
    assert re.search(
        r"\| best constant caption \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 1 \|", text
    )
    assert len(re.findall(r": beam 3 minus greedy = [+-][\d.]+ CIDEr-D on dev", text)) == 2
    assert re.search(r"\d+ lines written to submission\.txt, one per test photo", text)
