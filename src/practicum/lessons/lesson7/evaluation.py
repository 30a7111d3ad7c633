"""Playing a policy by the scored protocol: whole games, sticky actions, fixed seeds.

A policy maps uint8 observations (N, 4, 84, 84) to action logits (N, A); the action is
drawn from softmax(logits), so a stochastic policy plays as it was trained and a
deterministic one returns large logit gaps. Games run side by side, one per environment;
each environment plays exactly one game.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from practicum.lessons.lesson7 import atari

EPISODES = 10
SEED = 2026
PolicyFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Played:
    scores: tuple[float, ...]
    frames: tuple[int, ...]
    seconds: float

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))


def play(
    policy: PolicyFn,
    *,
    episodes: int = EPISODES,
    seed: int = SEED,
    setting: atari.AtariSetting = atari.EVALUATION,
    threads: int = 0,
    on_step: Callable[[int], None] | None = None,
) -> Played:
    """Play `episodes` whole games at once and return their scores (unclipped)."""
    start = time.perf_counter()
    envs = atari.make(setting, episodes, threads=threads)
    n_actions = int(envs.single_action_space.n)
    generator = torch.Generator().manual_seed(seed)
    obs, _ = envs.reset(seed=seed)
    scores = atari.GameScores(episodes)
    done = np.zeros(episodes, dtype=bool)
    final = np.zeros(episodes)
    frames = np.zeros(episodes, dtype=np.int64)
    step = 0
    try:
        while not done.all():
            with torch.no_grad():
                logits = policy(torch.from_numpy(obs))
            _check_logits(logits, episodes, n_actions)
            probs = torch.softmax(logits.float(), dim=1)
            action = torch.multinomial(probs, 1, generator=generator)[:, 0].numpy()
            obs, reward, terminated, truncated, info = envs.step(action)
            playing = ~done
            frames[playing] += atari.FRAME_SKIP
            scores.running[done] = 0.0
            scores.add(reward, terminated, truncated, info)
            over = atari.game_over(terminated, truncated, info) & playing
            final[over] = scores.last[over]
            done |= over
            step += 1
            if on_step is not None:
                on_step(step)
    finally:
        envs.close()
    return Played(
        tuple(float(s) for s in final), tuple(int(f) for f in frames), time.perf_counter() - start
    )


def _check_logits(logits: object, n: int, n_actions: int) -> None:
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"the policy must return a tensor of logits, not {type(logits).__name__}")
    if tuple(logits.shape) != (n, n_actions):
        raise ValueError(
            f"the policy returned logits of shape {tuple(logits.shape)}, not ({n}, {n_actions})"
        )
    if not torch.isfinite(logits).all():
        raise ValueError("the policy returned logits that are not finite (nan or inf)")
