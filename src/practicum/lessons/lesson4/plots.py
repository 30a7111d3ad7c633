"""Lesson 4's diagrams, drawn by code so they can be rebuilt: the encoder-decoder unrolled
over a sentence pair, and the probability tree that greedy and beam search walk.

The default matplotlib fonts have no Japanese glyphs, so drawings that show Japanese take
it in romaji (the notebooks print the real tokens next to them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from practicum.lessons.lesson4.text import EOS
from practicum.lessons.lesson4.toys import TableTranslator

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ENCODER, DECODER, STATE = "#cfe2f3", "#fce5cd", "#d9ead3"


def box(ax: Axes, x: float, y: float, text: str, colour: str, *, w: float = 0.8) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - 0.3),
            w,
            0.6,
            boxstyle="round,pad=0.02,rounding_size=0.1",
            facecolor=colour,
            edgecolor="black",
            linewidth=1,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    style: str = "-",
    colour: str = "black",
    bend: float = 0.0,
) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "linestyle": style,
            "color": colour,
            "shrinkA": 0,
            "shrinkB": 0,
            "connectionstyle": f"arc3,rad={bend}",
        },
    )


def draw_encoder_decoder(source: Sequence[str], target: Sequence[str]) -> Figure:
    """The encoder LSTM read over `source`, its final state handed to the decoder, which
    reads `<s> target` and predicts `target </s>` (teacher forcing); the dashed arrows
    are what happens when translating: each prediction is fed back as the next input."""
    import matplotlib.pyplot as plt

    n_src, n_tgt = len(source), len(target) + 1
    gap = 1.0
    fig, ax = plt.subplots(figsize=(1.05 * (n_src + n_tgt + gap) + 0.6, 3.6))
    for i, token in enumerate(source):
        box(ax, i, 0, token, "white")
        box(ax, i, 1.2, "LSTM", ENCODER)
        arrow(ax, (i, 0.3), (i, 0.9))
        if i:
            arrow(ax, (i - 0.6, 1.2), (i - 0.4, 1.2))
    first = n_src + gap
    inputs, outputs = ["<s>", *target], [*target, "</s>"]
    for j in range(n_tgt):
        x = first + j
        box(ax, x, 0, inputs[j], "white")
        box(ax, x, 1.2, "LSTM", DECODER)
        box(ax, x, 2.6, outputs[j], "white")
        arrow(ax, (x, 0.3), (x, 0.9))
        arrow(ax, (x, 1.5), (x, 2.3))
        if j:
            arrow(ax, (x - 0.6, 1.2), (x - 0.4, 1.2))
        if j + 1 < n_tgt:
            arrow(ax, (x + 0.2, 2.3), (x + 0.8, 0.3), style="--", colour="grey", bend=0.0)
    arrow(ax, (n_src - 0.6, 1.2), (first - 0.4, 1.2), colour="green")
    ax.text((n_src - 0.6 + first - 0.4) / 2, 1.45, "(h, c)", ha="center", color="green", fontsize=9)
    ax.text((n_src - 1) / 2, -0.75, "encoder: reads the English", ha="center", fontsize=10)
    ax.text(
        first + (n_tgt - 1) / 2,
        -0.75,
        "decoder: reads <s> + the Japanese, predicts the next token",
        ha="center",
        fontsize=10,
    )
    ax.text(first + (n_tgt - 1) / 2, 3.15, "predictions (trained against the target)", ha="center")
    ax.set_xlim(-0.7, first + n_tgt - 0.3)
    ax.set_ylim(-1.0, 3.4)
    ax.axis("off")
    fig.tight_layout()
    plt.close(fig)
    return fig


def draw_search_tree(
    model: TableTranslator,
    names: Mapping[int, str],
    paths: Mapping[str, tuple[Sequence[int], str]],
) -> Figure:
    """Every continuation of `model`'s table as a tree, each edge labelled with its token
    and probability, each finished sentence with its probability; `paths` maps a label
    (e.g. "greedy") to (token ids without `</s>`, colour) to draw over the tree."""
    import matplotlib.pyplot as plt

    sentences = model.sentences()
    positions: dict[tuple[int, ...], tuple[float, float]] = {}
    leaves = 0

    def place(prefix: tuple[int, ...]) -> float:
        nonlocal leaves
        children = [] if prefix and prefix[-1] == EOS else list(model.next(prefix))
        if not children:
            y = -float(leaves)
            leaves += 1
        else:
            y = sum(place((*prefix, t)) for t in children) / len(children)
        positions[prefix] = (float(len(prefix)), y)
        return y

    place(())
    depth = max(len(p) for p in positions)
    fig, ax = plt.subplots(figsize=(2.2 * depth + 2.5, 0.75 * leaves + 1.0))
    highlighted = {
        (*path[:i],): colour
        for _, (tokens, colour) in paths.items()
        for path in [(*tokens, EOS)]
        for i in range(1, len(path) + 1)
    }
    node = {"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none"}
    for prefix, (x, y) in positions.items():
        if not prefix:
            ax.text(x, y, "<s>", ha="center", va="center", fontsize=10, bbox=node, zorder=3)
            continue
        parent = positions[prefix[:-1]]
        token = prefix[-1]
        p = model.next(prefix[:-1])[token]
        colour = highlighted.get(prefix, "lightgrey")
        width = 3 if prefix in highlighted else 1
        ax.plot([parent[0], x], [parent[1], y], color=colour, linewidth=width, zorder=1)
        ax.text(
            x,
            y,
            names.get(token, str(token)),
            ha="center",
            va="center",
            fontsize=10,
            bbox=node,
            zorder=3,
        )
        ax.text(
            (parent[0] + x) / 2,
            (parent[1] + y) / 2 + 0.12,
            f"{p:.2f}",
            ha="center",
            va="bottom",
            fontsize=8,
            color="dimgrey",
            zorder=2,
        )
        if token == EOS:
            ax.text(x + 0.35, y, f"P = {sentences[prefix]:.3f}", va="center", fontsize=9)
    for label, (_, colour) in paths.items():
        ax.plot([], [], color=colour, linewidth=3, label=label)
    if paths:
        ax.legend(loc="lower left", fontsize=9)
    ax.set_xlim(-0.4, depth + 1.4)
    ax.set_ylim(-leaves + 0.4, 0.6)
    ax.axis("off")
    fig.tight_layout()
    plt.close(fig)
    return fig
