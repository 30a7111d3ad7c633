"""Lesson 2: convolutional neural networks, on Fashion-MNIST and CIFAR-10.

Read it top to bottom, in the order the lesson teaches it:

1. data: Fashion-MNIST as (N, 1, 28, 28) floats, CIFAR-10 as (N, 32, 32, 3) bytes;
2. convolution by hand: the output-size formula, a sliding window in numpy, and the same
   layer as one matrix product over unfolded patches (what conv layers compute);
3. the first networks: a small CNN for Fashion-MNIST and LeNet for CIFAR-10;
4. learning-rate schedules (warm-up, cosine, one-cycle) for `practicum.train.fit`.

Input normalisation and augmentation live in `inputs.py`, residual networks,
pretrained weights and feature extraction in `resnet.py`, the pictures in
`plots.py`, and the fast homework reference in `fast.py` (all in this folder).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

from practicum import data
from practicum.coursework import common
from practicum.data.formats import cifar
from practicum.lessons.lesson1 import mlp

# ---------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------

CIFAR10_CLASSES = cifar.CIFAR10_CLASSES
"""Names of CIFAR-10's labels 0..9."""
SMOKE_ROWS = {"train": 1024, "test": 512}
"""How many rows a split keeps under PRACTICUM_SMOKE=1."""


def load_fashion(
    split: str, *, limit: int | None = None, seed: int = 0
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Fashion-MNIST images as (N, 1, 28, 28) standardised floats, and their labels.

    Convolutions need the image's rows and columns back, so Lesson 1's flat rows of 784
    become one-channel 28 x 28 images.
    """
    x, y = mlp.load_split(
        "fashion-mnist", split, limit=limit, seed=seed, stats=mlp.FASHION_MNIST_STATS
    )
    return x.reshape(len(x), 1, 28, 28), y


def load_cifar10(
    split: str, *, limit: int | None = None, seed: int = 0
) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """CIFAR-10 images (N, 32, 32, 3) uint8 and labels, at most `limit` random rows, in a
    random order (seeded).

    Shuffled because an image-folder copy of CIFAR-10 lists its images class by class,
    and the last rows of a split would then make a validation set of trucks only. Kept as
    bytes: every normalisation in `inputs.py` starts from them, and 50,000 images
    take 150 MB as bytes but 600 MB as floats.
    """
    arrays = data.load("cifar10", split)
    rows = len(arrays["y"]) if limit is None else min(limit, len(arrays["y"]))
    kept = common.subsample(
        arrays, common.scale(rows, min(rows, SMOKE_ROWS.get(split, 512))), seed=seed
    )
    order = np.random.default_rng(seed).permutation(len(kept["y"]))
    return kept["x"][order].astype(np.uint8), kept["y"][order].astype(np.int64)


def split_validation(
    x: NDArray[Any], y: NDArray[Any], n_val: int, *, seed: int = 0
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(x_train, y_train, x_val, y_val): `n_val` random rows of a training split set aside,
    so that every choice is made without the test split (the homework's)."""
    held = np.zeros(len(y), dtype=bool)
    held[np.random.default_rng(seed).permutation(len(y))[:n_val]] = True
    return x[~held], y[~held], x[held], y[held]


# ---------------------------------------------------------------------------------------
# 2. Convolution by hand
# ---------------------------------------------------------------------------------------


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length along one axis: floor((size + 2 padding - dilation (kernel - 1) - 1)
    / stride) + 1, the formula in the documentation of `nn.Conv2d` and `nn.MaxPool2d`."""
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        raise ValueError(f"a kernel spanning {span} does not fit in {size} + 2 x {padding}")
    return (size + 2 * padding - span) // stride + 1


def correlate2d(
    image: NDArray[Any], kernel: NDArray[Any], *, stride: int = 1, padding: int = 0
) -> NDArray[np.float64]:
    """Slide `kernel` (k, k) over `image` (H, W): each output is the sum of the products
    of the kernel with the patch under it.

    This is what deep-learning libraries call convolution; mathematicians would flip the
    kernel first, but a learned kernel does not care which way round it is stored.
    """
    image = np.pad(np.asarray(image, dtype=np.float64), padding)
    kernel = np.asarray(kernel, dtype=np.float64)
    kh, kw = kernel.shape
    out_h = conv_output_size(image.shape[0], kh, stride)
    out_w = conv_output_size(image.shape[1], kw, stride)
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = image[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.sum(patch * kernel)
    return out


def conv2d_unfold(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """`F.conv2d` as one matrix product: cut every k x k patch of every input channel into
    a column (`F.unfold`, also called im2col), multiply by the filters laid out as rows.

    x (N, C, H, W), weight (O, C, k, k) -> (N, O, H', W'). Fast libraries do much the
    same, because one big matrix product runs far faster than many small dot products.
    """
    n, _, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    columns = F.unfold(x, (kh, kw), padding=padding, stride=stride)  # (N, C*kh*kw, L)
    out = weight.reshape(out_channels, -1) @ columns  # (N, O, L)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1)
    out_h = conv_output_size(h, kh, stride, padding)
    out_w = conv_output_size(w, kw, stride, padding)
    return out.reshape(n, out_channels, out_h, out_w)


def count_parameters(model: nn.Module) -> int:
    """Trainable numbers in `model`: what parameter sharing saves is counted here."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------
# 3. The first networks
# ---------------------------------------------------------------------------------------


class FirstCNN(nn.Module):
    """[conv 3x3 -> ReLU -> max-pool 2x2] twice, then a hidden Linear layer and the scores.

    Each block keeps the image size (padding 1) and pooling halves it, so a 28 x 28
    image leaves the second block as 64 maps of 7 x 7.
    """

    def __init__(
        self,
        in_channels: int = 1,
        n_classes: int = 10,
        *,
        side: int = 28,
        widths: tuple[int, int] = (32, 64),
        hidden: int = 128,
    ) -> None:
        super().__init__()
        if side % 4:
            raise ValueError(f"FirstCNN: two 2x2 poolings need a side divisible by 4, got {side}")
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(widths[0], widths[1], kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(widths[1] * (side // 4) ** 2, hidden)
        self.fc2 = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = F.relu(self.fc1(x.flatten(1)))
        out: torch.Tensor = self.fc2(x)
        return out


class LeNet(nn.Module):
    """LeNet-5 (LeCun et al., 1998) for 32 x 32 colour images: the classic baseline.

    Two 5 x 5 convolutions without padding (32 -> 28 -> pool 14 -> 10 -> pool 5), then
    three Linear layers. `batchnorm=True` adds batch normalisation after every conv and
    hidden Linear layer, for Section 3's comparison.
    """

    def __init__(
        self, in_channels: int = 3, n_classes: int = 10, *, batchnorm: bool = False
    ) -> None:
        super().__init__()

        def norm2d(width: int) -> nn.Module:
            return nn.BatchNorm2d(width) if batchnorm else nn.Identity()

        def norm1d(width: int) -> nn.Module:
            return nn.BatchNorm1d(width) if batchnorm else nn.Identity()

        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5)
        self.bn1 = norm2d(6)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.bn2 = norm2d(16)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.bn3 = norm1d(120)
        self.fc2 = nn.Linear(120, 84)
        self.bn4 = norm1d(84)
        self.fc3 = nn.Linear(84, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = F.relu(self.bn3(self.fc1(x.flatten(1))))
        x = F.relu(self.bn4(self.fc2(x)))
        out: torch.Tensor = self.fc3(x)
        return out


# ---------------------------------------------------------------------------------------
# 4. Learning-rate schedules
# ---------------------------------------------------------------------------------------

SCHEDULES = ("constant", "step", "cosine", "one-cycle")


def schedule_factor(kind: str, progress: float, *, warmup: float = 0.2) -> float:
    """The learning rate at `progress` (0 = start, 1 = end of training), as a fraction of
    the peak.

    step: divide by 10 at 50% and again at 75%. cosine: half a cosine wave down to 0.
    one-cycle: rise linearly for the first `warmup` fraction, then fall linearly to 0;
    the warm-up keeps the first, large gradients of a random network from throwing it
    somewhere bad, and ending near 0 lets it settle into the bottom of its valley.
    """
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"schedule_factor: progress must be in [0, 1], got {progress}")
    if kind == "constant":
        return 1.0
    if kind == "step":
        return 0.1 ** ((progress >= 0.5) + (progress >= 0.75))
    if kind == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if kind == "one-cycle":
        if not 0.0 < warmup < 1.0:
            raise ValueError(f"schedule_factor: warmup must be in (0, 1), got {warmup}")
        return progress / warmup if progress < warmup else (1.0 - progress) / (1.0 - warmup)
    raise ValueError(f"schedule_factor: kind must be one of {SCHEDULES}, got {kind!r}")


def make_schedule(
    optimizer: torch.optim.Optimizer, kind: str, epochs: int, *, warmup: float = 0.2
) -> torch.optim.lr_scheduler.LambdaLR:
    """A scheduler for `practicum.train.fit`, which steps it once per epoch: epoch e trains
    at the factor of the middle of that epoch, (e + 1/2) / epochs."""
    if epochs < 1:
        raise ValueError(f"make_schedule: epochs must be at least 1, got {epochs}")
    schedule_factor(kind, 0.5, warmup=warmup)  # reject a bad kind now, not after an epoch

    def factor(epoch: int) -> float:
        return schedule_factor(kind, min(1.0, (epoch + 0.5) / epochs), warmup=warmup)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def schedule_curve(
    kind: str, epochs: int, *, warmup: float = 0.2
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(epoch positions, factors) of `make_schedule`, to plot without training anything."""
    at = (np.arange(epochs) + 0.5) / epochs
    return at * epochs, np.array([schedule_factor(kind, p, warmup=warmup) for p in at])
