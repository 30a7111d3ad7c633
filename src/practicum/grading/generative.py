"""How good generated images are, measured with the course's judge (`grading.judge`).

- The Fréchet distance (Heusel et al. 2017, "FID" with Inception features) between two sets
  of feature vectors, each summarised by its mean and covariance:
  |mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)). Here the features are the judge's, a
  Fashion-MNIST classifier, since Inception never saw a 28x28 grey garment.
- Class consistency of conditional samples: the share the judge puts in the class asked for.
- The class-conditional Fréchet distance ("intra-FID", Miyato & Koyama 2018): the Fréchet
  distance of each class's images to the training images of that class, averaged over the
  classes. An image of the wrong class, or one typical of no class, costs as much as an
  unrealistic one, so a conditional generator is scored on both at once.
- Each image's distance to its nearest training image, which catches copying.

The service scores the `images` homework of a conditional generator with these (as
metrics `class_frechet` and `class_consistency`): the hidden answer of item i is a held-out
real image of the class item i must show, so the class of item i is the judge's reading of
that image (publishing keeps only images the judge reads correctly).
"""

from __future__ import annotations

import numpy as np

from practicum.grading import judge as judges
from practicum.grading.judge import Judge


def frechet_from_stats(
    mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray
) -> float:
    """The Fréchet distance of two Gaussians. tr((C1 C2)^(1/2)) is computed as
    tr((S C2 S)^(1/2)) with S = C1^(1/2): a symmetric matrix, so its eigenvalues are real and
    the product's square root never turns complex the way scipy's sqrtm can."""
    root = _psd_sqrt(cov1)
    middle = np.linalg.eigvalsh(root @ cov2 @ root)
    cross = float(np.sum(np.sqrt(np.clip(middle, 0.0, None))))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * cross)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    root: np.ndarray = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    return root


def stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased, n - 1) covariance of (N, D) features, one row an image."""
    if len(features) < 2:
        raise ValueError(f"a covariance needs at least 2 feature vectors, got {len(features)}")
    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))  # D = 1 too


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """The Fréchet distance between two sets of feature vectors (N, D) and (M, D)."""
    return frechet_from_stats(*stats(features_a), *stats(features_b))


def class_consistency(judge: Judge, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of the images that the judge puts in the class they were generated for."""
    return float(np.mean(judge.classify(images) == np.asarray(labels)))


def class_frechet(judge: Judge, images: np.ndarray, labels: np.ndarray) -> float:
    """Mean over the classes asked for of the Fréchet distance between that class's images
    and the judge's training images of that class."""
    features, labels = judge.features(images), np.asarray(labels)
    distances = [
        frechet_from_stats(*stats(features[labels == c]), *judge.class_stats(int(c)))
        for c in np.unique(labels)
    ]
    return float(np.mean(distances))


def nearest_distances(
    images: np.ndarray, train_images: np.ndarray, *, batch: int = 512
) -> np.ndarray:
    """(N,) Euclidean distance of each image to its nearest training image, pixels on the
    0..1 scale (uint8 images are divided by 255)."""
    a, b = _unit(images), _unit(train_images)
    b_squared = np.einsum("ij,ij->i", b, b)
    out = np.empty(len(a))
    for start in range(0, len(a), batch):
        part = a[start : start + batch]
        squared = np.einsum("ij,ij->i", part, part)[:, None] - 2.0 * part @ b.T + b_squared
        out[start : start + batch] = np.sqrt(np.clip(squared.min(axis=1), 0.0, None))
    return out


def _unit(images: np.ndarray) -> np.ndarray:
    array = np.asarray(images)
    flat = array.reshape(len(array), -1).astype(np.float32)
    return flat / 255.0 if array.dtype == np.uint8 else flat


# The service's metrics: fn(hidden real images, submitted images), see the module docstring.


def consistency_metric(truth: np.ndarray, images: np.ndarray) -> float:
    judge = judges.load()
    return class_consistency(judge, images, judge.classify(truth))


def class_frechet_metric(truth: np.ndarray, images: np.ndarray) -> float:
    judge = judges.load()
    return class_frechet(judge, images, judge.classify(truth))


PER_CLASS = 100
"""Images a conditional-generation homework asks for per class."""


def hidden_items(
    judge: Judge,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    per_class: int = PER_CLASS,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The test items of a conditional-generation homework from held-out real images:
    (classes asked for, in class order, `per_class` each; one real image of that class per
    item). Only images the judge reads as their own class are drawn, so that the judge's
    reading of an item's real image is the class the item asks for."""
    read = judge.classify(images)
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(int(labels.max()) + 1):
        fitting = np.flatnonzero((labels == c) & (read == c))
        if len(fitting) < per_class:
            raise ValueError(
                f"class {c}: only {len(fitting)} held-out images that the judge reads as "
                f"their class, {per_class} needed"
            )
        rows.append(np.sort(rng.choice(fitting, per_class, replace=False)))
    chosen = np.concatenate(rows)
    return labels[chosen].astype(np.int64), images[chosen]
