"""Data loaders over arrays already in memory, and the batch shapes the loop accepts."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

ArrayLike = np.ndarray[Any, Any] | torch.Tensor


def make_loader(
    x: ArrayLike,
    y: ArrayLike | None = None,
    *,
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int = 0,
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """Batches of (x, y), or of (x,) when y is None (for predict).

    Shuffling draws from its own seeded generator, so the batch order is repeatable and
    does not depend on what else consumed the global RNG. No worker processes: the data is
    already in memory and workers would only add start-up time.
    """
    if batch_size < 1:
        raise ValueError(f"make_loader: batch_size must be at least 1, got {batch_size}")
    tensors = [as_tensor(x, "x")]
    if y is not None:
        tensors.append(as_tensor(y, "y"))
        if len(tensors[1]) != len(tensors[0]):
            raise ValueError(
                f"make_loader: x has {len(tensors[0])} rows but y has {len(tensors[1])}"
            )
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        TensorDataset(*tensors),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        num_workers=0,
    )


def as_tensor(array: ArrayLike, name: str = "x") -> torch.Tensor:
    """A tensor with the dtypes PyTorch layers and losses expect.

    float64 becomes float32 (layers are float32, and a double input fails with a dtype
    error deep inside the model); integer labels become int64 (what cross-entropy takes).
    """
    if isinstance(array, np.ndarray) and array.dtype == object:
        raise TypeError(f"make_loader: {name} is an object array; convert it to numbers first")
    tensor = torch.as_tensor(array)
    if tensor.ndim == 0:
        raise ValueError(f"make_loader: {name} is a scalar; expected one row per example")
    if tensor.dtype == torch.float64:
        return tensor.float()
    if tensor.dtype in (torch.int8, torch.int16, torch.int32, torch.uint8) and name == "y":
        return tensor.long()
    return tensor


def split_batch(batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The (inputs, targets) of one batch, with a message that says what was wrong if not."""
    if isinstance(batch, tuple | list) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, tuple | list):
        got = f"{len(batch)} item(s) per batch"
    else:
        got = f"batches of type {type(batch).__name__}"
    raise TypeError(
        f"the loader must yield (x, y) pairs to train or evaluate, got {got}"
        " (make_loader(x) without y is for predict)"
    )


def batch_inputs(batch: Any) -> torch.Tensor:
    """The inputs of a batch that may or may not carry targets (predict needs only these)."""
    if isinstance(batch, tuple | list):
        return batch[0]  # type: ignore[no-any-return]
    return batch  # type: ignore[no-any-return]
