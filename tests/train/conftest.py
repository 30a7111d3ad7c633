"""Tiny synthetic problems for the training toolkit: everything runs on the CPU in moments."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch
from torch import nn
from train_helpers import Scripted, Snapshots


@pytest.fixture(autouse=True, scope="session")
def one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, and the test machine's cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def blobs() -> tuple[torch.Tensor, torch.Tensor]:
    """Two well separated Gaussian clouds in 2-D: 64 points, labels 0 and 1."""
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(64) % 2
    centres = torch.tensor([[-2.0, -2.0], [2.0, 2.0]])[y]
    return centres + 0.5 * torch.randn(64, 2, generator=gen), y


@pytest.fixture
def make_model() -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))

    return build


@pytest.fixture
def scripted() -> type[Scripted]:
    return Scripted


@pytest.fixture
def snapshots() -> Snapshots:
    return Snapshots()
