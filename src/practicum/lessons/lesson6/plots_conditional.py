"""Lesson 6, Sections 3 and 4: the pictures of conditional GANs, their evaluation and
diffusion, each drawn from numbers the notebook computes so it can be rebuilt.

- `draw_cgan`: a conditional GAN's two players and where the label enters each, with the
  projection discriminator's two heads (Miyato & Koyama, 2018);
- `draw_forward_process`: images noised by the forward process at several steps, one row
  per schedule, beside how much signal each schedule keeps;
- `draw_reverse_process`: samples on their way from noise to images;
- `draw_class_rows`: generated images, one row per class;
- `draw_side_by_side`: several models' class rows next to each other;
- `draw_interpolation`: a generator walked along a line between two noise vectors, per class;
- `draw_nearest_pairs`: generated images above their nearest training images;
- `draw_curves`: training curves of several runs on shared axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from practicum.lessons.lesson6.diffusion import Schedule, q_sample, to_model_scale, to_uint8

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CMAP = "gray_r"


def _finish(fig: Figure) -> Figure:
    """Returned, not shown twice: Jupyter displays the figure a cell returns."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


def _box(ax: Axes, x: float, y: float, text: str, colour: str, width: float = 1.6) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - 0.32),
            width,
            0.64,
            boxstyle="round,pad=0.05",
            facecolor=colour,
            edgecolor="0.3",
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], colour: str) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.5, "shrinkA": 2, "shrinkB": 2},
    )


def draw_cgan() -> Figure:
    """The conditional GAN of `lesson6/cgan.py`: the label (in orange) is embedded and
    joined to z in the generator, and in the discriminator it picks the embedding whose
    dot product with the image's features is added to a plain linear score."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 4.2))
    ax.set_xlim(0, 13.6)
    ax.set_ylim(0, 5)
    ax.axis("off")
    grey, label, gen, disc, out = "0.25", "#e08214", "#d9ecf7", "#f7e1d9", "#e6f2d9"
    # generator
    _box(ax, 1.0, 4.2, "noise z (64)", "white")
    _box(ax, 1.0, 2.9, "label y", "#fde0bd")
    _box(ax, 3.0, 2.9, "embed(y) (64)", "#fde0bd")
    _box(ax, 3.0, 4.2, "concat [z, embed(y)]", gen, width=2.0)
    _box(ax, 5.4, 4.2, "linear → 7×7\n↑14×14 ↑28×28", gen, width=2.0)
    _box(ax, 7.6, 4.2, "fake image\nG(z, y)", "white")
    _arrow(ax, (1.8, 4.2), (2.0, 4.2), grey)
    _arrow(ax, (1.8, 2.9), (2.2, 2.9), label)
    _arrow(ax, (3.0, 3.22), (3.0, 3.88), label)
    _arrow(ax, (4.0, 4.2), (4.4, 4.2), grey)
    _arrow(ax, (6.4, 4.2), (6.8, 4.2), grey)
    ax.text(5.4, 4.85, "generator", ha="center", fontsize=10, weight="bold")
    # discriminator
    _box(ax, 7.6, 1.2, "real image x\n(of class y)", "white")
    _box(ax, 9.1, 2.7, "conv features\nφ(x) (128)", disc, width=1.7)
    _arrow(ax, (7.6, 3.88), (8.5, 3.02), grey)
    _arrow(ax, (7.6, 1.52), (8.5, 2.38), grey)
    _box(ax, 11.0, 3.6, "ψ(φ) = w·φ + b", disc, width=1.7)
    _box(ax, 11.0, 1.8, "e_y·φ (projection)", disc, width=1.7)
    _arrow(ax, (9.95, 2.9), (10.15, 3.4), grey)
    _arrow(ax, (9.95, 2.5), (10.15, 2.0), grey)
    _arrow(ax, (1.0, 2.58), (10.15, 1.62), label)
    _box(ax, 12.85, 2.7, "logit\nψ + e_y·φ", out, width=1.3)
    _arrow(ax, (11.85, 3.5), (12.3, 3.0), grey)
    _arrow(ax, (11.85, 1.9), (12.3, 2.4), grey)
    ax.text(9.1, 3.55, "discriminator", ha="center", fontsize=10, weight="bold")
    ax.text(
        2.4, 1.85, "the same label y goes to both players", color=label, fontsize=9, rotation=-3
    )
    fig.suptitle("A conditional GAN with a projection discriminator", fontsize=11)
    return _finish(fig)


def draw_forward_process(
    images: np.ndarray,
    schedules: Mapping[str, Schedule],
    steps: Sequence[int],
    *,
    seed: int = 0,
) -> Figure:
    """Each image noised to each step in `steps` (code's 0-based t) by each schedule, the
    same noise everywhere so only the schedule differs; right, sqrt(alpha_bar_t) (the
    signal kept) of each schedule against t."""
    import matplotlib.pyplot as plt

    x0 = to_model_scale(np.asarray(images))
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    rows = [(name, i) for name in schedules for i in range(len(x0))]
    cols = len(steps)
    fig = plt.figure(figsize=(1.15 * cols + 3.6, 1.2 * len(rows) + 0.6))
    grid = fig.add_gridspec(len(rows), cols + 3)
    for r, (name, i) in enumerate(rows):
        schedule = schedules[name]
        for c, t in enumerate(steps):
            ax = fig.add_subplot(grid[r, c])
            step = torch.tensor([t])
            noisy = q_sample(x0[i : i + 1], step, noise[i : i + 1], schedule)
            ax.imshow(to_uint8(noisy.clamp(-1, 1))[0], cmap=CMAP, vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"t = {t + 1}", fontsize=8)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    curve = fig.add_subplot(grid[:, cols:])
    for name, schedule in schedules.items():
        axis = np.arange(1, schedule.steps + 1)
        curve.plot(axis, schedule.alpha_bars.sqrt().numpy(), label=f"{name}: √ᾱ_t (signal)")
        curve.plot(
            axis, (1 - schedule.alpha_bars).sqrt().numpy(), "--", label=f"{name}: √(1−ᾱ_t) (noise)"
        )
    curve.set_xlabel("step t")
    curve.legend(fontsize=7)
    curve.yaxis.tick_right()
    fig.suptitle("The forward process: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε", fontsize=10)
    fig.tight_layout()
    return _finish(fig)


def draw_reverse_process(kept: Mapping[int, torch.Tensor], *, rows: int = 4) -> Figure:
    """The samples x_t at the kept steps of the reverse process, noisiest on the left."""
    import matplotlib.pyplot as plt

    steps = sorted(kept, reverse=True)
    rows = min(rows, len(next(iter(kept.values()))))
    fig, axes = plt.subplots(
        rows, len(steps), figsize=(1.1 * len(steps), 1.15 * rows), squeeze=False
    )
    for c, t in enumerate(steps):
        images = to_uint8(kept[t].clamp(-1, 1))
        for r in range(rows):
            ax = axes[r, c]
            ax.imshow(images[r], cmap=CMAP, vmin=0, vmax=255)
            ax.axis("off")
            if r == 0:
                ax.set_title(f"t = {t}", fontsize=8)
    fig.suptitle("Sampling: from noise (left) to images (t = 0)", fontsize=10)
    fig.tight_layout()
    return _finish(fig)


def draw_class_rows(
    images: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    per_class: int = 8,
    title: str | None = None,
    ax_grid: Any = None,
) -> Figure:
    """`per_class` images of each class, one row per class, its name on the left."""
    import matplotlib.pyplot as plt

    classes = sorted(set(np.asarray(labels).tolist()))
    fig, axes = plt.subplots(
        len(classes),
        per_class,
        figsize=(0.9 * per_class + 0.9, 0.9 * len(classes) + 0.5),
        squeeze=False,
    )
    for r, c in enumerate(classes):
        mine = np.flatnonzero(np.asarray(labels) == c)[:per_class]
        for k in range(per_class):
            ax = axes[r, k]
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
            if k < len(mine):
                ax.imshow(images[mine[k]], cmap=CMAP, vmin=0, vmax=255)
            if k == 0:
                ax.set_ylabel(class_names[c], fontsize=7, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _finish(fig)


def draw_side_by_side(
    samples: Mapping[str, tuple[np.ndarray, np.ndarray]],
    class_names: Sequence[str],
    *,
    per_class: int = 4,
) -> Figure:
    """Each model's images (name -> (images, labels)), `per_class` of each class in a row,
    the models in columns of the same figure."""
    import matplotlib.pyplot as plt

    names = list(samples)
    classes = sorted({int(c) for _, labels in samples.values() for c in labels})
    cols = len(names) * per_class + len(names) - 1
    fig, axes = plt.subplots(
        len(classes), cols, figsize=(0.62 * cols + 1.0, 0.66 * len(classes) + 0.6), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    for m, name in enumerate(names):
        images, labels = samples[name]
        left = m * (per_class + 1)
        axes[0, left + per_class // 2].set_title(name, fontsize=9)
        for r, c in enumerate(classes):
            mine = np.flatnonzero(np.asarray(labels) == c)[:per_class]
            for k, row in enumerate(mine):
                axes[r, left + k].imshow(images[row], cmap=CMAP, vmin=0, vmax=255)
    for r, c in enumerate(classes):
        axes[r, 0].text(-4, 14, class_names[c], ha="right", va="center", fontsize=7)
    fig.tight_layout()
    return _finish(fig)


def draw_interpolation(
    images: np.ndarray, class_names: Sequence[str], classes: Sequence[int]
) -> Figure:
    """(rows, steps, 28, 28): each row one class, walked from one noise vector (left) to
    another (right)."""
    import matplotlib.pyplot as plt

    rows, steps = images.shape[:2]
    fig, axes = plt.subplots(rows, steps, figsize=(0.85 * steps + 1.0, 0.9 * rows), squeeze=False)
    for r in range(rows):
        for k in range(steps):
            ax = axes[r, k]
            ax.imshow(images[r, k], cmap=CMAP, vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
        axes[r, 0].set_ylabel(class_names[classes[r]], fontsize=7, rotation=0, ha="right")
    axes[0, 0].set_title("z₀", fontsize=8)
    axes[0, -1].set_title("z₁", fontsize=8)
    fig.suptitle("G((1 − s) z₀ + s z₁, y) for s from 0 to 1", fontsize=10)
    fig.tight_layout()
    return _finish(fig)


def draw_nearest_pairs(
    generated: np.ndarray,
    nearest: np.ndarray,
    distances: np.ndarray,
    *,
    title: str | None = None,
) -> Figure:
    """Generated images (top row) above their nearest training images (bottom row), the
    pixel distance between them in the title."""
    import matplotlib.pyplot as plt

    n = len(generated)
    fig, axes = plt.subplots(2, n, figsize=(1.05 * n, 2.5), squeeze=False)
    for k in range(n):
        for r, image in enumerate((generated[k], nearest[k])):
            ax = axes[r, k]
            ax.imshow(image, cmap=CMAP, vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0, k].set_title(f"{distances[k]:.2f}", fontsize=8)
    axes[0, 0].set_ylabel("generated", fontsize=8)
    axes[1, 0].set_ylabel("nearest\ntraining", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _finish(fig)


def draw_curves(
    runs: Mapping[str, Sequence[Mapping[str, float]]],
    keys: Sequence[str],
    *,
    x: str = "step",
    titles: Sequence[str] | None = None,
) -> Figure:
    """One panel per key in `keys`, one line per run (name -> rows of a history)."""
    import matplotlib.pyplot as plt

    cols = len(keys) if len(keys) <= 3 else 2
    rows = -(-len(keys) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax in axes.flat[len(keys) :]:
        ax.axis("off")
    for ax, key, title in zip(axes.flat, keys, titles or keys, strict=False):
        for name, history in runs.items():
            ax.plot(
                [row[x] for row in history], [row[key] for row in history], "o-", ms=3, label=name
            )
        ax.set_xlabel(x)
        ax.set_title(title, fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return _finish(fig)
