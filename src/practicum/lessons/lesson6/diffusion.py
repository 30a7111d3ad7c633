"""Lesson 6, Sections 3 and 4: a small denoising diffusion model (DDPM, Ho et al., 2020)
for 28 x 28 images, read top to bottom.

1. The **noise schedule**: betas beta_1..beta_T and alpha_bar_t = prod_{s<=t} (1 - beta_s),
   linear (Ho et al.) or cosine (Nichol & Dhariwal, 2021, which destroys small images
   less quickly at the start).
2. The **forward process** in one jump, `q_sample`:
   x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, eps ~ N(0, I).
3. The **loss**: the network sees x_t and t and predicts the eps that made it; mean
   squared error (Ho et al.'s "simple" objective).
4. **Ancestral sampling**: from pure noise x_T, step back one t at a time through the
   Gaussian q(x_{t-1} | x_t, x_0) with x_0 estimated from the predicted eps.
5. `Denoiser`: a small U-Net (Ronneberger et al., 2015) with a sinusoidal time embedding
   added in every block; optionally a label embedding too, for class-conditional samples.
   It first folds 2 x 2 pixels into channels, so it works at 14 x 14 and 7 x 7 and trains
   in minutes on two CPU cores.

Index convention: t runs 0..T-1 in code (t = 0 is one step of noise), so `alpha_bars[t]`
is the paper's alpha_bar_{t+1}. Images are tensors (N, 1, 28, 28) scaled to [-1, 1].
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn
from torch.nn import functional as F

# ---------------------------------------------------------------------------------------
# 1. The noise schedule
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """The betas of T noising steps and what the other formulas need from them."""

    betas: Tensor
    kind: str = "linear"

    @property
    def steps(self) -> int:
        return len(self.betas)

    @property
    def alphas(self) -> Tensor:
        return 1.0 - self.betas

    @property
    def alpha_bars(self) -> Tensor:
        """alpha_bar_t: how much of x_0's signal (squared) is left after t + 1 steps."""
        return torch.cumprod(self.alphas, dim=0)


def linear_schedule(steps: int = 1000, start: float = 1e-4, end: float = 0.02) -> Schedule:
    """Ho et al.'s betas, evenly from `start` to `end` for T = 1000; for fewer steps both
    are scaled by 1000 / T (as Nichol & Dhariwal do) so the last step is as noisy."""
    factor = 1000 / steps
    betas = torch.linspace(start * factor, min(end * factor, 0.999), steps, dtype=torch.float64)
    return Schedule(betas.float(), "linear")


def cosine_schedule(steps: int = 1000, s: float = 0.008) -> Schedule:
    """Nichol & Dhariwal (2021): alpha_bar(t) = cos^2(pi/2 (t/T + s) / (1 + s)) / the same
    at t = 0; each beta is 1 - alpha_bar_t / alpha_bar_{t-1}, capped at 0.999."""
    t = torch.arange(steps + 1, dtype=torch.float64) / steps
    f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    betas = (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=0.999)
    return Schedule(betas.float(), "cosine")


def make_schedule(kind: str, steps: int) -> Schedule:
    if kind == "linear":
        return linear_schedule(steps)
    if kind == "cosine":
        return cosine_schedule(steps)
    raise ValueError(f"unknown schedule {kind!r}: 'linear' or 'cosine'")


# ---------------------------------------------------------------------------------------
# 2. The forward process, 3. the loss
# ---------------------------------------------------------------------------------------


def _per_image(values: Tensor, t: Tensor) -> Tensor:
    """values[t] shaped (N, 1, 1, 1), to scale a batch of images image by image."""
    return values.to(t.device)[t].view(-1, 1, 1, 1)


def q_sample(x0: Tensor, t: Tensor, noise: Tensor, schedule: Schedule) -> Tensor:
    """x_t straight from x_0: sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) noise, with no
    loop over the steps before t (a sum of Gaussians is one Gaussian)."""
    alpha_bar = _per_image(schedule.alpha_bars, t)
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise


def diffusion_loss(
    model: nn.Module,
    x0: Tensor,
    schedule: Schedule,
    labels: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Ho et al.'s simple objective: a random step per image, noise it, and the mean
    squared error between the noise and the network's guess of it."""
    t = torch.randint(0, schedule.steps, (len(x0),), generator=generator, device=x0.device)
    noise = torch.randn(x0.shape, generator=generator, device=x0.device)
    guess = model(q_sample(x0, t, noise, schedule), t, labels)
    return F.mse_loss(guess, noise)


# ---------------------------------------------------------------------------------------
# 4. Ancestral sampling
# ---------------------------------------------------------------------------------------


@torch.no_grad()
def sample(
    model: nn.Module,
    schedule: Schedule,
    n: int,
    *,
    labels: Tensor | None = None,
    seed: int = 0,
    clip: bool = True,
    keep: tuple[int, ...] = (),
) -> tuple[Tensor, dict[int, Tensor]]:
    """`n` images (n, 1, 28, 28) in [-1, 1] from pure noise, T network calls each.

    At step t the network's eps gives an estimate of x_0 (clipped to [-1, 1], as Ho et
    al.'s code does), and x_{t-1} is drawn from q(x_{t-1} | x_t, x_0-estimate): its mean
    mixes the two, its variance is the posterior's beta-tilde. Also returns the x_t of the
    steps in `keep`, to draw the reverse process.
    """
    model.eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 28, 28, generator=g)
    betas, alphas, alpha_bars = schedule.betas, schedule.alphas, schedule.alpha_bars
    kept: dict[int, Tensor] = {}
    for t in reversed(range(schedule.steps)):
        steps = torch.full((n,), t, dtype=torch.long)
        eps = model(x, steps, labels)
        a_bar = alpha_bars[t]
        a_bar_prev = alpha_bars[t - 1] if t > 0 else torch.tensor(1.0)
        x0 = (x - (1 - a_bar).sqrt() * eps) / a_bar.sqrt()
        if clip:
            x0 = x0.clamp(-1, 1)
        mean = (a_bar_prev.sqrt() * betas[t] / (1 - a_bar)) * x0 + (
            alphas[t].sqrt() * (1 - a_bar_prev) / (1 - a_bar)
        ) * x
        if t > 0:
            variance = betas[t] * (1 - a_bar_prev) / (1 - a_bar)
            x = mean + variance.sqrt() * torch.randn(x.shape, generator=g)
        else:
            x = mean
        if t in keep:
            kept[t] = x.clone()
    return x.clamp(-1, 1), kept


def to_uint8(images: Tensor) -> NDArray[np.uint8]:
    """(N, 1, 28, 28) in [-1, 1] -> (N, 28, 28) bytes, as the judge and the plots take."""
    scaled = ((images.detach().cpu()[:, 0] + 1) * 127.5).round().clamp(0, 255)
    return scaled.to(torch.uint8).numpy()


def to_model_scale(images: NDArray[np.uint8]) -> Tensor:
    """(N, 28, 28) bytes -> (N, 1, 28, 28) float in [-1, 1]."""
    return torch.as_tensor(images, dtype=torch.float32).unsqueeze(1) / 127.5 - 1


# ---------------------------------------------------------------------------------------
# 5. The network
# ---------------------------------------------------------------------------------------


def time_embedding(t: Tensor, dim: int) -> Tensor:
    """Transformer-style sinusoids of the step (Vaswani et al., 2017), as Ho et al. use:
    (N,) steps -> (N, dim), half sines and half cosines of geometrically spaced
    frequencies, so nearby steps get nearby vectors."""
    half = dim // 2
    frequencies = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device) / half)
    angles = t.float().unsqueeze(1) * frequencies.unsqueeze(0)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class Block(nn.Module):
    """A residual block: norm, SiLU, conv, + the step's (and label's) embedding per
    channel, norm, SiLU, conv, added to its input."""

    def __init__(self, c_in: int, c_out: int, embed: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(8, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.from_embed = nn.Linear(embed, c_out)
        self.norm2 = nn.GroupNorm(8, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: Tensor, e: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.from_embed(e)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        out: Tensor = self.skip(x) + h
        return out


class Denoiser(nn.Module):
    """eps_theta(x_t, t[, label]): a two-level U-Net on 28 x 28 images.

    2 x 2 pixels are folded into channels first (28 -> 14, `width` channels), one block
    at 14 x 14, down to 7 x 7 (2 * `width`), a middle block, and back up with the skip
    connections of a U-Net; the last layer unfolds to 28 x 28. With `n_classes` a label
    embedding is added to the step's, so one network can be asked for a class.
    """

    def __init__(self, width: int = 32, embed: int = 64, n_classes: int | None = None) -> None:
        super().__init__()
        self.embed_dim = embed
        self.time = nn.Sequential(nn.Linear(embed, embed), nn.SiLU(), nn.Linear(embed, embed))
        self.label = nn.Embedding(n_classes, embed) if n_classes else None
        self.fold = nn.Conv2d(1, width, 2, stride=2)  # 28 -> 14
        self.down1 = Block(width, width, embed)
        self.to7 = nn.Conv2d(width, 2 * width, 3, stride=2, padding=1)  # 14 -> 7
        self.down2 = Block(2 * width, 2 * width, embed)
        self.middle = Block(2 * width, 2 * width, embed)
        self.up2 = Block(4 * width, 2 * width, embed)
        self.to14 = nn.ConvTranspose2d(2 * width, width, 2, stride=2)  # 7 -> 14
        self.up1 = Block(2 * width, width, embed)
        self.out_norm = nn.GroupNorm(8, width)
        self.unfold = nn.ConvTranspose2d(width, 1, 2, stride=2)  # 14 -> 28
        nn.init.zeros_(self.unfold.weight)  # start by predicting eps = 0
        if self.unfold.bias is not None:
            nn.init.zeros_(self.unfold.bias)

    def forward(self, x: Tensor, t: Tensor, labels: Tensor | None = None) -> Tensor:
        e = self.time(time_embedding(t, self.embed_dim))
        if self.label is not None:
            if labels is None:
                raise ValueError("this denoiser is class-conditional: pass the labels")
            e = e + self.label(labels)
        e = F.silu(e)
        h14 = self.down1(self.fold(x), e)
        h7 = self.down2(self.to7(h14), e)
        m = self.middle(h7, e)
        u7 = self.up2(torch.cat([m, h7], dim=1), e)
        u14 = self.up1(torch.cat([self.to14(u7), h14], dim=1), e)
        out: Tensor = self.unfold(F.silu(self.out_norm(u14)))
        return out


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """What `train_diffusion` did: the loss every `log_every` steps and the time taken."""

    losses: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0


def batches(
    x: Tensor, y: Tensor | None, batch: int, steps: int, seed: int
) -> Iterator[tuple[Tensor, Tensor | None]]:
    """`steps` random mini-batches, reshuffled every pass over the data."""
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=g)
    at = 0
    for _ in range(steps):
        if at + batch > len(x):
            order, at = torch.randperm(len(x), generator=g), 0
        rows = order[at : at + batch]
        at += batch
        yield x[rows], (y[rows] if y is not None else None)


def train_diffusion(
    model: nn.Module,
    images: Tensor,
    schedule: Schedule,
    *,
    labels: Tensor | None = None,
    steps: int = 2000,
    batch: int = 128,
    lr: float = 2e-3,
    seed: int = 0,
    log_every: int = 250,
    log: Callable[[str], None] | None = print,
) -> TrainResult:
    """Adam on the simple loss for `steps` mini-batches of (N, 1, 28, 28) images in
    [-1, 1], the learning rate warmed up over the first 5% and decayed by a cosine."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    warmup = max(1, steps // 20)

    def rate(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    g = torch.Generator().manual_seed(seed + 1)
    result, started, running = TrainResult(), time.perf_counter(), []
    model.train()
    for step, (x0, y) in enumerate(batches(images, labels, batch, steps, seed), start=1):
        loss = diffusion_loss(model, x0, schedule, y, generator=g)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        running.append(loss.item())
        if step % log_every == 0 or step == steps:
            mean = float(np.mean(running))
            result.losses.append((step, mean))
            running = []
            if log is not None:
                log(f"step {step:5d}  loss {mean:.4f}  ({time.perf_counter() - started:.0f} s)")
    result.seconds = time.perf_counter() - started
    model.eval()
    return result
