"""Both variants of Lesson 3's notebooks run top to bottom, in smoke mode, on look-alike data.

The full variant passes its own quizzes and exercise checks; the exercise variant leaves
every exercise undone, so each must fall back to the reference version, and the notebooks
still reach the end: the side-by-side forecast table and both homework predictions.
"""

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

pytestmark = pytest.mark.timeout(300)
EXERCISES = {
    "section2_implementation": (
        "rnn_cell",
        "rnn_step_backward",
        "rnn_bptt",
        "lstm_cell",
        "gru_cell",
        "unroll",
        "teacher_forcing_loss",
        "sample",
    ),
    "section4_implementation": ("seasonal_naive", "make_windows", "GRUForecaster", "train_epoch"),
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Printed text of every notebook of both variants, after running them all."""
    root = tmp_path_factory.mktemp("lesson3")
    cache = root / "cache"
    ecg = synthetic.write_ecg_like(root / "raw" / "ecg", n_train=60, n_test=20, seed=0)
    import_files("ecg5000", [ecg], verify=False, home=cache)
    airline = synthetic.write_airline_like(root / "raw" / "airline-passengers.csv", seed=0)
    import_files("airline-passengers", [airline], verify=False, home=cache)
    enja = synthetic.write_enja_like(root / "raw" / "enja", n_train=200, n_dev=20, n_test=20)
    import_files("small-parallel-enja", [enja], verify=False, home=cache)
    return run_lesson(root, 3)


def test_full_variant_passes_its_quizzes_and_its_own_checks(
    outputs: dict[str, dict[str, str]],
) -> None:
    full = outputs["full"]
    assert "All 4 right: Section 2 of Lesson 3 is now open." in full["section1_concepts"]
    assert "All 4 right: Section 4 of Lesson 3 is now open." in full["section3_techniques"]
    for section, names in EXERCISES.items():
        for name in names:
            assert f"✓ {name} is correct" in full[section]
    assert not any(FALLBACK in text for text in full.values())


def test_exercise_variant_runs_on_the_reference_versions(
    outputs: dict[str, dict[str, str]],
) -> None:
    exercise = outputs["exercise"]
    assert_quizzes_unanswered(exercise)
    for section, names in EXERCISES.items():
        for name in names:
            assert f"✗ {name}: not implemented yet; {FALLBACK}" in exercise[section]


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_both_variants_reach_the_comparison_and_the_homework(
    outputs: dict[str, dict[str, str]], variant: str
) -> None:
    hand_vs_torch = outputs[variant]["section2_implementation"]
    for line in re.findall(r"largest difference in [^\n]*", hand_vs_torch):
        for number in re.findall(r"\d\.\de-\d\d", line):
            assert float(number) < 1e-5, line
    assert hand_vs_torch.count("largest difference in") == 3
    by_hand = re.findall(r"max \|yours - autograd\| = (\S+)", hand_vs_torch)
    assert len(by_hand) == 2 and all(float(gap) < 1e-5 for gap in by_hand)
    assert "bits per character (knowing nothing:" in hand_vs_torch
    assert len(re.findall(r"T = (0.5|1.0|1.5): '", hand_vs_torch)) == 6
    last = outputs[variant]["section4_implementation"]
    table = [line for line in last.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| model | one-step RMSE | 12-month RMSE |")
    assert [row.split(" | ")[0] for row in table[1:4]] == [
        "| persistence",
        "| seasonal naive",
        "| SARIMA(0,1,1)(0,1,1)12, log",
    ]
    assert len(re.findall(r"\) (beats|does NOT beat) SARIMA \(RMSE", last)) == 2
    assert any(row.startswith("| your GRU on ") for row in table)
    assert len(re.findall(r"window +\d+: validation RMSE 1956", last)) == 3
    assert "chosen on validation: window" in last
    assert "20 labels written to submission.csv" in last
    assert "forecast of 1960:" in last
    assert 'to submit: practicum.submit("lesson3-airline-forecast"' in last


def test_a_section_stays_locked_until_its_quiz_is_passed(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_locked(outputs, 3)


def test_each_implementation_notebook_ends_with_the_exercise_summary(
    outputs: dict[str, dict[str, str]],
) -> None:
    assert_exercise_summaries(outputs, 3)
