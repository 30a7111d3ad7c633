"""Lesson 3's diagrams, drawn by code so they can be rebuilt: an RNN unrolled in time (with
the path the gradient takes back through it) and an LSTM cell (its gates and the additive
path of the cell state). Plain matplotlib: boxes, circles and arrows.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

FORWARD, BACKWARD, STATE = "#333333", "tab:red", "tab:blue"


def _box(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    *,
    w: float = 1.0,
    h: float = 0.6,
    color: str = "#dde8f5",
) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", fc=color, ec=FORWARD
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _op(ax: Axes, x: float, y: float, text: str, *, r: float = 0.2) -> None:
    ax.add_patch(Circle((x, y), r, fc="white", ec=FORWARD))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    color: str = FORWARD,
    style: str = "-",
    rad: float = 0.0,
    width: float = 1.2,
) -> None:
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=12,
            color=color,
            linestyle=style,
            linewidth=width,
            connectionstyle=f"arc3,rad={rad}",
        )
    )


def _canvas(
    width: float, height: float, xlim: tuple[float, float], ylim: tuple[float, float]
) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def unrolled_rnn(steps: int = 4) -> Figure:
    """The folded RNN (one cell, a loop) and the same network unrolled over `steps` steps.

    Black: the forward pass, the same weights W at every step. Red, dashed: the gradient of
    a loss on the last state flowing back through every step (BPTT).
    """
    fig, ax = _canvas(2.2 + 1.9 * steps, 3.6, (-1.4, 2.2 + 1.9 * steps), (-1.5, 2.2))
    _box(ax, 0, 0.5, "cell\nW")
    _arrow(ax, (0, -0.8), (0, 0.15))
    ax.text(0, -1.0, "$x_t$", ha="center", va="top")
    _arrow(ax, (0, 0.85), (0, 1.6))
    ax.text(0, 1.7, "$h_t$", ha="center", va="bottom")
    _arrow(ax, (0.55, 0.6), (0.55, 0.35), rad=-2.2, color=STATE)
    ax.text(1.0, 0.5, "=", ha="center", va="center", fontsize=18)
    for t in range(steps):
        x = 2.4 + 1.9 * t
        _box(ax, x, 0.5, "cell\nW")
        _arrow(ax, (x, -0.8), (x, 0.15))
        ax.text(x, -1.0, f"$x_{{{t + 1}}}$", ha="center", va="top")
        _arrow(ax, (x, 0.85), (x, 1.6))
        ax.text(x, 1.7, f"$h_{{{t + 1}}}$", ha="center", va="bottom")
        left = x - 1.9 + 0.55 if t else x - 1.05
        _arrow(ax, (left, 0.55), (x - 0.55, 0.55), color=STATE)
        ax.text((left + x - 0.55) / 2, 0.7, f"$h_{t}$", ha="center", fontsize=8, color=STATE)
        if t:
            _arrow(ax, (x - 0.55, 0.3), (x - 1.35, 0.3), color=BACKWARD, style="--")
    ax.text(
        2.4 + 1.9 * (steps - 1) / 2,
        -1.45,
        "same W at every step; dashed red: $\\partial L / \\partial h$ flowing back (BPTT)",
        ha="center",
        fontsize=8,
        color=BACKWARD,
    )
    ax.set_title("An RNN, folded and unrolled in time", fontsize=11)
    fig.tight_layout()
    return fig


def lstm_cell() -> Figure:
    """One LSTM step: four gate layers read [h_{t-1}, x_t]; the cell state c runs along
    the top, changed only by a product with f and an addition of i ⊙ g."""
    fig, ax = _canvas(8.5, 4.6, (-1.2, 9.4), (-1.6, 4.2))
    top, bottom = 3.2, 0.2
    ax.text(-1.1, top, "$c_{t-1}$", va="center", ha="left")
    ax.text(9.3, top, "$c_t$", va="center", ha="right")
    _arrow(ax, (-0.4, top), (2.0 - 0.2, top), color=STATE, width=2.2)
    _op(ax, 2.0, top, "×")
    _arrow(ax, (2.2, top), (4.2 - 0.2, top), color=STATE, width=2.2)
    _op(ax, 4.2, top, "+")
    _arrow(ax, (4.4, top), (8.6, top), color=STATE, width=2.2)
    gates = [(2.0, "f", "σ"), (3.4, "i", "σ"), (5.0, "g", "tanh"), (6.6, "o", "σ")]
    ax.text(-1.1, bottom, "$h_{t-1}, x_t$", va="center", ha="left")
    ax.plot([-0.1, 6.6], [bottom - 0.6, bottom - 0.6], color=FORWARD, linewidth=1.2)
    ax.plot([-0.1, -0.1], [bottom, bottom - 0.6], color=FORWARD, linewidth=1.2)
    for x, name, act in gates:
        _arrow(ax, (x, bottom - 0.6), (x, bottom + 0.3 - 0.6 + 0.25))
        _box(ax, x, bottom + 0.3, f"{act}\n${name}$", w=0.9, h=0.7, color="#fde9c8")
    _arrow(ax, (2.0, bottom + 0.65), (2.0, top - 0.2))
    _op(ax, 4.2, 1.8, "×")
    _arrow(ax, (3.4, bottom + 0.65), (4.2 - 0.15, 1.8 - 0.15))
    _arrow(ax, (5.0, bottom + 0.65), (4.2 + 0.15, 1.8 - 0.15))
    _arrow(ax, (4.2, 2.0), (4.2, top - 0.2))
    _box(ax, 7.6, 2.3, "tanh", w=0.8, h=0.45, color="#fde9c8")
    _arrow(ax, (7.6, top), (7.6, 2.55))
    _op(ax, 7.6, 1.2, "×")
    _arrow(ax, (7.6, 2.07), (7.6, 1.4))
    _arrow(ax, (6.6, bottom + 0.65), (7.6 - 0.17, 1.2 - 0.1))
    _arrow(ax, (7.8, 1.2), (8.6, 1.2))
    ax.text(8.7, 1.2, "$h_t$", va="center")
    ax.text(
        4.2,
        3.85,
        "cell state: $c_t = f \\odot c_{t-1} + i \\odot g$ (an addition, no matrix product)",
        ha="center",
        fontsize=9,
        color=STATE,
    )
    ax.text(
        3.3,
        -1.3,
        "four gate layers read $[h_{t-1}, x_t]$ (PyTorch stacks their weights as i, f, g, o); "
        "$h_t = o \\odot \\tanh(c_t)$",
        ha="center",
        fontsize=9,
    )
    ax.set_title("An LSTM cell", fontsize=11)
    fig.tight_layout()
    return fig
