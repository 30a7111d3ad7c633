"""Lesson 6's homework reference: a conditional GAN that fills a time budget.

`practicum lesson homework 6 --out images.npy [--budget-minutes N]` trains the Section 4
cGAN (projection discriminator with spectral norm, an EMA of the generator's weights) on
the whole training split for as many steps as the budget allows, then draws the images
asked for: one per requested class, in the order given. The recipe was chosen on the
judge's held-out training images, never on the test split (BENCHMARKS.md, Lesson 6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from practicum import settings
from practicum.lessons.lesson6.cgan import CganConfig, CganRun, sample, train_cgan

DEFAULT_BUDGET_MINUTES = 30.0
SAMPLING_SECONDS = 30.0
"""Kept back from the budget for drawing the images and writing the file."""
SMOKE_STEPS = 3


@dataclass(frozen=True)
class Recipe:
    config: CganConfig = field(default_factory=lambda: CganConfig(hinge=True, betas=(0.0, 0.9)))
    """The hinge loss with Adam's betas (0, 0.9), as Miyato et al. (2018) train spectrally
    normalised GANs: at 6,000 steps, the lowest class-conditional Fréchet distance of seven
    recipes tried (BENCHMARKS.md), with class consistency 0.93."""
    truncation: float = 0.9
    """Noise scale when sampling; below 1 trades variety for typical images. Chosen on the
    judge's held-out images (BENCHMARKS.md): 0.9 is the largest of 1, 0.9 and 0.8 with
    class consistency above 0.90 (0.906; class FD 57.5 against 51.0 at 1)."""


RECIPE = Recipe()


def train(
    train_split: dict[str, np.ndarray],
    *,
    seconds: float,
    seed: int = 0,
    recipe: Recipe = RECIPE,
    progress: bool = True,
) -> CganRun:
    """The recipe's cGAN trained on `train_split` ("x" uint8 images, "y" classes) for
    `seconds` of wall time (a few steps in smoke mode)."""
    x, y = train_split["x"], train_split["y"]
    per_epoch = max(1, len(x) // recipe.config.batch_size)
    epochs = SMOKE_STEPS / per_epoch if settings.smoke() else 10_000.0
    run = train_cgan(
        x,
        y,
        config=recipe.config,
        epochs=epochs,
        seconds=max(1.0, seconds),
        seed=seed,
        log=None,
        progress=progress,
    )
    print(f"cGAN: {run.steps:,} steps in {run.seconds:.0f} s")
    return run


def generate(
    train_split: dict[str, np.ndarray],
    classes: np.ndarray,
    *,
    seconds: float,
    seed: int = 0,
    recipe: Recipe = RECIPE,
    progress: bool = True,
) -> np.ndarray:
    """uint8 (len(classes), 28, 28) images, image i of class classes[i]."""
    run = train(train_split, seconds=seconds, seed=seed, recipe=recipe, progress=progress)
    return sample(run.generator, np.asarray(classes), seed=seed + 1, truncation=recipe.truncation)


def budgeted_solver(
    minutes: float,
) -> Callable[[dict[str, np.ndarray], np.ndarray, int], np.ndarray]:
    """The homework solver that trains for `minutes` less the time kept for sampling."""
    if minutes <= 1:
        raise ValueError(f"the cGAN needs a budget above 1 minute, got {minutes}")

    def solve(train: dict[str, np.ndarray], classes: np.ndarray, seed: int) -> np.ndarray:
        return generate(train, classes, seconds=60.0 * minutes - SAMPLING_SECONDS, seed=seed)

    return solve
