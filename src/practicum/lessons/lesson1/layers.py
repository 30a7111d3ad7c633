"""Layers in plain numpy, each with its forward and backward pass (CS231n's way).

A layer's `forward` keeps what its `backward` needs; `backward(dout)` takes the loss's
gradient with respect to the layer's output and returns it with respect to the layer's
input, storing the gradients of its own parameters (`dw`, `db`, `dgamma`, `dbeta`).
Section 2 writes `Affine`, `ReLU` and `softmax_cross_entropy`, Section 4 `Dropout` and
`BatchNorm`; the checks compare them with numerical gradients (`numerical_gradient`) and
with `torch.nn`. These are the reference versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def numerical_gradient(f: Callable[[], float], x: Array, eps: float = 1e-6) -> Array:
    """d f / d x by central differences, (f(x + eps) - f(x - eps)) / 2 eps, entry by entry.

    `x` is changed in place and restored, so `f` must read it (not a copy made before).
    Far too slow to train with, exact enough to catch a wrong backward pass.
    """
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        up = f()
        x[index] = saved - eps
        down = f()
        x[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def relative_error(got: NDArray[Any], expected: NDArray[Any]) -> float:
    """||got - expected|| / (||got|| + ||expected||): about 1e-8 or less when a backward
    pass is right, 1e-2 or more when it is wrong. Norms, not entry by entry, so that
    gradients that are 0 (a pixel that is 0 in every image) do not count as errors."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    scale = float(np.linalg.norm(got) + np.linalg.norm(expected))
    return float(np.linalg.norm(got - expected)) / scale if scale > 0 else 0.0


class Affine:
    """out = x W + b, for x of shape (N, D), W (D, M), b (M,)."""

    def __init__(self, w: Array, b: Array) -> None:
        self.w, self.b = w, b
        self.dw, self.db = np.zeros_like(w), np.zeros_like(b)
        self.x: Array | None = None

    def forward(self, x: Array) -> Array:
        self.x = x
        out: Array = x @ self.w + self.b
        return out

    def backward(self, dout: Array) -> Array:
        assert self.x is not None, "forward first"
        self.dw = self.x.T @ dout  # each weight w_dm met x_nd on every row n
        self.db = dout.sum(axis=0)  # b was added to every row
        dx: Array = dout @ self.w.T
        return dx


class ReLU:
    """out = max(0, x), element by element."""

    def __init__(self) -> None:
        self.mask: NDArray[np.bool_] | None = None

    def forward(self, x: Array) -> Array:
        self.mask = x > 0
        out: Array = np.where(self.mask, x, 0.0)
        return out

    def backward(self, dout: Array) -> Array:
        assert self.mask is not None, "forward first"
        dx: Array = np.where(self.mask, dout, 0.0)  # slope 1 where x > 0, else 0
        return dx


def softmax_cross_entropy(scores: Array, y: NDArray[np.integer[Any]]) -> tuple[float, Array]:
    """The mean cross-entropy of softmax(scores) against labels y, and its gradient.

    log softmax is computed from scores minus each row's maximum, so scores of 1000 give a
    finite loss; the gradient is (softmax(scores) - one_hot(y)) / N.
    """
    n = len(y)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -float(log_probs[np.arange(n), y].mean())
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1.0
    return loss, dscores / n


class Dropout:
    """Inverted dropout: in training, each number is zeroed with probability p and the rest
    are divided by 1 - p (the expected value stays the same); in evaluation, nothing."""

    def __init__(self, p: float = 0.5, seed: int = 0) -> None:
        self.p = p
        self.rng = np.random.default_rng(seed)
        self.training = True
        self.mask: Array | None = None

    def forward(self, x: Array) -> Array:
        if not self.training or self.p == 0:
            self.mask = None
            return x
        self.mask = (self.rng.random(x.shape) >= self.p) / (1.0 - self.p)
        out: Array = x * self.mask
        return out

    def backward(self, dout: Array) -> Array:
        return dout if self.mask is None else dout * self.mask


class BatchNorm:
    """Batch normalisation of (N, D) inputs, as `torch.nn.BatchNorm1d` computes it.

    Training: each column is standardised with the batch's mean and (biased) variance, then
    scaled by gamma and shifted by beta; the running statistics move a `momentum` of the way
    towards the batch's mean and *unbiased* variance. Evaluation: the running statistics.
    """

    def __init__(self, dim: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        self.gamma, self.beta = np.ones(dim), np.zeros(dim)
        self.dgamma, self.dbeta = np.zeros(dim), np.zeros(dim)
        self.running_mean, self.running_var = np.zeros(dim), np.ones(dim)
        self.momentum, self.eps = momentum, eps
        self.training = True
        self.x_hat: Array | None = None
        self.std: Array | None = None

    def forward(self, x: Array) -> Array:
        if self.training:
            mean, var = x.mean(axis=0), x.var(axis=0)
            n, m = len(x), self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.std = np.sqrt(var + self.eps)
        self.x_hat = (x - mean) / self.std
        out: Array = self.gamma * self.x_hat + self.beta
        return out

    def backward(self, dout: Array) -> Array:
        """After a training-mode forward: the batch's mean and variance depend on x too."""
        assert self.x_hat is not None and self.std is not None, "forward first"
        self.dgamma = (dout * self.x_hat).sum(axis=0)
        self.dbeta = dout.sum(axis=0)
        dx_hat = dout * self.gamma
        dx: Array = (
            dx_hat - dx_hat.mean(axis=0) - self.x_hat * (dx_hat * self.x_hat).mean(axis=0)
        ) / self.std
        return dx
