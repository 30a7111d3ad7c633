"""Helpers every lesson shares: smoke-mode sizing, subsampling, image grids."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from practicum import settings

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def scale(full: int, smoke: int) -> int:
    """Pick a size: `full` normally, `smoke` under PRACTICUM_SMOKE=1.

    Every data size and epoch count in the lessons goes through here, so a smoke run
    walks exactly the same code as a real one, only on less data.
    """
    return smoke if settings.smoke() else full


def subsample(arrays: dict[str, NDArray[Any]], n: int, *, seed: int = 0) -> dict[str, NDArray[Any]]:
    """The same random `n` rows of every array (all arrays unchanged when `n` covers them)."""
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"subsample: arrays differ in length {sorted(lengths)}")
    total = lengths.pop()
    if n >= total:
        return dict(arrays)
    rows = np.sort(np.random.default_rng(seed).permutation(total)[:n])
    return {k: a[rows] for k, a in arrays.items()}


def image_grid(
    images: NDArray[Any],
    labels: Sequence[int] | NDArray[np.integer[Any]] | None = None,
    *,
    class_names: Sequence[str] | None = None,
    cols: int = 8,
    title: str | None = None,
    titles: Sequence[str] | None = None,
    cmap: str = "gray_r",
) -> Figure:
    """Show images (N, H, W), (N, H*W) for square images, or colour (N, H, W, 3) in [0, 1]
    or bytes, in a grid with their labels, or with `titles` (one text per image) instead."""
    import matplotlib.pyplot as plt

    n = len(images)
    if n == 0:
        raise ValueError("image_grid: no images to show")
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        images = images.reshape(n, side, side)
    cols = min(cols, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.5 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
        elif labels is not None:
            label = int(labels[i])
            ax.set_title(class_names[label] if class_names else str(label), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)  # returned, not shown twice: Jupyter displays the returned figure
    return fig
