"""Both variants of Lesson 7's first two notebooks run top to bottom, in smoke mode (no data
to fetch: the grid world is code, CartPole comes with gymnasium).

The full variant passes its quiz and its own exercise checks; the exercise variant leaves
every exercise undone, so each falls back to the reference version, and the notebooks
still reach the end: Section 1 solves the grid world by value iteration and by the
student's Q-learning, Section 2 trains a DQN on CartPole with the student's buffer,
schedule and training step, and scores its greedy policy on seeds training never used.
Section 1 has exercises too, so both notebooks end with the lesson's summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from notebook_runner import Layout, assert_locked, run_lesson

from practicum.coursework import exercise

pytestmark = pytest.mark.timeout(900)
LESSON = 7
HERE = ("section1_concepts", "section2_implementation")
SECTION1 = ["q_learning_update", "epsilon_greedy"]
SECTION2 = ["replay_buffer", "epsilon_at", "dqn_target", "dqn_step"]
LAYOUT = Layout(
    LESSON,
    HERE,
    {"section1_concepts": SECTION1, "section2_implementation": SECTION2},
    {1: "section1_concepts"},
)
Outputs = dict[str, dict[str, str]]
NUMBER = r"(-?[\d.]+)"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    root: Path = tmp_path_factory.mktemp("lesson7")
    (root / "cache").mkdir()
    return run_lesson(root, LESSON, HERE)


def test_the_first_two_sections_check_their_exercises() -> None:
    layout = Layout.of(LESSON)
    assert layout.present[:2] == HERE
    assert layout.exercises["section1_concepts"] == SECTION1
    assert layout.exercises["section2_implementation"] == SECTION2


def test_full_variant_passes_its_quiz_and_its_own_checks(outputs: Outputs) -> None:
    LAYOUT.assert_full_variant_passes(outputs)


def test_exercise_variant_runs_on_the_reference_versions(outputs: Outputs) -> None:
    LAYOUT.assert_exercise_variant_falls_back(outputs)


def test_section_two_stays_locked_until_the_quiz_is_passed(outputs: Outputs) -> None:
    assert_locked(outputs, LESSON)


def _pending(done: list[str]) -> str:
    """The summary's "; not checked yet: ... (Section 3 and Section 4)" after `done`."""
    later = [e for e in exercise.lesson_exercises(LESSON) if e.id not in done]
    if not later:
        return ""
    where = " and ".join(f"Section {s}" for s in sorted({e.section for e in later}))
    return f"; not checked yet: {', '.join(e.id for e in later)} ({where})"


def test_both_notebooks_end_with_the_exercise_summary(outputs: Outputs) -> None:
    total = len(exercise.lesson_exercises(LESSON))
    full, student = outputs["full"], outputs["exercise"]
    first, both = SECTION1, SECTION1 + SECTION2
    assert f"Lesson 7: 2/{total} exercises done{_pending(first)}." in full["section1_concepts"]
    assert f"Lesson 7: 6/{total} exercises done{_pending(both)}." in full["section2_implementation"]
    used = "; the reference was used for: "
    assert (
        f"Lesson 7: 0/{total} exercises done{used}{', '.join(first)}{_pending(first)}."
        in student["section1_concepts"]
    )
    assert (
        f"Lesson 7: 0/{total} exercises done{used}{', '.join(both)}{_pending(both)}."
        in student["section2_implementation"]
    )


def _float(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, pattern
    return float(found.group(1))


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_one_solves_the_grid_world_two_ways(outputs: Outputs, variant: str) -> None:
    text = outputs[variant]["section1_concepts"]
    assert "5 x 9 cells = 45 states, 4 actions ('up', 'right', 'down', 'left')" in text
    assert "from the start,    up: (next state, reward, over) = (0, -0.1, False)" in text
    assert "from state 38, right: (0, -10.0, False)  (the cliff)" in text
    shortest = _float(rf"13 moves: undiscounted -0.200, discounted \(gamma 0.95\) {NUMBER}", text)
    assert shortest == pytest.approx(-0.3789, abs=1e-4)
    assert f"V*(start) = {shortest:.4f}  (the 13-move route's return: {shortest:.4f})" in text
    assert _float(rf"the two sides of the Bellman optimality equation: {NUMBER}", text) < 1e-8
    assert "the greedy policy's path: 13 moves" in text
    assert re.search(r"40 episodes, [\d,]+ steps in [\d.]+ s", text)
    assert re.search(r"Q-learning's greedy path: \d+ moves; value iteration's: 13", text)
    explored = re.findall(r"epsilon (0.0|0.1|0.5): first episode +\d+ steps", text)
    assert explored == ["0.0", "0.1", "0.5"]
    assert re.search(r"slippery world: V\*\(start\) = -?[\d.]+; greedy path \d+ moves", text)


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_two_trains_and_scores_a_dqn(outputs: Outputs, variant: str) -> None:
    text = outputs[variant]["section2_implementation"]
    assert "actions: Discrete(2) (0 pushes left, 1 pushes right)" in text
    random_mean = _float(rf"random policy: mean return {NUMBER} over 3 episodes", text)
    assert 8 <= random_mean <= 100
    assert "DqnConfig(steps=300, buffer=200, batch=64" in text
    logged = re.findall(r"step +([\d,]+)  epsilon [\d.]+  return \(last 10\)", text)
    assert logged == ["100", "200", "300"]
    assert re.search(r"300 steps, \d+ episodes, 250 training steps in \d+ s", text)
    assert re.search(r"greedy DQN: mean return [\d.]+ over 3 episodes", text)
    assert f"random policy on the same starts: mean return {random_mean:.1f}" in text
    assert "def train_dqn(" in text  # the loop is shown whole
