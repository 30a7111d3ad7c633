"""Lesson 6: a conditional GAN for 28x28 images, read top to bottom.

The generator turns noise z and a class label into an image; the discriminator scores an
image *for a label* with a projection (Miyato & Koyama 2018): its logit is a plain linear
score of the image's features plus the dot product of those features with the label's
embedding, so "a real image, but of another class" is something it can say. Spectral norm
on every discriminator layer (Miyato et al. 2018), two learning rates (TTUR, Heusel et al.
2017) and one-sided label smoothing (Salimans et al. 2016) are switches of `CganConfig`.

Images are in [-1, 1] inside the networks (tanh); `sample` hands back uint8 0..255.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import spectral_norm as sn

from practicum.train.progress import epoch_bar

N_CLASSES = 10
SIDE = 28
Log = Callable[[str], None]


class ConditionalGenerator(nn.Module):
    """z and a label -> a (1, 28, 28) image in [-1, 1].

    The label is embedded and concatenated to z; a linear layer makes a 7x7 grid that two
    transposed convolutions double to 14x14, then 28x28. Batch norm in between (DCGAN,
    Radford et al. 2016), none on the output.
    """

    def __init__(self, z_dim: int = 64, n_classes: int = N_CLASSES, width: int = 64) -> None:
        super().__init__()
        self.z_dim, self.n_classes, self.width = z_dim, n_classes, width
        self.embed = nn.Embedding(n_classes, z_dim)
        self.project = nn.Sequential(
            nn.Linear(2 * z_dim, 2 * width * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * width * 7 * 7),
            nn.ReLU(),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.project(torch.cat([z, self.embed(labels)], dim=1))
        image: torch.Tensor = self.up(h.view(len(z), 2 * self.width, 7, 7))
        return image


class ConditionalDiscriminator(nn.Module):
    """An image and a label -> one logit per image (higher: "real, and of this class")."""

    def __init__(
        self, n_classes: int = N_CLASSES, width: int = 64, spectral_norm: bool = True
    ) -> None:
        super().__init__()
        wrap: Callable[[nn.Module], nn.Module] = sn if spectral_norm else (lambda m: m)
        self.n_classes, self.width = n_classes, width
        self.features = nn.Sequential(
            wrap(nn.Conv2d(1, width, 4, stride=2, padding=1)),  # 14x14
            nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)),  # 7x7
            nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(2 * width, 2 * width, 3, padding=1)),
            nn.LeakyReLU(0.2),
        )
        self.linear = wrap(nn.Linear(2 * width, 1))
        self.embed = wrap(nn.Embedding(n_classes, 2 * width))

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h: torch.Tensor = self.features(x).sum(dim=(2, 3))  # (N, 2 * width): sum pooling
        plain: torch.Tensor = self.linear(h).squeeze(1)
        projected: torch.Tensor = (self.embed(labels) * h).sum(dim=1)
        return plain + projected


@dataclass(frozen=True)
class CganConfig:
    """How a cGAN is trained (the reference's recipe is in `reference.Recipe`)."""

    z_dim: int = 64
    width: int = 64
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    """TTUR: a discriminator learning rate above the generator's."""
    betas: tuple[float, float] = (0.5, 0.999)
    spectral_norm: bool = True
    real_label: float = 1.0
    """One-sided label smoothing: < 1 makes the discriminator's target for real images
    softer; fakes stay at 0."""
    hinge: bool = False
    """The hinge loss (Lim & Ye 2017; Miyato et al. 2018) instead of binary cross-entropy."""
    ema: float = 0.999
    """Weight of the running average of the generator's weights that is sampled from;
    0 samples from the generator as trained."""


@dataclass
class CganRun:
    """A trained cGAN: the generator to sample from (the EMA copy when `ema` > 0)."""

    generator: nn.Module
    discriminator: nn.Module
    config: CganConfig
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0


def to_signed(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [-1, 1], what the networks read."""
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)


def d_loss(real: torch.Tensor, fake: torch.Tensor, real_label: float = 1.0) -> torch.Tensor:
    """Binary cross-entropy of the discriminator's logits: real -> real_label, fake -> 0."""
    return F.binary_cross_entropy_with_logits(
        real, torch.full_like(real, real_label)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def g_loss(fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss: -log D(G(z)), strong where D rejects the fakes."""
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def train_cgan(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    config: CganConfig = CganConfig(),
    epochs: float = 1.0,
    seconds: float | None = None,
    seed: int = 0,
    log: Log | None = print,
    progress: bool = True,
    device: str | torch.device = "cpu",
    watch: Callable[[int, CganRun], None] | None = None,
    watch_every: int = 0,
    generator: nn.Module | None = None,
    discriminator: nn.Module | None = None,
) -> CganRun:
    """Train on uint8 images (N, 28, 28) with labels (N,) for `epochs` passes, or until
    `seconds` of wall time are spent, whichever comes first. `watch(step, run)` is called
    every `watch_every` steps (to draw samples as training goes, say). A `generator` or
    `discriminator` given (a student's own, say) is trained in place of the ones built
    from `config`; they must take (z, labels) and (images, labels) as these do."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    g = (
        ConditionalGenerator(config.z_dim, N_CLASSES, config.width)
        if generator is None
        else generator
    )
    d = (
        ConditionalDiscriminator(N_CLASSES, config.width, config.spectral_norm)
        if discriminator is None
        else discriminator
    )
    g, d = g.to(device), d.to(device)
    average = _ema_copy(g) if config.ema > 0 else g
    opt_g = torch.optim.Adam(g.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=config.lr_d, betas=config.betas)
    x_all = to_signed(images).to(device)
    y_all = torch.from_numpy(labels.astype(np.int64)).to(device)
    per_epoch = max(1, len(images) // config.batch_size)
    total = max(1, round(epochs * per_epoch))
    run = CganRun(average, d, config)
    start, step = time.perf_counter(), 0
    sums = {"d_loss": 0.0, "g_loss": 0.0, "d_real": 0.0, "d_fake": 0.0}
    with epoch_bar("cGAN steps", total, enabled=progress) as advance:
        while step < total:
            order = rng.permutation(len(images))
            for i in range(per_epoch):
                if seconds is not None and time.perf_counter() - start > seconds:
                    total = step
                if step >= total:
                    break
                rows = torch.from_numpy(
                    order[i * config.batch_size : (i + 1) * config.batch_size]
                ).to(device)
                losses = _step(g, d, opt_g, opt_d, x_all[rows], y_all[rows], config)
                if average is not g:
                    _ema_update(average, g, config.ema)
                step += 1
                advance(losses["g_loss"])
                if watch is not None and watch_every and step % watch_every == 0:
                    run.seconds, run.steps = time.perf_counter() - start, step
                    watch(step, run)
                for key, value in losses.items():
                    sums[key] += value
                if step % per_epoch == 0 or step == total:
                    done = per_epoch if step % per_epoch == 0 else step % per_epoch
                    row = {k: v / done for k, v in sums.items()} | {"step": float(step)}
                    run.history.append(row)
                    sums = dict.fromkeys(sums, 0.0)
                    if log:
                        log(
                            f"step {step:6d}  D loss {row['d_loss']:.3f}  "
                            f"G loss {row['g_loss']:.3f}  D(real) {row['d_real']:.2f}  "
                            f"D(fake) {row['d_fake']:.2f}"
                        )
    run.seconds, run.steps = time.perf_counter() - start, step
    return run


def _step(
    g: nn.Module,
    d: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    config: CganConfig,
) -> dict[str, float]:
    """One discriminator step on real and (detached) fake images, then one generator step."""
    fake = g(torch.randn(len(x), config.z_dim, device=x.device), y)
    real_logits, fake_logits = d(x, y), d(fake.detach(), y)
    if config.hinge:
        loss_d = F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    else:
        loss_d = d_loss(real_logits, fake_logits, config.real_label)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    fooled = d(fake, y)
    loss_g = -fooled.mean() if config.hinge else g_loss(fooled)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    return {
        "d_loss": loss_d.item(),
        "g_loss": loss_g.item(),
        "d_real": torch.sigmoid(real_logits.detach()).mean().item(),
        "d_fake": torch.sigmoid(fake_logits.detach()).mean().item(),
    }


def _ema_copy(g: nn.Module) -> nn.Module:
    average = copy.deepcopy(g)
    for p in average.parameters():
        p.requires_grad_(False)
    return average


@torch.no_grad()
def _ema_update(average: nn.Module, g: nn.Module, decay: float) -> None:
    """Weights move slowly toward the trained ones; batch-norm statistics are copied."""
    for a, p in zip(average.parameters(), g.parameters(), strict=True):
        a.lerp_(p, 1.0 - decay)
    for mine, theirs in zip(average.buffers(), g.buffers(), strict=True):
        mine.copy_(theirs)


@torch.no_grad()
def sample(
    generator: nn.Module,
    labels: np.ndarray,
    *,
    seed: int = 0,
    truncation: float = 1.0,
    batch_size: int = 500,
) -> np.ndarray:
    """uint8 (N, 28, 28) images of the given classes; `truncation` < 1 scales the noise down,
    trading variety for typical-looking images (Brock et al. 2019)."""
    z_dim = getattr(generator, "z_dim", None)
    if not isinstance(z_dim, int):
        raise TypeError("the generator needs an int attribute z_dim, the size of its noise")
    generator.eval()
    gen = torch.Generator().manual_seed(seed)
    y = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    out = []
    for start in range(0, len(y), batch_size):
        part = y[start : start + batch_size]
        z = torch.randn(len(part), z_dim, generator=gen) * truncation
        device = next(generator.parameters()).device
        out.append(generator(z.to(device), part.to(device)).squeeze(1).cpu())
    generator.train()
    images = torch.cat(out) if out else torch.zeros(0, SIDE, SIDE)
    return ((images + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
