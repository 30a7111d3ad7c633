"""Saving and restoring model (and optimizer) state without ever leaving half a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from practicum.atomic import atomic_open


class CheckpointError(Exception):
    """A checkpoint file cannot be read, or does not fit the model it is loaded into."""


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    **extra: Any,
) -> None:
    """Write weights, optimizer state and ``extra`` (epoch, metrics...) to ``path``.

    The data goes to a temporary file next to ``path`` that replaces it only once complete,
    so a crash or a full disk mid-write keeps the previous checkpoint intact.
    """
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "extra": extra,
    }
    with atomic_open(path, "wb") as handle:
        torch.save(payload, handle)


def load_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    map_location: str | torch.device | None = None,
) -> dict[str, Any]:
    """Restore ``model`` (and ``optimizer``) in place; return the ``extra`` saved with them.

    Tensors are read onto the CPU unless ``map_location`` says otherwise, so a checkpoint
    written on a GPU opens on a laptop; ``load_state_dict`` then copies them to wherever
    the model lives.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location=map_location or "cpu", weights_only=True)
    except Exception as err:  # a damaged file fails anywhere in the unpickler
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path.name}: not a readable checkpoint ({first_line})") from None
    if not isinstance(payload, dict) or "model" not in payload:
        raise CheckpointError(f"{path.name}: not a practicum checkpoint (no 'model' entry)")
    _check_fits(path, model.state_dict(), payload["model"])
    model.load_state_dict(payload["model"])
    if optimizer is not None:
        if payload.get("optimizer") is None:
            raise CheckpointError(f"{path.name}: holds no optimizer state to restore")
        optimizer.load_state_dict(payload["optimizer"])
    return dict(payload.get("extra") or {})


def _check_fits(path: Path, wanted: dict[str, Any], saved: dict[str, Any]) -> None:
    """One readable line instead of PyTorch's multi-line load_state_dict report."""
    problems = []
    if missing := [k for k in wanted if k not in saved]:
        problems.append(f"missing {_few(missing)}")
    if unexpected := [k for k in saved if k not in wanted]:
        problems.append(f"unexpected {_few(unexpected)}")
    reshaped = [
        f"{k} {tuple(saved[k].shape)} vs {tuple(v.shape)}"
        for k, v in wanted.items()
        if k in saved and hasattr(saved[k], "shape") and saved[k].shape != v.shape
    ]
    if reshaped:
        problems.append(f"shape (saved vs model) {_few(reshaped)}")
    if problems:
        raise CheckpointError(f"{path.name}: weights do not fit this model: {'; '.join(problems)}")


def _few(items: list[str], limit: int = 3) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more
