"""Lesson 1's diagram drawn by code: the computation graph a scalar autograd builds.

`draw_graph` lays out every value a result was computed from, inputs on the left and the
result on the right, each box showing its operation, its value and its gradient after
`backward()`: the chain rule, one box at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def graph_levels(root: Any) -> list[list[Any]]:
    """The values `root` was computed from, by their longest distance from `root`
    (level 0 is `root` itself); each value appears once, at its deepest level."""
    depth: dict[int, int] = {}
    nodes: dict[int, Any] = {}
    stack = [(root, 0)]
    while stack:
        node, level = stack.pop()
        if depth.get(id(node), -1) >= level:
            continue
        depth[id(node)], nodes[id(node)] = level, node
        stack.extend((child, level + 1) for child in node._prev)
    levels: list[list[Any]] = [[] for _ in range(max(depth.values()) + 1)]
    for key, level in sorted(depth.items(), key=lambda item: item[1]):
        levels[level].append(nodes[key])
    return levels


def draw_graph(root: Any, names: Mapping[int, str] | None = None, title: str = "") -> Figure:
    """Boxes for the values `root` depends on (name or operation, data, grad), arrows from
    each value to the values computed from it. `names` maps id(value) to a label."""
    import matplotlib.pyplot as plt

    names = names or {}
    levels = graph_levels(root)
    width = len(levels)
    tallest = max(len(level) for level in levels)
    fig, ax = plt.subplots(figsize=(2.1 * width + 1, 1.0 * tallest + 1))
    where: dict[int, tuple[float, float]] = {}
    for level, nodes in enumerate(levels):
        for row, node in enumerate(nodes):
            where[id(node)] = (float(width - 1 - level), row - (len(nodes) - 1) / 2)
    for nodes in levels:
        for node in nodes:
            for child in node._prev:
                ax.annotate(
                    "",
                    xy=where[id(node)],
                    xytext=where[id(child)],
                    arrowprops={"arrowstyle": "->", "color": "grey", "shrinkA": 28, "shrinkB": 28},
                )
    for nodes in levels:
        for node in nodes:
            label = names.get(id(node)) or node._op or "const"
            x, y = where[id(node)]
            ax.text(
                x,
                y,
                f"{label}\ndata {node.data:.3g}\ngrad {node.grad:.3g}",
                ha="center",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round", "facecolor": "#e8f0fb" if node._prev else "#fdf1dc"},
            )
    ax.set_xlim(-0.7, width - 0.3)
    ax.set_ylim(-tallest / 2 - 0.2, tallest / 2 + 0.2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    plt.close(fig)  # returned, shown once as the cell's value
    return fig
