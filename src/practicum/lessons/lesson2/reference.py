"""Lesson 2's homework reference: the fast CNN's budget presets and `solve_cifar`, what
`practicum lesson homework 2 --budget-minutes N` runs.

`preset` picks the width and number of epochs that fit a compute budget on the machine at
hand by timing a few training steps first. A module of its own so that a course can
withhold it from the students' servers until it releases it (`coursework.withheld`); the
notebooks use `fast.py`'s machinery and their own weaker `fast.baseline_config`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from practicum.lessons.lesson2.fast import (
    AIRBENCH_WIDTHS,
    MAX_EPOCHS,
    FastConfig,
    Log,
    autocast,
    make_fast_net,
    make_updater,
    on_device,
    predict_logits,
    to_tensor,
    train_fast,
)
from practicum.train import choose_device

WIDTH_LADDER: tuple[tuple[int, int, int], ...] = (
    AIRBENCH_WIDTHS,
    (48, 192, 192),
    (32, 128, 128),
    (16, 64, 64),
)
"""Widths tried from the widest down when the budget is tight."""
MIN_EPOCHS = 6.0
"""Fewer epochs than this and a narrower network trained longer does better. Measured on
this machine (BENCHMARKS.md, batch 250): 64/256/256 for 6.5 epochs 90.3%, 48/192/192 for
10 epochs 90.0%; with airbench's batch 2000, 5.9 epochs of the wide one were 0.3% behind."""
DEFAULT_BUDGET_MINUTES = 30.0
SPENDABLE = 0.95
"""Share of the budget planned for; the rest covers loading the data and writing the answers.
Timing errors need no share of their own: training re-plans against its deadline."""


@dataclass(frozen=True)
class Timing:
    """Seconds per training image and per test-time-augmented test image, measured here."""

    train_per_image: float
    predict_per_image: float

    def training_seconds(self, seconds: float, n_test: int) -> float:
        """What is left of `seconds` for training once the test images are predicted."""
        return seconds - n_test * self.predict_per_image


@dataclass(frozen=True)
class Plan:
    """A recipe that fits the budget, and the seconds its training may take."""

    cfg: FastConfig
    training_seconds: float


def measure(cfg: FastConfig, device: torch.device, *, steps: int = 2, seed: int = 0) -> Timing:
    """Time a few training steps and one TTA prediction of a throw-away network."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (cfg.batch_size, 32, 32, 3), generator=generator)
    x = images.to(torch.uint8).numpy()
    xt = to_tensor(x, device)
    y = torch.randint(0, 10, (cfg.batch_size,), generator=generator).to(device)
    net = on_device(make_fast_net(cfg, xt[:256]), device)
    updater = make_updater(net, cfg, total=steps + 1)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")

    def train_step() -> None:
        with autocast(device):
            loss = loss_fn(net(xt), y)
        net.zero_grad(set_to_none=True)
        loss.backward()
        updater.step(0)

    train_step()  # warm-up: allocations, kernel selection
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        train_step()
    _sync(device)
    train = (time.perf_counter() - start) / (steps * cfg.batch_size)
    n_predict = min(256, cfg.batch_size)
    start = time.perf_counter()
    predict_logits(net, x[:n_predict], tta_level=cfg.tta_level, device=device)
    _sync(device)
    return Timing(train, (time.perf_counter() - start) / n_predict)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def preset(
    budget_minutes: float,
    n_train: int,
    n_test: int,
    *,
    device: torch.device | None = None,
    log: Log | None = None,
    timer: Callable[[FastConfig, torch.device], Timing] = measure,
) -> Plan:
    """The best recipe that fits: the widest network that gets MIN_EPOCHS within the budget.

    Up to MAX_EPOCHS when they fit (a GPU: seconds); otherwise as many epochs
    as fit, down to MIN_EPOCHS, before stepping down to a narrower network. With less
    budget than even the narrowest network needs for MIN_EPOCHS, it trains that one for
    what fits (at least one epoch) and says so.
    """
    if budget_minutes <= 0:
        raise ValueError(f"--budget-minutes must be positive, got {budget_minutes}")
    device = device or choose_device()
    started = time.perf_counter()
    base = FastConfig.for_device(device)
    for widths in WIDTH_LADDER:
        cfg = replace(base, widths=widths, batch_size=min(base.batch_size, n_train))
        timing = timer(cfg, device)
        # timing itself spends the budget: what it took is no longer there to train with
        seconds = budget_minutes * 60 * SPENDABLE - (time.perf_counter() - started)
        training = timing.training_seconds(seconds, n_test)
        epochs = training / (n_train * timing.train_per_image)
        if log:
            fits = f"{epochs:.2f} epochs fit in the budget"
            log(f"widths {'/'.join(map(str, widths))}: {fits} (the recipe wants {MIN_EPOCHS:g}+)")
        if epochs >= MIN_EPOCHS:
            return Plan(replace(cfg, epochs=min(MAX_EPOCHS, epochs)), training)
    if log:
        log(f"budget too small for {MIN_EPOCHS:.0f} epochs of the narrowest network")
    return Plan(replace(cfg, epochs=min(MAX_EPOCHS, max(1.0, epochs))), training)


def solve_cifar(
    train: dict[str, NDArray[Any]],
    x_test: NDArray[np.uint8],
    seed: int = 0,
    *,
    budget_minutes: float = 30.0,
    device: torch.device | None = None,
    progress: bool = True,
    log: Log | None = print,
) -> NDArray[np.int64]:
    """The homework reference: fit a recipe to the budget, train on all of `train`, predict."""
    device = device or choose_device()
    x, y = train["x"], train["y"]
    plan = preset(budget_minutes, len(x), len(x_test), device=device, log=log)
    deadline = time.perf_counter() + plan.training_seconds
    if log:
        minutes = plan.training_seconds / 60
        log(f"recipe: {plan.cfg.describe()} on {device}; {minutes:.1f} min to train")
    net = train_fast(
        x, y, plan.cfg, seed=seed, device=device, progress=progress, log=log, deadline=deadline
    )
    logits = predict_logits(net, x_test, tta_level=plan.cfg.tta_level, device=device)
    labels: NDArray[np.int64] = logits.argmax(axis=1).astype(np.int64)
    return labels


def budgeted_solver(budget_minutes: float) -> Callable[[dict[str, NDArray[Any]], Any, int], Any]:
    """`solve_cifar` bound to a budget, in the shape `practicum lesson homework` runs."""

    def solve(train: dict[str, NDArray[Any]], x_test: Any, seed: int) -> Any:
        return solve_cifar(train, x_test, seed, budget_minutes=budget_minutes)

    return solve
