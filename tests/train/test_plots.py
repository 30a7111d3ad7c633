"""plot_history: a PNG with one panel per key, train solid and validation dashed."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from practicum.train import History, plot_history

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(scale: float) -> History:
    return History(
        {
            "loss": scale / (e + 1),
            "acc": 1 - scale / (e + 2),
            "val_loss": scale / (e + 0.8),
            "val_acc": 1 - scale / (e + 1.5),
        }
        for e in range(8)
    )


def test_comparison_plot_writes_a_png_with_a_panel_per_key(tmp_path: Path) -> None:
    path = tmp_path / "plots" / "sgd_vs_adam.png"
    fig = plot_history({"SGD": _run(1.0), "Adam": _run(0.5)}, path=path, title="SGD vs Adam")
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert len(fig.axes) == 2
    for ax in fig.axes:
        styles = [(line.get_label(), line.get_linestyle()) for line in ax.get_lines()]
        assert styles == [
            ("SGD train", "-"),
            ("SGD val", "--"),
            ("Adam train", "-"),
            ("Adam val", "--"),
        ]
    assert fig.get_suptitle() == "SGD vs Adam"
    assert plt.get_fignums() == []  # detached from pyplot: shown once, never leaked


def test_single_history_and_custom_keys() -> None:
    history = History([{"loss": 1.0, "val_loss": 1.1, "lr": 0.1}, {"loss": 0.5, "lr": 0.01}])
    fig = plot_history(history, keys=("loss", "lr", "acc"))
    loss, lr, acc = fig.axes
    assert [line.get_label() for line in loss.get_lines()] == ["train", "val"]
    assert len(lr.get_lines()) == 1 and lr.get_legend() is None  # one line needs no legend
    assert lr.get_yscale() == "log"  # learning-rate schedules decay by factors
    assert acc.get_lines() == []  # nothing logged under "acc": an empty, labelled panel
    assert "no 'acc' logged" in acc.texts[0].get_text()


def test_nothing_to_plot_is_an_error() -> None:
    with pytest.raises(ValueError, match="no histories"):
        plot_history({})
