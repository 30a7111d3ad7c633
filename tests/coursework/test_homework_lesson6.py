"""`practicum lesson homework 6` and `practicum lesson judge`: the generation reference's
contract (classes in, one uint8 28x28 image a class out, in order; the official test split
scored by the class-conditional Fréchet distance), run for real in smoke mode on digit
look-alikes standing in for Fashion-MNIST."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from practicum import data
from practicum.cli import app
from practicum.coursework import registry
from practicum.data import synthetic
from practicum.grading import judge

runner = CliRunner()


def _use(root: Path, patch: pytest.MonkeyPatch) -> None:
    patch.setenv("PRACTICUM_DATA", str(root / "cache"))
    patch.setenv("PRACTICUM_SYSTEM_DATA", "")
    patch.setenv("PRACTICUM_SMOKE", "1")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Digit look-alikes as fashion-mnist in a cache of this module's, so that its judge is
    built once."""
    root = tmp_path_factory.mktemp("lesson6-homework")
    with pytest.MonkeyPatch.context() as patch:
        _use(root, patch)
        raw = synthetic.write_mnist_like(root / "raw", n_train=600, n_test=4000, seed=3)
        data.import_files("fashion-mnist", sorted(raw.iterdir()), verify=False)
    return root


@pytest.fixture
def fashion_like(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """That cache, in smoke mode: a tiny judge and a cGAN of a few steps."""
    _use(cache, monkeypatch)
    return cache


def test_the_reference_is_registered_for_fashion_mnist_and_the_class_frechet() -> None:
    reference = registry.get(6)
    assert (reference.dataset, reference.test_split, reference.metric_name) == (
        "fashion-mnist",
        "test",
        "class_frechet",
    )
    assert reference.budgeted is not None and reference.official_test is not None


def test_cli_draws_a_hundred_images_of_each_class_and_scores_them(
    fashion_like: Path, tmp_path: Path
) -> None:
    out = tmp_path / "images.npy"
    result = runner.invoke(app, ["lesson", "homework", "6", "--out", str(out)])
    assert result.exit_code == 0, result.output
    images = np.load(out, allow_pickle=False)
    assert images.shape == (1000, 28, 28) and images.dtype == np.uint8
    assert len(np.unique(images.reshape(1000, -1), axis=0)) > 900, "samples must differ"
    score = re.search(r"fashion-mnist test class_frechet: ([\d.]+)", result.output)
    assert score and float(score.group(1)) > 0
    assert judge.path().exists(), "the judge is built on first use"


def test_x_test_names_the_classes_and_gives_no_score(fashion_like: Path, tmp_path: Path) -> None:
    classes = tmp_path / "classes.npy"
    np.save(classes, np.array([3, 3, 0, 9], dtype=np.int64))
    out = tmp_path / "images.npy"
    result = runner.invoke(
        app, ["lesson", "homework", "6", "--out", str(out), "--x-test", str(classes)]
    )
    assert result.exit_code == 0, result.output
    assert np.load(out).shape == (4, 28, 28)
    assert "class_frechet" not in result.output


def test_a_budget_of_a_minute_or_less_is_refused_before_training(fashion_like: Path) -> None:
    result = runner.invoke(
        app, ["lesson", "homework", "6", "--out", "x.npy", "--budget-minutes", "0.5"]
    )
    assert result.exit_code != 0
    assert "needs a budget above 1 minute" in result.output


def test_judge_command_builds_once_and_rebuild_gives_the_same_file(fashion_like: Path) -> None:
    first = runner.invoke(app, ["lesson", "judge"])
    assert first.exit_code == 0, first.output
    digest = re.search(r"SHA-256 ([0-9a-f]{64})", first.output)
    assert digest, first.output
    again = runner.invoke(app, ["lesson", "judge", "--rebuild"])
    assert again.exit_code == 0, again.output
    assert re.search(r"building", again.output), "--rebuild trains it again"
    assert digest.group(1) in again.output, "the same data and seed build the same judge"
