"""Lesson 7 reference: PPO on Atari Breakout for a time budget, scored by the service's
protocol.

    python benchmarks/lesson7_breakout.py                      # 60 minutes, the issue's budget
    python benchmarks/lesson7_breakout.py --budget-minutes 10 --out /tmp/policy.pt

Trains `lesson7.reference` (PPO, 8 games side by side) for the budget less the time kept
for evaluation, saves the TorchScript policy, then plays it as the service does: ALE v5
Breakout, sticky actions 0.25, whole games up to 108,000 frames, 10 games on the service's
seeds, actions drawn from the policy's softmax. Writes the learning curve (score of each
whole training game against frames and minutes) to `--curve` and its data to `--history`
(JSON), and prints Markdown rows for BENCHMARKS.md naming the machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
from pathlib import Path

import numpy as np
import torch
from bench_machine import cpu_model

from practicum.lessons.lesson7 import atari, reference


def machine() -> str:
    return f"{cpu_model()}, {len(os.sched_getaffinity(0))} cores, torch {torch.__version__}"


def save_curve(games: list[tuple[int, float]], history: list[dict[str, float]], path: Path) -> None:
    """The top axis reads the measured clock (frames per second varied when the machine was
    shared), so it is interpolated from the history rather than drawn at a constant rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = np.array([f for f, _ in games], dtype=float)
    scores = np.array([s for _, s in games])
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.scatter(frames / 1e6, scores, s=4, alpha=0.3, label="one training game")
    if len(scores) >= 20:
        window = max(10, len(scores) // 30)
        smooth = np.convolve(scores, np.ones(window) / window, mode="valid")
        ax.plot(frames[window - 1 :] / 1e6, smooth, color="C1", label=f"mean of {window} games")
    ax.axhline(atari.HUMAN_SCORE, color="C2", ls="--", label=f"human {atari.HUMAN_SCORE}")
    ax.axhline(atari.RANDOM_SCORE, color="grey", ls=":", label=f"random {atari.RANDOM_SCORE}")
    ax.set_xlabel("frames (millions)")
    ax.set_ylabel("score of a whole game")
    clock_frames = np.array([0.0] + [h["frames"] / 1e6 for h in history])
    clock_minutes = np.array([0.0] + [h["seconds"] / 60 for h in history])
    ticks = np.arange(0, clock_minutes[-1] + 1e-9, 10)
    top = ax.secondary_xaxis("top")
    top.set_xticks(np.interp(ticks, clock_minutes, clock_frames), [f"{t:g}" for t in ticks])
    top.set_xlabel("minutes of training (2 CPU cores)")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-minutes", type=float, default=reference.DEFAULT_BUDGET_MINUTES)
    parser.add_argument("--out", type=Path, default=Path("/tmp/lesson7-policy.pt"))
    parser.add_argument(
        "--curve", type=Path, default=Path("docs/images/lesson7-learning-curve.png")
    )
    parser.add_argument("--history", type=Path, default=Path("/tmp/lesson7-history.json"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    result = reference.train_and_save(args.out, budget_minutes=args.budget_minutes, seed=args.seed)
    run, played = result.run, result.played
    assert played is not None
    args.history.write_text(
        json.dumps({"history": run.history, "games": run.games, "config": str(run.config)})
    )
    save_curve(run.games, run.history, args.curve)
    last = [s for _, s in run.games[-30:]]
    print()
    print(f"{datetime.date.today()}, {machine()}; budget {args.budget_minutes:g} min")
    print(f"config: {run.config}")
    print(
        f"training: {run.seconds / 60:.1f} min, {run.frames / 1e6:.2f}M frames "
        f"({run.frames / run.seconds:,.0f} frames/s), {len(run.games)} whole games, "
        f"last 30 games' mean {np.mean(last) if last else float('nan'):.1f}"
    )
    scores = ", ".join(f"{s:g}" for s in played.scores)
    print(
        f"| PPO reference, {args.budget_minutes:g} min | {played.mean:.1f} | {scores} | "
        f"{max(played.frames):,} | {played.seconds:.0f} s |"
    )


if __name__ == "__main__":
    main()
