"""Lesson 6, Sections 1-2: generative adversarial networks (Goodfellow et al., 2014), read
top to bottom: the two losses, a small DCGAN for 28 x 28 images (Radford, Metz and
Chintala, 2016), one training step, and a toy GAN on a 2-D mixture of Gaussians, where
mode collapse shows in seconds.

Conventions: the discriminator returns logits (B,), one score per image, and the losses
take logits, so the sigmoid happens once, inside `binary_cross_entropy_with_logits`.
Images are scaled to [-1, 1], the range of the generator's tanh.

`discriminator_loss`, `generator_loss` and `train_step` are the reference versions of
Section 2's exercises.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

LossFn = Callable[..., torch.Tensor]


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's loss: -mean log D(x) - mean log(1 - D(G(z))), from D's logits on a batch of real
    and a batch of fake images; the two means are added (each batch may have its own size).

    D minimises this, i.e. maximises Goodfellow et al.'s V(D, G): binary cross-entropy with
    label 1 for real images and 0 for fakes.
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """G's non-saturating loss: -mean log D(G(z)), from D's logits on the fakes.

    The minimax game has G minimise log(1 - D(G(z))), whose gradient vanishes exactly when
    G is bad and D rejects its fakes (D(G(z)) near 0); -log D(G(z)) has the same fixed
    point and strong gradients there (Goodfellow et al., 2014, section 3).
    """
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax game's G loss, mean log(1 - D(G(z))) (for comparison only)."""
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def train_step(
    generator: nn.Module,
    discriminator: nn.Module,
    real: torch.Tensor,
    z: torch.Tensor,
    g_opt: torch.optim.Optimizer,
    d_opt: torch.optim.Optimizer,
) -> tuple[float, float]:
    """One step of GAN training on a batch of real images and of noise z: first D (on the
    real images and on detached fakes, so its loss does not reach G), then G (on the same
    fakes, scored by the updated D). Returns (D's loss, G's loss)."""
    fake = generator(z)
    d_opt.zero_grad()
    d_loss = discriminator_loss(discriminator(real), discriminator(fake.detach()))
    d_loss.backward()
    d_opt.step()

    g_opt.zero_grad()
    g_loss = generator_loss(discriminator(fake))
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


# ---------------------------------------------------------------------------------------
# A small DCGAN for 28 x 28 images
# ---------------------------------------------------------------------------------------


class Generator(nn.Module):
    """z (B, latent_dim) -> images (B, 1, 28, 28) in [-1, 1]: a linear layer to a 7 x 7 map
    of 2w channels, then two transposed convolutions that double the size (14, then 28).
    Batch norm and ReLU between, tanh at the end (Radford et al., 2016)."""

    def __init__(self, latent_dim: int = 64, width: int = 32) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.project = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * width * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (2 * width, 7, 7)),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        images: torch.Tensor = self.up(self.project(z))
        return images


class Discriminator(nn.Module):
    """Images (B, 1, 28, 28) -> logits (B,): two strided convolutions (28 -> 14 -> 7) with
    leaky ReLU, batch norm on the second (not on the first layer, as in DCGAN), then a
    linear layer to one score."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.net(x)
        return logits.view(-1)


def init_weights(module: nn.Module) -> None:
    """DCGAN's initialisation: weights from N(0, 0.02), batch norm scales from N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def adam(module: nn.Module, lr: float = 2e-4) -> torch.optim.Adam:
    """DCGAN's optimiser: Adam with lr 2e-4 and beta1 = 0.5 (Radford et al., 2016)."""
    return torch.optim.Adam(module.parameters(), lr=lr, betas=(0.5, 0.999))


def to_gan_range(images: NDArray[np.uint8]) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [-1, 1], the range of tanh."""
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)


@torch.no_grad()
def sample(generator: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] from noise z, with the generator in evaluation mode (batch norm
    uses its running statistics); the mode it was in is restored."""
    was = generator.training
    generator.eval()
    images: torch.Tensor = (generator(z) + 1) / 2
    generator.train(was)
    return images


# ---------------------------------------------------------------------------------------
# A toy GAN in two dimensions
# ---------------------------------------------------------------------------------------


def ring_of_gaussians(
    n: int, rng: np.random.Generator, *, modes: int = 8, radius: float = 2.0, std: float = 0.05
) -> NDArray[np.float32]:
    """`n` points of a mixture of `modes` Gaussians evenly spaced on a circle."""
    which = rng.integers(0, modes, n)
    angle = 2 * math.pi * which / modes
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return (centres + std * rng.standard_normal((n, 2))).astype(np.float32)


def ring_centres(modes: int = 8, radius: float = 2.0) -> NDArray[np.float64]:
    angle = 2 * math.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def modes_covered(
    points: NDArray[np.floating], modes: int = 8, radius: float = 2.0, *, std: float = 0.05
) -> tuple[int, float]:
    """(How many modes hold at least 1/4 of their fair share of the points, the fraction of
    points within 4 std of some mode). A point belongs to the mode it is closest to."""
    centres = ring_centres(modes, radius)
    distance = np.linalg.norm(points[:, None, :] - centres[None], axis=2)
    nearest, close = distance.argmin(axis=1), distance.min(axis=1) < 4 * std
    counts = np.bincount(nearest[close], minlength=modes)
    return int((counts >= len(points) / modes / 4).sum()), float(close.mean())


def mlp(inputs: int, outputs: int, hidden: int = 128) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(inputs, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, outputs),
    )  # fmt: skip


@dataclass
class ToyRun:
    """What `train_toy` saw: samples of G at some steps, and the losses of every step."""

    snapshots: dict[int, NDArray[np.float32]] = field(default_factory=dict)
    d_losses: list[float] = field(default_factory=list)
    g_losses: list[float] = field(default_factory=list)


def train_toy(
    steps: int,
    *,
    g_lr: float = 1e-3,
    d_lr: float = 1e-3,
    seed: int = 0,
    g_loss: LossFn = generator_loss,
    latent_dim: int = 64,
    hidden: int = 64,
    batch: int = 128,
    snapshots: tuple[int, ...] = (),
    n_shown: int = 1000,
) -> ToyRun:
    """A GAN of two small MLPs on the ring of 8 Gaussians, trained in `train_step`'s order
    (D on real and detached fakes, then G) with G's loss `g_loss`, each player with its
    own Adam learning rate. G's samples of `n_shown` fixed z are kept at `snapshots`."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator, discriminator = mlp(latent_dim, 2, hidden), mlp(2, 1, hidden)
    g_opt = torch.optim.Adam(generator.parameters(), lr=g_lr, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=d_lr, betas=(0.5, 0.999))
    shown_z = torch.randn(n_shown, latent_dim)
    run = ToyRun()
    for step in range(steps + 1):
        if step in snapshots:
            with torch.no_grad():
                run.snapshots[step] = generator(shown_z).numpy()
        if step == steps:
            break
        real = torch.from_numpy(ring_of_gaussians(batch, rng))
        fake = generator(torch.randn(batch, latent_dim))
        d_opt.zero_grad()
        d_loss = discriminator_loss(
            discriminator(real).view(-1), discriminator(fake.detach()).view(-1)
        )
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        loss = g_loss(discriminator(fake).view(-1))
        loss.backward()
        g_opt.step()
        run.d_losses.append(d_loss.item())
        run.g_losses.append(loss.item())
    return run
