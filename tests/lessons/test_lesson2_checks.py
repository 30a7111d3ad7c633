"""Lesson 2's exercise checks (`lesson2/checks.py`, `lesson2/checks_techniques.py`) accept
the reference and right versions written differently, and reject each mistake they claim
to catch, with its own sentence; the numpy references agree with PyTorch."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from practicum.coursework import exercise
from practicum.lessons.lesson2 import checks, cnn, inputs, layers, resnet
from practicum.lessons.lesson2 import checks_techniques as techniques


def rejects(check: Callable[..., None], wrong: Any, message: str, *reference: Any) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        check(wrong, *reference)


# --- the numpy references -------------------------------------------------------------------


@pytest.mark.parametrize(("stride", "pad"), checks.CONV_CASES)
def test_the_numpy_convolution_is_conv2d_forward_and_backward(stride: int, pad: int) -> None:
    x, w, b = checks.conv_inputs(seed=3)
    out = layers.conv_forward(x, w, b, stride, pad)
    np.testing.assert_allclose(out, checks.torch_conv(x, w, b, stride, pad), atol=1e-10)
    dout = np.random.default_rng(0).normal(size=out.shape)
    for mine, theirs in zip(
        layers.conv_backward(dout, x, w, stride, pad),
        checks.autograd_gradients(x, w, b, dout, stride, pad),
        strict=True,
    ):
        np.testing.assert_allclose(mine, theirs, atol=1e-10)


@pytest.mark.parametrize(("size", "stride"), checks.POOL_CASES)
def test_the_numpy_max_pooling_is_max_pool2d_forward_and_backward(size: int, stride: int) -> None:
    x = checks.pool_inputs(seed=4)
    out = layers.maxpool_forward(x, size, stride)
    np.testing.assert_allclose(out, checks.torch_pool(x, size, stride))
    dout = np.random.default_rng(0).normal(size=out.shape)
    np.testing.assert_allclose(
        layers.maxpool_backward(dout, x, size, stride),
        checks.torch_pool_gradient(x, dout, size, stride),
        atol=1e-12,
    )


def test_pytorch_gives_a_tied_maximum_to_the_first_in_reading_order() -> None:
    x = checks.tied_inputs()
    dout = np.ones((1, 2, 2, 2))
    grad = checks.torch_pool_gradient(x, dout, 2, 2)
    assert grad[0, 0, 0, 0] == 1 and grad[0, 0, :2, :2].sum() == 1  # four equal values
    np.testing.assert_array_equal(grad, layers.maxpool_backward(dout, x, 2, 2))


def test_relative_error_is_small_for_round_off_and_large_for_a_mistake() -> None:
    value = np.array([1.0, -2.0, 3.0])
    assert checks.relative_error(value + 1e-12, value) < 1e-11
    assert checks.relative_error(value / 2, value) > 0.1


# --- conv_forward -----------------------------------------------------------------------------


def _loops(x: Any, w: Any, b: Any, stride: int = 1, pad: int = 0, *, flip: bool = False, bias_times: int = 1, step: int | None = None, channels: int | None = None) -> Any:  # fmt: skip
    """A four-loop convolution, with the usual mistakes as switches."""
    n, c, h, width = x.shape
    f, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h, out_w = (h + 2 * pad - k) // stride + 1, (width + 2 * pad - k) // stride + 1
    kernel = w[:, :, ::-1, ::-1] if flip else w
    move = stride if step is None else step
    used = c if channels is None else channels
    out = np.zeros((n, f, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = xp[:, :used, i * move : i * move + k, j * move : j * move + k]
            for g in range(f):
                out[:, g, i, j] = (patch * kernel[g, :used]).sum(axis=(1, 2, 3)) + bias_times * b[g]
    return out


def test_conv_forward_accepts_right_versions() -> None:
    checks.check_conv_forward(layers.conv_forward)
    checks.check_conv_forward(_loops)
    checks.check_conv_forward(lambda x, w, b, s, p: checks.torch_conv(x, w, b, s, p))


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda x, w, b, s, p: _loops(x, w, b, s, p, flip=True), "the filter is flipped"),
        (lambda x, w, b, s, p: _loops(x, w, 0 * b, s, p), "the bias is missing"),
        (lambda x, w, b, s, p: _loops(x, w, b, s, p, bias_times=3), "added once per input channel"),
        (lambda x, w, b, s, p: _loops(x, w, b, s, p, step=1), "the windows move one pixel"),
        (lambda x, w, b, s, p: _loops(x, w, b, s, p, channels=1), "only the first input channel"),
        (lambda x, w, b, s, p: _loops(x, w, b, s, 0), "the shape of an unpadded input"),
        (lambda x, w, b, s, p: _loops(x, w, b, s, p) + 0.1, "differ from F.conv2d's"),
    ],
)
def test_conv_forward_names_the_mistake(wrong: Any, message: str) -> None:
    rejects(checks.check_conv_forward, wrong, message)


def test_conv2d_unfold_is_checked_with_tensors() -> None:
    checks.check_conv2d_unfold(cnn.conv2d_unfold)
    checks.check_conv2d_unfold(
        lambda x, w, b=None, stride=1, padding=0: F.conv2d(x, w, b, stride=stride, padding=padding)
    )
    rejects(
        checks.check_conv2d_unfold,
        lambda x, w, b=None, stride=1, padding=0: F.conv2d(
            x, w, None, stride=stride, padding=padding
        ),
        "the bias is missing",
    )
    rejects(
        checks.check_conv2d_unfold,
        lambda x, w, b=None, stride=1, padding=0: F.conv2d(
            x, w, b, stride=stride, padding=padding
        ).numpy(),
        "return a torch tensor",
    )


# --- conv_backward ----------------------------------------------------------------------------


def _backward(mistake: str) -> Callable[..., Any]:
    def wrong(dout: Any, x: Any, w: Any, stride: int = 1, pad: int = 0) -> Any:
        dx, dw, db = layers.conv_backward(dout, x, w, stride, pad)
        if mistake == "db per position":
            db = dout.sum(axis=0)
        elif mistake == "padded dx":
            xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
            padded = np.zeros_like(xp)
            padded[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]] = dx
            dx = padded if pad else dx
        elif mistake == "mean dw":
            dw = dw / len(x)
        elif mistake == "flipped dx":
            dx = layers.conv_backward(dout, x, w[:, :, ::-1, ::-1], stride, pad)[0]
        elif mistake == "two":
            return dx, dw
        elif mistake == "dw off":
            dw = dw + 1e-3
        return dx, dw, db

    return wrong


def test_conv_backward_accepts_right_versions() -> None:
    checks.check_conv_backward(layers.conv_backward)

    def autograd(dout: Any, x: Any, w: Any, stride: int = 1, pad: int = 0) -> Any:
        return checks.autograd_gradients(x, w, np.zeros(len(w)), dout, stride, pad)

    checks.check_conv_backward(autograd)


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("db per position", "sum dout over the batch and over every position"),
        ("padded dx", "dx has the padded input's shape"),
        ("mean dw", "dw is averaged over the batch"),
        ("flipped dx", "dx uses the flipped filter"),
        ("two", "return the three gradients"),
        ("dw off", "dw differs from the numerical gradient"),
    ],
)
def test_conv_backward_names_the_mistake(mistake: str, message: str) -> None:
    rejects(checks.check_conv_backward, _backward(mistake), message)


# --- max-pooling ------------------------------------------------------------------------------


def test_maxpool_checks_accept_right_versions() -> None:
    checks.check_maxpool_forward(layers.maxpool_forward)
    checks.check_maxpool_forward(lambda x, size=2, stride=2: checks.torch_pool(x, size, stride))
    checks.check_maxpool_backward(layers.maxpool_backward)
    checks.check_maxpool_backward(
        lambda dout, x, size=2, stride=2: checks.torch_pool_gradient(x, dout, size, stride)
    )


def test_maxpool_forward_names_the_mistake() -> None:
    average = lambda x, size=2, stride=2: F.avg_pool2d(torch.as_tensor(x), size, stride).numpy()  # noqa: E731
    rejects(checks.check_maxpool_forward, average, "that is the mean of each window")
    ignores_stride = lambda x, size=2, stride=2: checks.torch_pool(x, size, size)  # noqa: E731
    rejects(checks.check_maxpool_forward, ignores_stride, "the output has shape")


def _last_tie(dout: Any, x: Any, size: int = 2, stride: int = 2) -> Any:
    """The gradient to the last maximum in reading order: right wherever there is no tie."""
    n, c = x.shape[:2]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows = slice(i * stride, i * stride + size)
            cols = slice(j * stride, j * stride + size)
            window = x[:, :, rows, cols].reshape(n, c, -1)
            last = window.shape[2] - 1 - window[..., ::-1].argmax(axis=2)
            winner = np.zeros_like(window)
            np.put_along_axis(winner, last[..., None], 1.0, axis=2)
            dx[:, :, rows, cols] += (winner * dout[:, :, i, j][..., None]).reshape(n, c, size, size)
    return dx


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (checks._overwriting, "add their gradients (+=) instead of overwriting"),
        (checks._every_tie, "on a tie every maximum got the whole gradient"),
        (_last_tie, "the first maximum in reading order (row by row) takes"),
        (
            lambda dout, x, size=2, stride=2: np.zeros_like(x),
            "dx differs from the numerical gradient",
        ),
        (lambda dout, x, size=2, stride=2: dout, "dx has shape"),
    ],
)
def test_maxpool_backward_names_the_mistake(wrong: Any, message: str) -> None:
    def swapped(dout: Any, x: Any, size: int = 2, stride: int = 2) -> Any:
        if wrong in (checks._overwriting, checks._every_tie):
            return wrong(x, dout, size, stride)
        return wrong(dout, x, size, stride)

    rejects(checks.check_maxpool_backward, swapped, message)


# --- cnn --------------------------------------------------------------------------------------


class _Softmaxed(cnn.FirstCNN):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).softmax(dim=1)


class _NoConv2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 14 * 14, 128)
        self.fc2 = nn.Linear(128, 10)


class _Unpadded(cnn.FirstCNN):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)


def test_cnn_check() -> None:
    checks.check_cnn(cnn.FirstCNN, cnn.FirstCNN)
    rejects(checks.check_cnn, _Softmaxed, "no ReLU or softmax on the scores", cnn.FirstCNN)
    rejects(checks.check_cnn, _NoConv2, "self.conv2 is not an nn.Conv2d", cnn.FirstCNN)
    rejects(checks.check_cnn, _Unpadded, "fails in forward", cnn.FirstCNN)


# --- residual_block ---------------------------------------------------------------------------


def _block(mistake: str) -> type[nn.Module]:
    class Block(resnet.BasicBlock):
        def __init__(self, in_width: int, width: int, stride: int = 1) -> None:
            super().__init__(in_width, width, stride)
            if mistake == "no projection":
                self.downsample = None
            elif mistake == "always project":
                self.downsample = nn.Sequential(
                    nn.Conv2d(in_width, width, 1, stride=stride, bias=False), nn.BatchNorm2d(width)
                )
            elif mistake == "stride on conv2":
                self.conv1 = nn.Conv2d(in_width, width, 3, padding=1, bias=False)
                self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
            elif mistake == "bias":
                self.conv1 = nn.Conv2d(in_width, width, 3, stride=stride, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            skip = x if self.downsample is None else self.downsample(x)
            inner = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            if mistake == "relu before add":
                return F.relu(inner) + skip
            if mistake == "no last relu":
                return inner + skip
            if mistake == "no projection":
                return F.relu(inner + x) if inner.shape == x.shape else F.relu(inner)
            return F.relu(inner + skip)

    return Block


def test_residual_block_accepts_right_versions() -> None:
    techniques.check_residual_block(resnet.BasicBlock, resnet.BasicBlock)
    techniques.check_residual_block(_block("right"), resnet.BasicBlock)


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("no projection", "this block changes the shape"),
        ("always project", "this block keeps the shape"),
        ("relu before add", "the ReLU comes before the addition"),
        ("no last relu", "the ReLU after the addition is missing"),
        ("stride on conv2", "the stride is on the second convolution"),
        ("bias", "are not the expected"),
    ],
)
def test_residual_block_names_the_mistake(mistake: str, message: str) -> None:
    rejects(techniques.check_residual_block, _block(mistake), message, resnet.BasicBlock)


# --- augment ----------------------------------------------------------------------------------


def _augment(mistake: str) -> type[nn.Module]:
    class Augment(nn.Module):
        def __init__(self, pad: int = 4) -> None:
            super().__init__()
            self.pad = pad

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if not self.training and mistake != "eval":
                return x
            n, _, h, w = x.shape
            p = self.pad
            padded = F.pad(x, (p,) * 4, mode="reflect" if mistake == "reflect" else "constant")
            high = p + 1 if mistake == "one way" else 2 * p + 1
            corners = torch.randint(0, high, (1 if mistake == "one offset" else n, 2))
            corners = corners.expand(n, 2)
            if mistake == "padded":
                crops = padded
            else:
                crops = torch.stack(
                    [
                        padded[i, :, a : a + h, b : b + w]
                        for i, (a, b) in enumerate(corners.tolist())
                    ]
                )
            coins = torch.rand(1 if mistake == "one coin" else n).expand(n) < 0.5
            axis = -2 if mistake == "upside down" else -1
            if mistake == "never flips":
                return crops
            return torch.where(coins.view(-1, 1, 1, 1), crops.flip(axis), crops)

    return Augment


def test_augment_accepts_right_versions() -> None:
    techniques.check_augment(inputs.RandomCropFlip)
    techniques.check_augment(_augment("right"))


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("upside down", "flipped upside down"),
        ("padded", "it returns the padded images"),
        ("one coin", "the whole batch is mirrored or not, together"),
        ("one offset", "every image of a batch is shifted the same way"),
        ("one way", "must take all 5 positions"),
        ("eval", "in eval mode it still changes the images"),
        ("reflect", "the border is filled by reflection"),
        ("never flips", "no image was ever mirrored"),
    ],
)
def test_augment_names_the_mistake(mistake: str, message: str) -> None:
    rejects(techniques.check_augment, _augment(mistake), message)


def test_random_crop_flip_crops_pads_with_zeros_and_leaves_eval_alone() -> None:
    torch.manual_seed(0)
    x = torch.ones(64, 3, 8, 8)
    out = inputs.RandomCropFlip(pad=2).train()(x)
    assert out.shape == x.shape and (out == 0).any() and set(out.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(inputs.RandomCropFlip(pad=2).eval()(x), x)


# --- flip_tta ---------------------------------------------------------------------------------


def _tta(mistake: str) -> Callable[..., Any]:
    def tta(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if mistake != "train mode":
            model.eval()
        axis = -2 if mistake == "upside down" else -1
        with torch.set_grad_enabled(mistake == "grad"):
            a, b = model(x), model(x.flip(axis))
            if mistake == "logits then softmax":
                return (0.5 * (a + b)).softmax(dim=1)
            if mistake == "logits":
                return 0.5 * (a + b)
            if mistake == "no flip":
                return a.softmax(dim=1)
            return torch.stack([a.softmax(dim=1), b.softmax(dim=1)]).mean(0)

    return tta


def test_flip_tta_accepts_right_versions() -> None:
    techniques.check_flip_tta(_tta("right"))
    techniques.check_flip_tta(lambda model, x: inputs.predict_tta(model, x))


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("train mode", "the model was left in training mode"),
        ("upside down", "the images are flipped upside down"),
        ("logits then softmax", "the scores are averaged before the softmax"),
        ("logits", "it returns averaged scores"),
        ("no flip", "only the image itself is used"),
        ("grad", "the result carries a gradient"),
    ],
)
def test_flip_tta_names_the_mistake(mistake: str, message: str) -> None:
    rejects(techniques.check_flip_tta, _tta(mistake), message)


# --- wired up ---------------------------------------------------------------------------------


def test_every_lesson2_exercise_resolves_to_its_reference() -> None:
    found = {e.id: e.resolve() for e in exercise.lesson_exercises(2)}
    assert found["conv_forward"] is layers.conv_forward
    assert found["maxpool_backward"] is layers.maxpool_backward
    assert found["residual_block"] is resnet.BasicBlock
    assert found["augment"] is inputs.RandomCropFlip
    sections = [e.section for e in exercise.lesson_exercises(2)]
    assert sections == [2] * 7 + [4] * 4
