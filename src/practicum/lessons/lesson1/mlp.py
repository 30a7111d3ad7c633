"""Lesson 1: neural network basics, on MNIST and Fashion-MNIST.

Read it top to bottom, in the order the lesson teaches it:

1. data: images become rows of 784 numbers in [0, 1];
2. numpy: one-hot labels, softmax, cross-entropy, and a multi-layer perceptron whose
   backpropagation is written out by hand (and checked against numerical gradients);
3. PyTorch: the same kind of network as an `nn.Module`, with the knobs Section 4 compares
   (activation, initialisation, dropout, batch normalisation), the L1/L2 penalties, and the
   five lines of one training step;
4. the homework reference: the MLP `practicum lesson homework 1` trains on Fashion-MNIST.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

from practicum import data
from practicum.coursework import common

FloatArray = NDArray[np.float64]

# ---------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------

MNIST_STATS = (0.1307, 0.3081)
"""Mean and standard deviation of MNIST's training pixels (scaled to [0, 1])."""
FASHION_MNIST_STATS = (0.2860, 0.3530)
"""Mean and standard deviation of Fashion-MNIST's training pixels (scaled to [0, 1])."""
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
SMOKE_ROWS = {"train": 1024, "test": 512}
"""How many rows a split keeps under PRACTICUM_SMOKE=1."""


def prepare_images(x: NDArray[Any], *, mean: float = 0.0, std: float = 1.0) -> NDArray[np.float32]:
    """Flatten (N, 28, 28) bytes to (N, 784) floats: pixel / 255, then (value - mean) / std.

    Networks learn faster from small, centred inputs than from raw 0..255 bytes; with the
    defaults the values stay in [0, 1], which is what image plots expect.
    """
    flat = np.asarray(x, dtype=np.float32).reshape(len(x), -1) / 255.0
    return ((flat - mean) / std).astype(np.float32)


def load_split(
    name: str,
    split: str,
    *,
    limit: int | None = None,
    seed: int = 0,
    stats: tuple[float, float] = (0.0, 1.0),
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Images (N, 784) and labels (N,) of one split, at most `limit` random rows.

    Pixels are in [0, 1], or standardised with `stats` = (mean, std), e.g. MNIST_STATS.
    Under PRACTICUM_SMOKE=1 at most SMOKE_ROWS rows are kept, so that a smoke run of the
    notebooks takes seconds but goes through the same code.
    """
    arrays = data.load(name, split)
    rows = len(arrays["y"]) if limit is None else min(limit, len(arrays["y"]))
    kept = common.subsample(
        arrays, common.scale(rows, min(rows, SMOKE_ROWS.get(split, 512))), seed=seed
    )
    mean, std = stats
    return prepare_images(kept["x"], mean=mean, std=std), kept["y"].astype(np.int64)


def carve_validation(
    x: NDArray[Any], y: NDArray[Any], n_val: int, *, seed: int = 0
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(x_train, y_train, x_val, y_val): `n_val` random rows of a training split set aside.

    Every choice a lesson makes (epochs, learning rate, which network) is made on these
    rows, so the test split stays unseen until the one measurement at the end.
    """
    if not 0 < n_val < len(y):
        raise ValueError(f"carve_validation: n_val must be in 1..{len(y) - 1}, got {n_val}")
    order = np.random.default_rng(seed).permutation(len(y))
    val, kept = np.sort(order[:n_val]), np.sort(order[n_val:])
    return x[kept], y[kept], x[val], y[val]


# ---------------------------------------------------------------------------------------
# 2. The numpy pieces
# ---------------------------------------------------------------------------------------


def one_hot(y: NDArray[np.integer[Any]], n_classes: int = 10) -> FloatArray:
    """Label k becomes a row of zeros with a single 1 in column k."""
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1.0
    return out


def softmax(z: NDArray[Any]) -> FloatArray:
    """Turn scores (N, K) into probabilities: exp(z_k) / sum_j exp(z_j), row by row.

    Subtracting each row's maximum first changes nothing mathematically (the factor
    exp(-max) cancels) but keeps exp() from overflowing to inf for large scores.
    """
    shifted = np.asarray(z, dtype=np.float64) - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    result: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return result


def cross_entropy(probs: NDArray[Any], y_onehot: NDArray[Any]) -> float:
    """Mean over the batch of -sum_k y_k log p_k: how surprised the model is by the truth.

    Probabilities are clipped at 1e-12 so that a confident mistake costs a large finite
    loss (about 27.6) instead of infinity.
    """
    log_p = np.log(np.clip(probs, 1e-12, 1.0))
    return float(-np.mean(np.sum(y_onehot * log_p, axis=-1)))


class NumpyMLP:
    """A multi-layer perceptron in plain numpy: ReLU hidden layers, a softmax output.

    `forward` keeps what `backward` needs (each layer's input and pre-activation);
    `backward` applies the chain rule layer by layer, from the loss back to the input;
    `step` moves every parameter a little against its gradient (plain SGD).
    Everything is float64, so that the numerical gradient check is accurate.
    """

    def __init__(self, sizes: Sequence[int] = (784, 128, 10), *, seed: int = 0) -> None:
        if len(sizes) < 2:
            raise ValueError(f"NumpyMLP: sizes needs an input and an output size, got {sizes}")
        rng = np.random.default_rng(seed)
        # He initialisation: variance 2 / fan_in keeps the signal's scale through ReLUs.
        self.weights = [
            rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
            for n_in, n_out in pairwise(sizes)
        ]
        self.biases = [np.zeros(n_out) for n_out in sizes[1:]]
        self.grad_weights = [np.zeros_like(w) for w in self.weights]
        self.grad_biases = [np.zeros_like(b) for b in self.biases]
        self.inputs: list[FloatArray] = []  # a_{l-1}: what layer l multiplied its weights by
        self.pre_activations: list[FloatArray] = []  # z_l = a_{l-1} W_l + b_l
        self.probs: FloatArray = np.zeros((0, sizes[-1]))

    def forward(self, x: NDArray[Any]) -> FloatArray:
        """Class probabilities (N, K) for inputs (N, D)."""
        a = np.asarray(x, dtype=np.float64)
        self.inputs, self.pre_activations = [], []
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            self.inputs.append(a)
            z = a @ w + b
            self.pre_activations.append(z)
            a = softmax(z) if i == last else np.maximum(z, 0.0)
        self.probs = a
        return a

    def backward(self, y_onehot: NDArray[Any]) -> None:
        """Gradients of the mean cross-entropy of the last `forward`, into grad_*."""
        # Softmax and cross-entropy together have the simplest gradient: p - y.
        delta = (self.probs - y_onehot) / len(y_onehot)
        for i in reversed(range(len(self.weights))):
            self.grad_weights[i] = self.inputs[i].T @ delta
            self.grad_biases[i] = delta.sum(axis=0)
            if i > 0:  # back through W_i, then through the ReLU (gradient 1 where z > 0)
                delta = (delta @ self.weights[i].T) * (self.pre_activations[i - 1] > 0)

    def step(self, lr: float) -> None:
        """One SGD update: w <- w - lr * dL/dw."""
        for w, g in zip(self.weights, self.grad_weights, strict=True):
            w -= lr * g
        for b, g in zip(self.biases, self.grad_biases, strict=True):
            b -= lr * g

    def loss(self, x: NDArray[Any], y_onehot: NDArray[Any]) -> float:
        return cross_entropy(self.forward(x), y_onehot)

    def predict(self, x: NDArray[Any]) -> NDArray[np.int64]:
        labels: NDArray[np.int64] = np.argmax(self.forward(x), axis=1).astype(np.int64)
        return labels

    def gradient_check(
        self,
        x: NDArray[Any],
        y_onehot: NDArray[Any],
        *,
        eps: float = 1e-6,
        per_tensor: int = 20,
        seed: int = 0,
    ) -> float:
        """Compare `backward` with central differences (L(w+eps) - L(w-eps)) / 2 eps.

        Checks `per_tensor` random entries of every weight and bias and returns the worst
        relative error |g - n| / (|g| + |n|) (norms over the checked entries) of any tensor.
        Below 1e-6 the hand-written gradients are right; around 1e-2 something is wrong.
        """
        self.forward(x)
        self.backward(y_onehot)
        analytic = [g.copy() for g in self.grad_weights + self.grad_biases]
        rng = np.random.default_rng(seed)
        worst = 0.0
        for param, grad in zip(self.weights + self.biases, analytic, strict=True):
            picks = rng.choice(param.size, size=min(per_tensor, param.size), replace=False)
            numeric, exact = [], []
            for flat in picks:
                index = np.unravel_index(flat, param.shape)
                saved = param[index]
                param[index] = saved + eps
                up = self.loss(x, y_onehot)
                param[index] = saved - eps
                down = self.loss(x, y_onehot)
                param[index] = saved
                numeric.append((up - down) / (2 * eps))
                exact.append(grad[index])
            n, g = np.array(numeric), np.array(exact)
            scale = np.linalg.norm(n) + np.linalg.norm(g)
            if scale > 0:
                worst = max(worst, float(np.linalg.norm(g - n) / scale))
        return worst


# ---------------------------------------------------------------------------------------
# 3. PyTorch
# ---------------------------------------------------------------------------------------

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
}
INITS = ("he", "xavier", "default")


class MLP(nn.Module):
    """Flatten, then [Linear -> (BatchNorm) -> activation -> (Dropout)] per hidden layer,
    then a Linear layer to the class scores (logits; the loss applies the softmax)."""

    def __init__(
        self,
        hidden: Sequence[int] = (512, 256),
        *,
        activation: str = "relu",
        dropout: float = 0.0,
        batchnorm: bool = False,
        init: str = "he",
        in_features: int = 784,
        n_classes: int = 10,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"MLP: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}"
            )
        if init not in INITS:
            raise ValueError(f"MLP: init must be one of {list(INITS)}, got {init!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout is a probability in [0, 1), got {dropout}")
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for size in hidden:
            layers.append(nn.Linear(width, size))
            if batchnorm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)
        if init != "default":  # "default" keeps PyTorch's own uniform(±1/sqrt(fan_in))
            for layer in self.net:
                if isinstance(layer, nn.Linear):
                    initialise(layer, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x)
        return out


def initialise(layer: nn.Linear, init: str) -> None:
    """He: std sqrt(2 / fan_in), made for ReLU, which zeroes half of its inputs.
    Xavier: std sqrt(2 / (fan_in + fan_out)), made for tanh and sigmoid. Biases start at 0."""
    if init == "he":
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    elif init == "xavier":
        nn.init.xavier_normal_(layer.weight)
    else:
        raise ValueError(f"initialise: unknown init {init!r}; use 'he' or 'xavier'")
    nn.init.zeros_(layer.bias)


def _weight_matrices(model: nn.Module) -> list[torch.Tensor]:
    """Weights of Linear (and conv) layers; biases and batch-norm scales are not penalised."""
    return [p for p in model.parameters() if p.ndim > 1]


def l1_penalty(model: nn.Module) -> torch.Tensor:
    """Sum of |w| over all weight matrices; its gradient pushes small weights to exactly 0."""
    return torch.stack([w.abs().sum() for w in _weight_matrices(model)]).sum()


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """Sum of w^2 over all weight matrices; its gradient shrinks every weight in proportion."""
    return torch.stack([w.pow(2).sum() for w in _weight_matrices(model)]).sum()


def train_step(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
) -> float:
    """One step of gradient descent on one batch; returns the batch's loss."""
    model.train()
    optimizer.zero_grad()  # gradients add up in .grad: clear the last batch's
    loss = loss_fn(model(x), y)
    loss.backward()  # backpropagation: fills p.grad for every parameter p
    optimizer.step()  # p <- p - lr * p.grad (or the optimizer's own rule)
    return float(loss.item())
