"""Callbacks the training-toolkit tests share (importable by name, unlike conftest)."""

from __future__ import annotations

import torch

from practicum.train import Callback, Trainer


class Scripted(Callback):
    """Overwrites ``logs[key]`` with a fixed sequence, so stop/save decisions are known."""

    def __init__(self, key: str, values: list[float]) -> None:
        self.key, self.values = key, values

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        logs[self.key] = self.values[epoch]


class Snapshots(Callback):
    """Copies of the weights after every epoch, to compare restored weights against."""

    def __init__(self) -> None:
        self.states: list[dict[str, torch.Tensor]] = []

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self.states.append({k: v.clone() for k, v in trainer.model.state_dict().items()})
