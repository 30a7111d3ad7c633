"""Lesson 7, Sections 3 and 4: the pictures of Atari preprocessing, DQN's repairs, PPO and
a trained agent, each drawn from numbers the notebook computes so it can be rebuilt.

- `draw_frames`: frames side by side (raw colour frames, grey 84 x 84 ones, a frame stack);
- `grey_84`: a colour frame made grey and 84 x 84, as the preprocessing does, to show it;
- `draw_overestimation`: the bias of the max of noisy estimates, single and double;
- `draw_priorities`: how often each transition is drawn against its priority;
- `draw_clipped_objective`: PPO's clipped surrogate against the probability ratio;
- `draw_scores`: the scores of whole training games against frames seen;
- `save_gif`: an episode's frames as an animated GIF (Pillow).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from practicum.lessons.lesson7.atari import HUMAN_SCORE as HUMAN
from practicum.lessons.lesson7.atari import RANDOM_SCORE as RANDOM
from practicum.lessons.lesson7.plots import curves

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _finish(fig: Figure) -> Figure:
    """Returned, not shown twice: Jupyter displays the figure a cell returns."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    plt.close(fig)
    return fig


def draw_frames(
    frames: Sequence[np.ndarray], titles: Sequence[str], *, title: str | None = None
) -> Figure:
    """Frames in a row: (H, W, 3) colour or (H, W) grey, each at its own resolution."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(frames), figsize=(2.4 * len(frames), 3.0), squeeze=False)
    for ax, frame, text in zip(axes[0], frames, titles, strict=True):
        ax.imshow(frame, cmap=None if frame.ndim == 3 else "gray", vmin=0, vmax=255)
        ax.set_title(text, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return _finish(fig)


def grey_84(frame: np.ndarray) -> np.ndarray:
    """A (210, 160, 3) frame as luminance, resized to 84 x 84 with area averaging."""
    from PIL import Image

    grey = Image.fromarray(frame).convert("L")
    return np.asarray(grey.resize((84, 84), Image.Resampling.BOX))


def draw_overestimation(
    actions: Sequence[int], single: Sequence[float], double: Sequence[float], noise: float
) -> Figure:
    """The mean of max_a of noisy estimates of values that are all 0, against the number of
    actions: one set of estimates picking and valuing (DQN), or two (Double DQN)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(actions, single, "o-", label="max of one set of estimates (DQN)")
    ax.plot(actions, double, "s-", label="one set picks, another values (Double DQN)")
    ax.axhline(0.0, color="grey", linewidth=1, linestyle=":", label="true value of every action")
    ax.set_xlabel("number of actions")
    ax.set_ylabel("mean estimate of the best action")
    ax.set_title(f"Every true value is 0; each estimate has noise of std {noise:g}")
    ax.legend(fontsize=8)
    return _finish(fig)


def draw_priorities(priorities: np.ndarray, drawn: np.ndarray, expected: np.ndarray) -> Figure:
    """How often each transition was drawn, next to its share of priority^alpha."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    index = np.arange(len(priorities))
    ax.bar(index - 0.2, drawn, width=0.4, label="share of the draws")
    ax.bar(index + 0.2, expected, width=0.4, label="priority^alpha / sum")
    ax.set_xticks(index, [f"{p:g}" for p in priorities])
    ax.set_xlabel("priority (|TD error| + eps) of each transition")
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    return _finish(fig)


def draw_clipped_objective(clip: float) -> Figure:
    """min(r A, clip(r, 1 - eps, 1 + eps) A) against the ratio r, for A = +1 and A = -1:
    flat (no gradient) where moving further would only be rewarded by the clip's far side."""
    import matplotlib.pyplot as plt

    ratio = np.linspace(0.0, 2.0, 401)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=False)
    for ax, advantage in zip(axes, (1.0, -1.0), strict=True):
        unclipped = ratio * advantage
        surrogate = np.minimum(unclipped, np.clip(ratio, 1 - clip, 1 + clip) * advantage)
        ax.plot(ratio, unclipped, ":", color="grey", label="r A (unclipped)")
        ax.plot(ratio, surrogate, linewidth=2, label="PPO's clipped objective")
        for edge in (1 - clip, 1 + clip):
            ax.axvline(edge, color="grey", linewidth=0.8)
        ax.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_xlabel("probability ratio r = pi_new(a|s) / pi_old(a|s)")
        ax.set_title(f"advantage A = {advantage:+g}")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("objective (to maximise)")
    fig.suptitle(f"PPO's clipped surrogate, clip = {clip:g}")
    return _finish(fig)


def draw_scores(games: Sequence[tuple[int, float]], *, window: int = 20) -> Figure:
    """Every whole training game's score at the frame it ended, their moving mean, and
    the random and human scores for scale."""
    frames = [float(f) for f, _ in games]
    scores = [s for _, s in games]
    return curves(
        {"score of a training game": (frames, scores)},
        window=window,
        xlabel="frames seen (4 per step, all games together)",
        ylabel="score of a whole game",
        title=f"PPO on Breakout: training games, mean of the last {window} in bold",
        lines={f"random agent ({RANDOM})": RANDOM, f"human tester ({HUMAN})": HUMAN},
    )


def save_gif(frames: np.ndarray, path: Path, *, zoom: int = 3, fps: int = 15) -> Path:
    """Grey frames (T, H, W) uint8 as a looping GIF, each pixel `zoom` pixels wide."""
    from PIL import Image

    if frames.ndim != 3 or len(frames) == 0:
        raise ValueError(f"save_gif needs grey frames (T, H, W), got shape {frames.shape}")
    big = np.repeat(np.repeat(np.asarray(frames, dtype=np.uint8), zoom, axis=1), zoom, axis=2)
    images: list[Any] = [Image.fromarray(frame) for frame in big]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0
    )
    return path


def episode_frames(
    policy: Any, *, seed: int, setting: Any, max_steps: int
) -> tuple[np.ndarray, float]:
    """One game played by `policy` (uint8 (1, 4, 84, 84) -> logits (1, A)), sampling its
    actions as the scored protocol does: the newest frame of each observation, and the
    score (up to `max_steps` steps, the game cut short there)."""
    import torch

    from practicum.lessons.lesson7 import atari

    envs = atari.make(setting, 1)
    generator = torch.Generator().manual_seed(seed)
    obs, _ = envs.reset(seed=seed)
    frames, score = [obs[0, -1].copy()], 0.0
    try:
        for _ in range(max_steps):
            with torch.no_grad():
                probs = torch.softmax(policy(torch.from_numpy(obs)).float(), dim=1)
            action = torch.multinomial(probs, 1, generator=generator)[:, 0].numpy()
            obs, reward, terminated, truncated, info = envs.step(action)
            score += float(reward[0])
            if atari.game_over(terminated, truncated, info)[0]:
                break
            frames.append(obs[0, -1].copy())
    finally:
        envs.close()
    return np.stack(frames), score
