"""Lesson 7's homework reference: PPO on Breakout for a time budget, saved as TorchScript.

`practicum lesson homework 7 --out policy.pt [--budget-minutes N]` trains `ppo.train_ppo`
for the budget less the time kept for the scored evaluation, writes the policy the
service accepts (uint8 (N, 4, 84, 84) -> logits), then plays it by the service's protocol
(`evaluation.play`: 10 whole games, sticky actions) and prints the mean score.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from practicum import settings
from practicum.lessons.lesson7 import evaluation, ppo

DEFAULT_BUDGET_MINUTES = 60.0
EVALUATION_SECONDS = 240.0
"""Kept back from the budget for saving and playing the 10 scored games."""
SMOKE_UPDATES = 2


@dataclass(frozen=True)
class Result:
    path: Path
    run: ppo.PpoRun
    played: evaluation.Played | None


def train_and_save(
    out: Path,
    *,
    budget_minutes: float = DEFAULT_BUDGET_MINUTES,
    seed: int = 0,
    config: ppo.PpoConfig = ppo.DEFAULT_CONFIG,
    evaluate: bool = True,
    progress: bool = True,
) -> Result:
    """Train, save the TorchScript policy to `out`, and (by default) play it as scored."""
    smoke = settings.smoke()
    if not smoke and budget_minutes * 60 <= EVALUATION_SECONDS + 60:
        raise ValueError(
            f"PPO needs a budget above {(EVALUATION_SECONDS + 60) / 60:g} minutes, "
            f"got {budget_minutes:g}"
        )
    if smoke:
        config = ppo.PpoConfig(n_envs=2, n_steps=8, epochs=1, minibatches=2)
    run = ppo.train_ppo(
        config=config,
        seconds=60.0 * budget_minutes - (0 if smoke else EVALUATION_SECONDS),
        max_updates=SMOKE_UPDATES if smoke else None,
        seed=seed,
        progress=progress,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.jit.save(ppo.export(run.net), str(out))
    played = None
    if evaluate:
        policy = torch.jit.load(str(out))
        played = evaluation.play(policy, episodes=2 if smoke else evaluation.EPISODES)
    return Result(out, run, played)
