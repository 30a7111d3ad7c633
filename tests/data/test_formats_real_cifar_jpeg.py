"""The real CIFAR-10 training JPEGs (50,000 files in a 16 MB tar.gz) through the image
folder reader: the reader must stream it quickly and find the documented content."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from practicum.data.formats.cifar import CIFAR10_CLASSES
from practicum.data.formats.image_folder import read_image_folder

REAL = Path(__file__).resolve().parents[3] / "shared/data/cifar10/cifar10-train-jpeg.tar.gz"


@pytest.mark.skipif(not REAL.exists(), reason="the shared CIFAR-10 JPEG archive is not here")
def test_real_cifar10_train_jpeg_archive() -> None:
    calls: list[tuple[int, int | None]] = []
    start = time.perf_counter()
    splits, classes = read_image_folder(
        REAL, progress=lambda done, total: calls.append((done, total))
    )
    seconds = time.perf_counter() - start
    assert classes == sorted(CIFAR10_CLASSES)
    assert list(splits) == ["train"]
    x, y = splits["train"]["x"], splits["train"]["y"]
    assert x.shape == (50_000, 32, 32, 3) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [5_000] * 10
    assert 60 < x.mean() < 200  # real photos, not blank decodes
    assert calls[-1] == (50_000, 50_000) and len(calls) > 10
    assert seconds < 60, f"reading took {seconds:.1f} s"
