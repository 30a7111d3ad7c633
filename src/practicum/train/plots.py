"""Learning curves (one panel per metric, training solid and validation dashed, runs by
colour) and confusion matrices."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from practicum.train.history import History

ArrayLike = Sequence[int] | np.ndarray[Any, Any]


def plot_history(
    histories: History | Mapping[str, History],
    keys: Sequence[str] = ("loss", "acc"),
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Plot ``keys`` (and their ``val_`` twins) per epoch; several runs share each panel.

    Pass ``{"SGD": h1, "Adam": h2}`` to compare runs. The figure is detached from pyplot,
    so a notebook shows it once (as the cell's value) and loops of plots leak nothing.
    """
    runs = {"": histories} if isinstance(histories, History) else dict(histories)
    if not runs:
        raise ValueError("plot_history: no histories to plot")
    if not keys:
        raise ValueError("plot_history: no keys to plot")
    plt = _pyplot()
    fig: Figure
    fig, axes = plt.subplots(
        1, len(keys), figsize=(4.6 * len(keys), 3.6), squeeze=False, layout="constrained"
    )
    plt.close(fig)
    for ax, key in zip(axes[0], keys, strict=True):
        _panel(ax, key, runs)
    if title:
        fig.suptitle(title)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", dpi=120)
    return fig


def plot_confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    class_names: Sequence[str] | None = None,
    *,
    normalize: bool = True,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Rows are the true classes, columns the predicted ones; with ``normalize`` each row is
    shown as fractions of its class (the diagonal is then each class's recall).

    The bright cells off the diagonal name the pairs of classes a model mixes up.
    """
    truth, guess = np.asarray(y_true).astype(np.int64), np.asarray(y_pred).astype(np.int64)
    if truth.shape != guess.shape or truth.ndim != 1 or len(truth) == 0:
        raise ValueError(
            f"plot_confusion_matrix: need two equally long label vectors, got shapes "
            f"{truth.shape} and {guess.shape}"
        )
    n = len(class_names) if class_names else int(max(truth.max(), guess.max())) + 1
    if min(truth.min(), guess.min()) < 0 or max(truth.max(), guess.max()) >= n:
        raise ValueError(f"plot_confusion_matrix: labels must be in 0..{n - 1}")
    counts = np.bincount(truth * n + guess, minlength=n * n).reshape(n, n)
    shown = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    plt = _pyplot()
    fig: Figure
    fig, ax = plt.subplots(figsize=(0.55 * n + 2.2, 0.55 * n + 1.6), layout="constrained")
    plt.close(fig)
    ax.imshow(shown, cmap="Blues", vmin=0)
    names = list(class_names) if class_names else [str(i) for i in range(n)]
    ax.set_xticks(range(n), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    high = shown.max() / 2
    for (row, col), value in np.ndenumerate(shown):
        text = f"{value:.2f}".lstrip("0") if normalize else str(value)
        if value:
            ax.text(col, row, text, ha="center", va="center", fontsize=7,
                    color="white" if value > high else "black")  # fmt: skip
    ax.set_title(title or f"confusion matrix ({len(truth)} examples)")
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", dpi=120)
    return fig


def _panel(ax: Axes, key: str, runs: Mapping[str, History]) -> None:
    """One metric: a colour per run, solid for training, dashed for validation."""
    colours = matplotlib.color_sequences["tab10"]
    has_val = any(f"val_{key}" in history for history in runs.values())
    plotted: list[float] = []
    epochs = 0
    for i, (name, history) in enumerate(runs.items()):
        for prefix, style, part in (("", "-", "train"), ("val_", "--", "val")):
            if prefix + key not in history:
                continue
            values = history[prefix + key]
            plotted += values
            epochs = max(epochs, len(values))
            label = f"{name} {part}".strip() if has_val else name
            marker = "." if len(values) <= 30 else None
            ax.plot(
                range(1, len(values) + 1),
                values,
                style,
                marker=marker,
                color=colours[i % len(colours)],
                label=label,
            )
    ax.set_title(key)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if epochs:
        ax.set_xlim(0.5, epochs + 0.5)  # whole epochs, even for a one-epoch smoke run
        if epochs <= 10:
            ax.set_xticks(range(1, epochs + 1))
    if key == "lr" and plotted and min(plotted) > 0:
        ax.set_yscale("log")  # schedules decay by factors
    if not ax.lines:
        ax.text(
            0.5,
            0.5,
            f"no {key!r} logged",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="grey",
        )
    elif ax.get_legend_handles_labels()[1]:  # one unnamed run without val needs no legend
        ax.legend(frameon=False, fontsize="small")


def _pyplot() -> ModuleType:
    """pyplot, on the Agg backend when nothing could display a window (servers, CI)."""
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "matplotlib.pyplot" not in sys.modules and "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
