"""Both variants of Lesson 7's Sections 3 and 4 run top to bottom, in smoke mode (a
handful of environment steps, the same code paths).

Section 3 shows the preprocessing on real Breakout frames, measures the overestimation of
a max over noisy estimates, trains three small DQNs on CartPole, samples by priority, does
the log-derivative trick, GAE and the clipped objective in numbers, times vectorised
environments, and ends with its quiz; Section 4 checks the three exercises, trains PPO on
Breakout with them for two updates, plays scored games and makes a GIF. The two sections
run here on their own (the exercise variant's quizzes are marked passed, as the shared
runner does), so the summaries list the exercises of Sections 1-2 as not checked yet.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from notebook_runner import FALLBACK, Layout, run_variant, seed_progress

from practicum.coursework import exercise
from practicum.notebook_build import build_all

pytestmark = pytest.mark.timeout(900)
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SECTIONS = ("section3_techniques", "section4_implementation")
LATER = ["double_dqn_target", "gae", "clipped_loss"]
NUMBER = r"([-+]?[\d.]+)"
Outputs = dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    root = tmp_path_factory.mktemp("lesson7-later")
    build_all(NOTEBOOKS, root / "build")
    seed_progress(root / "home-exercise", 7)
    return {variant: run_variant(root, 7, variant, SECTIONS) for variant in ("full", "exercise")}


def _float(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, pattern
    return float(found.group(1))


def _array(label: str, text: str) -> np.ndarray:
    found = re.search(rf"{re.escape(label)}\s*\[([^\]]*)\]", text)
    assert found, label
    return np.array([float(x) for x in found.group(1).split()])


def test_section_four_checks_the_three_exercises() -> None:
    assert Layout.of(7).exercises["section4_implementation"] == LATER


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_three_shows_the_techniques_in_numbers(outputs: Outputs, variant: str) -> None:
    text = outputs[variant]["section3_techniques"]
    assert (
        "a raw frame: shape (210, 160, 3), dtype uint8; actions: "
        "['NOOP', 'FIRE', 'RIGHT', 'LEFT']" in text
    )
    assert re.search(r"pixels that differ between the last two frames of the step: \d+", text)
    assert "(210, 160, 3) colour, 100,800 bytes -> (84, 84) grey, 7,056" in text
    assert "observation: shape (1, 4, 84, 84), dtype uint8; lives 5" in text
    lives = [int(n) for n in re.findall(r"terminated=True, lives left (\d), game over", text)]
    assert lives == sorted(lives, reverse=True) and all(0 <= n < 5 for n in lives)
    episodes = int(_float(r"(\d+) episodes for the learner in \d+ steps of one game", text))
    assert episodes == len(lives)
    rows = re.findall(
        rf"(\d+) actions: max of one set {NUMBER}, one picks and another values "
        rf"{NUMBER}",
        text,
    )
    assert [int(n) for n, _, _ in rows] == [1, 2, 4, 8, 16, 32]
    single = [float(s) for _, s, _ in rows]
    assert abs(single[0]) < 0.2 and single[-1] > 1.5 and single[-1] > single[2] > single[0]
    assert all(abs(float(d)) < 0.25 for _, _, d in rows)
    runs = re.findall(
        rf"^(.+?): [\d,]+ steps in \d+ s; last 10 returns \d+; max Q at the start {NUMBER}, "
        rf"discounted return obtained {NUMBER} \(no state is worth more than 99\.3\)",
        text,
        re.M,
    )
    assert [name for name, _, _ in runs] == ["DQN", "Double DQN", "Double DQN, dueling"]
    assert np.allclose(_array("V(s):", text), _array("mean_a Q(s, a):", text), atol=2e-3)
    assert "total 10; leaves of 0.5, 1.5, 3.5, 9.9: [0 1 2 3]" in text
    drawn, expected = _array("drawn   :", text), _array("P(i)    :", text)
    assert np.allclose(drawn, expected, atol=0.06) and math.isclose(expected.sum(), 1, abs_tol=0.01)
    assert np.allclose(_array("autograd", text), _array("sum over actions", text), atol=1e-4)
    assert len(re.findall(r"lambda +[\d.]+: advantages \[", text)) == 4
    assert "ratio 0.5: loss -0.50, gradient -0.50" in text
    assert "ratio 1.0: loss -1.00, gradient -1.00" in text
    assert re.search(r"ratio 1\.5: loss -1\.20, gradient [+-]0\.00", text)
    speeds = re.findall(r"^(\d) games: ([\d,]+) steps/s", text, re.M)
    assert [n for n, _ in speeds] == ["1", "4", "8"]
    if variant == "full":
        assert "All 5 right: Section 4 of Lesson 7 is now open." in text
    else:
        assert "q1: unanswered" in text and "not counted as a try" in text


@pytest.mark.parametrize("variant", ["full", "exercise"])
def test_section_four_trains_ppo_with_the_exercises(outputs: Outputs, variant: str) -> None:
    text = outputs[variant]["section4_implementation"]
    for name in LATER:
        if variant == "full":
            assert f"✓ {name} is correct" in text
        else:
            assert f"✗ {name}: not implemented yet; {FALLBACK}" in text
    assert re.search(r"Double DQN with your target: 300 steps in \d+ s, \d+ episodes", text)
    frames = int(_float(r"PPO: ([\d,]+) frames in", text.replace(",", "")))
    assert frames == 4 * 2 * 8 * 2  # 4 frames a step, 2 games, 8 steps, 2 updates
    assert re.search(r"2 updates, \d+ whole training games", text)
    scores = re.search(r"2 games: scores \[(.*?)\], mean ([\d.]+) \(random agent 1\.7", text)
    assert scores and all(float(s) >= 0 for s in scores.group(1).split(","))
    steps = int(_float(r"(\d+) steps, score \d+; lesson7_breakout\.gif \(\d+ kB\)", text))
    assert 1 <= steps <= 31
    assert re.search(r"saved policy\.pt \([\d.]+ MB\)", text)
    names = [e.id for e in exercise.lesson_exercises(7)]
    early = [name for name in names if name not in LATER]
    where = " and ".join(
        sorted({f"Section {e.section}" for e in exercise.lesson_exercises(7) if e.id in early})
    )
    pending = f"; not checked yet: {', '.join(early)} ({where})" if early else ""
    if variant == "full":
        summary = f"Lesson 7: 3/{len(names)} exercises done{pending}."
    else:
        summary = (
            f"Lesson 7: 0/{len(names)} exercises done; the reference was used for: "
            f"{', '.join(LATER)}{pending}."
        )
    assert summary in text
