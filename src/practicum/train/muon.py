"""Muon: momentum SGD whose update for each weight matrix is orthogonalised first.

Keller Jordan's optimizer (github.com/KellerJordan/Muon, MIT licence), from the airbench and
modded-nanogpt speed records. An SGD step moves most along the few directions where the
gradient is large; orthogonalising the update (setting all its singular values to about 1)
gives the rare directions equal weight, which trains convolution filters in fewer steps.
Only for weights with two or more axes; biases, norms and the last layer keep plain SGD.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
"""Quintic Newton-Schulz coefficients chosen to push small singular values up fast."""


def orthogonalize(g: torch.Tensor, steps: int = 3, eps: float = 1e-7) -> torch.Tensor:
    """About U V^T of g = U S V^T (singular values land in roughly 0.5-1.5), by Newton-Schulz.

    Cheap matrix products instead of an SVD; the approximate result trains as well.
    bfloat16 on GPUs (tensor cores), float32 elsewhere (CPUs without bf16 units are slower).
    """
    if g.ndim != 2:
        raise ValueError(f"orthogonalize expects a matrix, got shape {tuple(g.shape)}")
    a, b, c = NS_COEFFICIENTS
    x = g.bfloat16() if g.is_cuda else g.float()
    x = x / (x.norm() + eps)  # top singular value <= 1, where the iteration converges
    tall = g.size(0) > g.size(1)
    if tall:
        x = x.T
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    out: torch.Tensor = (x.T if tall else x).to(g.dtype)
    return out


class Muon(torch.optim.Optimizer):
    """Nesterov momentum, then an orthogonalised step; weights are kept at a fixed norm.

    Each weight is rescaled to norm sqrt(rows) before its step, so the step size `lr` means
    the same thing all through training (no weight decay needed for these weights).
    """

    def __init__(
        self, params: Iterable[torch.Tensor], lr: float = 0.02, momentum: float = 0.95
    ) -> None:
        if lr < 0 or not 0 <= momentum < 1:
            raise ValueError(f"Muon: need lr >= 0 and 0 <= momentum < 1, got {lr}, {momentum}")
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p.grad)
                buf = state["momentum_buffer"]
                buf.mul_(group["momentum"]).add_(p.grad)
                g = p.grad.add(buf, alpha=group["momentum"])  # Nesterov
                p.mul_(len(p) ** 0.5 / p.norm())
                update = orthogonalize(g.reshape(len(g), -1)).view_as(g)
                p.add_(update, alpha=-group["lr"])
        return loss
