"""Both variants of every Lesson 4 notebook there is run top to bottom, in smoke mode, on
look-alike data (`synthetic.write_enja_like`).

The full variant passes its own quizzes and exercise checks; the exercise variant leaves
every exercise undone, so each must fall back to the reference version, and the notebooks
still reach the end: Section 2 trains its translator and shows its translations.

The sections are found in notebooks/lesson4 and their exercises in the registry, so a
section added later is covered without changing this file.
"""

from __future__ import annotations

import re

import pytest
from notebook_runner import (
    Layout,
    assert_locked,
    run_lesson,
)

from practicum.data import import_files, synthetic

pytestmark = pytest.mark.timeout(900)
LESSON = 4
LAYOUT = Layout.of(LESSON)
PRESENT, EXERCISES = LAYOUT.present, LAYOUT.exercises


def test_lesson_four_has_its_first_two_sections() -> None:
    assert PRESENT[:2] == ("section1_concepts", "section2_implementation")
    assert EXERCISES["section2_implementation"] == [
        "pad_batch",
        "teacher_forcing_loss",
        "train_epoch",
        "greedy",
        "bleu_score",
    ]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Printed text of every notebook of both variants, after running them all."""
    root = tmp_path_factory.mktemp("lesson4")
    enja = synthetic.write_enja_like(root / "raw" / "enja", n_train=200, n_dev=20, n_test=20)
    import_files("small-parallel-enja", [enja], verify=False, home=root / "cache")
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
    assert "min_freq | English: vocabulary, <unk> in dev" in text
    assert re.search(r"bigram, k = 0\.01\s*: dev perplexity", text)
    assert "beam search, beam 2: neko ga suki" in text
    by_hand = re.search(r"BLEU = 100 × [\d.]+ × [\d.]+ = ([\d.]+)", text)
    by_sacrebleu = re.search(r"sacrebleu: ([\d.]+)  \(nrefs:1\|.*tok:none", text)
    assert by_hand and by_sacrebleu and by_hand.group(1) == by_sacrebleu.group(1)


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_two_trains_and_shows_translations(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = outputs[variant]["section2_implementation"]
    assert len(re.findall(r"epoch +\d+  train loss [\d.]+  dev loss [\d.]+  dev BLEU", text)) == 2
    assert re.search(r"kept the weights of epoch \d: dev BLEU [\d.]+", text)
    both = re.search(r"yours ([\d.]+)\nsacrebleu ([\d.]+)", text)
    assert both and both.group(1) == both.group(2)
    assert text.count("\nREF  ") >= 8 and text.count("\nOUT  ") >= 8


def test_a_section_stays_locked_until_its_quiz_is_passed(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_locked(outputs, LESSON)


def test_each_implementation_notebook_ends_with_the_exercise_summary(
    outputs: dict[str, dict[str, str]],
) -> None:
    LAYOUT.assert_summaries(outputs)


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_three_shows_attention_masking_lengths_and_smoothing(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = LAYOUT.text(outputs, variant, "section3_techniques")
    assert "the weights computed by hand equal the model's own: True" in text
    masking = re.search(r"padded vs alone: with the mask ([\d.e+-]+), without ([\d.e+-]+)", text)
    assert masking and float(masking.group(1)) < 1e-4 < float(masking.group(2))
    assert re.search(r"alpha 0\.0: \(empty\)\s+log P = -0\.693", text)
    assert re.search(r"alpha 0\.6: A B C D E\s+log P = -0\.845", text)
    sweep = re.findall(r"alpha (\d\.\d) +([\d.]+) +([\d.]+) +(\d+)", text)
    assert [row[0] for row in sweep] == ["0.0", "0.3", "0.6", "1.0", "1.5", "2.0"]
    free = dict(re.findall(r"smoothing (0\.0|0\.1): after \d+ steps p\(right\) = ([\d.]+)", text))
    assert float(free["0.0"]) > 0.99 and abs(float(free["0.1"]) - 0.91) < 0.01
    assert re.search(r"dev tokens: mean confidence [\d.]+, accuracy [\d.]+, perplexity", text)
    assert "cut into heads (batch, heads, positions, d/h) (1, 2, 5, 4)" in text
    assert "small Transformer:" in text and "parameters" in text


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_four_compares_three_translators_on_dev_and_writes_the_file(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    text = LAYOUT.text(outputs, variant, "section4_implementation")
    assert "alpha 0.0: (empty)\nalpha 0.6: A B C D E" in text
    assert re.search(r"each row sums to \[1\. 1\.\]", text)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0].startswith(
        "| model | parameters | steps | valid BLEU | dev BLEU, greedy | dev BLEU, beam 4 |"
    )
    assert [row.split(" | ")[0] for row in table[1:4]] == [
        "| LSTM",
        "| LSTM + attention",
        "| Transformer",
    ]
    assert re.search(r"nrefs:1\|.*tok:none", text)
    assert len(re.findall(r": beam 4 minus greedy = [+-][\d.]+ BLEU on dev", text)) == 3
    assert re.search(r"best on dev with the beam: (LSTM|LSTM \+ attention|Transformer) \(", text)
    heads = re.search(r"yours against the layer's own: largest difference ([\d.e+-]+)", text)
    assert heads and float(heads.group(1)) < 1e-4
    assert "20 lines written to submission.txt, one per line of x_test" in text
