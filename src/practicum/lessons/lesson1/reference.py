"""Lesson 1's homework reference: the MLP `practicum lesson homework 1` trains on
Fashion-MNIST.

A module of its own so that a course can withhold it from the students' servers until it
releases it (`coursework.withheld`); the lesson's notebooks never import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from practicum.coursework import common
from practicum.lessons.lesson1.mlp import FASHION_MNIST_STATS, MLP, prepare_images
from practicum.train import fit, make_loader, predict, seed_everything


@dataclass(frozen=True)
class HomeworkConfig:
    """The reference MLP. Chosen on a 5,000-image validation split carved from the training
    set (benchmarks/lesson1_homework.py --validate), never on the test set."""

    hidden: tuple[int, ...] = (1024, 512)
    dropout: float = 0.25
    epochs: int = 30
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    flip: bool = True
    """Mirror images at random while training (a mirrored shirt is still a shirt), and
    average the predictions for each test image and its mirror."""


class RandomMirror(nn.Module):
    """Flips each (N, 28, 28) image left-right with probability 1/2, in training mode only."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        images = x.view(len(x), 28, 28)
        flip = torch.rand(len(x), 1, 1, device=x.device) < 0.5
        return torch.where(flip, images.flip(-1), images).view_as(x)


def homework_model(cfg: HomeworkConfig = HomeworkConfig()) -> nn.Module:
    net = MLP(cfg.hidden, dropout=cfg.dropout, batchnorm=True)
    return nn.Sequential(RandomMirror(), net) if cfg.flip else net


def solve_homework(
    train: dict[str, NDArray[Any]],
    x_test: NDArray[Any],
    seed: int = 0,
    cfg: HomeworkConfig = HomeworkConfig(),
) -> NDArray[np.int64]:
    """Train the reference MLP on `train` ({"x", "y"}) and predict labels for `x_test`."""
    seed_everything(seed)
    kept = common.subsample(train, common.scale(len(train["y"]), 2048), seed=seed)
    x = prepare_images(kept["x"], mean=FASHION_MNIST_STATS[0], std=FASHION_MNIST_STATS[1])
    loader = make_loader(
        x, kept["y"].astype(np.int64), batch_size=cfg.batch_size, shuffle=True, seed=seed
    )
    model = homework_model(cfg)
    epochs = common.scale(cfg.epochs, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    fit(model, loader, epochs=epochs, optimizer=optimizer, loss_fn=loss_fn, scheduler=scheduler)
    xt = prepare_images(x_test, mean=FASHION_MNIST_STATS[0], std=FASHION_MNIST_STATS[1])
    logits = predict(model, xt)
    if cfg.flip:
        mirrored = xt.reshape(-1, 28, 28)[:, :, ::-1].reshape(len(xt), -1)
        logits = logits.softmax(1) + predict(model, np.ascontiguousarray(mirrored)).softmax(1)
    return logits.argmax(1).numpy().astype(np.int64)
