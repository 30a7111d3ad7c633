"""Lesson 1's building blocks: the numpy math, the hand-written backprop, the PyTorch MLP."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from numpy.typing import NDArray
from torch import nn

from practicum.lessons.lesson1 import mlp


def test_softmax_rows_sum_to_one_and_keep_order() -> None:
    z = np.array([[2.0, 1.0, 0.1], [-3.0, 0.0, 3.0]])
    p = mlp.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (np.argsort(p, axis=1) == np.argsort(z, axis=1)).all()
    np.testing.assert_allclose(p[0], np.exp(z[0]) / np.exp(z[0]).sum())


def test_softmax_is_stable_for_huge_scores() -> None:
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    p = mlp.softmax(big)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p[0], mlp.softmax(np.array([[0.0, 1.0, 2.0]]))[0])
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_cross_entropy_known_values() -> None:
    probs = np.array([[0.25, 0.75], [0.5, 0.5]])
    y = mlp.one_hot(np.array([0, 1]), n_classes=2)
    assert mlp.cross_entropy(probs, y) == pytest.approx((math.log(4) + math.log(2)) / 2)
    # a probability of exactly 0 on the truth costs -log(1e-12), not infinity
    zero = mlp.cross_entropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    assert zero == pytest.approx(-math.log(1e-12))


def test_one_hot() -> None:
    out = mlp.one_hot(np.array([2, 0]), n_classes=3)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])


def _batch(n: int, d: int, seed: int = 0) -> tuple[NDArray[Any], NDArray[Any]]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), mlp.one_hot(rng.integers(0, 10, size=n))


def test_backward_agrees_with_numerical_gradients() -> None:
    x, y = _batch(8, 20)
    assert mlp.NumpyMLP((20, 16, 12, 10), seed=1).gradient_check(x, y) < 1e-6


def test_gradient_check_catches_a_wrong_backward() -> None:
    class ForgetsToAverage(mlp.NumpyMLP):
        def backward(self, y_onehot: NDArray[Any]) -> None:
            super().backward(y_onehot)
            self.grad_weights[0] *= len(y_onehot)

    x, y = _batch(8, 20)
    assert ForgetsToAverage((20, 16, 10), seed=1).gradient_check(x, y) > 1e-2


def test_numpy_mlp_learns_a_tiny_problem() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3.0, size=(3, 5))
    labels = rng.integers(0, 3, size=300)
    x = centres[labels] + rng.normal(size=(300, 5))
    y = mlp.one_hot(labels, n_classes=3)
    model = mlp.NumpyMLP((5, 16, 3), seed=0)
    before = model.loss(x, y)
    for _ in range(30):
        for start in range(0, 300, 30):
            model.forward(x[start : start + 30])
            model.backward(y[start : start + 30])
            model.step(0.1)
    assert model.loss(x, y) < before / 5
    assert np.mean(model.predict(x) == labels) > 0.95


@pytest.mark.parametrize("activation", sorted(mlp.ACTIVATIONS))
@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("init", mlp.INITS)
def test_mlp_variants_give_class_scores(activation: str, batchnorm: bool, init: str) -> None:
    model = mlp.MLP(
        hidden=(32, 16), activation=activation, dropout=0.3, batchnorm=batchnorm, init=init
    )
    assert model(torch.rand(5, 28, 28)).shape == (5, 10)
    assert model(torch.rand(5, 784)).shape == (5, 10)
    kinds = {type(m) for m in model.modules()}
    assert (nn.BatchNorm1d in kinds) == batchnorm
    assert nn.Dropout in kinds
    assert type(mlp.ACTIVATIONS[activation]()) in kinds


def test_mlp_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="activation"):
        mlp.MLP(activation="swish")
    with pytest.raises(ValueError, match="init"):
        mlp.MLP(init="orthogonal")
    with pytest.raises(ValueError, match="dropout"):
        mlp.MLP(dropout=1.0)


def test_he_and_xavier_initialisation_scales() -> None:
    torch.manual_seed(0)
    he = mlp.MLP(hidden=(1000, 500), init="he", in_features=2000)
    first, second = (m for m in he.modules() if isinstance(m, nn.Linear) and m.out_features > 10)
    assert first.weight.std().item() == pytest.approx(math.sqrt(2 / 2000), rel=0.02)
    assert second.weight.std().item() == pytest.approx(math.sqrt(2 / 1000), rel=0.02)
    assert first.bias.abs().max().item() == 0.0
    xavier = mlp.MLP(hidden=(1000,), init="xavier", in_features=2000)
    layer = next(m for m in xavier.modules() if isinstance(m, nn.Linear))
    assert layer.weight.std().item() == pytest.approx(math.sqrt(2 / 3000), rel=0.02)


def test_penalties_count_weight_matrices_only() -> None:
    model = mlp.MLP(hidden=(3,), batchnorm=True, in_features=2, n_classes=2)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(-2.0)
    weights = 2 * 3 + 3 * 2  # two Linear weight matrices; biases and batch-norm excluded
    assert mlp.l1_penalty(model).item() == pytest.approx(2.0 * weights)
    assert mlp.l2_penalty(model).item() == pytest.approx(4.0 * weights)
    assert mlp.l2_penalty(model).requires_grad


def test_train_step_lowers_the_loss() -> None:
    torch.manual_seed(0)
    model = mlp.MLP(hidden=(16,), in_features=4, n_classes=3)
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = [mlp.train_step(model, x, y, optimizer) for _ in range(20)]
    assert isinstance(losses[0], float)
    assert losses[-1] < losses[0]


def test_prepare_images_scales_and_flattens() -> None:
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    out = mlp.prepare_images(x)
    assert out.dtype == np.float32 and out.shape == (1, 4)
    np.testing.assert_allclose(out, [[0.0, 1.0, 0.2, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(mlp.prepare_images(x, mean=0.5, std=0.5), [[-1, 1, -0.6, -0.2]])


def _fake_load(name: str, split: str) -> dict[str, NDArray[Any]]:
    n = 3000
    return {"x": np.zeros((n, 28, 28), np.uint8), "y": np.arange(n) % 10}


def test_load_split_subsamples_in_smoke_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mlp.data, "load", _fake_load)
    monkeypatch.setenv("PRACTICUM_SMOKE", "0")
    x, y = mlp.load_split("mnist", "train")
    assert x.shape == (3000, 784) and y.dtype == np.int64
    assert len(mlp.load_split("mnist", "train", limit=2000)[1]) == 2000
    monkeypatch.setenv("PRACTICUM_SMOKE", "1")
    assert len(mlp.load_split("mnist", "train")[1]) == mlp.SMOKE_ROWS["train"]
    assert len(mlp.load_split("mnist", "test", limit=100)[1]) == 100


def test_carve_validation_sets_random_rows_aside_without_overlap() -> None:
    x, y = np.arange(100).reshape(50, 2), np.arange(50)
    x_train, y_train, x_val, y_val = mlp.carve_validation(x, y, 10, seed=0)
    assert len(y_val) == 10 and len(y_train) == 40
    assert sorted(np.concatenate([y_train, y_val]).tolist()) == list(range(50))
    assert (x_val[:, 0] == 2 * y_val).all() and (x_train[:, 0] == 2 * y_train).all()
    assert y_val.tolist() != list(range(40, 50))  # drawn at random, not the last rows
    with pytest.raises(ValueError, match="n_val"):
        mlp.carve_validation(x, y, 50)
