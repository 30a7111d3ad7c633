"""Lesson 5's pictures, drawn by code so they can be rebuilt: photos with their captions,
the statistics of the captions, what a CNN's feature maps look like over a photo, and the
encoder-decoder (CNN, one vector, an LSTM unrolled over the words).

Every function returns its figure closed (Jupyter shows a figure returned by a cell's
last line; a closed one is not shown a second time).
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from practicum.lessons.lesson4.plots import arrow, box
from practicum.lessons.lesson5.text import normalize

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CNN, VECTOR, LSTM = "#cfe2f3", "#d9ead3", "#fce5cd"


def photos_with_captions(
    photos: NDArray[np.uint8],
    captions: Sequence[Sequence[str]],
    *,
    cols: int = 2,
    width: int = 48,
    title: str | None = None,
) -> Figure:
    """Each photo (uint8 (N, H, W, 3)) with its lines of text beside it (one list per photo:
    its five human captions, or "model: ..." and "reference: ..." lines), wrapped at
    `width` characters."""
    import matplotlib.pyplot as plt

    n = len(photos)
    if n == 0 or n != len(captions):
        raise ValueError(f"photos_with_captions: {n} photos for {len(captions)} caption lists")
    cols = min(cols, n)
    rows = -(-n // cols)
    wrapped = [
        [textwrap.fill(line, width, subsequent_indent="  ") for line in lines] for lines in captions
    ]
    text_lines = max(sum(line.count("\n") + 1 for line in lines) for lines in wrapped)
    height = max(1.9, 0.19 * text_lines + 0.4)
    fig = plt.figure(figsize=(6.6 * cols, height * rows))
    grid = fig.add_gridspec(rows, 2 * cols, width_ratios=[1.0, 2.3] * cols)
    for i in range(n):
        row, col = divmod(i, cols)
        picture = fig.add_subplot(grid[row, 2 * col])
        picture.imshow(photos[i])
        picture.axis("off")
        words = fig.add_subplot(grid[row, 2 * col + 1])
        words.axis("off")
        words.text(
            0.0, 0.5, "\n".join(wrapped[i]), fontsize=8.5, va="center", ha="left",
            linespacing=1.35, transform=words.transAxes,
        )  # fmt: skip
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def caption_statistics(captions: Sequence[str], *, top: int = 20, title: str = "") -> Figure:
    """Three panels: the lengths of the captions in words, the `top` most frequent words,
    and the count of every word by its rank on log scales (Zipf's law)."""
    import matplotlib.pyplot as plt

    words = [normalize(c) for c in captions]
    lengths = np.array([len(w) for w in words])
    counts = Counter(w for caption in words for w in caption)
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(13, 3.6))
    bins = np.arange(0.5, max(lengths.max(), 1) + 1.5)
    left.hist(lengths, bins=bins, color="tab:blue")
    left.axvline(lengths.mean(), color="black", linestyle="--", linewidth=1)
    left.text(
        lengths.mean(), left.get_ylim()[1] * 0.95, f" mean {lengths.mean():.1f}", va="top",
        fontsize=9,
    )  # fmt: skip
    left.set_xlabel("words in a caption")
    left.set_ylabel("captions")
    common = counts.most_common(top)
    middle.barh(range(len(common)), [c for _, c in common], color="tab:green")
    middle.set_yticks(range(len(common)), [w for w, _ in common], fontsize=8)
    middle.invert_yaxis()
    middle.set_xlabel("count")
    middle.set_title(f"the {len(common)} most frequent words", fontsize=10)
    frequencies = np.array(sorted(counts.values(), reverse=True))
    ranks = np.arange(1, len(frequencies) + 1)
    right.loglog(ranks, frequencies, label="words")
    right.loglog(ranks, frequencies[0] / ranks, "k:", label="$\\propto 1/r$")
    once = int((frequencies == 1).sum())
    right.set_title(f"{len(counts):,} different words, {once:,} seen once", fontsize=10)
    right.set_xlabel("rank of the word")
    right.set_ylabel("count")
    right.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def feature_maps(
    photo: NDArray[np.uint8], grid: Any, *, channels: int = 7, title: str | None = None
) -> Figure:
    """A photo and the `channels` most active feature maps of its grid (C, h, w) (largest
    mean activation), each drawn over the photo's area with its grid cells visible."""
    import matplotlib.pyplot as plt

    maps = np.asarray(grid.detach().cpu() if hasattr(grid, "detach") else grid, dtype=float)
    if maps.ndim != 3:
        raise ValueError(f"feature_maps: expected a grid (C, h, w), got shape {maps.shape}")
    chosen = np.argsort(-maps.mean(axis=(1, 2)))[:channels]
    fig, axes = plt.subplots(1, len(chosen) + 1, figsize=(1.75 * (len(chosen) + 1), 2.2))
    axes[0].imshow(photo)
    axes[0].set_title("the photo", fontsize=9)
    size = photo.shape[0]
    for ax, c in zip(axes[1:], chosen, strict=True):
        ax.imshow(maps[c], cmap="magma", extent=(0, size, size, 0), interpolation="nearest")
        ax.set_title(f"channel {c}", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title or f"{maps.shape[0]} feature maps of {maps.shape[1]} x {maps.shape[2]}")
    fig.tight_layout()
    plt.close(fig)
    return fig


def draw_captioner(
    words: Sequence[str], photo: NDArray[np.uint8] | None = None, *, grid: str = "15 x 15 x 256"
) -> Figure:
    """Show and Tell unrolled over a caption: the CNN turns the photo into a grid of
    features, pooled into one vector v; v sets the LSTM's first state (h0, c0) and joins
    every step's input beside the word; the LSTM reads `<start> words` and predicts `words
    <end>` (teacher forcing). Dashed: when writing, each prediction is fed back as the
    next input."""
    import matplotlib.pyplot as plt

    steps = len(words) + 1
    inputs, outputs = ["<start>", *words], [*words, "<end>"]
    dx, first = 1.45, 3.7  # distance between steps, x of the first LSTM step
    right = first + (steps - 1) * dx + 0.8
    fig, ax = plt.subplots(figsize=(0.85 * (right + 0.8), 0.85 * 6.2))
    if photo is not None:
        ax.imshow(photo, extent=(-0.5, 0.5, 0.9, 1.9), zorder=1)
    else:
        box(ax, 0, 1.4, "photo", "white")
    ax.text(0, 0.55, "the photo", ha="center", fontsize=9)
    box(ax, 0, 3.0, "CNN", CNN)
    box(ax, 1.6, 3.0, grid, CNN, w=1.4)
    box(ax, 1.6, 4.3, "pool: max, mean", VECTOR, w=1.6)
    arrow(ax, (0, 1.9), (0, 2.7))
    arrow(ax, (0.4, 3.0), (0.9, 3.0))
    arrow(ax, (1.6, 3.3), (1.6, 4.0))
    ax.text(1.6, 4.8, "one vector v per photo", ha="center", fontsize=9, color="green")
    arrow(ax, (2.4, 4.3), (first - 0.4, 1.6), colour="green")
    ax.text(first - 0.75, 2.0, "(h0, c0)", ha="right", color="green", fontsize=9)
    for t in range(steps):
        x = first + t * dx
        box(ax, x - 0.2, 0.0, inputs[t], "white", w=0.8)
        box(ax, x + 0.45, 0.0, "v", VECTOR, w=0.32)
        box(ax, x, 1.5, "LSTM", LSTM)
        box(ax, x, 3.0, outputs[t], "white")
        arrow(ax, (x - 0.2, 0.3), (x - 0.1, 1.2))
        arrow(ax, (x + 0.45, 0.3), (x + 0.2, 1.2), colour="green")
        arrow(ax, (x, 1.8), (x, 2.7))
        if t:
            arrow(ax, (x - dx + 0.4, 1.5), (x - 0.4, 1.5))
        if t + 1 < steps:
            arrow(ax, (x + 0.25, 2.7), (x + dx - 0.35, 0.3), style="--", colour="grey")
    middle = first + (steps - 1) * dx / 2
    ax.text(middle, -0.75, "reads <start> + the caption, each word beside v", ha="center")
    ax.text(middle, 3.6, "predicts the next word (trained against the caption)", ha="center")
    ax.text(0.8, -0.75, "encoder: a CNN", ha="center")
    ax.set_xlim(-0.8, right)
    ax.set_ylim(-1.0, 5.1)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    plt.close(fig)
    return fig


def learning_curves(history: Sequence[dict[str, float]], *, title: str = "") -> Figure:
    """Training loss (and validation loss, where measured), validation BLEU-4 and CIDEr-D,
    by epoch (rows of `history` with "epoch", "train_loss" and, where measured,
    "valid_loss", "bleu4" and "cider")."""
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    measured = [row for row in history if "cider" in row]
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 3.3))
    left.plot(epochs, [row["train_loss"] for row in history], "o-", label="training (dropout on)")
    checked = [row for row in history if "valid_loss" in row]
    if checked:
        left.plot(
            [r["epoch"] for r in checked], [r["valid_loss"] for r in checked], "o--",
            label="validation",
        )  # fmt: skip
        left.legend()
    left.set_ylabel("cross-entropy a word")
    for ax, key, name, colour in (
        (middle, "bleu4", "BLEU-4", "tab:green"),
        (right, "cider", "CIDEr-D", "tab:purple"),
    ):
        ax.plot([r["epoch"] for r in measured], [r[key] for r in measured], "o-", color=colour)
        ax.set_ylabel(f"{name}, validation")
    for ax in (left, middle, right):
        ax.set_xlabel("epoch")
        ax.set_xticks(epochs if len(epochs) <= 15 else epochs[:: math.ceil(len(epochs) / 15)])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig
