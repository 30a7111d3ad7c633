"""Lesson 6, Sections 1-2: the variational autoencoder (Kingma and Welling, 2014), read top
to bottom: the data as a `Dataset`, the reparameterisation trick, the loss (the negative
ELBO), a small fully connected VAE, one epoch of training and the validation loss.

The loss convention, used everywhere in the lesson: for every image, the Bernoulli
reconstruction term (binary cross-entropy of the decoder's logits against the pixels in
[0, 1], summed over the 784 pixels) plus the KL divergence of q(z|x) = N(mu, sigma²) from
the prior N(0, I), summed over the latent dimensions; then the mean over the images of the
batch. So a loss is in nats per image, and the two terms weigh what the ELBO says they
weigh (averaging over pixels instead would shrink the reconstruction 784 times).

`reparameterize`, `vae_loss` and `train_epoch` are the reference versions of Section 2's
exercises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Dataset

IMAGE_SHAPE = (1, 28, 28)
Sampler = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class ImageDataset(Dataset[tuple[torch.Tensor, int]]):
    """uint8 images (N, 28, 28) and their labels, served as ((1, 28, 28) floats in [0, 1],
    label): the pixels become the probabilities of a Bernoulli per pixel."""

    def __init__(self, images: NDArray[np.uint8], labels: NDArray[np.integer[Any]]) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = torch.from_numpy(np.asarray(self.images[i], dtype=np.float32) / 255.0)
        return image.unsqueeze(0), int(self.labels[i])


def carve_validation(
    x: NDArray[Any], y: NDArray[Any], n_valid: int, *, seed: int = 0
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(x_train, y_train, x_valid, y_valid): `n_valid` rows drawn at random (fixed `seed`)
    from the training split for validation, the rest to train on. Every choice of the
    lesson is made on these; the test split belongs to the homework."""
    order = np.random.default_rng(seed).permutation(len(x))
    valid, train = np.sort(order[:n_valid]), np.sort(order[n_valid:])
    return x[train], y[train], x[valid], y[valid]


def as_tensor(images: NDArray[np.uint8]) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1], for a whole array at once."""
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """A sample z = mu + sigma * eps of N(mu, sigma²), eps ~ N(0, I), sigma = exp(logvar / 2).

    The randomness sits in eps, outside the network, so z is a differentiable function of
    mu and logvar and the encoder learns by backpropagation (Kingma and Welling, 2014, 2.4).
    """
    std = torch.exp(0.5 * logvar)
    return mu + std * torch.randn_like(std)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma²) || N(0, I)) of every row (B, d) -> (B,), in closed form:
    -1/2 sum(1 + log sigma² - mu² - sigma²) (Kingma and Welling, 2014, appendix B)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def vae_loss(
    logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> torch.Tensor:
    """The negative ELBO, averaged over the batch: (B, ...) decoder logits and images in
    [0, 1], (B, d) mu and logvar -> a 0-d tensor in nats per image.

    Reconstruction: binary cross-entropy with logits (stable, one sigmoid inside), summed
    over every pixel of an image; KL: closed form, summed over the latent dimensions.
    """
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    recon = recon.reshape(len(x), -1).sum(dim=1)
    return (recon + kl_to_standard_normal(mu, logvar)).mean()


class VAE(nn.Module):
    """A fully connected VAE: 784 pixels -> `hidden` -> (mu, logvar) of `latent_dim`
    numbers; z -> `hidden` -> 784 logits (Kingma and Welling's MLP, with ReLU).

    `sample` is the reparameterisation the model uses (Section 2 hands it the student's);
    `forward` always samples, so the loss on validation images is an estimate of the
    negative ELBO too. `reconstruct` decodes the mean, without noise.
    """

    def __init__(
        self,
        latent_dim: int = 2,
        hidden: int = 256,
        *,
        sample: Sampler = reparameterize,
        shape: tuple[int, ...] = IMAGE_SHAPE,
    ) -> None:
        super().__init__()
        self.latent_dim, self.shape, self.sample = latent_dim, shape, sample
        pixels = int(np.prod(shape))
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, pixels)
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) codes -> (B, *shape) logits of the pixels."""
        logits: torch.Tensor = self.decoder(z)
        return logits.reshape(len(z), *self.shape)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Images -> (logits of their reconstructions, mu, logvar)."""
        mu, logvar = self.encode(x)
        return self.decode(self.sample(mu, logvar)), mu, logvar

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Images -> the decoded means, pixel probabilities in [0, 1]."""
        return torch.sigmoid(self.decode(self.encode(x)[0]))

    @torch.no_grad()
    def generate(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """`n` new images: z from the prior N(0, I), decoded to pixel probabilities."""
        z = torch.randn(n, self.latent_dim, generator=generator)
        return torch.sigmoid(self.decode(z))


def train_epoch(model: nn.Module, loader: Iterable[Any], optimizer: torch.optim.Optimizer) -> float:
    """One pass over `loader` ((images, labels) batches): the bare PyTorch loop. Returns
    the mean of the batches' losses (negative ELBO, nats per image)."""
    model.train()
    losses = []
    for x, _ in loader:
        logits, mu, logvar = model(x)
        loss = vae_loss(logits, x, mu, logvar)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable[Any]) -> dict[str, float]:
    """The mean negative ELBO per image over `loader`, with its two terms (nats per image):
    {"loss", "reconstruction", "kl"}. The reconstructions are sampled, as in training."""
    model.eval()
    totals = {"reconstruction": 0.0, "kl": 0.0}
    count = 0
    for x, _ in loader:
        logits, mu, logvar = model(x)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        totals["reconstruction"] += recon.item()
        totals["kl"] += kl_to_standard_normal(mu, logvar).sum().item()
        count += len(x)
    means = {k: v / max(count, 1) for k, v in totals.items()}
    return {"loss": means["reconstruction"] + means["kl"], **means}


@torch.no_grad()
def encode_means(model: VAE, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The means mu of q(z|x) of many images (N, 1, 28, 28) -> (N, latent_dim)."""
    model.eval()
    return torch.cat(
        [model.encode(images[i : i + batch_size])[0] for i in range(0, len(images), batch_size)]
    )


class Autoencoder(nn.Module):
    """A plain autoencoder: 784 -> `hidden` -> `code` numbers -> `hidden` -> 784 logits.
    Trained to reconstruct, nothing shapes its codes: no prior to sample from."""

    def __init__(self, code: int = 2, hidden: int = 256, shape: tuple[int, ...] = IMAGE_SHAPE):
        super().__init__()
        self.shape = shape
        pixels = int(np.prod(shape))
        self.encoder = nn.Sequential(
            nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, code)
        )
        self.decoder = nn.Sequential(nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, pixels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images -> logits of their reconstructions."""
        return self.decode(self.encoder(x))

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.decoder(code)
        return logits.reshape(len(code), *self.shape)
