"""Atari Breakout as the lesson trains on it and as the service scores it.

ALE's own vectorised environment (`ale_py.vector_env.AtariVectorEnv`, C++ threads) does the
classic DQN preprocessing itself: 4 frames skipped per action with the last two max-pooled
(flicker), grey, 84x84, the last 4 frames stacked, up to 30 no-ops at the start. Training
adds life loss as the end of an episode for the value target (Mnih et al. 2015); the
evaluation protocol does not: it plays whole games.

The protocol scored (`EVALUATION`): ALE v5 Breakout, sticky actions with probability 0.25
(Machado et al. 2018), whole games up to 108,000 frames (30 minutes of play), no FIRE
pressed for the agent, 10 games on fixed seeds. The human score of the DQN paper
(Mnih et al. 2015) is 31.8; its random agent scores 1.7.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

GAME = "breakout"
HUMAN_SCORE = 31.8
"""Breakout, human tester, Mnih et al. (2015), Extended Data Table 2."""
RANDOM_SCORE = 1.7
OBSERVATION_SHAPE = (4, 84, 84)
FRAME_SKIP = 4


@dataclass(frozen=True)
class AtariSetting:
    """How the environment is built: one for training, one for the scored evaluation."""

    game: str = GAME
    sticky: float = 0.25
    """Probability that the emulator repeats the previous action instead of the new one."""
    max_frames: int = 108_000
    noop_max: int = 30
    episodic_life: bool = False
    """A lost life is signalled as the end of an episode (`terminated`) while the game goes
    on; the learner stops its value targets there. (ale-py's own `episodic_life` restarts
    the whole game at each lost life, so the learner would never see a broken wall.)"""
    fire_reset: bool = False
    """Press FIRE after each reset for the agent; off, the agent must learn to serve."""


EVALUATION = AtariSetting()
TRAINING = replace(EVALUATION, episodic_life=True)


def make(setting: AtariSetting, n_envs: int, *, threads: int = 0) -> Any:
    """An `AtariVectorEnv` of `n_envs` games: uint8 observations (n_envs, 4, 84, 84), raw
    (unclipped) rewards. A game that ends is reset by the next `step` (gymnasium's
    next-step autoreset): that step ignores its action and returns the new game's start."""
    try:
        from ale_py.vector_env import AtariVectorEnv
        from gymnasium.vector import AutoresetMode
    except ImportError as error:  # pragma: no cover - installed by scripts/setup.sh
        raise RuntimeError(
            "Lesson 7 needs ale-py and gymnasium: run scripts/setup.sh (or "
            "pip install -e .) to install them"
        ) from error
    return AtariVectorEnv(
        setting.game,
        n_envs,
        num_threads=threads,
        frameskip=FRAME_SKIP,
        max_num_frames_per_episode=setting.max_frames,
        repeat_action_probability=setting.sticky,
        noop_max=setting.noop_max,
        episodic_life=False,
        life_loss_info=setting.episodic_life,
        use_fire_reset=setting.fire_reset,
        reward_clipping=False,
        autoreset_mode=AutoresetMode.NEXT_STEP,
    )


def game_over(terminated: np.ndarray, truncated: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """Which games ended with this step: truncated, or their last life lost (a lost life
    that leaves lives is only the end of a learner's episode)."""
    return np.asarray(truncated | (terminated & (np.asarray(info["lives"]) == 0)))


class GameScores:
    """Whole-game scores from a vectorised environment that may end episodes at a lost life:
    a game ends only when it is truncated or its last life is gone."""

    def __init__(self, n_envs: int) -> None:
        self.running = np.zeros(n_envs)
        self.last = np.zeros(n_envs)
        """Each environment's score of the last game it finished."""
        self.finished: list[float] = []

    def add(
        self,
        rewards: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
        info: dict[str, Any],
    ) -> list[float]:
        """Count one step's rewards; the scores of the games that ended in it."""
        self.running += rewards
        over = game_over(terminated, truncated, info)
        ended = [float(s) for s in self.running[over]]
        self.last[over] = self.running[over]
        self.finished += ended
        self.running[over] = 0.0
        return ended
