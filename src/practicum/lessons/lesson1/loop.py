"""The bare PyTorch loop: one epoch of training and one pass of evaluation.

`practicum.train.fit` runs these same steps; Section 2 has the student write them once
(the references of exercises `train_epoch` and `evaluate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.nn import functional as F

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def train_epoch(
    model: nn.Module,
    loader: Batches,
    optimizer: torch.optim.Optimizer,
    loss_fn: Loss = F.cross_entropy,
) -> float:
    """One pass over `loader`, one optimizer step per batch; the mean loss per example."""
    model.train()  # dropout and batch norm in their training behaviour
    total, count = 0.0, 0
    for x, y in loader:
        optimizer.zero_grad()  # .grad adds up: clear the last batch's
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count


def evaluate(
    model: nn.Module, loader: Batches, loss_fn: Loss = F.cross_entropy
) -> tuple[float, float]:
    """(mean loss, accuracy) per example over `loader`, without training anything."""
    model.eval()  # dropout off, batch norm on its running statistics
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():  # no graph to keep: faster, and less memory
        for x, y in loader:
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += int((logits.argmax(dim=1) == y).sum())
            count += len(y)
    return total / count, correct / count
