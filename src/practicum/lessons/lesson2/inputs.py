"""Lesson 2: what goes into a CNN: input normalisation, data augmentation, and test-time
augmentation.

Images arrive as CIFAR-10's (N, 32, 32, 3) bytes; PyTorch's layers want (N, C, H, W)
floats. Each function here is one idea of Section 3, small enough to read in one go:

- per-channel standardisation, global contrast normalisation (GCN), ZCA whitening;
- random flips and random translations of a batch, and a layer that applies them while
  training only; the classic zero-padded random crop with flips (`RandomCropFlip`, the
  reference of Section 4's exercise);
- test-time augmentation: average the predictions for an image and its mirror.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

from practicum.train import predict

# ---------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------


def to_float_images(x: NDArray[Any]) -> NDArray[np.float32]:
    """(N, H, W, C) bytes -> (N, C, H, W) floats in [0, 1], the layout conv layers read."""
    if x.ndim != 4:
        raise ValueError(f"to_float_images: expected (N, H, W, C) images, got shape {x.shape}")
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255)


def channel_stats(x: NDArray[Any]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Mean and standard deviation of each colour channel of (N, H, W, C) bytes, on the
    [0, 1] scale. Compute them on the training images only, then use them everywhere."""
    channels = [np.asarray(x[..., c], dtype=np.float32) / 255 for c in range(x.shape[-1])]
    mean = np.array([c.mean(dtype=np.float64) for c in channels], dtype=np.float32)
    std = np.array([c.std(dtype=np.float64) for c in channels], dtype=np.float32)
    return mean, std


def normalize_channels(
    x: NDArray[Any], mean: NDArray[Any], std: NDArray[Any]
) -> NDArray[np.float32]:
    """(N, H, W, C) bytes -> (N, C, H, W) floats with every channel at mean 0, std 1.

    Centred inputs of similar scale let the first layer's weights all learn at a similar
    pace; raw bytes (0..255, all positive) make its gradients large and one-sided.
    """
    shape = (1, -1, 1, 1)
    m = np.asarray(mean, dtype=np.float32).reshape(shape)
    s = np.asarray(std, dtype=np.float32).reshape(shape)
    out: NDArray[np.float32] = (to_float_images(x) - m) / s
    return out


def global_contrast_normalize(
    x: NDArray[Any], *, scale: float = 1.0, eps: float = 1e-8
) -> NDArray[np.float32]:
    """Each image on its own: subtract its mean, then divide by its L2 norm (times `scale`).

    A dim photo and a bright one of the same cat become the same input. With scale
    sqrt(pixels per image) every image has a root-mean-square pixel value of 1.
    """
    flat = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    centred = flat - flat.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    out: NDArray[np.float32] = (scale * centred / np.maximum(norms, eps)).astype(np.float32)
    return out.reshape(np.shape(x))


@dataclass(frozen=True)
class Whitening:
    """A fitted ZCA whitening: x -> (x - mean) @ matrix, on flattened images."""

    mean: NDArray[np.float64]
    matrix: NDArray[np.float64]
    """U diag(1 / sqrt(eigenvalue + eps)) U^T: symmetric, so each output pixel is a
    combination of the input pixels around the same place (ZCA's 'zero-phase')."""

    def apply(self, x: NDArray[Any]) -> NDArray[np.float32]:
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        if flat.shape[1] != len(self.mean):
            raise ValueError(
                f"Whitening.apply: fitted on {len(self.mean)} values per image, got {flat.shape[1]}"
            )
        out = (flat - self.mean) @ self.matrix
        return out.reshape(np.shape(x)).astype(np.float32)


def fit_zca(x: NDArray[Any], *, eps: float = 1e-2) -> Whitening:
    """ZCA whitening fitted on the training images `x` (N, ...), flattened per image.

    Whitened, the pixels are uncorrelated with unit variance: what neighbouring pixels
    share (smooth colour, the background) is removed and edges stand out. `eps` is added
    to every eigenvalue, so that directions of almost no variance (mostly noise) are not
    blown up; the larger it is, the less is whitened.
    """
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if len(flat) < 2:
        raise ValueError("fit_zca: need at least 2 images to estimate a covariance")
    if eps < 0:
        raise ValueError(f"fit_zca: eps must be >= 0, got {eps}")
    mean = flat.mean(axis=0)
    centred = flat - mean
    covariance = centred.T @ centred / (len(flat) - 1)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    scales = 1.0 / np.sqrt(np.clip(eigenvalues, 0.0, None) + eps)
    return Whitening(mean, (eigenvectors * scales) @ eigenvectors.T)


# ---------------------------------------------------------------------------------------
# Augmentation
# ---------------------------------------------------------------------------------------


def random_flip(x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each (C, H, W) image of the batch left-right with probability 1/2."""
    flip = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)
    return torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)


def random_translate(
    x: torch.Tensor, pad: int = 2, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Shift each image by up to `pad` pixels in each direction, filling the border by
    reflection (a mirrored edge looks more natural to a network than a black bar).

    Done as: pad the batch, then crop every image at its own random offset; images with
    the same offset are cropped together, so there are at most (2 pad + 1)^2 slices.
    """
    if pad == 0:
        return x
    h, w = x.shape[-2:]
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    offsets = torch.randint(0, 2 * pad + 1, (len(x), 2), generator=generator).to(x.device)
    out = torch.empty_like(x)
    for dy in range(2 * pad + 1):
        for dx in range(2 * pad + 1):
            rows = (offsets[:, 0] == dy) & (offsets[:, 1] == dx)
            out[rows] = padded[rows, :, dy : dy + h, dx : dx + w]
    return out


class Augment(nn.Module):
    """Random flips and translations while training; nothing at all in eval mode.

    Put it first in a model (`nn.Sequential(Augment(), net)`): every epoch then sees new
    variants of each training image, on whatever device the model runs on, and
    predictions (eval mode) see the images as they are.
    """

    def __init__(self, *, flip: bool = True, pad: int = 2) -> None:
        super().__init__()
        if pad < 0:
            raise ValueError(f"Augment: pad must be >= 0, got {pad}")
        self.flip, self.pad = flip, pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        if self.flip:
            x = random_flip(x)
        return random_translate(x, self.pad)

    def extra_repr(self) -> str:
        return f"flip={self.flip}, pad={self.pad}"


class RandomCropFlip(nn.Module):
    """The classic CIFAR-10 augmentation: pad each image with `pad` zeros on every side, cut
    a random window of the original size out of it, and mirror it left-right with
    probability 1/2; each image of the batch draws its own window and its own coin.

    In eval mode it returns the images unchanged: validation and test images are scored as
    they are. (torchvision's `RandomCrop(32, padding=4)` and `RandomHorizontalFlip()`, on
    a whole batch at once.)
    """

    def __init__(self, pad: int = 4) -> None:
        super().__init__()
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        n, _, h, w = x.shape
        padded = F.pad(x, (self.pad,) * 4)
        corners = torch.randint(0, 2 * self.pad + 1, (n, 2))
        crops = torch.stack(
            [padded[i, :, dy : dy + h, dx : dx + w] for i, (dy, dx) in enumerate(corners.tolist())]
        )
        mirror = torch.rand(n) < 0.5
        return torch.where(mirror.view(-1, 1, 1, 1).to(x.device), crops.flip(-1), crops)


def predict_tta(
    model: nn.Module,
    x: NDArray[Any] | torch.Tensor,
    *,
    batch_size: int = 1024,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Class probabilities (N, K) averaged over each image and its mirror image.

    Test-time augmentation: the network was trained to be right on both, and its errors
    on the two often differ, so their average is right more often than either.
    """
    images = torch.as_tensor(x)
    views = (images, images.flip(-1))
    probs = [predict(model, v, batch_size=batch_size, device=device).softmax(1) for v in views]
    return torch.stack(probs).mean(0)
