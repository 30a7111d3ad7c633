"""`grading.generative`: the Fréchet distance on hand-computed cases, the copy detector against
brute force, and the class metrics and hidden items with a judge trained on a look-alike."""

from __future__ import annotations

import numpy as np
import pytest
from judge_helpers import JudgedData, judged_data
from scipy import linalg

from practicum.grading import generative
from practicum.grading.generative import (
    class_consistency,
    class_frechet,
    frechet_distance,
    frechet_from_stats,
    hidden_items,
    nearest_distances,
    stats,
)
from practicum.grading.metrics import METRICS, MetricUnavailable


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> JudgedData:
    return judged_data(tmp_path_factory)


def _rotation(angle: float) -> np.ndarray:
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


# --- the Fréchet distance -----------------------------------------------------------------------


@pytest.mark.parametrize(("m1", "s1", "m2", "s2"), [(0, 1, 0, 1), (1, 2, -0.5, 0.5), (3, 0, 0, 4)])
def test_one_dimensional_gaussians(m1: float, s1: float, m2: float, s2: float) -> None:
    """Between N(m1, s1^2) and N(m2, s2^2): (m1 - m2)^2 + (s1 - s2)^2."""
    got = frechet_from_stats(
        np.array([m1]), np.array([[s1**2]]), np.array([m2]), np.array([[s2**2]])
    )
    assert got == pytest.approx((m1 - m2) ** 2 + (s1 - s2) ** 2, abs=1e-12)


def test_commuting_covariances_in_two_dimensions() -> None:
    """Covariances with the same eigenvectors: |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2."""
    rotate = _rotation(0.7)
    a, b = np.array([4.0, 1.0]), np.array([1.0, 9.0])
    cov1, cov2 = rotate @ np.diag(a) @ rotate.T, rotate @ np.diag(b) @ rotate.T
    mu1, mu2 = np.array([1.0, 2.0]), np.array([-2.0, 6.0])
    expected = 9 + 16 + (2 - 1) ** 2 + (1 - 3) ** 2
    assert frechet_from_stats(mu1, cov1, mu2, cov2) == pytest.approx(expected, abs=1e-9)
    assert frechet_from_stats(mu2, cov2, mu1, cov1) == pytest.approx(expected, abs=1e-9)


def test_general_covariances_agree_with_scipys_matrix_square_root() -> None:
    rng = np.random.default_rng(1)
    for dim in (3, 16):
        a, b = rng.normal(size=(dim, dim)), rng.normal(size=(dim, dim))
        cov1, cov2 = a @ a.T, b @ b.T + np.eye(dim)
        mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
        root = linalg.sqrtm(cov1 @ cov2).real
        expected = np.sum((mu1 - mu2) ** 2) + np.trace(cov1 + cov2 - 2 * root)
        assert frechet_from_stats(mu1, cov1, mu2, cov2) == pytest.approx(expected, rel=1e-6)


def test_sets_of_features() -> None:
    rng = np.random.default_rng(2)
    features = rng.normal(size=(200, 8))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(features, features + 3.0) == pytest.approx(8 * 9.0, rel=1e-9)
    one_d_a, one_d_b = rng.normal(0, 1, (500, 1)), rng.normal(2, 3, (400, 1))
    m1, s1 = one_d_a.mean(), one_d_a.std(ddof=1)
    m2, s2 = one_d_b.mean(), one_d_b.std(ddof=1)
    assert frechet_distance(one_d_a, one_d_b) == pytest.approx((m1 - m2) ** 2 + (s1 - s2) ** 2)
    with pytest.raises(ValueError, match="at least 2 feature vectors"):
        stats(features[:1])


# --- copies of training images ------------------------------------------------------------------


def test_nearest_distances_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    train = rng.integers(0, 256, (37, 6, 5), dtype=np.uint8)
    images = rng.uniform(0, 1, (23, 6, 5)).astype(np.float32)
    images[4] = train[11] / 255.0  # a copy
    brute = np.linalg.norm(
        images.reshape(23, 1, -1) - (train.reshape(1, 37, -1) / 255.0), axis=2
    ).min(axis=1)
    got = nearest_distances(images, train, batch=5)  # batches that do not divide 23
    assert got.shape == (23,)
    # float32 and |a|^2 - 2ab + |b|^2: about 1e-3 off near 0, where copies are
    assert np.allclose(got, brute, atol=5e-3)
    assert got[4] < 5e-3 < brute[np.arange(23) != 4].min()
    as_bytes = nearest_distances(train[:3], train)  # uint8 on both sides, each its own nearest
    assert np.allclose(as_bytes, 0.0, atol=5e-3)


# --- with the judge -----------------------------------------------------------------------------


def test_the_training_images_are_at_distance_zero_from_their_own_statistics(
    judged: JudgedData,
) -> None:
    judge = judged.judge
    x, y = judged.train_x[judge.train_rows], judged.train_y[judge.train_rows]
    scale = float(np.mean(np.trace(judge.class_cov, axis1=1, axis2=2)))
    assert class_frechet(judge, x, y) == pytest.approx(0.0, abs=1e-6 * scale)


def test_real_images_of_the_right_class_beat_wrong_classes_and_noise(judged: JudgedData) -> None:
    judge = judged.judge
    x, y = judged.test_x[:300], judged.test_y[:300]
    wrong = (y + 1) % 10
    noise = np.random.default_rng(4).integers(0, 256, x.shape, dtype=np.uint8)
    right = class_frechet(judge, x, y)
    assert right < class_frechet(judge, x, wrong) / 3
    assert right < class_frechet(judge, noise, y) / 3
    reads = judge.classify(x)
    assert class_consistency(judge, x, y) == pytest.approx(np.mean(reads == y))
    assert np.mean(reads == y) > 0.8
    assert class_consistency(judge, x, wrong) < 0.2


def test_hidden_items_are_judge_read_real_images_in_class_order(judged: JudgedData) -> None:
    judge, x, y = judged.judge, judged.test_x[:400], judged.test_y[:400]
    classes, real = hidden_items(judge, x, y, per_class=12, seed=0)
    assert classes.dtype == np.int64 and real.dtype == np.uint8
    assert classes.tolist() == np.repeat(np.arange(10), 12).tolist()
    assert real.shape == (120, 28, 28)
    assert np.array_equal(judge.classify(real), classes)
    rows = [int(np.flatnonzero((x == image).all(axis=(1, 2)))[0]) for image in real]
    assert len(set(rows)) == 120  # distinct test images
    assert np.array_equal(y[rows], classes)
    again_classes, again = hidden_items(judge, x, y, per_class=12, seed=0)
    assert np.array_equal(again, real) and np.array_equal(again_classes, classes)
    assert not np.array_equal(hidden_items(judge, x, y, per_class=12, seed=1)[1], real)
    with pytest.raises(ValueError, match="that the judge reads as their class, 1000 needed"):
        hidden_items(judge, x, y, per_class=1000)


def test_the_service_metrics_read_each_items_class_from_its_real_image(
    judged: JudgedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    judged.use(monkeypatch)
    judge = judged.judge
    classes, real = hidden_items(judge, judged.test_x, judged.test_y, per_class=10)
    train_x, train_y = judged.train_x, judged.train_y
    fakes = np.stack([train_x[np.flatnonzero(train_y == c)[i % 7]] for i, c in enumerate(classes)])
    frechet, consistency = METRICS["class_frechet"], METRICS["class_consistency"]
    assert not frechet.higher_is_better and consistency.higher_is_better
    assert frechet.kinds == consistency.kinds == ("images",)
    assert consistency.fn(real, real) == 1.0
    as_floats = fakes.astype(np.float32) / 255
    assert frechet.fn(real, as_floats) == pytest.approx(class_frechet(judge, fakes, classes))
    assert consistency.fn(real, as_floats) == pytest.approx(
        class_consistency(judge, fakes, classes)
    )
    shuffled = np.roll(as_floats, 10, axis=0)  # every image one class off
    assert frechet.fn(real, shuffled) > 3 * frechet.fn(real, as_floats)
    assert generative.class_frechet_metric(real, fakes) == pytest.approx(frechet.fn(real, fakes))
    with pytest.raises(ValueError, match="predictions of shape"):
        frechet.fn(real, as_floats[:, :27])


def test_without_a_judge_the_metrics_are_unavailable(judged: JudgedData) -> None:
    """PRACTICUM_DATA is the test's own empty folder (tests/conftest.py): no judge there."""
    images = judged.test_x[:20]
    for name in ("class_frechet", "class_consistency"):
        with pytest.raises(MetricUnavailable, match="no judge at"):
            METRICS[name].fn(images, images)
