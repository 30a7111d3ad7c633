"""Small helpers the lessons' checks share to compare a student's module with the reference."""

from __future__ import annotations

import torch
from torch import nn


def fill_seeded(module: nn.Module, seed: int, scale: float = 0.7) -> None:
    """Give every parameter seeded random values, the same for every module built alike, so
    a student's module and the reference can be compared weight for weight."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(module.named_parameters()):
            p.copy_(torch.randn(p.shape, generator=g) * scale)


def tensors_close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-5) -> bool:
    """Same shape and the same values up to rounding (relative 1e-4, absolute `tol`)."""
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=tol)
