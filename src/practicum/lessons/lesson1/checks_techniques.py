"""Lesson 1: the checks of Section 4's exercises (optimizers, dropout, batch norm).

The optimizers are run for several steps next to `torch.optim.SGD(momentum=...)` and
`torch.optim.Adam` on the same float64 tensors and the same gradients; dropout is checked
for its statistics in training, its identity in evaluation and a backward pass that uses
the forward's own mask; batch norm against `torch.nn.BatchNorm1d` (outputs in both modes,
running statistics, autograd gradients) and against numerical gradients. Where a usual
mistake explains a difference (no bias correction, eps inside the square root, the
running variance biased, the momentum the wrong way round, a backward that forgets the
batch statistics depend on x...), the check recomputes it and names it.

The notebook (`lesson1/section4_implementation.py`) and `tests/lessons/test_lesson1_checks.py`
use these same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from practicum.lessons.lesson1.checks import grad_of
from practicum.lessons.lesson1.layers import numerical_gradient, relative_error

Function = Callable[..., Any]
Array = NDArray[np.float64]
STEPS = 6


def _close(got: Any, expected: Any, tol: float = 1e-7) -> bool:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=tol, atol=tol))


def gradient_sequence(seed: int = 0) -> tuple[Array, list[Array]]:
    """Starting weights (2, 3) and STEPS gradients of varied sign and size; the first column's
    are tiny (1e-5), where Adam's eps is not negligible against sqrt(v)."""
    rng = np.random.default_rng(seed)
    tiny = np.array([1e-5, 1.0, 1.0])
    return rng.normal(size=(2, 3)), [rng.normal(size=(2, 3)) * (1 + i) * tiny for i in range(STEPS)]


def _torch_path(make: Callable[[list[torch.Tensor]], torch.optim.Optimizer]) -> list[Array]:
    w0, grads = gradient_sequence()
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    optimizer = make([w])
    path = []
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        path.append(w.detach().numpy().copy())
    return path


def _first_difference(path: list[Array], expected: list[Array]) -> int | None:
    for step, (got, want) in enumerate(zip(path, expected, strict=True), start=1):
        if not _close(got, want):
            return step
    return None


# ---------------------------------------------------------------------------------------
# sgd_momentum
# ---------------------------------------------------------------------------------------

LR, MOMENTUM = 0.1, 0.9


def _momentum_path(step: Function) -> list[Array]:
    w, grads = gradient_sequence()
    velocity, path = np.zeros_like(w), []
    for g in grads:
        result = step(w.copy(), g.copy(), velocity.copy(), lr=LR, momentum=MOMENTUM)
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise AssertionError("return the new weights and the new velocity: (w, velocity)")
        w, velocity = (np.asarray(r, dtype=np.float64) for r in result)
        path.append(w.copy())
    return path


def _momentum_mistakes() -> dict[str, Function]:
    def plain(w: Array, dw: Array, v: Array, lr: float, momentum: float) -> tuple[Array, Array]:
        return w - lr * dw, momentum * v + dw

    def damped(w: Array, dw: Array, v: Array, lr: float, momentum: float) -> tuple[Array, Array]:
        v = momentum * v + (1 - momentum) * dw
        return w - lr * v, v

    def uphill(w: Array, dw: Array, v: Array, lr: float, momentum: float) -> tuple[Array, Array]:
        v = momentum * v + dw
        return w + lr * v, v

    return {
        "these are plain SGD's steps: the velocity must build up, v = momentum * v + dw, "
        "carry the step, w - lr * v, and be returned for the next call": plain,
        "that is an average, v = momentum * v + (1 - momentum) * dw: PyTorch's momentum adds "
        "the whole gradient, v = momentum * v + dw": damped,
        "the step goes uphill: w - lr * v, against the gradient": uphill,
    }


def check_sgd_momentum(candidate: Function) -> None:
    path = _momentum_path(candidate)
    expected = _torch_path(lambda p: torch.optim.SGD(p, lr=LR, momentum=MOMENTUM))
    step = _first_difference(path, expected)
    if step is None:
        return
    for message, mistake in _momentum_mistakes().items():
        if _first_difference(path, _momentum_path(mistake)) is None:
            raise AssertionError(message)
    raise AssertionError(
        f"the weights differ from torch.optim.SGD(lr={LR}, momentum={MOMENTUM})'s at step {step} "
        "of the same gradients: v = momentum * v + dw, w = w - lr * v"
    )


# ---------------------------------------------------------------------------------------
# adam
# ---------------------------------------------------------------------------------------

ADAM_LR = 0.01


def _adam_path(step: Function) -> list[Array]:
    w, grads = gradient_sequence()
    state: dict[str, Any] = {}
    path = []
    for g in grads:
        w = np.asarray(step(w.copy(), g.copy(), state, lr=ADAM_LR), dtype=np.float64)
        path.append(w.copy())
    return path


def _adam_variant(*, correct: bool = True, eps_inside: bool = False, count: bool = True,
                  square: bool = True) -> Function:  # fmt: skip
    """Adam with one usual mistake switched on."""

    def step(w: Array, dw: Array, state: dict[str, Any], lr: float) -> Array:
        t = state.get("t", 0) + (1 if count else 0)
        t = max(t, 1)
        m = 0.9 * state.get("m", 0.0) + 0.1 * dw
        v = 0.999 * state.get("v", 0.0) + 0.001 * (dw**2 if square else np.abs(dw))
        state.update(t=t, m=m, v=v)
        m_hat, v_hat = (m / (1 - 0.9**t), v / (1 - 0.999**t)) if correct else (m, v)
        denominator = np.sqrt(v_hat + 1e-8) if eps_inside else np.sqrt(v_hat) + 1e-8
        new: Array = w - lr * m_hat / denominator
        return new

    return step


ADAM_MISTAKES = {
    "the bias corrections are missing: divide m by 1 - beta1^t and v by 1 - beta2^t, or the "
    "first steps are far too small (both averages start at 0)": {"correct": False},
    "the step count t does not grow: add 1 to it at every step, the corrections use beta^t "
    "of the current step": {"count": False},
    "v averages |dw|: it is the running average of the squared gradient, dw**2": {"square": False},
}


def check_adam(candidate: Function) -> None:
    with np.errstate(all="ignore"):
        path = _adam_path(candidate)
    if not all(np.isfinite(w).all() for w in path):
        raise AssertionError(
            "the weights became nan or inf: t must be 1 at the first step (1 - beta^0 = 0), "
            "and v the average of dw**2 (never negative)"
        )
    expected = _torch_path(lambda p: torch.optim.Adam(p, lr=ADAM_LR))
    step = _first_difference(path, expected)
    if step is None:
        return
    for message, flaw in ADAM_MISTAKES.items():
        if _first_difference(path, _adam_path(_adam_variant(**flaw))) is None:
            raise AssertionError(message)
    if _first_difference(path, _adam_path(_adam_variant(eps_inside=True))) is None:
        raise AssertionError("eps goes outside the square root: m_hat / (sqrt(v_hat) + eps)")
    raise AssertionError(
        f"the weights differ from torch.optim.Adam(lr={ADAM_LR})'s at step {step} of the same "
        "gradients: keep m, v and t in `state` from one call to the next"
    )


# ---------------------------------------------------------------------------------------
# dropout
# ---------------------------------------------------------------------------------------

DROP = 0.3


def check_dropout(cls: type) -> None:
    x = np.full((400, 50), 2.0)
    layer = cls(DROP, seed=0)
    layer.training = True
    out = np.asarray(layer.forward(x.copy()), dtype=np.float64)
    if out.shape != x.shape:
        raise AssertionError(f"forward returns shape {out.shape} for input {x.shape}")
    dropped = float(np.mean(out == 0))
    kept = out[out != 0]
    if abs(dropped - (1 - DROP)) < 0.03:
        raise AssertionError(
            f"with p = {DROP} it zeroes {dropped:.0%} of the numbers: p is the probability "
            "to drop a unit, not to keep it"
        )
    if abs(dropped - DROP) > 0.03:
        raise AssertionError(
            f"with p = {DROP} it zeroes {dropped:.0%} of the numbers, not about 30%"
        )
    if np.allclose(kept, 2.0):
        raise AssertionError(
            "the kept numbers are not scaled: divide them by 1 - p, so the expected value stays "
            "the same and evaluation needs no change"
        )
    if np.allclose(kept, 2.0 * (1 - DROP)):
        raise AssertionError("the kept numbers are multiplied by 1 - p: divide by it instead")
    if not np.allclose(kept, 2.0 / (1 - DROP)):
        raise AssertionError(
            f"the kept numbers of 2.0 became {np.unique(kept)[:3]}, not 2 / (1 - p)"
        )
    if len({tuple(row) for row in (out[:20] != 0)}) == 1:
        raise AssertionError("every row got the same mask: draw one for every number of x")
    again = np.asarray(layer.forward(x.copy()))
    if np.array_equal(again, out):
        raise AssertionError(
            "two forward passes dropped the same units: draw a new mask every time"
        )
    _dropout_backward(layer, x)
    layer.training = False
    evaluated = np.asarray(layer.forward(x.copy()))
    torch_eval = nn.Dropout(DROP).eval()(torch.from_numpy(x)).numpy()
    if not _close(evaluated, torch_eval):
        raise AssertionError(
            "in evaluation (training = False) dropout must do nothing, as nn.Dropout in eval() "
            "mode: return x unchanged"
        )


def _dropout_backward(layer: Any, x: Array) -> None:
    rng = np.random.default_rng(1)
    values = x * rng.uniform(0.5, 1.5, size=x.shape)
    out = np.asarray(layer.forward(values.copy()))
    dout = rng.normal(size=x.shape)
    dx = layer.backward(dout.copy())
    if dx is None:
        raise AssertionError("backward must return dx")
    wanted = dout * out / values  # out = x * mask: d out / d x is the mask of that forward
    if not _close(dx, wanted):
        if _close(dx, dout):
            raise AssertionError(
                "backward passes dout unchanged: multiply it by the forward's mask"
            )
        raise AssertionError(
            "backward does not use the mask of the last forward (scaled by 1 / (1 - p)): keep "
            "the mask in forward and multiply dout by it"
        )


# ---------------------------------------------------------------------------------------
# batchnorm
# ---------------------------------------------------------------------------------------

BN_DIM, BN_MOMENTUM = 3, 0.1


def _bn_batches(seed: int = 0) -> list[Array]:
    rng = np.random.default_rng(seed)
    shift, spread = np.array([2.0, -1.0, 0.5]), np.array([1.0, 3.0, 0.2])
    return [rng.normal(size=(6, BN_DIM)) * spread + shift for _ in range(3)]


def _torch_bn() -> nn.BatchNorm1d:
    bn = nn.BatchNorm1d(BN_DIM, momentum=BN_MOMENTUM).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, 0.5, -1.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    return bn


def _set_affine(layer: Any) -> None:
    layer.gamma = np.array([1.5, 0.5, -1.0])
    layer.beta = np.array([0.1, -0.2, 0.3])


def _running_mistakes(batches: list[Array]) -> dict[str, tuple[Array, Array]]:
    m = BN_MOMENTUM
    mean, var_u, var_b, mean_swap, var_swap = (
        np.zeros(BN_DIM), np.ones(BN_DIM), np.ones(BN_DIM), np.zeros(BN_DIM), np.ones(BN_DIM),
    )  # fmt: skip
    for x in batches:
        mean = (1 - m) * mean + m * x.mean(0)
        var_u = (1 - m) * var_u + m * x.var(0, ddof=1)
        var_b = (1 - m) * var_b + m * x.var(0)
        mean_swap = m * mean_swap + (1 - m) * x.mean(0)
        var_swap = m * var_swap + (1 - m) * x.var(0, ddof=1)
    return {
        "the running variance uses the batch's biased variance: PyTorch keeps the unbiased one, "
        "var * N / (N - 1)": (mean, var_b),
        "the momentum goes the wrong way: running = (1 - momentum) * running + momentum * "
        "batch statistic": (mean_swap, var_swap),
    }


def check_batchnorm(cls: type) -> None:
    batches = _bn_batches()
    layer, bn = cls(BN_DIM, momentum=BN_MOMENTUM), _torch_bn()
    _set_affine(layer)
    layer.training = True
    for x in batches:
        got = np.asarray(layer.forward(x.copy()), dtype=np.float64)
        expected = bn(torch.from_numpy(x)).detach().numpy()
        if got.shape != x.shape:
            raise AssertionError(f"forward returns shape {got.shape} for a batch {x.shape}")
        if not _close(got, expected, 1e-6):
            _training_forward_mistakes(got, x)
    running = (np.asarray(layer.running_mean), np.asarray(layer.running_var))
    assert bn.running_mean is not None and bn.running_var is not None
    expected_running = (bn.running_mean.numpy(), bn.running_var.numpy())
    if not (_close(running[0], expected_running[0]) and _close(running[1], expected_running[1])):
        for message, wrong in _running_mistakes(batches).items():
            if _close(running[0], wrong[0]) and _close(running[1], wrong[1]):
                raise AssertionError(message)
        raise AssertionError(
            "after three training batches the running mean and variance differ from "
            "nn.BatchNorm1d's: move them a `momentum` of the way to each batch's mean and "
            "unbiased variance"
        )
    _eval_mode(layer, bn)
    _batchnorm_backward(cls)


def _training_forward_mistakes(got: Array, x: Array) -> None:
    gamma, beta = np.array([1.5, 0.5, -1.0]), np.array([0.1, -0.2, 0.3])
    by_row = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    if _close(got, gamma * by_row + beta, 1e-6):
        raise AssertionError(
            "it normalises each row: batch norm standardises each feature (column) over the "
            "batch, mean and variance along axis 0"
        )
    plain = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    if _close(got, plain, 1e-6):
        raise AssertionError("gamma and beta are not applied: out = gamma * x_hat + beta")
    unbiased = (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + 1e-5)
    if _close(got, gamma * unbiased + beta, 1e-6):
        raise AssertionError(
            "a batch is standardised with its biased variance (np.var, ddof=0); the unbiased "
            "one is only for the running variance"
        )
    raise AssertionError(
        "in training the output differs from nn.BatchNorm1d's: gamma * (x - mean) / "
        "sqrt(var + eps) + beta, with the batch's mean and variance per column"
    )


def _eval_mode(layer: Any, bn: nn.BatchNorm1d) -> None:
    x = _bn_batches(seed=5)[0]
    layer.training = False
    bn.eval()
    running_before = np.asarray(layer.running_mean).copy()
    got = np.asarray(layer.forward(x.copy()), dtype=np.float64)
    expected = bn(torch.from_numpy(x)).detach().numpy()
    if not _close(np.asarray(layer.running_mean), running_before):
        raise AssertionError("in evaluation the running statistics must stay as they are")
    if not _close(got, expected, 1e-6):
        raise AssertionError(
            "in evaluation (training = False) the output differs from nn.BatchNorm1d's in "
            "eval(): use the running mean and variance, not the batch's"
        )


def _batchnorm_backward(cls: type) -> None:
    rng = np.random.default_rng(2)
    x = _bn_batches()[0]
    dout = rng.normal(size=x.shape)
    layer = cls(BN_DIM, momentum=BN_MOMENTUM)
    _set_affine(layer)
    layer.training = True
    layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    if dx is None:
        raise AssertionError("backward must return dx")
    dx = np.asarray(dx, dtype=np.float64)
    x_t = torch.tensor(x, requires_grad=True)
    bn = _torch_bn()
    bn(x_t).backward(torch.from_numpy(dout))
    for name, got, want in (
        ("dbeta", layer.dbeta, bn.bias),
        ("dgamma", layer.dgamma, bn.weight),
    ):
        if not _close(np.asarray(got), grad_of(want), 1e-6):
            raise AssertionError(
                f"{name} differs from nn.BatchNorm1d's autograd: dbeta sums dout over the "
                "batch, dgamma sums dout * x_hat"
            )
    naive = dout * layer.gamma / np.sqrt(x.var(0) + 1e-5)
    if _close(dx, naive, 1e-6):
        raise AssertionError(
            "dx treats the batch's mean and variance as constants: they depend on x, which "
            "adds two terms, dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / std"
        )
    if not _close(dx, grad_of(x_t), 1e-6):
        raise AssertionError("dx differs from nn.BatchNorm1d's autograd on the same batch")

    def loss() -> float:
        fresh = cls(BN_DIM, momentum=BN_MOMENTUM)
        _set_affine(fresh)
        fresh.training = True
        return float((np.asarray(fresh.forward(x)) * dout).sum())

    error = relative_error(dx, numerical_gradient(loss, x))
    if error > 1e-6:
        raise AssertionError(f"dx differs from the numerical gradient (relative error {error:.1e})")


# ---------------------------------------------------------------------------------------
# l2_penalty and l1_penalty
# ---------------------------------------------------------------------------------------


def penalty_probe() -> nn.Module:
    """A small MLP with batch norm: weight matrices, biases and batch-norm vectors."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return model


def _penalty_mistakes(model: nn.Module, power: int) -> dict[str, float]:
    def total(params: Any, f: Callable[[torch.Tensor], torch.Tensor]) -> float:
        return float(sum(f(p).sum() for p in params))

    weights = [p for p in model.parameters() if p.ndim > 1]
    every = list(model.parameters())
    term = (lambda p: p**2) if power == 2 else (lambda p: p.abs())
    mistakes = {
        "biases and batch norm's gamma and beta are penalised too: only weight matrices "
        "(p.ndim > 1)": total(every, term),
        "it takes the mean of each matrix: sum over every entry": float(
            sum(term(p).mean() for p in weights)
        ),
    }
    if power == 2:
        mistakes["that is the norm, the square root of the sum: the L2 penalty is the sum of "
                 "the squares itself"] = float(sum((p**2).sum().sqrt() for p in weights))  # fmt: skip
        mistakes["it sums the absolute values: that is L1; L2 sums the squares"] = total(
            weights, lambda p: p.abs()
        )
    else:
        mistakes["it sums the signed weights: L1 sums their absolute values"] = total(
            weights, lambda p: p
        )
        mistakes["it sums the squares: that is L2; L1 sums the absolute values"] = total(
            weights, lambda p: p**2
        )
    return mistakes


def _check_penalty(candidate: Function, power: int) -> None:
    model = penalty_probe()
    got = candidate(model)
    if not isinstance(got, torch.Tensor):
        raise AssertionError(
            f"return a torch tensor (autograd differentiates it), not a {type(got).__name__}"
        )
    if got.numel() != 1:
        raise AssertionError(f"return one number, not a tensor of shape {tuple(got.shape)}")
    if not got.requires_grad:
        raise AssertionError(
            "the penalty carries no gradient: build it from the parameters with torch "
            "operations (no .item(), .detach() or torch.no_grad())"
        )
    weights = [p for p in model.parameters() if p.ndim > 1]
    with torch.no_grad():
        expected = float(sum((p**power if power == 2 else p.abs()).sum() for p in weights))
        mistakes = _penalty_mistakes(model, power)
    value = float(got.detach())
    if np.isclose(value, expected, rtol=1e-5):
        return
    for message, wrong in mistakes.items():
        if np.isclose(value, wrong, rtol=1e-5):
            raise AssertionError(message)
    raise AssertionError(f"the penalty is {value:.4f} on the check's model, not {expected:.4f}")


def check_l2_penalty(candidate: Function) -> None:
    _check_penalty(candidate, 2)


def check_l1_penalty(candidate: Function) -> None:
    _check_penalty(candidate, 1)
