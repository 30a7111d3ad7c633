"""Look-alike data sets: they go through the real readers and carry learnable structure."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from practicum.data import synthetic
from practicum.data.formats import (
    CIFAR10_CLASSES,
    read_cifar10_python,
    read_coco_captions,
    read_idx_dataset,
    read_image_folder,
    read_monthly_csv,
    read_parallel,
    read_ucr,
    read_ucr_zip,
)
from practicum.data.formats.coco import index_image_zip


def nearest_mean_accuracy(train: dict[str, np.ndarray], test: dict[str, np.ndarray]) -> float:
    """Accuracy of the simplest classifier there is: the closest class mean."""
    x_train = train["x"].reshape(len(train["x"]), -1).astype(np.float32)
    x_test = test["x"].reshape(len(test["x"]), -1).astype(np.float32)
    means = np.stack([x_train[train["y"] == c].mean(axis=0) for c in np.unique(train["y"])])
    distances = ((x_test[:, None, :] - means[None]) ** 2).sum(axis=2)
    return float((np.unique(train["y"])[distances.argmin(axis=1)] == test["y"]).mean())


def test_mnist_like_is_learnable_and_reproducible(tmp_path: Path) -> None:
    splits = read_idx_dataset(synthetic.write_mnist_like(tmp_path / "a", 300, 100, seed=1))
    assert splits["train"]["x"].shape == (300, 28, 28) and splits["test"]["x"].shape == (
        100,
        28,
        28,
    )
    assert set(np.unique(splits["train"]["y"])) == set(range(10))
    assert nearest_mean_accuracy(splits["train"], splits["test"]) > 0.5  # chance is 0.1
    again = read_idx_dataset(synthetic.write_mnist_like(tmp_path / "b", 300, 100, seed=1))
    np.testing.assert_array_equal(again["test"]["x"], splits["test"]["x"])


def test_cifar10_like_is_learnable(tmp_path: Path) -> None:
    splits, classes = read_cifar10_python(
        synthetic.write_cifar10_like(tmp_path / "c.tar.gz", 300, 100)
    )
    assert classes == list(CIFAR10_CLASSES) and splits["train"]["x"].shape == (300, 32, 32, 3)
    blob_colour = {
        k: {"x": v["x"].reshape(len(v["x"]), -1, 3).max(axis=1), "y": v["y"]}
        for k, v in splits.items()
    }
    assert nearest_mean_accuracy(blob_colour["train"], blob_colour["test"]) > 0.5


def test_cifar10_jpeg_like_mirrors_the_shared_archive(tmp_path: Path) -> None:
    splits, classes = read_image_folder(synthetic.write_cifar10_jpeg_like(tmp_path / "j.tar.gz", 3))
    assert classes == sorted(CIFAR10_CLASSES)
    assert splits["train"]["x"].shape == (30, 32, 32, 3)
    assert np.bincount(splits["train"]["y"]).tolist() == [3] * 10


def test_ecg_like_zip_and_folder(tmp_path: Path) -> None:
    splits = read_ucr_zip(synthetic.write_ecg_like(tmp_path / "ECG5000.zip", 200, 100), "ECG5000")
    assert splits["train"]["x"].shape == (200, 140) and splits["test"]["x"].dtype == np.float32
    assert set(np.unique(splits["train"]["y"])) <= {1, 2, 3, 4, 5}
    assert nearest_mean_accuracy(splits["train"], splits["test"]) > 0.6  # chance is 0.2
    folder = synthetic.write_ecg_like(tmp_path / "ecg", 10, 5)
    assert read_ucr(folder / "ECG5000_TEST.txt")["x"].shape == (5, 140)


def test_airline_like_has_trend_and_season(tmp_path: Path) -> None:
    series = read_monthly_csv(synthetic.write_airline_like(tmp_path / "airline-passengers.csv"))
    values = series["passengers"]
    assert len(values) == 144 and series["month"][-1] == "1960-12"
    assert values[-12:].mean() > 2 * values[:12].mean()
    assert values[6::12].mean() > values[0::12].mean()  # July above January


def test_enja_like_pairs_align(tmp_path: Path) -> None:
    folder = synthetic.write_enja_like(tmp_path / "enja", 50, 5, 5)
    en, ja = read_parallel(folder / "train.en", folder / "train.ja")
    assert len(en) == len(ja) == 50
    for english, japanese in zip(en, ja, strict=True):
        assert english.endswith(" .") and japanese.endswith(" 。")
        assert ("cat" in english) == ("猫" in japanese)


def test_coco_like_captions_match_image_zips(tmp_path: Path) -> None:
    folder = synthetic.write_coco_like(tmp_path / "coco", 6, 4)
    splits = read_coco_captions(folder / "annotations_trainval2014.zip")
    for split, n in (("train2014", 6), ("val2014", 4)):
        assert len(splits[split]["image_id"]) == n and len(splits[split]["caption"]) == 5 * n
        index = index_image_zip(folder / f"{split}.zip")
        assert sorted(index) == sorted(f"{split}/{name}" for name in splits[split]["file_name"])
