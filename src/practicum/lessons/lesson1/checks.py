"""Lesson 1: the checks of Section 2's exercises, each able to name the mistake students make.

A check takes the student's function or class (and the reference, which
`exercise.checked` finds by the exercise's id), runs it on small seeded inputs, and raises
AssertionError with one sentence when something is wrong. Backward passes are compared
twice: with numerical gradients (central differences of the student's own forward) and
with PyTorch's autograd on the same numbers (`torch.nn.Linear`, `torch.relu`,
`F.cross_entropy`). Where a usual mistake explains a difference (a transposed weight, the
mean where the sum belongs, `=` where `+=` belongs, a softmax over the wrong axis, a
missing `zero_grad`, an evaluation without `eval()` or `no_grad`...), the check names it.

The notebook (`lesson1/section2_implementation.py`) and `tests/lessons/test_lesson1_checks.py`
use these same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from practicum.lessons.lesson1.layers import numerical_gradient, relative_error

Function = Callable[..., Any]
Array = NDArray[np.float64]
GRAD_TOL = 1e-6
"""Largest relative error between a backward pass and the numerical or autograd gradient."""


def _close(got: Any, expected: Any, tol: float = 1e-6) -> bool:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=tol, atol=tol))


def _array(value: Any, what: str) -> Array:
    if isinstance(value, torch.Tensor):
        raise AssertionError(f"return {what} as a numpy array, not a torch tensor")
    if value is None:
        raise AssertionError(f"return {what} (the function returned None)")
    return np.asarray(value, dtype=np.float64)


def _torch(array: Array, grad: bool = False) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def grad_of(tensor: torch.Tensor) -> Array:
    """The gradient autograd left in `tensor.grad`, as a numpy array."""
    assert tensor.grad is not None, "autograd left no gradient"
    return tensor.grad.detach().numpy()


# ---------------------------------------------------------------------------------------
# value: a micrograd-style scalar autograd
# ---------------------------------------------------------------------------------------


def _grads(*values: Any) -> list[float]:
    return [float(v.grad) for v in values]


def _check_mul(cls: type) -> None:
    a, b = cls(2.0), cls(-3.0)
    c = a * b
    if not np.isclose(c.data, -6.0):
        raise AssertionError(f"Value(2) * Value(-3) has data {c.data}, not 2 * -3 = -6")
    c.backward()
    if not np.isclose(c.grad, 1.0):
        raise AssertionError(
            f"after c.backward(), c.grad is {c.grad}: backward starts by setting the output's "
            "own gradient to 1 (dc/dc = 1)"
        )
    got = _grads(a, b)
    if got == [0.0, 0.0]:
        raise AssertionError(
            "after c = a * b; c.backward(), a.grad and b.grad are still 0: backward must call "
            "every node's _backward, from the output back to the inputs"
        )
    if np.allclose(got, [2.0, -3.0]):
        raise AssertionError(
            "in a * b the factors are swapped: a's gradient is b's value times out.grad "
            "(d(ab)/da = b), and b's is a's value times out.grad"
        )
    if not np.allclose(got, [-3.0, 2.0]):
        raise AssertionError(
            f"after c = a * b with a = 2, b = -3: a.grad = {got[0]}, b.grad = {got[1]}; "
            "d(ab)/da = b = -3 and d(ab)/db = a = 2"
        )


def _check_add(cls: type) -> None:
    a, b = cls(2.0), cls(-3.0)
    c = a + b
    if not np.isclose(c.data, -1.0):
        raise AssertionError(f"Value(2) + Value(-3) has data {c.data}, not -1")
    c.backward()
    if not np.allclose(_grads(a, b), [1.0, 1.0]):
        raise AssertionError(
            f"after c = a + b: a.grad = {a.grad}, b.grad = {b.grad}; both must be 1 "
            "(a sum passes out.grad unchanged to each input)"
        )
    a = cls(3.0)
    twice = a + a
    twice.backward()
    if np.isclose(a.grad, 1.0):
        raise AssertionError(
            "for d = a + a, a.grad is 1 instead of 2: a value used twice gets a share from "
            "each use, so _backward must add to .grad (+=), not assign it (=)"
        )
    a = cls(3.0)
    square = a * a
    square.backward()
    if not np.isclose(a.grad, 6.0):
        raise AssertionError(
            f"for d = a * a with a = 3, a.grad is {a.grad} instead of 6: add to .grad (+=) "
            "in _backward, so that both factors' shares count"
        )


def _check_relu(cls: type) -> None:
    negative = cls(-2.0)
    out = negative.relu()
    if not np.isclose(out.data, 0.0):
        raise AssertionError(f"Value(-2).relu() has data {out.data}: relu(x) = max(0, x)")
    out.backward()
    if not np.isclose(negative.grad, 0.0):
        raise AssertionError(
            f"Value(-2).relu() passes gradient {negative.grad} back: where the output is 0 "
            "the slope is 0, so multiply out.grad by (out.data > 0)"
        )
    positive = cls(1.5)
    out = positive.relu()
    out.backward()
    if not (np.isclose(out.data, 1.5) and np.isclose(positive.grad, 1.0)):
        raise AssertionError(
            f"Value(1.5).relu() gives data {out.data} and gradient {positive.grad}: "
            "expected 1.5 and 1 (slope 1 where the input is positive)"
        )


NETWORK_LEAVES = (0.5, 1.5, 2.0, 0.3, -0.8, 1.1, 0.7, -0.4, 0.9, 0.2, -1.3, 0.6)
"""Inputs x1, x2; hidden weights (2 x 3) and biases (3); output weights (3); target."""


def small_network(
    leaf: Callable[[float], Any], relu: Callable[[Any], Any]
) -> tuple[Any, list[Any]]:
    """A 2-3-1 ReLU network's squared error plus a term that reuses two hidden units:
    a graph in which several nodes feed more than one later node (units 1 and 2 are
    active, unit 3 is cut off by its ReLU)."""
    leaves = [leaf(v) for v in NETWORK_LEAVES]
    x, w, b, v, target = leaves[:2], leaves[2:8], leaves[8:11], leaves[11:12], 1.0
    hidden = [relu(w[j] * x[0] + w[3 + j] * x[1] + b[j]) for j in range(3)]
    out = sum((h * v[0] for h in hidden), leaf(0.0))
    error = out - target
    loss = error * error + hidden[0] * hidden[1] + hidden[1]
    return loss, leaves


def _check_against_torch(cls: type) -> None:
    loss, mine = small_network(cls, lambda v: v.relu())
    loss.backward()
    expected_loss, theirs = small_network(
        lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True), torch.relu
    )
    expected_loss.backward()
    if not np.isclose(loss.data, float(expected_loss.detach())):
        raise AssertionError(
            f"on a small ReLU network your loss is {loss.data:.6f}, torch's {float(expected_loss.detach()):.6f}"
        )
    for i, (got, want) in enumerate(zip(mine, theirs, strict=True)):
        expected = 0.0 if want.grad is None else float(want.grad)
        if not np.isclose(got.grad, expected, rtol=1e-9, atol=1e-12):
            raise AssertionError(
                f"on a small ReLU network whose hidden units are used twice, leaf {i} gets "
                f"gradient {got.grad:.6f}, torch's autograd {expected:.6f}: backward must run "
                "each node's _backward exactly once, in reverse topological order (a node only "
                "after every node that uses it)"
            )


def check_value(cls: type) -> None:
    """+, *, relu and backward, one at a time, then a whole network against torch."""
    _check_mul(cls)
    _check_add(cls)
    _check_relu(cls)
    mixed = cls(2.0) * 3 + 1
    if not np.isclose(mixed.data, 7.0):
        raise AssertionError(f"Value(2) * 3 + 1 has data {mixed.data}, not 7")
    _check_against_torch(cls)


# ---------------------------------------------------------------------------------------
# softmax
# ---------------------------------------------------------------------------------------


def check_softmax(candidate: Function) -> None:
    z = np.array([[2.0, 1.0, 0.1, -1.0], [0.5, 0.5, 3.0, 0.0], [-2.0, 1.0, 0.0, 4.0]])
    expected = torch.softmax(_torch(z), dim=1).numpy()
    got = _array(candidate(z.copy()), "the probabilities")
    if got.shape != z.shape:
        raise AssertionError(f"for scores of shape {z.shape} it returns shape {got.shape}")
    if _close(got, torch.softmax(_torch(z), dim=0).numpy()):
        raise AssertionError(
            "it normalises each column: the softmax runs over each row (axis=1, keepdims=True)"
        )
    if _close(got.sum(), 1.0) and not _close(got, expected):
        raise AssertionError(
            "the whole array sums to 1: normalise each row by its own sum (axis=1, keepdims=True)"
        )
    if not _close(got, expected):
        raise AssertionError(
            f"softmax of {z[0].tolist()} is {np.round(expected[0], 4).tolist()}, "
            f"not {np.round(got[0], 4).tolist()}"
        )
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1002.0, -1001.0]])
    with np.errstate(all="ignore"):
        got = _array(candidate(big.copy()), "the probabilities")
    if not np.isfinite(got).all():
        raise AssertionError(
            "scores around ±1000 give nan or inf: subtract each row's own maximum before np.exp"
        )
    if not _close(got, torch.softmax(_torch(big), dim=1).numpy()):
        raise AssertionError(
            "scores around ±1000 give wrong probabilities: subtract each row's own maximum "
            "(axis=1, keepdims=True), not one maximum of the whole array"
        )


# ---------------------------------------------------------------------------------------
# affine and relu layers
# ---------------------------------------------------------------------------------------


def _layer_inputs(n: int, d: int, m: int, seed: int = 0) -> tuple[Array, Array, Array, Array]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n, d)),
        rng.normal(size=(d, m)),
        rng.normal(size=m),
        rng.normal(size=(n, m)),
    )


def _numerical_layer_check(layer: Any, x: Array, dout: Array, params: dict[str, str]) -> None:
    """The layer's backward against central differences of its own forward, for x and for
    each parameter in `params` (attribute -> the name of its gradient attribute)."""

    def f() -> float:
        return float((np.asarray(layer.forward(x)) * dout).sum())

    layer.forward(x)
    dx = np.asarray(layer.backward(dout))
    numeric = numerical_gradient(f, x)
    if relative_error(dx, numeric) > GRAD_TOL:
        raise AssertionError(
            f"dx differs from the numerical gradient (relative error "
            f"{relative_error(dx, numeric):.1e}): backward does not match your forward"
        )
    for name, grad_name in params.items():
        layer.forward(x)
        layer.backward(dout)
        analytic = np.asarray(getattr(layer, grad_name)).copy()
        numeric = numerical_gradient(f, getattr(layer, name))
        if relative_error(analytic, numeric) > GRAD_TOL:
            raise AssertionError(
                f"{grad_name} differs from the numerical gradient (relative error "
                f"{relative_error(analytic, numeric):.1e})"
            )


def _affine_backward_mistakes(x: Array, w: Array, dout: Array, got: dict[str, Array]) -> None:
    n = len(x)
    if _close(got["db"], dout.mean(axis=0)):
        raise AssertionError(
            "db is the mean of dout over the rows: b is added to every row, so db is their sum"
        )
    if _close(got["dw"], x.T @ dout / n):
        raise AssertionError(
            "dw is divided by N: dw = x.T @ dout (the loss's own mean already put 1/N into dout)"
        )
    if _close(got["dw"], (x.T @ dout).T) or _close(got["dw"], dout.T @ x):
        raise AssertionError("dw is transposed: x.T @ dout has w's shape (D, M)")
    if _close(got["dx"], dout @ w):
        raise AssertionError("dx uses w where w.T belongs: dx = dout @ w.T")


def check_affine(cls: type) -> None:
    """Forward against torch.nn.Linear; backward against its autograd (square weights, so a
    transposed weight gives wrong numbers, not a shape error), then numerically."""
    x, w, b, dout = _layer_inputs(5, 4, 4)
    layer = cls(w.copy(), b.copy())
    out = _array(layer.forward(x.copy()), "the output")
    linear = nn.Linear(4, 4).double()
    with torch.no_grad():
        linear.weight.copy_(_torch(w.T))  # torch keeps the weight as (out, in)
        linear.bias.copy_(_torch(b))
    x_t = _torch(x, grad=True)
    expected = linear(x_t)
    if _close(out, x @ w):
        raise AssertionError("forward leaves out the bias: out = x @ w + b")
    if _close(out, x @ w.T + b):
        raise AssertionError("forward uses w.T: with w of shape (D, M), out = x @ w + b")
    if not _close(out, expected.detach().numpy()):
        raise AssertionError("forward differs from torch.nn.Linear on the same numbers: x @ w + b")
    expected.backward(_torch(dout))
    dx = _array(layer.backward(dout.copy()), "dx")
    got = {"dx": dx, "dw": _array(layer.dw, "self.dw"), "db": _array(layer.db, "self.db")}
    want = {
        "dx": grad_of(x_t),
        "dw": grad_of(linear.weight).T,
        "db": grad_of(linear.bias),
    }
    for name, shape in (("dx", x.shape), ("dw", w.shape), ("db", b.shape)):
        if got[name].shape != shape:
            raise AssertionError(
                f"{name} has shape {got[name].shape}, the array it belongs to {shape}"
            )
    if all(_close(got[k], want[k]) for k in want):
        _numerical_layer_check(cls(w.copy(), b.copy()), x.copy(), dout, {"w": "dw", "b": "db"})
        x2, w2, b2, dout2 = _layer_inputs(3, 5, 2, seed=1)  # not square: shapes must follow
        _numerical_layer_check(cls(w2, b2), x2, dout2, {"w": "dw", "b": "db"})
        return
    _affine_backward_mistakes(x, w, dout, got)
    wrong = next(k for k in want if not _close(got[k], want[k]))
    raise AssertionError(f"{wrong} differs from torch's autograd for nn.Linear on the same numbers")


def check_relu(cls: type) -> None:
    x = np.array([[1.5, -0.5, 2.0], [-1.0, 0.3, -2.5]])
    dout = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])
    layer = cls()
    given = x.copy()
    out = _array(layer.forward(given), "the output")
    if not _close(given, x):
        raise AssertionError(
            "forward changed its input x in place: return a new array (np.maximum(x, 0)), "
            "the layer below may still need x"
        )
    if out.dtype == np.bool_ or _close(out, x > 0):
        raise AssertionError("forward returns the mask: return max(0, x) itself")
    if not _close(out, torch.relu(_torch(x)).numpy()):
        raise AssertionError("forward differs from torch.relu: out = max(0, x), element by element")
    dx = _array(layer.backward(dout.copy()), "dx")
    if _close(dx, dout):
        raise AssertionError("backward passes dout everywhere: zero it where x <= 0")
    if _close(dx, x > 0):
        raise AssertionError("backward returns the mask: multiply dout by it")
    if _close(dx, dout * out):
        raise AssertionError("backward multiplies dout by the output: the slope is 1 where x > 0")
    x_t = _torch(x, grad=True)
    torch.relu(x_t).backward(_torch(dout))
    if not _close(dx, grad_of(x_t)):
        raise AssertionError("dx differs from torch's autograd of torch.relu on the same numbers")
    _numerical_layer_check(cls(), x.copy(), dout, {})


# ---------------------------------------------------------------------------------------
# softmax_cross_entropy
# ---------------------------------------------------------------------------------------


def _sce_mistakes(scores: Array, y: NDArray[np.int64], loss: float, dscores: Array) -> None:
    n = len(y)
    s = _torch(scores, grad=True)
    F.cross_entropy(s, torch.from_numpy(y)).backward()
    right_loss, right_grad = float(F.cross_entropy(s, torch.from_numpy(y)).detach()), grad_of(s)
    if np.isclose(loss, right_loss * n):
        raise AssertionError("the loss is summed over the batch: return the mean over the N rows")
    if np.isclose(loss, -right_loss):
        raise AssertionError("the loss has the wrong sign: cross-entropy is -log p_y (positive)")
    axis0 = -np.log(torch.softmax(_torch(scores), dim=0).numpy()[np.arange(n), y]).mean()
    if np.isclose(loss, axis0):
        raise AssertionError("the softmax runs over the wrong axis: normalise each row (axis=1)")
    if not np.isclose(loss, right_loss, rtol=1e-6):
        raise AssertionError(
            f"the loss is {loss:.6f}, F.cross_entropy gives {right_loss:.6f} on the same scores"
        )
    if _close(dscores, right_grad * n):
        raise AssertionError("dscores is not divided by N: the loss is a mean over the rows")
    probs = torch.softmax(_torch(scores), dim=1).numpy()
    if _close(dscores, probs / n) or _close(dscores, probs):
        raise AssertionError(
            "dscores misses the label: subtract 1 at each row's true class, (p - one_hot(y)) / N"
        )
    if _close(dscores, -right_grad):
        raise AssertionError("dscores has the wrong sign: it is (p - one_hot(y)) / N")
    if not _close(dscores, right_grad):
        raise AssertionError("dscores differs from torch's autograd of F.cross_entropy")


def check_softmax_cross_entropy(candidate: Function) -> None:
    rng = np.random.default_rng(0)
    scores, y = rng.normal(size=(6, 4)) * 2, rng.integers(0, 4, size=6)
    result = candidate(scores.copy(), y.copy())
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise AssertionError("return two things: (loss, dscores)")
    loss_value, dscores_value = result
    if np.ndim(loss_value) != 0:
        raise AssertionError(
            f"the loss has shape {np.shape(loss_value)}: return one number, the mean over the rows"
        )
    loss, dscores = float(loss_value), _array(dscores_value, "dscores")
    if dscores.shape != scores.shape:
        raise AssertionError(f"dscores has shape {dscores.shape}, the scores {scores.shape}")
    _sce_mistakes(scores, y, loss, dscores)
    numeric = numerical_gradient(lambda: float(candidate(scores, y)[0]), scores)
    if relative_error(dscores, numeric) > GRAD_TOL:
        raise AssertionError(
            f"dscores differs from the numerical gradient of your loss (relative error "
            f"{relative_error(dscores, numeric):.1e})"
        )
    big = np.array([[1000.0, 0.0, -1000.0], [5.0, 1005.0, 1000.0]])
    labels = np.array([1, 1])
    with np.errstate(all="ignore"):
        loss_big, grad_big = candidate(big.copy(), labels.copy())
    expected = float(F.cross_entropy(_torch(big), torch.from_numpy(labels)))
    if not (np.isfinite(loss_big) and np.isfinite(np.asarray(grad_big)).all()):
        raise AssertionError(
            "scores of ±1000 give nan or inf: subtract each row's maximum, and take the log of "
            "the softmax as (shifted score) - log(sum of exp(shifted scores))"
        )
    if not np.isclose(float(loss_big), expected, rtol=1e-6):
        raise AssertionError(
            f"scores of ±1000 give loss {float(loss_big):.4f}, not {expected:.4f}: compute "
            "log p from the shifted scores instead of taking the log of a rounded probability"
        )


# ---------------------------------------------------------------------------------------
# mlp_backward
# ---------------------------------------------------------------------------------------


def check_mlp_backward(cls: type, reference: type) -> None:
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(8, 20)), rng.integers(0, 10, size=8)
    y = np.eye(10)[labels]
    model, right = cls((20, 16, 12, 10), seed=0), reference((20, 16, 12, 10), seed=0)
    model.forward(x)
    model.backward(y)
    right.forward(x)
    right.backward(y)
    for i in reversed(range(len(right.weights))):
        got, want = np.asarray(model.grad_weights[i]), right.grad_weights[i]
        if _close(got, want * len(x)):
            raise AssertionError("the gradients are N times too large: start from (p - y) / N")
        if not _close(got, want, 1e-8):
            hint = (
                "the output layer's: dW = a.T @ delta with delta = (p - y) / N"
                if i == len(right.weights) - 1
                else "an earlier layer's: delta = (delta @ W.T) * (z > 0), with W the weights "
                "of the layer above and z this layer's pre-activation"
            )
            raise AssertionError(f"grad_weights[{i}] is wrong, {hint}")
        if not _close(np.asarray(model.grad_biases[i]), right.grad_biases[i], 1e-8):
            raise AssertionError(f"grad_biases[{i}] is wrong: the sum of delta over the rows")
    error = cls((20, 16, 12, 10), seed=0).gradient_check(x, y)
    if error > GRAD_TOL:
        raise AssertionError(f"relative error {error:.1e} against numerical gradients")


# ---------------------------------------------------------------------------------------
# train_epoch and evaluate: the bare PyTorch loop
# ---------------------------------------------------------------------------------------

LOOP_LR = 0.2


def tiny_classifier() -> nn.Module:
    """4 inputs, a hidden layer with dropout, 3 classes: training and evaluation mode differ."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))


def tiny_loader(n: int = 20, batch_size: int = 8) -> DataLoader[tuple[torch.Tensor, ...]]:
    """20 examples in batches of 8, 8 and 4, in a fixed order."""
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(n, 4, generator=gen), torch.randint(0, 3, (n,), generator=gen)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _gap(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(a, b, strict=True))


def _run_epoch(train: Function) -> tuple[Any, nn.Module]:
    """One epoch of `train` on the tiny classifier, handed over in evaluation mode (as after
    a validation pass), with plain SGD and the same dropout masks every time."""
    model = tiny_classifier().eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=LOOP_LR)
    torch.manual_seed(2)
    return train(model, tiny_loader(), optimizer), model


def _without_zero_grad(reference: Function) -> Function:
    def train(model: nn.Module, loader: Any, optimizer: torch.optim.Optimizer) -> Any:
        optimizer.zero_grad = lambda set_to_none=True: None  # type: ignore[method-assign]
        return reference(model, loader, optimizer)

    return train


def _batch_losses(reference: Function) -> list[tuple[float, int]]:
    """(loss, batch size) of every batch of the reference's epoch."""
    seen: list[tuple[float, int]] = []

    def loss_fn(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(logits, y)
        seen.append((float(loss.detach()), len(y)))
        return loss

    model = tiny_classifier()
    torch.manual_seed(2)
    reference(model, tiny_loader(), torch.optim.SGD(model.parameters(), lr=LOOP_LR), loss_fn)
    return seen


def check_train_epoch(candidate: Function, reference: Function) -> None:
    start = _weights(tiny_classifier())
    got, mine = _run_epoch(candidate)
    if not mine.training:
        raise AssertionError(
            "the model is still in evaluation mode: call model.train() first (dropout and "
            "batch norm behave differently in training), an evaluation may have switched it off"
        )
    if _gap(_weights(mine), start) == 0:
        raise AssertionError(
            "the weights did not change: for each batch call loss.backward(), then optimizer.step()"
        )
    _, theirs = _run_epoch(reference)
    if _gap(_weights(mine), _weights(theirs)) > 1e-6:
        _, piled = _run_epoch(_without_zero_grad(reference))
        if _gap(_weights(mine), _weights(piled)) <= 1e-6:
            raise AssertionError(
                "the gradients pile up from batch to batch: call optimizer.zero_grad() before "
                "loss.backward() for every batch"
            )
        raise AssertionError(
            "after one epoch from the same weights on the same batches, your weights differ "
            f"from the reference's by up to {_gap(_weights(mine), _weights(theirs)):.2e}: for "
            "each batch, zero_grad, the loss of model(x) against y, backward, step"
        )
    if not isinstance(got, float | int) or isinstance(got, bool):
        raise AssertionError(f"return the epoch's mean loss as a Python float, not {got!r}")
    losses = _batch_losses(reference)
    per_example = sum(loss * n for loss, n in losses) / sum(n for _, n in losses)
    per_batch = float(np.mean([loss for loss, _ in losses]))
    if np.isclose(got, sum(loss for loss, _ in losses)):
        raise AssertionError("it returns the sum of the batches' losses: return the mean")
    if np.isclose(got, losses[-1][0]):
        raise AssertionError("it returns the last batch's loss: return the mean over the epoch")
    if not (np.isclose(got, per_example, rtol=1e-5) or np.isclose(got, per_batch, rtol=1e-5)):
        raise AssertionError(f"it returns {got:.4f}; the epoch's mean loss is {per_example:.4f}")


class _Recorder(nn.Module):
    """Wraps a model and notes, at every forward, whether autograd and training mode were on."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((torch.is_grad_enabled(), self.training))
        out: torch.Tensor = self.model(x)
        return out


def check_evaluate(candidate: Function, reference: Function) -> None:
    model = _Recorder(tiny_classifier()).train()  # as a training epoch leaves it
    before = _weights(model)
    torch.manual_seed(3)
    got = candidate(model, tiny_loader())
    if not model.calls:
        raise AssertionError("the model was never called: compute model(x) for every batch")
    if any(training for _, training in model.calls):
        raise AssertionError(
            "the model ran in training mode: call model.eval() first, or dropout keeps "
            "dropping units and the score changes from run to run"
        )
    if any(grad for grad, _ in model.calls):
        raise AssertionError(
            "autograd was on: wrap the loop in `with torch.no_grad():`, an evaluation needs "
            "no gradients (and keeping the graph costs memory)"
        )
    if _gap(_weights(model), before) != 0:
        raise AssertionError("the weights changed: an evaluation must not train")
    if not (isinstance(got, tuple | list) and len(got) == 2):
        raise AssertionError(f"return (mean loss, accuracy), not {got!r}")
    loss, accuracy = (float(v) for v in got)
    want_loss, want_accuracy = reference(_Recorder(tiny_classifier()), tiny_loader())
    if np.isclose(loss, want_accuracy) and np.isclose(accuracy, want_loss):
        raise AssertionError("return (loss, accuracy) in that order")
    if not np.isclose(accuracy, want_accuracy):
        n_right = round(want_accuracy * 20)
        raise AssertionError(
            f"accuracy {accuracy:.4f}, expected {want_accuracy:.4f} ({n_right} of 20 right): "
            "the fraction of examples whose largest score is at the true class"
        )
    batch_mean = _evaluate_per_batch(tiny_classifier(), tiny_loader())
    if np.isclose(loss, batch_mean) and not np.isclose(batch_mean, want_loss):
        raise AssertionError(
            "the loss is the mean of the batches' means, and the last batch is smaller: weigh "
            "each batch's loss by its size and divide by the number of examples"
        )
    if not np.isclose(loss, want_loss, rtol=1e-5):
        raise AssertionError(f"mean loss {loss:.4f}, expected {want_loss:.4f} per example")


def _evaluate_per_batch(model: nn.Module, loader: DataLoader[Any]) -> float:
    model.eval()
    with torch.no_grad():
        return float(np.mean([float(F.cross_entropy(model(x), y)) for x, y in loader]))
