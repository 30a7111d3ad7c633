"""Metrics and their averaging over an epoch."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

Metric = Callable[[torch.Tensor, torch.Tensor], float]


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Share of correct predictions: argmax over classes, or logit > 0 for one output."""
    if len(y) == 0:
        return math.nan
    if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
        predicted = (logits.reshape(-1) > 0).long()
    else:
        predicted = logits.argmax(dim=1)
    return (predicted == y.reshape(predicted.shape)).float().mean().item()


class SampleMeans:
    """Means over samples, not batches: a last batch of 3 counts 3 times, not once."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.count = 0

    def add(self, n: int, values: dict[str, float]) -> None:
        """Add the per-batch means of a batch of n samples."""
        self.count += n
        for key, value in values.items():
            self.totals[key] = self.totals.get(key, 0.0) + value * n

    def mean(self, key: str) -> float:
        return self.totals[key] / self.count if self.count else math.nan

    def means(self) -> dict[str, float]:
        if self.count == 0:
            return {key: math.nan for key in self.totals}
        return {key: total / self.count for key, total in self.totals.items()}
