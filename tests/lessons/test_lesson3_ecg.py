"""Lesson 3's ECG reference on look-alike heartbeats; the accuracy on real ECG5000 is
measured by benchmarks/lesson3_ecg.py (5-fold cross-validation)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from practicum import data
from practicum.data import synthetic
from practicum.lessons.lesson3 import ecg
from practicum.lessons.lesson3.ecg import EcgConfig, solve_ecg

QUIET = EcgConfig(progress=False)


@pytest.fixture
def ecg_like(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Look-alike ECG5000 in the cache; smoke mode keeps training to seconds."""
    folder = synthetic.write_ecg_like(tmp_path / "ecg", n_train=60, n_test=30, seed=2)
    data.import_files("ecg5000", [folder], verify=False)
    monkeypatch.setenv("PRACTICUM_SMOKE", "1")


@pytest.mark.usefixtures("ecg_like")
@pytest.mark.parametrize("model", ["cnn", "gru"])
def test_one_label_per_test_beat_and_same_seed_same_labels(model: str) -> None:
    train, x_test = data.load("ecg5000", "train"), data.load("ecg5000", "test")["x"]
    cfg = replace(QUIET, model=model)
    first = solve_ecg(train, x_test, seed=3, cfg=cfg)
    assert first.shape == (30,) and first.dtype == np.int64
    assert first.min() >= 0 and first.max() <= 4
    assert np.array_equal(first, solve_ecg(train, x_test, seed=3, cfg=cfg))


def test_learns_look_alike_beats_well_above_chance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRACTICUM_SMOKE", raising=False)
    rng = np.random.default_rng(0)
    x, y = synthetic.heartbeats(150, rng)
    xt, yt = synthetic.heartbeats(100, rng)
    pred = solve_ecg({"x": x, "y": y - 1}, xt, cfg=replace(QUIET, epochs=10))
    assert np.mean(pred == yt - 1) > 0.8  # chance is about 0.2 (five balanced classes)


def test_beats_are_standardised_one_by_one() -> None:
    beats = np.stack([np.linspace(0, 1, 140), 5 + 3 * np.sin(np.arange(140.0))])
    out = ecg.prepare_beats(beats)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(out.std(axis=1), 1, atol=1e-5)


def test_models_give_five_scores_per_beat() -> None:
    x = torch.randn(4, 140)
    assert ecg.ConvClassifier()(x).shape == (4, 5)
    assert ecg.GRUClassifier(hidden=8)(x).shape == (4, 5)
    with pytest.raises(ValueError, match="'cnn' or 'gru'"):
        ecg.ecg_model(replace(QUIET, model="lstm"))


@pytest.mark.parametrize(
    ("x_test", "message"),
    [
        (np.zeros((3, 139), np.float32), r"x_test: expected beats of shape \(N, 140\), got"),
        (np.zeros(140, np.float32), r"x_test: expected beats of shape \(N, 140\), got \(140,\)"),
        (np.full((2, 140), np.nan, np.float32), "x_test: row 0 has a NaN"),
        (np.array([["a"] * 140]), "x_test: expected numbers"),
    ],
)
def test_bad_test_beats_are_refused_clearly(x_test: np.ndarray, message: str) -> None:
    x, y = synthetic.heartbeats(10, np.random.default_rng(1))
    with pytest.raises(ValueError, match=message):
        solve_ecg({"x": x, "y": y - 1}, x_test, cfg=QUIET)


def test_bad_training_data_is_refused_clearly() -> None:
    x, y = synthetic.heartbeats(10, np.random.default_rng(1))
    xt = x[:2]
    with pytest.raises(ValueError, match=r"labels must be 0..4, found 1..5"):
        solve_ecg({"x": x, "y": y}, xt, cfg=QUIET)
    with pytest.raises(ValueError, match="train has 10 beats but y has shape"):
        solve_ecg({"x": x, "y": y[:5] - 1}, xt, cfg=QUIET)
    with pytest.raises(ValueError, match="train x: expected beats"):
        solve_ecg({"x": x[:, :100], "y": y - 1}, xt, cfg=QUIET)
