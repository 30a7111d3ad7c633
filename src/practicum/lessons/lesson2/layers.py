"""Lesson 2: a convolution layer and a max-pooling layer, forward and backward, in numpy.

The references of Section 2's exercises, written the naive way (a loop over output
positions, vectorised over the batch and the filters) so that each line is one step of
the formula. They use no autograd: the backward passes are the chain rule written out,
and `checks.py` compares them with numerical gradients and with PyTorch.

Shapes follow PyTorch: images (N, C, H, W), filters (F, C, k, k), biases (F,).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from practicum.lessons.lesson2.cnn import conv_output_size

Array = NDArray[Any]


def _pad(x: Array, pad: int) -> NDArray[np.float64]:
    """Zeros around the last two axes (height and width) only."""
    return np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def conv_forward(
    x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0
) -> NDArray[np.float64]:
    """out[n, f, i, j] = sum over c, a, b' of w[f, c, a, b'] x_pad[n, c, i s + a, j s + b'],
    plus b[f]: what `F.conv2d(x, w, b, stride, pad)` computes (cross-correlation)."""
    n, _, h, width = np.shape(x)
    filters, _, k, _ = np.shape(w)
    padded = _pad(x, pad)
    out_h, out_w = conv_output_size(h, k, stride, pad), conv_output_size(width, k, stride, pad)
    out = np.zeros((n, filters, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = padded[:, :, i * stride : i * stride + k, j * stride : j * stride + k]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def conv_backward(
    dout: Array, x: Array, w: Array, stride: int = 1, pad: int = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(dx, dw, db) of a loss whose gradient with respect to the output is `dout`.

    Each output value used one patch and the whole filter: it sends dout times the filter
    back to the patch (dx), dout times the patch to the filter (dw), and dout to the bias.
    Patches overlap, so their contributions add up; the padding's share is cut off at the end.
    """
    h, width = np.shape(x)[2:]
    k = np.shape(w)[2]
    padded = _pad(x, pad)
    dpadded = np.zeros_like(padded)
    dw = np.zeros(np.shape(w))
    for i in range(np.shape(dout)[2]):
        for j in range(np.shape(dout)[3]):
            rows, cols = slice(i * stride, i * stride + k), slice(j * stride, j * stride + k)
            grad = dout[:, :, i, j]  # (N, F)
            dw += np.tensordot(grad, padded[:, :, rows, cols], axes=([0], [0]))
            dpadded[:, :, rows, cols] += np.tensordot(grad, w, axes=([1], [0]))
    db = np.asarray(dout, dtype=np.float64).sum(axis=(0, 2, 3))
    return dpadded[:, :, pad : pad + h, pad : pad + width], dw, db


def maxpool_forward(x: Array, size: int = 2, stride: int = 2) -> NDArray[np.float64]:
    """The largest value of every size x size window, windows `stride` apart, channel by
    channel: what `F.max_pool2d(x, size, stride)` computes."""
    n, c, h, width = np.shape(x)
    out_h, out_w = conv_output_size(h, size, stride), conv_output_size(width, size, stride)
    out = np.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * stride : i * stride + size, j * stride : j * stride + size]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def maxpool_backward(dout: Array, x: Array, size: int = 2, stride: int = 2) -> NDArray[np.float64]:
    """dx: each window's gradient goes to the one input that was its maximum.

    On a tie the first maximum in reading order (row by row) takes it all, as `np.argmax`
    and PyTorch do. Where windows overlap (stride < size) an input can be the maximum of
    several windows, and its gradients add up.
    """
    n, c = np.shape(x)[:2]
    dx = np.zeros(np.shape(x))
    for i in range(np.shape(dout)[2]):
        for j in range(np.shape(dout)[3]):
            rows = slice(i * stride, i * stride + size)
            cols = slice(j * stride, j * stride + size)
            window = np.asarray(x[:, :, rows, cols]).reshape(n, c, -1)
            winner = np.zeros_like(window, dtype=np.float64)
            np.put_along_axis(winner, window.argmax(axis=2)[..., None], 1.0, axis=2)
            dx[:, :, rows, cols] += (winner * dout[:, :, i, j][..., None]).reshape(n, c, size, size)
    return dx
