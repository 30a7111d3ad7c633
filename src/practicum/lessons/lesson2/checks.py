"""Lesson 2: the checks of Section 2's exercises, each able to name the mistake students make.

A check takes the student's function (and the reference, which `exercise.checked` finds by
the exercise's id), runs it on small seeded inputs built here, and raises AssertionError
with one sentence when something is wrong. Forward passes are compared with PyTorch
(`F.conv2d`, `F.max_pool2d`); backward passes with numerical gradients (central
differences of the loss sum(out * dout), by Lesson 1's `numerical_gradient`) and with
PyTorch's autograd. Where a usual mistake explains a difference (a flipped filter, a
missing bias, the stride forgotten, the bias gradient not summed, the padding left on dx,
overwriting where windows overlap, every tied maximum getting the gradient), the check
recomputes that mistake and names it.

The notebook (`lesson2/section2_implementation.py`) and `tests/lessons/test_lesson2_checks.py`
use these same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

from practicum.lessons.lesson1.layers import numerical_gradient

Function = Callable[..., Any]
Array = NDArray[np.float64]
CONV_CASES = ((1, 0), (1, 1), (2, 1), (2, 0))
"""(stride, pad) settings every convolution check runs."""
POOL_CASES = ((2, 2), (3, 2), (2, 1))
"""(size, stride): the usual 2 x 2 / 2, overlapping 3 x 3 / 2, and stride 1."""


def conv_inputs(seed: int = 0) -> tuple[Array, Array, Array]:
    """x (2, 3, 7, 6), w (4, 3, 3, 3) and b (4,): not square, so rows and columns can't be
    swapped unnoticed; 7 rows at stride 2 leave the last row to padding alone."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)


def torch_conv(x: Array, w: Array, b: Array | None, stride: int, pad: int) -> Array:
    t = torch.as_tensor
    bias = None if b is None else t(b)
    out: Array = F.conv2d(t(x), t(w), bias, stride=stride, padding=pad).numpy()
    return out


def _array(value: Any, what: str) -> Array:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if value is None:
        raise AssertionError(f"{what} is None: return it")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"return {what} as a numpy array, not {type(value).__name__}"
        ) from None


def _close(got: Array, expected: Array, tol: float = 1e-6) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=tol, atol=tol))


def relative_error(got: Array, expected: Array) -> float:
    """max |got - expected| / max(|got| + |expected|): about 1e-10 when a backward pass is
    right (round-off only), about 1 when it is wrong."""
    scale = max(float(np.max(np.abs(got) + np.abs(expected))), 1e-12)
    return float(np.max(np.abs(got - expected))) / scale


@contextmanager
def _one_thread() -> Iterator[None]:
    """Thousands of tiny convolutions run fastest on one thread (more only spin)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _setting(stride: int, pad: int) -> str:
    return f"stride {stride}, pad {pad}"


# ---------------------------------------------------------------------------------------
# conv_forward and conv2d_unfold
# ---------------------------------------------------------------------------------------


def _conv_mistakes(x: Array, w: Array, b: Array, stride: int, pad: int) -> dict[str, Array]:
    """Message -> what a usual mistake computes on these inputs."""
    right = torch_conv(x, w, b, stride, pad)
    h, width = right.shape[2:]
    dense = torch_conv(x, w, b, 1, pad)
    return {
        "the filter is flipped: a CNN's convolution is a cross-correlation, multiply "
        "w[f, c, a, b] with the input at (i * stride + a, j * stride + b)": torch_conv(
            x, w[:, :, ::-1, ::-1].copy(), b, stride, pad
        ),
        "the bias is missing: add b[f] to every output value of filter f": torch_conv(
            x, w, None, stride, pad
        ),
        "the bias is added once per input channel: add b[f] once to each output value": (
            torch_conv(x, w, b * x.shape[1], stride, pad)
        ),
        "the windows move one pixel at a time: output (i, j) reads the window starting at "
        "row i * stride, column j * stride": dense[:, :, :h, :width],
        "only the first input channel is used: sum the products over all input channels": (
            torch_conv(x[:, :1], w[:, :1], b, stride, pad)
        ),
    }


def _check_conv_output(got: Array, x: Array, w: Array, b: Array, stride: int, pad: int) -> None:
    expected = torch_conv(x, w, b, stride, pad)
    where = _setting(stride, pad)
    if got.shape != expected.shape:
        if pad and got.shape == torch_conv(x, w, b, stride, 0).shape:
            raise AssertionError(
                f"{where}: the output has the shape of an unpadded input, {got.shape}: pad x "
                f"with `pad` zeros on each side of its height and width first"
            )
        raise AssertionError(
            f"{where}: for x {x.shape} and w {w.shape} the output has shape {expected.shape} "
            f"(H' = (H + 2 pad - k) // stride + 1), yours has {got.shape}"
        )
    if _close(got, expected):
        return
    for message, wrong in _conv_mistakes(x, w, b, stride, pad).items():
        if _close(got, wrong):
            raise AssertionError(f"{where}: {message}")
    raise AssertionError(
        f"{where}: the values differ from F.conv2d's by up to {np.max(np.abs(got - expected)):.3g}"
    )


def check_conv_forward(candidate: Function) -> None:
    x, w, b = conv_inputs()
    for stride, pad in CONV_CASES:
        got = _array(candidate(x.copy(), w.copy(), b.copy(), stride, pad), "out")
        _check_conv_output(got, x, w, b, stride, pad)


def check_conv2d_unfold(candidate: Function) -> None:
    """The same cases with torch tensors, and once without a bias."""
    x, w, b = conv_inputs()
    t = torch.as_tensor
    for stride, pad in CONV_CASES:
        out = candidate(t(x), t(w), t(b), stride=stride, padding=pad)
        if not isinstance(out, torch.Tensor):
            raise AssertionError(f"return a torch tensor, not a {type(out).__name__}")
        _check_conv_output(_array(out, "out"), x, w, b, stride, pad)
    no_bias = _array(candidate(t(x), t(w), None, stride=1, padding=1), "out")
    if not _close(no_bias, torch_conv(x, w, None, 1, 1)):
        raise AssertionError("wrong with bias=None: then add nothing")


# ---------------------------------------------------------------------------------------
# conv_backward
# ---------------------------------------------------------------------------------------


def conv_gradients(
    x: Array, w: Array, b: Array, dout: Array, stride: int, pad: int
) -> tuple[Array, Array, Array]:
    """(dx, dw, db) of sum(conv(x) * dout), by central differences of F.conv2d in float64."""
    x, w, b = x.copy(), w.copy(), b.copy()

    def loss() -> float:
        return float(np.sum(torch_conv(x, w, b, stride, pad) * dout))

    with _one_thread():
        return (
            numerical_gradient(loss, x),
            numerical_gradient(loss, w),
            numerical_gradient(loss, b),
        )


def autograd_gradients(
    x: Array, w: Array, b: Array, dout: Array, stride: int, pad: int
) -> tuple[Array, Array, Array]:
    """The same three gradients from PyTorch's autograd."""
    leaves = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    out = F.conv2d(leaves[0], leaves[1], leaves[2], stride=stride, padding=pad)
    out.backward(torch.as_tensor(dout))
    dx, dw, db = (leaf.grad.numpy() for leaf in leaves if leaf.grad is not None)
    return dx, dw, db


def _returned_three(result: Any, names: str) -> tuple[Array, ...]:
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise AssertionError(f"return the three gradients ({names}) as a tuple")
    return tuple(_array(g, name) for g, name in zip(result, names.split(", "), strict=True))


def _conv_grad_mistakes(
    name: str, expected: Array, x: Array, w: Array, dout: Array, stride: int, pad: int
) -> Iterator[tuple[str, Array]]:
    n = len(x)
    yield (
        f"{name} is averaged over the batch: the loss is a sum, so add the images' "
        "contributions up without dividing by N",
        expected / n,
    )
    if name == "dx":
        flip = w[:, :, ::-1, ::-1].copy()
        flipped = autograd_gradients(x, flip, np.zeros(len(w)), dout, stride, pad)[0]
        yield (
            "dx uses the flipped filter: each output sends dout[n, f, i, j] * w[f] back to "
            "exactly the patch it read, weight for weight",
            flipped,
        )


def _check_gradient(
    name: str,
    got: Array,
    expected: Array,
    numeric: Array,
    where: str,
    mistakes: Iterator[tuple[str, Array]],
) -> None:
    if got.shape != expected.shape:
        if name == "dx" and got.ndim == 4 and got.shape[2] > expected.shape[2]:
            raise AssertionError(
                f"{where}: dx has the padded input's shape {got.shape}: cut the padding off "
                f"(the input is {expected.shape})"
            )
        if name == "db" and got.ndim > 1:
            raise AssertionError(
                f"{where}: db has shape {got.shape}: sum dout over the batch and over every "
                f"position, one number per filter {expected.shape}"
            )
        raise AssertionError(f"{where}: {name} has shape {got.shape}, expected {expected.shape}")
    error = relative_error(got, numeric)
    if error < 1e-6 and _close(got, expected, 1e-5):
        return
    for message, wrong in mistakes:
        if _close(got, wrong):
            raise AssertionError(f"{where}: {message}")
    raise AssertionError(
        f"{where}: {name} differs from the numerical gradient (relative error {error:.1e}; a "
        "right backward pass gives about 1e-10)"
    )


def check_conv_backward(candidate: Function) -> None:
    x, w, b = conv_inputs()
    rng = np.random.default_rng(1)
    for stride, pad in CONV_CASES:
        dout = rng.normal(size=torch_conv(x, w, b, stride, pad).shape)
        got = _returned_three(candidate(dout.copy(), x.copy(), w.copy(), stride, pad), "dx, dw, db")
        numeric = conv_gradients(x, w, b, dout, stride, pad)
        expected = autograd_gradients(x, w, b, dout, stride, pad)
        for name, mine, theirs, approx in zip(
            ("dx", "dw", "db"), got, expected, numeric, strict=True
        ):
            mistakes = _conv_grad_mistakes(name, theirs, x, w, dout, stride, pad)
            _check_gradient(name, mine, theirs, approx, _setting(stride, pad), mistakes)


# ---------------------------------------------------------------------------------------
# maxpool_forward and maxpool_backward
# ---------------------------------------------------------------------------------------


def pool_inputs(seed: int = 0) -> Array:
    """(2, 3, 7, 7) distinct values at least 1e-3 apart (no ties: numerical gradients are
    defined); 7 = 3 + 2 * 2, so the overlapping 3 x 3 / 2 windows cover it exactly."""
    rng = np.random.default_rng(seed)
    values = rng.permutation(2 * 3 * 7 * 7).astype(np.float64) * 1e-2
    return values.reshape(2, 3, 7, 7) + rng.uniform(0, 1e-3, size=(2, 3, 7, 7))


def tied_inputs() -> Array:
    """(1, 2, 4, 4) with ties in every 2 x 2 window: whole windows of one value, and a
    window whose maximum appears twice."""
    x = np.zeros((1, 2, 4, 4))
    x[0, 0] = [[1, 1, 0, 2], [1, 1, 2, 0], [3, 0, 5, 5], [0, 3, 5, 5]]
    x[0, 1] = [[0, 0, 0, 0], [0, 0, 0, 0], [-1, -1, 4, 1], [-1, -1, 4, 4]]
    return x


def torch_pool(x: Array, size: int, stride: int) -> Array:
    out: Array = F.max_pool2d(torch.as_tensor(x), size, stride).numpy()
    return out


def torch_pool_gradient(x: Array, dout: Array, size: int, stride: int) -> Array:
    leaf = torch.tensor(x, requires_grad=True)
    F.max_pool2d(leaf, size, stride).backward(torch.as_tensor(dout))
    assert leaf.grad is not None
    grad: Array = leaf.grad.numpy()
    return grad


def check_maxpool_forward(candidate: Function) -> None:
    x = pool_inputs()
    for size, stride in POOL_CASES:
        got = _array(candidate(x.copy(), size, stride), "out")
        expected = torch_pool(x, size, stride)
        where = f"size {size}, stride {stride}"
        if got.shape != expected.shape:
            raise AssertionError(
                f"{where}: for x {x.shape} the output has shape {expected.shape} "
                f"(H' = (H - size) // stride + 1), yours has {got.shape}"
            )
        if _close(got, expected):
            continue
        mean = F.avg_pool2d(torch.as_tensor(x), size, stride).numpy()
        if _close(got, mean):
            raise AssertionError(
                f"{where}: that is the mean of each window: keep its largest value"
            )
        raise AssertionError(f"{where}: the values differ from F.max_pool2d's")


def _overwriting(x: Array, dout: Array, size: int, stride: int) -> Array:
    """maxpool_backward with `=` where `+=` belongs: a later window's gradient replaces an
    earlier one's at an input that is the maximum of both."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            for n, c in np.ndindex(*x.shape[:2]):
                window = x[n, c, i * stride : i * stride + size, j * stride : j * stride + size]
                a, b = np.unravel_index(np.argmax(window), window.shape)
                dx[n, c, i * stride + a, j * stride + b] = dout[n, c, i, j]
    return dx


def _every_tie(x: Array, dout: Array, size: int, stride: int) -> Array:
    """The gradient sent to every input equal to its window's maximum."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows = slice(i * stride, i * stride + size)
            cols = slice(j * stride, j * stride + size)
            window = x[:, :, rows, cols]
            top = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, rows, cols] += top * dout[:, :, i, j][..., None, None]
    return dx


def check_maxpool_backward(candidate: Function) -> None:
    rng = np.random.default_rng(2)
    x = pool_inputs()
    for size, stride in POOL_CASES:
        dout = rng.normal(size=torch_pool(x, size, stride).shape)
        got = _array(candidate(dout.copy(), x.copy(), size, stride), "dx")
        where = f"size {size}, stride {stride}"
        if got.shape != x.shape:
            raise AssertionError(f"{where}: dx has shape {got.shape}; it must have x's, {x.shape}")
        value = x.copy()

        def loss() -> float:
            return float(np.sum(torch_pool(value, size, stride) * dout))  # noqa: B023

        with _one_thread():
            numeric = numerical_gradient(loss, value)
        if relative_error(got, numeric) < 1e-6:
            continue
        if _close(got, _overwriting(x, dout, size, stride)):
            raise AssertionError(
                f"{where}: where windows overlap an input can be the maximum of two of them: "
                "add their gradients (+=) instead of overwriting"
            )
        raise AssertionError(
            f"{where}: dx differs from the numerical gradient (relative error "
            f"{relative_error(got, numeric):.1e}): send each window's gradient to the input "
            "that was its maximum, and nowhere else"
        )
    tied = tied_inputs()
    dout = np.arange(1.0, 9.0).reshape(1, 2, 2, 2)
    got = _array(candidate(dout.copy(), tied.copy(), 2, 2), "dx")
    if _close(got, torch_pool_gradient(tied, dout, 2, 2)):
        return
    if _close(got, _every_tie(tied, dout, 2, 2)):
        raise AssertionError(
            "on a tie every maximum got the whole gradient, which multiplies it: give it to "
            "one of them only, the first in reading order (np.argmax does), as PyTorch does"
        )
    raise AssertionError(
        "on windows with tied maxima dx differs from PyTorch's: the first maximum in reading "
        "order (row by row) takes the window's whole gradient"
    )


# ---------------------------------------------------------------------------------------
# cnn
# ---------------------------------------------------------------------------------------


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def check_cnn(candidate: type[nn.Module], reference: type[nn.Module]) -> None:
    """The student's network has FirstCNN's layers under the same names and, with
    FirstCNN's weights loaded, computes the same function."""
    torch.manual_seed(0)
    model, ref = candidate(), reference()
    names = {name for name, _ in model.named_children()}
    for name, kind in (
        ("conv1", nn.Conv2d),
        ("conv2", nn.Conv2d),
        ("fc1", nn.Linear),
        ("fc2", nn.Linear),
    ):
        if not isinstance(getattr(model, name, None), kind):
            raise AssertionError(
                f"self.{name} is not an nn.{kind.__name__} (your layers: {sorted(names) or 'none'})"
            )
    try:
        out = model(torch.zeros(5, 1, 28, 28))
    except RuntimeError as error:
        raise AssertionError(
            f"a batch of (5, 1, 28, 28) images fails in forward: {str(error).splitlines()[0]}"
        ) from None
    if tuple(out.shape) != (5, 10):
        raise AssertionError(
            f"a batch of 5 images gives scores of shape {tuple(out.shape)}, expected (5, 10)"
        )
    for name in ("conv1", "conv2", "fc1", "fc2"):
        mine, theirs = getattr(model, name).weight.shape, getattr(ref, name).weight.shape
        if mine != theirs:
            raise AssertionError(
                f"self.{name}'s weight has shape {tuple(mine)}, expected {tuple(theirs)}"
            )
    if _count(model) != _count(ref):
        raise AssertionError(f"{_count(model):,} parameters, expected {_count(ref):,}")
    model.load_state_dict(ref.state_dict())
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        if torch.allclose(model(x), ref(x), atol=1e-5):
            return
    raise AssertionError(
        "with FirstCNN's weights your forward pass computes something else: conv, ReLU, "
        "pool twice, flatten, Linear, ReLU, Linear (no ReLU or softmax on the scores)"
    )
