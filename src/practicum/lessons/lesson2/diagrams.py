"""Lesson 2's diagrams, drawn by code so they can be rebuilt: a filter sliding over an
image (which patch makes which output value), and a residual block with its two paths.

Every function returns its figure closed (Jupyter shows a figure returned by a cell's last
line; a closed one is not shown a second time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from practicum.lessons.lesson2.cnn import correlate2d
from practicum.lessons.lesson4.plots import arrow, box

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAIN, SHORTCUT, JOIN = "#cfe2f3", "#d9ead3", "#fce5cd"


def _grid(
    ax: Axes,
    values: NDArray[Any],
    *,
    title: str,
    box_at: tuple[int, int, int] | None = None,
    colour: str = "tab:red",
) -> None:
    """Numbers in a grid of cells (blank where NaN), with a square frame of `box_at` =
    (row, column, size)."""
    from matplotlib.patches import Rectangle

    shown = np.ma.masked_invalid(values.astype(float))
    ax.imshow(shown, cmap="Greys", vmin=-3, vmax=6, alpha=0.5)
    for (r, c), value in np.ndenumerate(values):
        if not np.isnan(value):
            ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=8)
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="black", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=9)
    if box_at is not None:
        r, c, size = box_at
        frame = Rectangle((c - 0.5, r - 0.5), size, size, fill=False, lw=2.5, edgecolor=colour)
        ax.add_patch(frame)


def draw_sliding_convolution(
    image: NDArray[Any],
    kernel: NDArray[Any],
    positions: Sequence[tuple[int, int]] = ((0, 0), (0, 1), (2, 2)),
    *,
    stride: int = 1,
) -> Figure:
    """One row per output position (i, j): the image with the patch the filter covers
    (red frame), the filter, and the output so far (reading order) with the value that
    patch gives. The value is the sum of the nine products of the patch and the filter."""
    import matplotlib.pyplot as plt

    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    out = correlate2d(image, kernel, stride=stride)
    k = kernel.shape[0]
    fig, axes = plt.subplots(
        len(positions),
        3,
        figsize=(8, 2.6 * len(positions)),
        squeeze=False,
        gridspec_kw={"width_ratios": [image.shape[1], k + 1, out.shape[1] + 1]},
    )
    for row, (i, j) in enumerate(positions):
        done = np.full(out.shape, np.nan)
        upto = i * out.shape[1] + j
        done.flat[: upto + 1] = out.flat[: upto + 1]
        patch = image[i * stride : i * stride + k, j * stride : j * stride + k]
        _grid(axes[row, 0], image, title="image", box_at=(i * stride, j * stride, k))
        _grid(axes[row, 1], kernel, title="filter")
        total = float(np.sum(patch * kernel))
        _grid(
            axes[row, 2],
            done,
            title=f"output[{i}, {j}] = {total:g}",
            box_at=(i, j, 1),
        )
    fig.suptitle(
        f"A {k} x {k} filter sliding over a {image.shape[0]} x {image.shape[1]} image, stride "
        f"{stride}: each output is the sum of the patch (red) times the filter",
        fontsize=10,
    )
    fig.tight_layout()
    plt.close(fig)
    return fig


def draw_residual_block(*, projection: bool = False) -> Figure:
    """A basic residual block (He et al., 2016): the main path F(x) (conv, BN, ReLU, conv,
    BN), the shortcut (x itself, or a strided 1 x 1 conv with BN where the shape changes),
    their sum, then a ReLU. Backpropagation reaches x along both paths."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.4))
    box(ax, 0, 1, "x", SHORTCUT, w=0.6)
    layers = ["conv 3x3\n(stride s)", "BN", "ReLU", "conv 3x3", "BN"]
    for n, name in enumerate(layers):
        box(ax, 1.6 + 1.3 * n, 2.2, name, MAIN, w=1.1)
        if n:
            arrow(ax, (1.6 + 1.3 * n - 0.75, 2.2), (1.6 + 1.3 * n - 0.55, 2.2))
    arrow(ax, (0.3, 1.15), (1.05, 2.0))
    shortcut = (
        "1x1 conv (stride s) + BN\n(the shape changes)" if projection else "identity: x itself"
    )
    box(ax, 4.2, -0.1, shortcut, SHORTCUT, w=3.2)
    arrow(ax, (0.3, 0.85), (2.6, -0.05))
    arrow(ax, (5.8, -0.05), (8.05, 0.85))
    box(ax, 8.3, 1, "+", JOIN, w=0.5)
    arrow(ax, (7.15, 2.0), (8.1, 1.25))
    box(ax, 9.5, 1, "ReLU", JOIN, w=0.9)
    box(ax, 10.8, 1, "y", SHORTCUT, w=0.6)
    arrow(ax, (8.55, 1), (9.05, 1))
    arrow(ax, (9.95, 1), (10.5, 1))
    ax.text(4.2, 2.85, "F(x): the block learns a correction to x", ha="center", fontsize=9)
    ax.text(4.2, -0.75, "y = ReLU(F(x) + shortcut(x))", ha="center", fontsize=9, color="tab:blue")
    ax.set_xlim(-0.6, 11.4)
    ax.set_ylim(-1.1, 3.2)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    plt.close(fig)
    return fig
