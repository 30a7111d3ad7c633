"""Lesson 5, part 2: what the captioner sees: a grid of CNN features per photo.

A captioner does not learn to see from 600 photos: it borrows eyes trained elsewhere. Here
those eyes are a convolutional network with its classifier cut off, so that it answers a
grid of feature vectors (one per region of the photo) instead of class scores:

- the student's own **Lesson 2 network** (the fast CIFAR-10 CNN, `lesson2.fast.FastNet`),
  trained on 32 x 32 images and run here on larger photos: being all convolutions and
  pooling, it slides over any size; a 128-pixel photo gives a 15 x 15 grid;
- **torchvision's ResNet-18**, where a user has its ImageNet weights on disk
  (`resnet18-f37072fd.pth`; Practicum never downloads them): a 4 x 4 grid of 512 features
  for a 128-pixel photo, and far better eyes (1.2M labelled photos instead of 50,000
  thumbnails).

The decoder of Section 2 reads the grid pooled into one vector (`pooled`); the attention
decoder of Section 4 reads every region of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

from practicum import data
from practicum.lessons.lesson2 import fast
from practicum.lessons.lesson2.resnet import IMAGENET_STATS, ResNet, load_pretrained, resnet18

PHOTO_SIZE = 128
"""Photos are resized (short side) and centre-cropped to this many pixels."""
CIFAR_STATS = (fast.CIFAR_MEAN, fast.CIFAR_STD)


@dataclass(frozen=True)
class Backbone:
    """A CNN without its classifier: `grid(x)` maps standardised (N, 3, H, W) photos to
    (N, C, h, w) features; `stats` are the per-channel mean and std it was trained with."""

    name: str
    trunk: Callable[[torch.Tensor], torch.Tensor]
    stats: tuple[Sequence[float], Sequence[float]]
    channels: int


class _FastTrunk(nn.Module):
    """The Lesson 2 network up to its last convolution group (before max-pooling)."""

    def __init__(self, net: fast.FastNet) -> None:
        super().__init__()
        self.whiten, self.blocks = net.whiten, net.blocks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.blocks(F.gelu(self.whiten(x)))
        return out


class _ResNetTrunk(nn.Module):
    def __init__(self, net: ResNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        net = self.net
        x = net.maxpool(F.relu(net.bn1(net.conv1(x))))
        for stage in net.stages:
            x = stage(x)
        return x


def fast_backbone(net: fast.FastNet) -> Backbone:
    """The student's Lesson 2 CIFAR-10 network as a feature extractor."""
    trunk = _FastTrunk(net).eval()
    return Backbone("Lesson 2 CNN (CIFAR-10)", trunk, CIFAR_STATS, net.head.in_features)


def load_fast_backbone(path: str | Path, widths: tuple[int, int, int]) -> Backbone:
    """A Lesson 2 network saved with `torch.save(net.state_dict(), path)`."""
    cfg = replace(fast.FastConfig.for_cpu(), widths=widths)
    net = fast.FastNet(cfg)
    load_pretrained(net, path)
    return fast_backbone(net.eval())


def train_fast_backbone(
    x: NDArray[np.uint8],
    y: NDArray[np.integer],
    *,
    widths: tuple[int, int, int] = (64, 256, 256),
    epochs: float = 3.0,
    seed: int = 0,
    deadline: float | None = None,
    progress: bool = True,
) -> Backbone:
    """Train the Lesson 2 recipe on CIFAR-10 (uint8 (N, 32, 32, 3), labels) and cut it.

    The images are shuffled first: image-folder copies of CIFAR-10 list them class by class.
    """
    order = np.random.default_rng(seed).permutation(len(x))
    cfg = replace(fast.FastConfig.for_cpu(), widths=widths, epochs=epochs)
    net = fast.train_fast(x[order], y[order], cfg, seed=seed, progress=progress, deadline=deadline)
    return fast_backbone(net.float())


def lesson2_backbone(
    path: str | Path = "lesson2_cnn.pt",
    *,
    widths: tuple[int, int, int] = (32, 128, 128),
    epochs: float = 2.0,
    held_out: int = 5000,
) -> Backbone:
    """The Lesson 2 network saved at `path` ({"widths", "state_dict"}), or, when there is
    none, one trained on CIFAR-10 (all but the first `held_out` of a fixed shuffle, which
    Section 1 keeps to test it) and saved there, so every section reuses the same eyes.

    The file is written under another name and renamed when complete, so a notebook
    stopped halfway never leaves a half-written network for the next one to load.
    """
    path = Path(path)
    if path.exists():
        saved = tuple(torch.load(path, weights_only=True)["widths"])
        return load_fast_backbone(path, saved)
    cifar = data.load("cifar10", "train")
    rows = np.random.default_rng(0).permutation(len(cifar["x"]))[held_out:]
    cfg = replace(fast.FastConfig.for_cpu(), widths=widths, epochs=epochs)
    net = fast.train_fast(cifar["x"][rows], cifar["y"][rows], cfg, seed=0, progress=False)
    partial = path.with_suffix(".partial")
    torch.save({"widths": widths, "state_dict": net.state_dict()}, partial)
    partial.replace(path)
    return fast_backbone(net.float())


def resnet18_backbone(weights: str | Path) -> Backbone:
    """torchvision's ImageNet ResNet-18 from a weights file on disk (never downloaded)."""
    net = resnet18()
    load_pretrained(net, weights)
    return Backbone("ResNet-18 (ImageNet)", _ResNetTrunk(net.eval()), IMAGENET_STATS, 512)


def standardize(
    images: NDArray[np.uint8], stats: tuple[Sequence[float], Sequence[float]]
) -> torch.Tensor:
    """uint8 (N, H, W, 3) photos -> float (N, 3, H, W), standardised per channel."""
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 photos (N, H, W, 3), got {images.dtype}{images.shape}")
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    mean = torch.tensor(stats[0]).view(1, 3, 1, 1)
    std = torch.tensor(stats[1]).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def grid_features(
    backbone: Backbone,
    images: NDArray[np.uint8],
    *,
    batch_size: int = 64,
    flip: bool = True,
) -> torch.Tensor:
    """(N, C, h, w) float32 features of uint8 photos; with `flip`, averaged with those of the
    mirrored photo (mirrored back), which steadies them at twice the cost."""
    out = []
    for start in range(0, len(images), batch_size):
        x = standardize(images[start : start + batch_size], backbone.stats)
        grid = backbone.trunk(x)
        if flip:
            grid = (grid + backbone.trunk(x.flip(3)).flip(3)) / 2
        out.append(grid.float())
    if not out:
        raise ValueError("grid_features: no photos")
    return torch.cat(out)


def pooled(grid: torch.Tensor) -> torch.Tensor:
    """(N, C, h, w) -> (N, 2C): the largest and the mean value of each feature map.

    The maximum says whether something is anywhere in the photo (a dog in a corner), the
    mean how much of the photo it fills (grass, snow, water).
    """
    return torch.cat([grid.amax(dim=(2, 3)), grid.mean(dim=(2, 3))], dim=1)


def regions(grid: torch.Tensor) -> torch.Tensor:
    """(N, C, h, w) -> (N, h*w, C): one feature vector per region, for attention."""
    return grid.flatten(2).transpose(1, 2)


@dataclass(frozen=True)
class Standardizer:
    """Feature-wise standardisation fitted on training photos only (never on validation)."""

    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def fit(cls, features: torch.Tensor, *, dims: tuple[int, ...] = (0,)) -> Standardizer:
        return cls(
            features.mean(dim=dims, keepdim=True), features.std(dim=dims, keepdim=True) + 1e-6
        )

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.mean) / self.std
