"""Two optimizers' update rules in numpy, as `torch.optim.SGD(momentum=...)` and
`torch.optim.Adam` apply them (the references of Section 4's exercises).

Each takes the weights and their gradient and returns the new weights; what the optimizer
remembers between steps (the velocity; Adam's moments and step count) is passed along.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def sgd_momentum(
    w: Array, dw: Array, velocity: Array, lr: float = 0.01, momentum: float = 0.9
) -> tuple[Array, Array]:
    """v <- momentum * v + dw, then w <- w - lr * v (PyTorch's convention)."""
    velocity = momentum * velocity + dw
    return w - lr * velocity, velocity


def adam(
    w: Array,
    dw: Array,
    state: dict[str, Any],
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> Array:
    """One Adam step (Kingma and Ba, 2015); `state` starts empty and keeps m, v and the
    step count t, so the bias corrections 1 - beta^t undo the moments' start at 0."""
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw**2
    state.update(t=t, m=m, v=v)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    new: Array = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new
