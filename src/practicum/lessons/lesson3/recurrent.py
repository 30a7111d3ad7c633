"""Lesson 3: a recurrent forecaster, trained with a bare PyTorch loop.

A GRU reads a window of the growths z (the log seasonal difference of `forecast.py`,
scaled with the training span's statistics) month by month, and a linear layer turns its
last state into next month's change of z. It plugs into `forecast.NeuralForecaster`, so
the lesson's one-step and recursive forecasts, and its comparison table, take it as they
take the MLPs. The window is chosen on a validation year carved from the training years
(`validation_rmse`), never on the test years.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from practicum.coursework import common
from practicum.lessons.lesson3 import forecast as fc
from practicum.train import seed_everything

EpochFn = Callable[[nn.Module, "DataLoader[Any]", torch.optim.Optimizer, nn.Module], float]
ModelFn = Callable[[int], nn.Module]
WINDOWS = (6, 13, 24)
"""The windows the lesson compares on validation: half a year, a year and a month, two years."""


class GRUForecaster(nn.Module):
    """(batch, window) scaled growths -> (batch, 1): the next month's change of z."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(x.unsqueeze(-1))  # one feature per month
        out: torch.Tensor = self.head(states[:, -1])  # the state after the last month
        return out


def train_epoch(
    model: nn.Module, loader: DataLoader[Any], optimizer: torch.optim.Optimizer, loss_fn: nn.Module
) -> float:
    """One pass over the loader; the mean of the batches' losses."""
    model.train()
    total = 0.0
    for x, t in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


@dataclass(frozen=True)
class GRUConfig:
    """Training of the recurrent forecaster: small, because there are ~80 windows."""

    hidden: int = 16
    epochs: int = 150
    batch_size: int = 16
    lr: float = 3e-3
    weight_decay: float = 1e-2
    ensemble: int = 3
    """Networks from different seeds, averaged: one is noisy on so few windows."""


def windows(
    history: ArrayLike, window: int
) -> tuple[NDArray[np.float32], NDArray[np.float32], fc.NeuralForecaster]:
    """Inputs (N, window), targets (N, 1) and an empty forecaster holding the scaling.

    Inputs are the scaled growths z ending at each month, targets the next change of z in
    the forecaster's unit; both use the statistics of `history` only.
    """
    z = fc.log_seasonal_diff(history)
    cfg = fc.ForecastConfig(inputs="growth", window=window, ensemble=1)
    model = fc.NeuralForecaster(cfg, fc.Scaling.of(z), horizon=1)
    ends = np.arange(window - 1, len(z) - 1)
    if len(ends) < 2:
        raise ValueError(f"windows: {len(z) + fc.SEASON} months are too few for window {window}")
    x = model.inputs(z, ends)
    t = ((z[ends + 1] - z[ends]) / model.unit)[:, None].astype(np.float32)
    return x, t, model


def train_gru(
    history: ArrayLike,
    window: int,
    *,
    make_model: ModelFn = GRUForecaster,
    epoch_fn: EpochFn = train_epoch,
    cfg: GRUConfig = GRUConfig(),
    seed: int = 0,
) -> tuple[fc.NeuralForecaster, list[float]]:
    """Train `cfg.ensemble` networks on every window of `history`; the first one's losses."""
    x, t, model = windows(history, window)
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(t))
    losses: list[float] = []
    for member in range(common.scale(cfg.ensemble, 1)):
        seed_everything(seed * 1000 + member)
        net = make_model(cfg.hidden)
        loader = DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            shuffle=True,
            generator=torch.Generator().manual_seed(seed * 1000 + member),
        )
        optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        curve = [
            epoch_fn(net, loader, optimizer, nn.MSELoss())
            for _ in range(common.scale(cfg.epochs, 3))
        ]
        losses = losses or curve
        net.eval()
        model.nets.append(net)
    return model, losses


def validation_rmse(
    y: ArrayLike,
    window: int,
    *,
    origin: int = fc.VALIDATION_ORIGIN,
    make_model: ModelFn = GRUForecaster,
    epoch_fn: EpochFn = train_epoch,
    cfg: GRUConfig = GRUConfig(),
) -> tuple[float, float]:
    """(one-step, recursive 12-month) RMSE on the validation year starting at `origin`,
    trained on the months before it: how to choose the window without the test years."""
    series = np.asarray(y, dtype=np.float64)[: origin + fc.HORIZON]
    model, _ = train_gru(series[:origin], window, make_model=make_model, epoch_fn=epoch_fn, cfg=cfg)
    truth = series[origin:]
    one = fc.rmse(fc.neural_one_step(model, series, origin), truth)
    many = fc.rmse(fc.neural_forecast(model, series[:origin], fc.HORIZON, recursive=True), truth)
    return one, many


def choose_window(scores: dict[int, tuple[float, float]]) -> int:
    """The window with the lowest validation one-step RMSE (ties: the shorter)."""
    return min(sorted(scores), key=lambda w: scores[w][0])


def gru_row(
    y: ArrayLike,
    window: int,
    *,
    start: int,
    origin: int,
    make_model: ModelFn = GRUForecaster,
    epoch_fn: EpochFn = train_epoch,
    cfg: GRUConfig = GRUConfig(),
    name: str = "GRU",
) -> fc.Row:
    """The recurrent forecaster's row of the comparison table, trained only on each test's
    history: one step over y[start:], and the 12 months from `origin`, recursively."""
    series = np.asarray(y, dtype=np.float64)
    started = time.perf_counter()
    single, _ = train_gru(series[:start], window, make_model=make_model, epoch_fn=epoch_fn, cfg=cfg)
    one = fc.rmse(fc.neural_one_step(single, series, start), series[start:])
    later, _ = train_gru(series[:origin], window, make_model=make_model, epoch_fn=epoch_fn, cfg=cfg)
    forecast = fc.neural_forecast(later, series[:origin], fc.HORIZON, recursive=True)
    many = fc.rmse(forecast, series[origin : origin + fc.HORIZON])
    label = f"{name} on {window} growths, 1 output, recursive"
    return fc.Row(label, one, many, time.perf_counter() - started)
