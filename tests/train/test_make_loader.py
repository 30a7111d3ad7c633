"""Loaders over in-memory arrays: dtypes, batching, repeatable shuffling, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from practicum.train import make_loader


def _order(loader: torch.utils.data.DataLoader[tuple[torch.Tensor, ...]]) -> list[int]:
    return [int(v) for (xb,) in loader for v in xb]


def test_numpy_arrays_get_the_dtypes_layers_and_losses_expect() -> None:
    x = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.arange(10, dtype=np.int32)
    batches = list(make_loader(x, y, batch_size=4))
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    assert batches[0][0].dtype == torch.float32 and batches[0][1].dtype == torch.int64
    assert torch.equal(torch.cat([yb for _, yb in batches]), torch.arange(10))


def test_shuffling_repeats_with_a_seed_and_changes_with_another() -> None:
    x = torch.arange(50)
    first = _order(make_loader(x, batch_size=8, shuffle=True, seed=3))
    again = _order(make_loader(x, batch_size=8, shuffle=True, seed=3))
    other = _order(make_loader(x, batch_size=8, shuffle=True, seed=4))
    assert first == again != other
    assert sorted(first) == list(range(50)) and first != list(range(50))
    torch.manual_seed(123)  # the global generator does not change a seeded loader
    assert _order(make_loader(x, batch_size=8, shuffle=True, seed=3)) == first


def test_each_epoch_reshuffles() -> None:
    loader = make_loader(torch.arange(30), batch_size=30, shuffle=True)
    assert _order(loader) != _order(loader)


def test_mismatched_lengths_are_named() -> None:
    with pytest.raises(ValueError, match="x has 5 rows but y has 4"):
        make_loader(np.zeros((5, 2)), np.zeros(4))


def test_object_arrays_are_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match="y is an object array"):
        make_loader(np.zeros((2, 2)), np.array(["a", None], dtype=object))
