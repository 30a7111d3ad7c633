"""Lesson 6: a conditional VAE (Sohn et al. 2015), the likelihood-based rival of the cGAN.

The encoder and the decoder both read the class as a one-hot vector, so the latent code
only has to hold what the class does not say (thickness, pattern, pose). The loss is
Section 2's negative ELBO (`vae.vae_loss`). New images: z from the prior, the class asked
for, the decoder's pixel probabilities (its mean image, as VAE samples are usually shown).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from practicum.lessons.lesson6.vae import as_tensor, reparameterize, vae_loss
from practicum.train.progress import epoch_bar

N_CLASSES = 10
PIXELS = 28 * 28


class ConditionalVAE(nn.Module):
    """784 pixels + one-hot class -> hidden -> (mu, logvar); z + one-hot -> hidden -> 784."""

    def __init__(self, latent_dim: int = 16, hidden: int = 512) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Linear(PIXELS + N_CLASSES, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim + N_CLASSES, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, PIXELS),
        )

    def decode(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) codes and (B,) classes -> (B, 1, 28, 28) pixel logits."""
        onehot = F.one_hot(labels, N_CLASSES).float()
        logits: torch.Tensor = self.decoder(torch.cat([z, onehot], dim=1))
        return logits.view(len(z), 1, 28, 28)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        onehot = F.one_hot(labels, N_CLASSES).float()
        h = self.encoder(torch.cat([x.flatten(1), onehot], dim=1))
        mu, logvar = self.to_mu(h), self.to_logvar(h)
        return self.decode(reparameterize(mu, logvar), labels), mu, logvar


def train_cvae(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    seconds: float,
    epochs: int = 1000,
    seed: int = 0,
    progress: bool = True,
) -> ConditionalVAE:
    """Adam on uint8 (N, 28, 28) images and their classes, for `epochs` or `seconds`."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y = as_tensor(images), torch.from_numpy(labels.astype(np.int64))
    model = ConditionalVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(epochs):
        if time.perf_counter() - start > seconds:
            break
        order = torch.from_numpy(rng.permutation(len(x)))
        with epoch_bar("conditional VAE", -(-len(x) // 128), progress) as advance:
            for rows in order.split(128):
                logits, mu, logvar = model(x[rows], y[rows])
                loss = vae_loss(logits, x[rows], mu, logvar)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                advance(loss.item())
    return model


@torch.no_grad()
def sample(model: ConditionalVAE, classes: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """uint8 (N, 28, 28): the decoder's mean image for z ~ N(0, I) and each class."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    y = torch.from_numpy(np.asarray(classes, dtype=np.int64))
    z = torch.randn(len(y), model.latent_dim, generator=gen)
    probabilities = torch.sigmoid(model.decode(z, y)).squeeze(1)
    model.train()
    return (probabilities * 255).round().to(torch.uint8).numpy()


def conditional_samples(
    images: np.ndarray, labels: np.ndarray, classes: np.ndarray, *, seconds: float, seed: int = 0
) -> np.ndarray:
    """Train for `seconds`, then draw one image per entry of `classes`."""
    return sample(train_cvae(images, labels, seconds=seconds, seed=seed), classes, seed=seed + 1)
