"""Lesson 7's pictures for Sections 1-2, drawn by code so they can be rebuilt: the RL loop,
the grid world with its values and greedy policy, discounting, a replay buffer's ring,
the epsilon schedule, the Huber loss, and learning curves with their moving averages.

Every function returns its figure closed (Jupyter shows a figure returned by a cell's last
line; a closed one is not shown a second time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from practicum.lessons.lesson4.plots import arrow, box
from practicum.lessons.lesson7.gridworld import MOVES, GridWorld

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

AGENT, ENVIRONMENT = "#cfe2f3", "#d9ead3"
CELL_COLOURS = {"#": "#555555", "C": "#e06666", "S": "#93c47d", "G": "#ffd966", ".": "#ffffff"}
CELL_NAMES = {"#": "wall", "C": "cliff (-10, back to S)", "S": "start", "G": "goal (+1, end)"}


def _closed(fig: Figure) -> Figure:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    plt.close(fig)
    return fig


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """The mean of the last `window` values at every point (fewer at the start), so a noisy
    curve of returns shows its trend from the first episode on."""
    x = np.asarray(values, dtype=float)
    sums = np.cumsum(np.concatenate([[0.0], x]))
    counts = np.minimum(np.arange(1, len(x) + 1), window)
    means: np.ndarray = (sums[1:] - sums[np.arange(1, len(x) + 1) - counts]) / counts
    return means


def _route(ax: Axes, points: Sequence[tuple[float, float]], colour: str) -> None:
    """A line through `points` with an arrowhead at the last one."""
    xs, ys = zip(*points, strict=True)
    ax.plot(xs[:-1], ys[:-1], color=colour, linewidth=1.5)
    arrow(ax, points[-2], points[-1], colour=colour)


def draw_rl_loop() -> Figure:
    """The agent acts; the environment answers with a reward and the next observation."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.4))
    box(ax, -2.2, 0, "agent\n(policy π, learns Q)", AGENT, w=2.4)
    box(ax, 2.4, 0, "environment\n(grid world, CartPole, Breakout)", ENVIRONMENT, w=3.4)
    _route(ax, [(-2.2, 0.3), (-2.2, 1.1), (2.4, 1.1), (2.4, 0.3)], "black")
    ax.text(0.1, 1.2, "action $a_t$", ha="center", va="bottom", fontsize=10)
    _route(ax, [(2.0, -0.3), (2.0, -0.9), (-1.8, -0.9), (-1.8, -0.3)], "tab:blue")
    ax.text(
        0.1, -0.85, "observation $s_{t+1}$", ha="center", va="bottom", fontsize=10, color="tab:blue"
    )
    _route(ax, [(2.8, -0.3), (2.8, -1.5), (-2.6, -1.5), (-2.6, -0.3)], "tab:green")
    ax.text(
        0.1, -1.45, "reward $r_{t+1}$", ha="center", va="bottom", fontsize=10, color="tab:green"
    )
    ax.text(0.1, -2.0, "then t becomes t + 1, until the episode ends", ha="center", fontsize=9)
    ax.set_xlim(-4.0, 4.6)
    ax.set_ylim(-2.2, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return _closed(fig)


def _draw_world(
    ax: Axes,
    world: GridWorld,
    q: np.ndarray | None = None,
    path: Sequence[int] | None = None,
    title: str = "",
) -> None:
    """The grid on `ax`: cells coloured by kind; with `q`, each floor cell's value max_a Q
    and an arrow for its greedy action; with `path`, the states visited, as a line."""
    from matplotlib.patches import Rectangle

    height, width = world.shape
    for r in range(height):
        for c in range(width):
            mark = str(world.cells[r, c])
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=CELL_COLOURS[mark], edgecolor="#999999"))
            if mark in "SG" and q is None:
                ax.text(c + 0.5, r + 0.5, mark, ha="center", va="center", fontsize=12)
            if q is None or mark in "#CG":
                continue
            state = r * width + c
            ax.text(c + 0.5, r + 0.8, f"{q[state].max():.2f}", ha="center", va="center", fontsize=7)
            d_row, d_col = MOVES[int(q[state].argmax())]
            ax.annotate(
                "",
                xy=(c + 0.5 + 0.3 * d_col, r + 0.4 + 0.3 * d_row),
                xytext=(c + 0.5 - 0.3 * d_col, r + 0.4 - 0.3 * d_row),
                arrowprops={"arrowstyle": "-|>", "color": "black"},
            )
    if path:
        rows, cols = np.divmod(np.asarray(path), width)
        ax.plot(cols + 0.5, rows + 0.5, color="tab:blue", linewidth=3, alpha=0.6)
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def draw_world(world: GridWorld, title: str = "The grid world") -> Figure:
    """The grid world alone, with a legend of its cells."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(6, 3.8))
    _draw_world(ax, world, title=title)
    handles = [
        Patch(facecolor=CELL_COLOURS[m], edgecolor="#999999", label=n)
        for m, n in CELL_NAMES.items()
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=4, fontsize=8)
    return _closed(fig)


def world_panels(
    world: GridWorld, panels: Mapping[str, tuple[np.ndarray | None, Sequence[int] | None]]
) -> Figure:
    """Grid worlds side by side, each titled, with its values and greedy arrows from a Q
    table and the path its greedy policy walks (either may be None)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.6), squeeze=False)
    for ax, (title, (q, path)) in zip(axes[0], panels.items(), strict=True):
        _draw_world(ax, world, q, path, title)
    return _closed(fig)


def discount_weights(gammas: Sequence[float], horizon: int = 100) -> Figure:
    """How much a reward k steps ahead counts in the return: gamma ** k."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    k = np.arange(horizon)
    for gamma in gammas:
        ax.plot(k, gamma**k, label=f"γ = {gamma}  (1 / (1 - γ) = {1 / (1 - gamma):.0f} steps)")
    ax.set_xlabel("steps ahead, k")
    ax.set_ylabel("weight γ^k of the reward")
    ax.legend(fontsize=8)
    ax.set_title("Discounting: far rewards count less")
    return _closed(fig)


def curves(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    window: int,
    xlabel: str,
    ylabel: str,
    title: str,
    lines: Mapping[str, float] | None = None,
) -> Figure:
    """Noisy curves (x, y) faint, their moving averages over `window` points bold, and
    horizontal reference `lines` (label -> height), dashed."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6))
    _curves_on(ax, series, window, lines or {})
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    return _closed(fig)


def _curves_on(
    ax: Axes,
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    window: int,
    lines: Mapping[str, float],
) -> None:
    for i, (label, (x, y)) in enumerate(series.items()):
        ax.plot(x, y, color=f"C{i}", alpha=0.25, linewidth=0.8)
        ax.plot(x, moving_average(y, window), color=f"C{i}", linewidth=2, label=label)
    for j, (label, height) in enumerate(lines.items()):
        ax.axhline(height, color=f"C{len(series) + j}", linestyle="--", linewidth=1.2, label=label)
    ax.legend(fontsize=8)


def draw_ring(capacity: int = 8, added: int = 11) -> Figure:
    """A replay buffer of `capacity` slots after `added` transitions: each slot shows the
    transition it holds; the next add goes where the arrow points, over the oldest."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, ax = plt.subplots(figsize=(8, 2.2))
    position = added % capacity
    for slot in range(capacity):
        held = max(i for i in range(added) if i % capacity == slot) if slot < added else None
        new = held is not None and held >= capacity
        colour = "#f4cccc" if new else "#cfe2f3" if held is not None else "#ffffff"
        ax.add_patch(Rectangle((slot, 0), 1, 1, facecolor=colour, edgecolor="black"))
        ax.text(
            slot + 0.5,
            0.5,
            "empty" if held is None else f"t = {held}",
            ha="center",
            va="center",
            fontsize=9,
        )
        ax.text(slot + 0.5, -0.25, str(slot), ha="center", va="center", fontsize=8, color="grey")
    arrow(ax, (position + 0.5, 1.8), (position + 0.5, 1.05), colour="tab:red")
    ax.text(position + 0.5, 1.95, "next add (the oldest)", ha="center", fontsize=9, color="tab:red")
    ax.set_title(
        f"A ring of {capacity} slots after {added} adds: red slots were written twice "
        "(position = (position + 1) % capacity)",
        fontsize=9,
    )
    ax.set_xlim(-0.2, capacity + 0.2)
    ax.set_ylim(-0.5, 2.3)
    ax.axis("off")
    return _closed(fig)


def epsilon_schedule(
    epsilon: Callable[[int], float], steps: int, title: str = "The exploration schedule"
) -> Figure:
    """epsilon(step) over a run: how often the agent acts at random."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.8))
    x = np.linspace(0, steps, 200).astype(int)
    ax.plot(x, [epsilon(int(s)) for s in x])
    ax.set_xlabel("environment step")
    ax.set_ylabel("epsilon")
    ax.set_ylim(0, 1.05)
    ax.set_title(title, fontsize=10)
    return _closed(fig)


def huber_and_squared() -> Figure:
    """The Huber loss against the squared error, and their slopes: the Huber slope stops
    at ±1, so a large TD error pushes no harder than an error of 1."""
    import matplotlib.pyplot as plt

    delta = np.linspace(-4, 4, 401)
    huber = np.where(np.abs(delta) < 1, 0.5 * delta**2, np.abs(delta) - 0.5)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    left.plot(delta, 0.5 * delta**2, label="squared error δ²/2")
    left.plot(delta, huber, label="Huber (smooth L1)")
    left.set_title("loss", fontsize=10)
    right.plot(delta, delta, label="δ")
    right.plot(delta, np.clip(delta, -1, 1), label="clip(δ, -1, 1)")
    right.set_title("its gradient", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("TD error δ = Q(s, a) - y")
        ax.legend(fontsize=8)
    return _closed(fig)


def dqn_run(
    ends: Sequence[int],
    returns: Sequence[float],
    losses: Sequence[float],
    *,
    random_return: float,
    window: int = 20,
    learning_starts: int = 0,
    validation: Sequence[tuple[int, float]] = (),
) -> Figure:
    """A DQN run: each training episode's return against the step it ended (with
    exploration), the greedy policy's validation scores, a random policy's mean; and the
    loss of every training step."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    _curves_on(
        left, {"training episodes": (ends, returns)}, window, {"random policy, mean": random_return}
    )
    if validation:
        checked, scores = zip(*validation, strict=True)
        left.plot(checked, scores, "o", color="black", label="greedy, validation episodes")
        left.legend(fontsize=8)
    left.set_xlabel("environment step")
    left.set_ylabel("return")
    left.set_title(f"Returns while learning (bold: mean of the last {window})", fontsize=10)
    steps = learning_starts + np.arange(len(losses))
    right.plot(steps, losses, alpha=0.2, linewidth=0.5)
    right.plot(steps, moving_average(losses, 500), linewidth=2)
    right.set_yscale("log")
    right.set_xlabel("environment step")
    right.set_ylabel("Huber loss")
    right.set_title("The loss of each training step (bold: mean of 500)", fontsize=10)
    return _closed(fig)


def returns_histogram(samples: Mapping[str, Sequence[float]], title: str) -> Figure:
    """Returns of whole episodes of a few policies, side by side."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    top = max(max(v) for v in samples.values())
    bins = np.linspace(0, max(top, 1.0), 26).tolist()
    for label, values in samples.items():
        ax.hist(values, bins=bins, alpha=0.6, label=f"{label} (mean {np.mean(values):.1f})")
    ax.set_xlabel("return of an episode")
    ax.set_ylabel("episodes")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return _closed(fig)
