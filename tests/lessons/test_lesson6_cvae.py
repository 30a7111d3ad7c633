"""Lesson 6's conditional VAE (the benchmark's rival to the cGAN): it must actually use
the class it is given."""

from __future__ import annotations

import numpy as np

from practicum.data.synthetic import digit_images
from practicum.lessons.lesson6 import cvae


def test_samples_of_a_class_look_like_that_class_and_not_the_others() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 2000)
    images = digit_images(labels, rng)
    model = cvae.train_cvae(images, labels, seconds=120, epochs=25, progress=False)
    classes = np.repeat(np.arange(10), 20)
    samples = cvae.sample(model, classes, seed=1)
    assert samples.shape == (200, 28, 28) and samples.dtype == np.uint8
    means = np.stack([images[labels == c].mean(axis=0) for c in range(10)]).reshape(10, -1)
    flat = samples.reshape(200, -1).astype(np.float64)
    nearest_mean = ((flat[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert np.mean(nearest_mean == classes) > 0.6  # 0.1 if the class were ignored


def test_the_same_seed_draws_the_same_images() -> None:
    model = cvae.ConditionalVAE()
    classes = np.array([0, 5, 9])
    assert np.array_equal(cvae.sample(model, classes, seed=3), cvae.sample(model, classes, seed=3))
    assert not np.array_equal(
        cvae.sample(model, classes, seed=3), cvae.sample(model, classes, seed=4)
    )
