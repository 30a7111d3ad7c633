"""Callbacks: code that watches each epoch and may stop the run or save the model."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from practicum.train.checkpoint import save_checkpoint
from practicum.train.history import MODES, History


@dataclass
class Trainer:
    """What callbacks see of a running ``fit``; setting ``stop = True`` ends it after this epoch."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    device: torch.device
    history: History = field(default_factory=History)
    stop: bool = False


class Callback:
    """Base class: override the hooks you need; the others do nothing."""

    def on_train_begin(self, trainer: Trainer) -> None:
        """Called once before the first epoch (reset state here: a callback may be reused)."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """Called after each epoch with its metrics (``epoch`` counts from 0)."""

    def on_train_end(self, trainer: Trainer) -> None:
        """Called once after the last epoch, whether the run finished or was stopped."""


class _Best:
    """Tracks the best value of one logged metric; shared by EarlyStopping and Checkpoint."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.reset()

    def reset(self) -> None:
        self.value = math.inf if self.mode == "min" else -math.inf
        self.epoch = -1

    def improved(self, epoch: int, logs: dict[str, float]) -> bool:
        """Record ``logs[monitor]`` if it beats the best by more than min_delta (NaN never does)."""
        if self.monitor not in logs:
            raise KeyError(
                f"monitor {self.monitor!r} is not logged (logged: {', '.join(logs)});"
                " pass val= to fit for val_* metrics"
            )
        value = logs[self.monitor]
        if self.mode == "min":
            better = value < self.value - self.min_delta
        else:
            better = value > self.value + self.min_delta
        if better:
            self.value, self.epoch = value, epoch
        return better


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    With ``restore_best`` the model ends the run with the weights of its best epoch, not
    of its last, overfitted one.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 3,
        mode: str = "min",
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        self.best = _Best(monitor, mode, min_delta)
        self.patience = patience
        self.restore_best = restore_best
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._best_state: dict[str, torch.Tensor] | None = None

    def on_train_begin(self, trainer: Trainer) -> None:
        self.best.reset()
        self.wait, self.stopped_epoch, self._best_state = 0, None, None

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        if self.best.improved(epoch, logs):
            self.wait = 0
            if self.restore_best:
                self._best_state = _cpu_copy(trainer.model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop = True
            self.stopped_epoch = epoch

    def on_train_end(self, trainer: Trainer) -> None:
        if self.restore_best and self._best_state is not None:
            trainer.model.load_state_dict(self._best_state)


class Checkpoint(Callback):
    """Save the model (and optimizer) to ``path`` each time ``monitor`` reaches a new best."""

    def __init__(self, path: str | Path, monitor: str = "val_loss", mode: str = "min") -> None:
        self.path = Path(path)
        self.best = _Best(monitor, mode)

    def on_train_begin(self, trainer: Trainer) -> None:
        self.best.reset()

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        if self.best.improved(epoch, logs):
            save_checkpoint(self.path, trainer.model, trainer.optimizer, epoch=epoch, logs=logs)


def _cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A snapshot that later optimizer steps cannot change, kept off the GPU's memory."""
    return {key: value.detach().to("cpu", copy=True) for key, value in state.items()}
