"""The course's Fashion-MNIST classifier, the judge of generated images.

Fréchet distances and class consistency mean something only in the feature space of one
fixed network, so Practicum trains that network itself, from the training split, with a
fixed seed, and keeps it beside the data cache with its SHA-256 (never downloaded). The
same build on the same software gives the same file; a changed or corrupted file is
refused on load rather than silently scoring differently.

The judge trains on 90% of the training images (its `train_rows`) and reports its accuracy
on the other 10% (`holdout_rows`): held-out real images that Lesson 6 compares generated
ones with. It stores the mean and covariance of its features over the images it trained
on, overall and per class: the training statistics every Fréchet distance is taken against.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from practicum import data, settings
from practicum.atomic import atomic_open
from practicum.train.progress import epoch_bar

DATASET = "fashion-mnist"
N_CLASSES = 10
FEATURES = 64
"""Width of the feature vector: small, so that a covariance from a few hundred images is
still a fair estimate."""
EPOCHS = 3
SMOKE_EPOCHS = 4
HOLDOUT = 0.1
SEED = 0
MEAN, STD = 0.2860, 0.3530
"""Fashion-MNIST's pixel mean and standard deviation (0..1 scale), for input scaling."""
Log = Callable[[str], None]


class JudgeError(RuntimeError):
    """The judge is missing or not the file it claims to be; the message says what to do."""


class JudgeNet(nn.Module):
    """Three small conv layers, a 64-wide feature layer, a linear classifier: about 2 million
    multiply-adds an image, so that it builds in minutes on two CPU cores."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 7x7
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, FEATURES),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURES, N_CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.head(self.body(x))
        return logits


@dataclass(frozen=True, eq=False)
class Judge:
    """The trained classifier with the feature statistics of its training images."""

    net: JudgeNet
    mean: np.ndarray
    """(FEATURES,) mean feature of the training images."""
    cov: np.ndarray
    """(FEATURES, FEATURES) their covariance."""
    class_mean: np.ndarray
    """(N_CLASSES, FEATURES) per class."""
    class_cov: np.ndarray
    """(N_CLASSES, FEATURES, FEATURES) per class."""
    train_rows: np.ndarray
    """Rows of the training split the judge trained on."""
    holdout_rows: np.ndarray
    """Rows it never saw: held-out real images."""
    holdout_accuracy: float
    sha256: str

    def class_stats(self, label: int) -> tuple[np.ndarray, np.ndarray]:
        return self.class_mean[label], self.class_cov[label]

    @torch.no_grad()
    def _run(self, images: np.ndarray, head: bool) -> np.ndarray:
        self.net.eval()
        x = as_input(images)
        out = [(self.net(part) if head else self.net.body(part)).double() for part in x.split(1000)]
        if not out:
            return np.zeros((0, N_CLASSES if head else FEATURES))
        result: np.ndarray = torch.cat(out).numpy()
        return result

    def logits(self, images: np.ndarray) -> np.ndarray:
        return self._run(images, head=True)

    def classify(self, images: np.ndarray) -> np.ndarray:
        """(N,) int64 class of each image."""
        labels: np.ndarray = self.logits(images).argmax(axis=1).astype(np.int64)
        return labels

    def features(self, images: np.ndarray) -> np.ndarray:
        """(N, FEATURES) float64 feature vectors, what Fréchet distances compare."""
        return self._run(images, head=False)


def as_input(images: np.ndarray) -> torch.Tensor:
    """uint8 0..255 or float 0..1 images (N, 28, 28) or (N, 784) -> the net's scaled input."""
    array = np.asarray(images)
    if array.ndim == 2 and array.shape[1] == 28 * 28:
        array = array.reshape(-1, 28, 28)
    if array.ndim != 3 or array.shape[1:] != (28, 28):
        raise ValueError(f"judge: expected images (N, 28, 28), got shape {array.shape}")
    scaled = array.astype(np.float32) / (255.0 if array.dtype == np.uint8 else 1.0)
    return torch.from_numpy((scaled - MEAN) / STD).unsqueeze(1)


def path(*, smoke: bool | None = None) -> Path:
    """Where the judge lives: in the data cache, a smoke-mode one under its own name."""
    smoke = settings.smoke() if smoke is None else smoke
    name = "fashion-mnist-judge-smoke.pt" if smoke else "fashion-mnist-judge.pt"
    return settings.data_home() / "judges" / name


def ensure(*, log: Log | None = print, progress: bool = True) -> Judge:
    """The judge, built first if this machine has none yet (a few minutes on 2 CPU cores;
    seconds in smoke mode)."""
    target = path()
    with _locked(target):
        if not target.exists():
            train = data.load(DATASET, "train")
            epochs = SMOKE_EPOCHS if settings.smoke() else EPOCHS
            save(build(train["x"], train["y"], epochs=epochs, log=log, progress=progress), target)
    return load(target)


def load(where: Path | None = None) -> Judge:
    """The built judge, its SHA-256 checked against the one recorded when it was built."""
    where = where or path()
    return _load(where, where.stat().st_mtime_ns if where.exists() else 0)


@cache
def _load(where: Path, _mtime: int) -> Judge:
    manifest = where.with_suffix(".json")
    if not where.exists() or not manifest.exists():
        raise JudgeError(
            f"no judge at {where}: build it with `practicum lesson judge` (trains the "
            "course's Fashion-MNIST classifier from the training split, a few minutes)"
        )
    raw = where.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    recorded = json.loads(manifest.read_text())["sha256"]
    if digest != recorded:
        raise JudgeError(
            f"{where} has SHA-256 {digest[:12]}…, not the {recorded[:12]}… recorded when it "
            "was built; it changed since: rebuild it with `practicum lesson judge --rebuild`"
        )
    saved = torch.load(where, map_location="cpu", weights_only=True)
    net = JudgeNet()
    net.load_state_dict(saved["state_dict"])
    net.eval()
    arrays = {k: saved[k].numpy() for k in ("mean", "cov", "class_mean", "class_cov")}
    return Judge(
        net=net,
        train_rows=saved["train_rows"].numpy(),
        holdout_rows=saved["holdout_rows"].numpy(),
        holdout_accuracy=float(saved["holdout_accuracy"]),
        sha256=digest,
        **arrays,
    )


def build(
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = EPOCHS,
    seed: int = SEED,
    log: Log | None = print,
    progress: bool = True,
) -> Judge:
    """Train the judge on the training split's images (uint8 (N, 28, 28)) and labels."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    n_holdout = max(1, round(HOLDOUT * len(x)))
    holdout_rows, train_rows = np.sort(order[:n_holdout]), np.sort(order[n_holdout:])
    inputs, targets = as_input(x[train_rows]), torch.from_numpy(y[train_rows].astype(np.int64))
    net = JudgeNet()
    steps_per_epoch = -(-len(train_rows) // 128)
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=2e-3, total_steps=epochs * steps_per_epoch
    )
    start = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        shuffled = torch.from_numpy(rng.permutation(len(train_rows)))
        with epoch_bar(f"judge epoch {epoch + 1}/{epochs}", steps_per_epoch, progress) as advance:
            for rows in shuffled.split(128):
                loss = F.cross_entropy(net(inputs[rows]), targets[rows])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                advance(loss.item())
        if log:
            log(f"judge: epoch {epoch + 1}/{epochs} done, {time.perf_counter() - start:.0f} s")
    judge = _with_stats(net, x, y, train_rows, holdout_rows)
    if log:
        log(
            f"judge: {epochs} epochs on {len(train_rows):,} images in "
            f"{time.perf_counter() - start:.0f} s; accuracy on {len(holdout_rows):,} "
            f"held-out training images {judge.holdout_accuracy:.4f}"
        )
    return judge


def _with_stats(
    net: JudgeNet, x: np.ndarray, y: np.ndarray, train_rows: np.ndarray, holdout_rows: np.ndarray
) -> Judge:
    empty = np.zeros(0)
    bare = Judge(net, empty, empty, empty, empty, train_rows, holdout_rows, 0.0, "")
    features, labels = bare.features(x[train_rows]), y[train_rows]
    class_mean = np.zeros((N_CLASSES, FEATURES))
    class_cov = np.zeros((N_CLASSES, FEATURES, FEATURES))
    for c in range(N_CLASSES):
        mine = features[labels == c]
        if len(mine) > 1:
            class_mean[c], class_cov[c] = mine.mean(axis=0), np.cov(mine, rowvar=False)
    accuracy = float(np.mean(bare.classify(x[holdout_rows]) == y[holdout_rows]))
    return Judge(
        net=net,
        mean=features.mean(axis=0),
        cov=np.cov(features, rowvar=False),
        class_mean=class_mean,
        class_cov=class_cov,
        train_rows=train_rows,
        holdout_rows=holdout_rows,
        holdout_accuracy=accuracy,
        sha256="",
    )


def save(judge: Judge, where: Path) -> str:
    """Write the judge and its manifest (SHA-256, accuracy, versions); returns the digest."""
    state = {
        "state_dict": judge.net.state_dict(),
        "train_rows": torch.from_numpy(judge.train_rows),
        "holdout_rows": torch.from_numpy(judge.holdout_rows),
        "holdout_accuracy": judge.holdout_accuracy,
        **{
            k: torch.from_numpy(getattr(judge, k))
            for k in ("mean", "cov", "class_mean", "class_cov")
        },
    }
    with atomic_open(where, "wb") as handle:
        torch.save(state, handle)
    digest = hashlib.sha256(where.read_bytes()).hexdigest()
    manifest = {
        "sha256": digest,
        "data_set": DATASET,
        "holdout_accuracy": judge.holdout_accuracy,
        "train_images": len(judge.train_rows),
        "torch": torch.__version__,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with atomic_open(where.with_suffix(".json"), "w") as handle:
        json.dump(manifest, handle, indent=2)
    for written in (where, where.with_suffix(".json")):
        written.chmod(0o644)  # no secret: the service and every student may read it
    return digest


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """One build at a time (two notebooks may ask at once); the others wait, then load."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
