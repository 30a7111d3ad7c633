"""Lesson 4, Sections 3 and 4: the pictures of attention, alignments, masks and heads.

Every figure of those sections is drawn here from numbers the notebook computes, so it can
be rebuilt. Japanese tokens need a font with Japanese glyphs: `japanese_font` finds one
(the IPAex Gothic of the `matplotlib-fontja` package, or one installed on the system) and
adds it as a fallback after matplotlib's own font.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CJK_FAMILIES = (
    "IPAexGothic",
    "IPAGothic",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "TakaoGothic",
    "VL Gothic",
    "Source Han Sans JP",
    "Hiragino Sans",
    "Yu Gothic",
    "MS Gothic",
)


@functools.cache
def japanese_font() -> str | None:
    """The family of a font with Japanese glyphs, set as matplotlib's fallback; None (and
    missing-glyph warnings silenced, tokens drawn as boxes) when there is none."""
    from matplotlib import font_manager, rcParams

    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is not None and spec.origin is not None:  # found without importing it: its
        ttf = Path(spec.origin).parent / "fonts" / "ipaexg.ttf"  # import resets every font
        if ttf.is_file():
            font_manager.fontManager.addfont(str(ttf))
    installed = {font.name for font in font_manager.fontManager.ttflist}
    family = next((name for name in CJK_FAMILIES if name in installed), None)
    if family is None:
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        return None
    # a list of families: a glyph missing from the first is taken from the next
    rcParams["font.family"] = ["DejaVu Sans", family]
    return family


def attention_diagram(
    src_tokens: Sequence[str],
    weights: Mapping[str, Sequence[float]],
    *,
    query: str = "decoder state $s_t$",
) -> Figure:
    """One decoder step attending over the encoder states: each line from $h_j$ to the
    context is as thick as its weight; one panel per way of scoring (name -> weights)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Rectangle

    n = len(src_tokens)
    fig, axes = plt.subplots(1, len(weights), figsize=(5.2 * len(weights), 3.8), squeeze=False)
    for ax, (name, alphas) in zip(axes[0], weights.items(), strict=True):
        a = np.asarray(alphas, dtype=float)
        xs = np.arange(n) - (n - 1) / 2
        context = (float(xs @ a), 3.2)
        for j, (x, alpha, token) in enumerate(zip(xs, a, src_tokens, strict=True)):
            ax.add_patch(Rectangle((x - 0.35, 0), 0.7, 0.7, facecolor="#cfe2f3", edgecolor="k"))
            ax.text(x, 0.35, f"$h_{{{j + 1}}}$", ha="center", va="center")
            ax.text(x, -0.3, token, ha="center", va="top", fontsize=9)
            ax.plot(
                [x, context[0]],
                [0.7, context[1] - 0.3],
                color="tab:orange",
                linewidth=0.5 + 8 * alpha,
                alpha=0.3 + 0.7 * alpha,
                solid_capstyle="round",
            )
            ax.text(x, 1.0, f"{alpha:.2f}", ha="center", fontsize=8, color="tab:orange")
        ax.add_patch(Circle(context, 0.3, facecolor="#fde9d9", edgecolor="k"))
        ax.text(*context, "$c_t$", ha="center", va="center")
        qx = xs[-1] + 0.6
        ax.add_patch(Rectangle((qx - 0.45, 2.9), 0.9, 0.6, facecolor="#d9ead3", edgecolor="k"))
        ax.text(qx, 3.2, "$s_t$", ha="center", va="center")
        ax.text(qx, 3.75, query, ha="center", fontsize=8)
        ax.annotate(
            "",
            xy=(context[0] + 0.32, 3.2),
            xytext=(qx - 0.47, 3.2),
            arrowprops={"arrowstyle": "->", "linestyle": "--", "color": "grey"},
        )
        ax.text(
            (context[0] + qx) / 2,
            2.55,
            "score($s_t$, $h_j$) for every $j$,\nsoftmax: the weights",
            ha="center",
            fontsize=7,
            color="grey",
        )
        ax.set_title(name, fontsize=10)
        ax.set_xlim(xs[0] - 0.8, qx + 0.8)
        ax.set_ylim(-0.9, 4.1)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    plt.close(fig)
    return fig


def draw_alignment(
    ax: Axes,
    weights: Any,
    src_tokens: Sequence[str],
    tgt_tokens: Sequence[str],
    *,
    title: str | None = None,
) -> None:
    """A heatmap of attention weights (target tokens down, source tokens across)."""
    japanese_font()
    w = np.asarray(weights, dtype=float)[: len(tgt_tokens), : len(src_tokens)]
    ax.imshow(w, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(src_tokens)), src_tokens, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(tgt_tokens)), tgt_tokens, fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)


def draw_mask(
    ax: Axes,
    mask: Any,
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    title: str,
) -> None:
    """A boolean mask: dark where a query (row) may look at a key (column)."""
    m = np.asarray(mask, dtype=float)
    ax.imshow(m, cmap="Blues", vmin=0, vmax=1.3)
    for (i, j), value in np.ndenumerate(m):
        ax.text(j, i, "✓" if value else "·", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(cols)), cols, fontsize=8, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("key (may be looked at)", fontsize=8)
    ax.set_ylabel("query (looks)", fontsize=8)
    ax.set_title(title, fontsize=9)


def draw_heads(weights: Any, q_tokens: Sequence[str], k_tokens: Sequence[str]) -> Figure:
    """Per-head attention weights (heads, Q, K), one heatmap each."""
    import matplotlib.pyplot as plt

    japanese_font()
    w = np.asarray(weights, dtype=float)
    fig, axes = plt.subplots(1, len(w), figsize=(3.1 * len(w), 3.2), squeeze=False)
    for h, ax in enumerate(axes[0]):
        draw_alignment(ax, w[h], k_tokens, q_tokens, title=f"head {h + 1}")
        if h:
            ax.set_yticks([])
    fig.tight_layout()
    plt.close(fig)
    return fig
