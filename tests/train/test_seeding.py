"""Seeding makes a whole run, shuffling included, repeat bit for bit."""

from __future__ import annotations

import random

import numpy as np
import torch
from torch import nn

from practicum.train import History, fit, make_loader, seed_everything


def _run(seed: int) -> tuple[dict[str, torch.Tensor], History, float, float]:
    seed_everything(seed)
    x = torch.randn(48, 3)
    y = (x.sum(dim=1) > 0).long()
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.2), nn.ReLU(), nn.Linear(8, 2))
    history = fit(
        model,
        make_loader(x, y, batch_size=10, shuffle=True, seed=seed),
        epochs=3,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.01),
        device=torch.device("cpu"),
        progress=False,
    )
    return model.state_dict(), history, random.random(), float(np.random.rand())


def _without_time(history: History) -> dict[str, list[float]]:
    return {k: v for k, v in history.to_dict().items() if k != "time"}


def test_same_seed_gives_bit_identical_runs() -> None:
    weights_a, history_a, py_a, np_a = _run(7)
    weights_b, history_b, py_b, np_b = _run(7)
    assert weights_a.keys() == weights_b.keys()
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    assert _without_time(history_a) == _without_time(history_b)
    assert (py_a, np_a) == (py_b, np_b)


def test_another_seed_gives_another_run() -> None:
    weights_a, history_a, py_a, np_a = _run(7)
    weights_b, history_b, py_b, np_b = _run(8)
    assert not torch.equal(weights_a["0.weight"], weights_b["0.weight"])
    assert _without_time(history_a) != _without_time(history_b)
    assert py_a != py_b and np_a != np_b


def test_seeding_pins_cudnn_to_deterministic_kernels() -> None:
    torch.backends.cudnn.benchmark = True
    seed_everything(0)
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
