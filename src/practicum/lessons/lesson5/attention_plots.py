"""Lesson 5, Sections 3 and 4: the pictures of soft attention, beam search and captions.

- `draw_attention_words`: where the attention decoder looked for each word it wrote, one
  small panel per word, the weights of its grid of regions (15 x 15 for the Lesson 2
  network on 128-pixel photos) upsampled over the photo;
- `draw_region_totals`: how much attention each region got over a whole caption, the
  quantity the doubly stochastic regulariser pushes towards 1;
- `draw_beam_tree`: every hypothesis a beam search kept at each step, with its
  log-probability, the candidates it dropped in grey, the best caption's path in colour;
- `draw_captions`: photos with the captions several models wrote for them.

Every figure is drawn from numbers the notebook computes, so it can be rebuilt.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.nn import functional as F

from practicum.lessons.lesson5.search import Beam, Hypothesis, best_path

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def upsample(weights: Any, grid: tuple[int, int], size: int) -> np.ndarray:
    """(h * w,) weights of a grid of regions -> (size, size), smoothly interpolated
    (bilinear), each grid cell covering its share of the photo."""
    w = torch.as_tensor(np.asarray(weights, dtype=np.float32)).reshape(1, 1, *grid)
    return F.interpolate(w, size=(size, size), mode="bilinear", align_corners=False)[0, 0].numpy()


def _overlay(ax: Axes, photo: np.ndarray, heat: np.ndarray, *, vmax: float) -> None:
    ax.imshow(photo)
    ax.imshow(heat, cmap="inferno", alpha=0.6, vmin=0.0, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])


def draw_attention_words(
    photo: np.ndarray,
    words: Sequence[str],
    alphas: Any,
    grid: tuple[int, int],
    *,
    cols: int = 6,
    title: str | None = None,
) -> Figure:
    """The photo, then one panel per word: the attention weights (T, h * w) of the step
    that wrote it, brighter where the decoder looked. Each panel has its own colour
    scale (its largest weight brightest) and says that largest weight, so a step that
    spreads its attention evenly shows up as a low number."""
    import matplotlib.pyplot as plt

    a = np.asarray(alphas, dtype=float)
    if len(a) < len(words):
        raise ValueError(f"{len(words)} words but attention weights for {len(a)} steps")
    panels = len(words) + 1
    cols = min(cols, panels)
    rows = math.ceil(panels / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.1 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    first = axes.flat[0]
    first.imshow(photo)
    first.set_title("the photo", fontsize=9)
    size = photo.shape[0]
    for ax, word, weights in zip(list(axes.flat)[1:], words, a, strict=False):
        ax.axis("on")
        heat = upsample(weights, grid, size)
        _overlay(ax, photo, heat, vmax=float(heat.max()))
        ax.set_title(f"{word}  (max {weights.max():.3f})", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def draw_region_totals(
    photo: np.ndarray,
    totals: Mapping[str, Any],
    grid: tuple[int, int],
) -> Figure:
    """For each model (name -> (h * w,) sums over a caption's steps of the attention each
    region got), the sums over the photo on one shared colour scale."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1,
        len(totals) + 1,
        figsize=(3.0 * (len(totals) + 1) + 0.8, 3.1),
        squeeze=False,
        layout="constrained",
    )
    axes[0, 0].imshow(photo)
    axes[0, 0].set_title("the photo", fontsize=9)
    axes[0, 0].axis("off")
    size = photo.shape[0]
    top = max(float(np.max(np.asarray(t))) for t in totals.values())
    image = None
    for ax, (name, total) in zip(axes[0, 1:], totals.items(), strict=True):
        t = np.asarray(total, dtype=float)
        heat = upsample(t, grid, size)
        ax.imshow(photo)
        image = ax.imshow(heat, cmap="inferno", alpha=0.6, vmin=0.0, vmax=top)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{name}\nlargest sum {t.max():.2f}", fontsize=9)
    if image is not None:
        fig.colorbar(image, ax=list(axes[0, 1:]), shrink=0.8, label="attention summed over words")
    plt.close(fig)
    return fig


def draw_beam_tree(
    beam: Beam,
    itos: Sequence[str],
    *,
    title: str | None = None,
    show_dropped: bool = True,
) -> Figure:
    """Each column a step of the search; in it the hypotheses kept (their newest word and
    total log-probability, best at the top), joined to the hypothesis they extend. A
    finished hypothesis carried to the next step unchanged is a dotted line. In grey,
    below, the best candidates the step dropped. The path of the best caption (by the
    length-normalised score) is drawn in colour."""
    import matplotlib.pyplot as plt

    steps = beam.steps
    width = max((len(s) for s in steps), default=1)
    extra = max((len(d) for d in beam.dropped), default=0) if show_dropped else 0
    height = width + extra
    fig, ax = plt.subplots(figsize=(1.3 * (len(steps) + 1) + 0.5, 0.62 * height + 1.3))
    on_path = set(enumerate(best_path(beam))) if steps else set()
    node = {"boxstyle": "round,pad=0.25", "edgecolor": "none"}

    def y(rank: float) -> float:
        return -float(rank)

    ax.text(
        0,
        y((width - 1) / 2),
        "<start>",
        ha="center",
        va="center",
        fontsize=9,
        bbox={**node, "facecolor": "#e8e8e8"},
        zorder=3,
    )
    for t, kept in enumerate(steps):
        x = t + 1
        for rank, h in enumerate(kept):
            parent_y = y((width - 1) / 2) if t == 0 else y(h.parent)
            carried = t > 0 and steps[t - 1][h.parent].finished
            on_best = (t, rank) in on_path
            colour = "tab:red" if on_best else "grey"
            ax.plot(
                [x - 1 + 0.32, x - 0.32],
                [parent_y, y(rank)],
                color=colour,
                linewidth=2.5 if on_best else 1.0,
                linestyle=":" if carried else "-",
                zorder=1,
            )
            face = "#fde0dc" if on_best else ("#dfeadf" if h.finished else "white")
            ax.text(
                x,
                y(rank) + 0.12,
                "(ended)" if carried else _word(h, itos),
                ha="center",
                va="bottom",
                fontsize=7 if carried else 9,
                color="grey" if carried else "black",
                style="italic" if carried else "normal",
                bbox={**node, "facecolor": "none" if carried else face},
                zorder=3,
            )
            ax.text(
                x,
                y(rank) - 0.05,
                f"{h.log_prob:.2f}",
                ha="center",
                va="top",
                fontsize=7,
                color="dimgrey",
                zorder=3,
            )
        if show_dropped and t < len(beam.dropped):
            for k, h in enumerate(beam.dropped[t]):
                row = width + k
                parent_y = y((width - 1) / 2) if t == 0 else y(h.parent)
                ax.plot(
                    [x - 1 + 0.32, x - 0.32],
                    [parent_y, y(row)],
                    color="#dddddd",
                    linewidth=0.8,
                    zorder=0,
                )
                ax.text(
                    x,
                    y(row),
                    f"{_word(h, itos)} {h.log_prob:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="#999999",
                )
    if show_dropped and extra:
        ax.axhline(y(width - 0.5), color="#eeeeee", linewidth=0.8)
        ax.text(0, y(width), "dropped", ha="center", va="center", fontsize=8, color="#999999")
    ax.set_xlim(-0.6, len(steps) + 0.6)
    ax.set_ylim(y(height - 1) - 0.6, 0.8)
    ax.axis("off")
    best = beam.best
    ax.set_title(
        title
        or f"best by log P / lp (alpha {beam.alpha}): "
        f"{' '.join(itos[i] for i in best.words)}  (log P {best.log_prob:.2f})",
        fontsize=10,
    )
    fig.tight_layout()
    plt.close(fig)
    return fig


def _word(h: Hypothesis, itos: Sequence[str]) -> str:
    return itos[h.tokens[-1]] if h.tokens else "<start>"


def draw_captions(
    photos: Sequence[np.ndarray],
    captions: Mapping[str, Sequence[str]],
    *,
    references: Sequence[str] | None = None,
    cols: int = 3,
    wrap: int = 50,
) -> Figure:
    """Photos, each with the caption every model (name -> one caption per photo) wrote,
    and one human reference caption when given."""
    import matplotlib.pyplot as plt

    n = len(photos)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    texts = []
    for i in range(n):
        text = []
        if references is not None:
            text.append(_wrapped("human", references[i], wrap))
        text += [_wrapped(name, out[i], wrap) for name, out in captions.items()]
        texts.append("\n".join(text))
    lines = max(t.count("\n") + 1 for t in texts)
    text_height = 0.16 * lines + 0.1  # inches, at font size 8
    fig, axes = plt.subplots(
        2 * rows,
        cols,
        figsize=(3.9 * cols, rows * (3.7 + text_height)),
        height_ratios=[3.7, text_height] * rows,
        squeeze=False,
    )
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        row, col = divmod(i, cols)
        axes[2 * row, col].imshow(photos[i])
        axes[2 * row + 1, col].text(
            0.0, 1.0, texts[i], ha="left", va="top", fontsize=8, family="DejaVu Sans"
        )
    fig.tight_layout(h_pad=0.2)
    plt.close(fig)
    return fig


def _wrapped(name: str, caption: str, width: int) -> str:
    return textwrap.fill(f"{name}: {caption or '(empty)'}", width, subsequent_indent="    ")
