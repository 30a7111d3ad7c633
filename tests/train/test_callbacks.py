"""EarlyStopping and Checkpoint, driven by scripted metric values so every decision is known."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn
from train_helpers import Scripted, Snapshots

from practicum.train import Callback, Checkpoint, EarlyStopping, fit, load_checkpoint, make_loader

Data = tuple[torch.Tensor, torch.Tensor]


def _train(model: nn.Module, data: Data, callbacks: list[Callback], epochs: int = 10) -> int:
    history = fit(
        model,
        make_loader(*data, batch_size=16),
        epochs=epochs,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
        callbacks=callbacks,
        device=torch.device("cpu"),
        progress=False,
    )
    return len(history)


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_early_stopping_stops_after_patience_and_restores_best(
    blobs: Data, make_model: Callable[[], nn.Module], snapshots: Snapshots
) -> None:
    # best at epoch 3; 2.5 and 2.1 do not beat it, so patience 2 stops after epoch 5
    score = Scripted("score", [5.0, 3.0, 4.0, 2.0, 2.5, 2.1, 1.0, 0.5, 0.1, 0.0])
    stopper = EarlyStopping(monitor="score", patience=2, mode="min")
    model = make_model()
    epochs_run = _train(model, blobs, [score, snapshots, stopper])
    assert epochs_run == 6 and stopper.stopped_epoch == 5
    assert not _same(snapshots.states[3], snapshots.states[5])
    assert _same(model.state_dict(), snapshots.states[3])


def test_early_stopping_min_delta_ignores_tiny_gains(
    blobs: Data, make_model: Callable[[], nn.Module]
) -> None:
    score = Scripted("score", [0.50, 0.55, 0.58, 0.59, 0.9, 0.95])
    stopper = EarlyStopping(monitor="score", patience=3, mode="max", min_delta=0.1)
    assert _train(make_model(), blobs, [score, stopper]) == 4
    assert stopper.best.epoch == 0


def test_early_stopping_without_restore_keeps_last_weights(
    blobs: Data, make_model: Callable[[], nn.Module], snapshots: Snapshots
) -> None:
    score = Scripted("score", [1.0, 2.0, 3.0])
    stopper = EarlyStopping(monitor="score", patience=2, restore_best=False)
    model = make_model()
    assert _train(model, blobs, [score, snapshots, stopper]) == 3
    assert _same(model.state_dict(), snapshots.states[-1])


def test_a_missing_monitor_says_what_is_logged(
    blobs: Data, make_model: Callable[[], nn.Module]
) -> None:
    with pytest.raises(KeyError, match=r"'val_loss' is not logged \(logged: loss, acc, lr, time"):
        _train(make_model(), blobs, [EarlyStopping()])


def test_a_bad_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        EarlyStopping(mode="lowest")


def test_checkpoint_keeps_the_best_epoch_and_loads_it_exactly(
    blobs: Data, make_model: Callable[[], nn.Module], snapshots: Snapshots, tmp_path: Path
) -> None:
    score = Scripted("score", [0.2, 0.7, 0.5, 0.6])
    path = tmp_path / "runs" / "best.pt"
    model = make_model()
    _train(model, blobs, [score, snapshots, Checkpoint(path, monitor="score", mode="max")], 4)

    fresh = make_model()
    optimizer = torch.optim.Adam(fresh.parameters(), lr=0.05)
    extra = load_checkpoint(path, fresh, optimizer)
    assert extra["epoch"] == 1 and extra["logs"]["score"] == 0.7
    assert _same(fresh.state_dict(), snapshots.states[1])
    assert not _same(fresh.state_dict(), model.state_dict())
    assert optimizer.state_dict()["state"][0]["step"] == 8  # 2 epochs of 4 batches
    assert [p.name for p in path.parent.iterdir()] == ["best.pt"]  # no temporary files left
