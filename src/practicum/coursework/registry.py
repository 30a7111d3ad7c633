"""Every lesson's homework reference, run the same way (`practicum lesson homework N`).

The references' own modules (`lessonN/reference.py`) are imported only when a reference
runs: a course withholds them from the students' servers (`coursework.withheld`), where
this registry must still import, and an unreleased one then says so when it is asked for.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from practicum import data
from practicum.coursework.homework import (
    BudgetedSolver,
    HomeworkReference,
    Solver,
    check_x_test,
)
from practicum.coursework.withheld import module_name
from practicum.data.captioned import read_image_folder
from practicum.data.formats.parallel_text import read_lines, write_lines
from practicum.grading.label_csv import write_label_csv
from practicum.grading.metrics import accuracy, bleu, caption_bleu, reference_matrix


def _corpus_bleu(references: np.ndarray, hypotheses: np.ndarray) -> float:
    """sacrebleu's corpus BLEU on tokens as given (tokenize="none"), as the service scores."""
    return bleu([str(r) for r in references], [str(h) for h in hypotheses]).score


def _caption_bleu(references: np.ndarray, captions: Sequence[str]) -> float:
    """BLEU-4 against every reference caption of each photo, as the service scores captions."""
    return caption_bleu(references, [str(c) for c in captions]).score


def _photos_and_captions(test: dict[str, np.ndarray]) -> tuple[list[bytes], np.ndarray]:
    """A captioned split's photos (encoded bytes, in split order) and their captions as the
    2-D reference array the homework stores (`reference_matrix`)."""
    offsets, blob = test["image_offsets"], test["image_bytes"]
    photos = [bytes(blob[offsets[i] : offsets[i + 1]]) for i in range(len(offsets) - 1)]
    captions: list[list[str]] = [[] for _ in photos]
    for caption, owner in zip(
        test["caption"].tolist(), test["caption_image"].tolist(), strict=True
    ):
        captions[owner].append(str(caption).strip())
    return photos, reference_matrix(captions)


def _read_photos(folder: Path) -> list[bytes]:
    """The photos of an --x-test folder, encoded, in file-name order (the order a homework's
    renamed test photos 0000.jpg, 0001.jpg, ... are in)."""
    return read_image_folder(folder)[1]


def _write_captions(path: Path, captions: Sequence[str]) -> Path:
    """One caption a line, lowercased, white space collapsed (a caption is one line)."""
    return write_lines(path, [" ".join(str(c).lower().split()) for c in captions])


def _classes_and_real_images(test: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The classes a generation homework asks for (100 each, in class order) and, as the
    truth, a held-out real test image of each, as the service draws them."""
    from practicum.grading import generative, judge

    return generative.hidden_items(judge.ensure(), test["x"], test["y"])


def _class_frechet(truth: np.ndarray, images: np.ndarray) -> float:
    from practicum.grading import generative

    return generative.class_frechet_metric(truth, images)


def _write_images(path: Path, images: np.ndarray) -> Path:
    """uint8 (N, 28, 28) images as an .npy file, what the `images` homework accepts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.asarray(images, dtype=np.uint8), allow_pickle=False)
    return path


def _solver(module: str, name: str = "solve_homework") -> Solver:
    """`module.name`, imported when it is called."""

    def solve(train: dict[str, np.ndarray], x_test: Any, seed: int) -> Any:
        return getattr(importlib.import_module(module), name)(train, x_test, seed)

    return solve


def _budgeted(module: str) -> BudgetedSolver:
    """`module.budgeted_solver`, imported when a budget is asked for."""

    def budgeted(minutes: float) -> Solver:
        solver: Solver = importlib.import_module(module).budgeted_solver(minutes)
        return solver

    return budgeted


def _default_budget(module: str) -> Solver:
    """`module.budgeted_solver` at the module's own DEFAULT_BUDGET_MINUTES."""

    def solve(train: dict[str, np.ndarray], x_test: Any, seed: int) -> Any:
        found = importlib.import_module(module)
        return found.budgeted_solver(found.DEFAULT_BUDGET_MINUTES)(train, x_test, seed)

    return solve


HOMEWORK: dict[int, HomeworkReference] = {
    1: HomeworkReference(
        lesson=1,
        title="Fashion-MNIST with an MLP",
        dataset="fashion-mnist",
        train_split="train",
        test_split="test",
        input_key="x",
        target_key="y",
        input_shape=(28, 28),
        input_dtype="uint8",
        metric_name="accuracy",
        target=0.90,
        solve=_solver(module_name(1)),
        write=write_label_csv,
        metric=accuracy,
    ),
    2: HomeworkReference(
        lesson=2,
        title="CIFAR-10 with a fast CNN (airbench recipe, budget presets)",
        dataset="cifar10",
        train_split="train",
        test_split="test",
        input_key="x",
        target_key="y",
        input_shape=(32, 32, 3),
        input_dtype="uint8",
        metric_name="accuracy",
        target=0.90,
        solve=_default_budget(module_name(2)),
        budgeted=_budgeted(module_name(2)),
        write=write_label_csv,
        metric=accuracy,
    ),
    3: HomeworkReference(
        lesson=3,
        title="ECG5000 heartbeats with a 1-D CNN",
        dataset="ecg5000",
        train_split="train",
        test_split="test",
        input_key="x",
        target_key="y",
        input_shape=(140,),
        input_dtype="float32",
        metric_name="accuracy",
        target=0.95,
        solve=_solver(module_name(3), "solve_ecg"),
        write=write_label_csv,
        metric=accuracy,
    ),
    4: HomeworkReference(
        lesson=4,
        title="English to Japanese with a small Transformer (budget presets)",
        dataset="small-parallel-enja",
        train_split="train",
        test_split="test",
        input_key="en",
        target_key="ja",
        input_shape=(),
        input_dtype="str",
        metric_name="bleu",
        target=25.0,
        solve=_default_budget(module_name(4)),
        budgeted=_budgeted(module_name(4)),
        write=write_lines,
        metric=_corpus_bleu,
        read_x_test=read_lines,
    ),
    5: HomeworkReference(
        lesson=5,
        title="Flickr8k captions with a CNN encoder and an RNN decoder (budget presets)",
        dataset="flickr8k",
        train_split="train",
        test_split="test",
        input_key="image_bytes",
        target_key="caption",
        input_shape=(),
        input_dtype="bytes",
        metric_name="caption_bleu",
        target=18.0,  # the demo course's; the lesson author sets both once measured
        solve=_default_budget(module_name(5)),
        budgeted=_budgeted(module_name(5)),
        write=_write_captions,
        metric=_caption_bleu,
        read_x_test=_read_photos,
        official_test=_photos_and_captions,
    ),
    6: HomeworkReference(
        lesson=6,
        title="Fashion-MNIST images of given classes with a conditional GAN (budget presets)",
        dataset="fashion-mnist",
        train_split="train",
        test_split="test",
        input_key="y",
        target_key="x",
        input_shape=(),
        input_dtype="int64",
        metric_name="class_frechet",
        target=70.0,  # as the demo course: the reference 60.0 (BENCHMARKS.md, Lesson 6)
        solve=_default_budget(module_name(6)),
        budgeted=_budgeted(module_name(6)),
        write=_write_images,
        metric=_class_frechet,
        official_test=_classes_and_real_images,
    ),
}


@dataclass(frozen=True)
class HomeworkResult:
    reference: HomeworkReference
    path: Path
    rows: int
    seconds: float
    score: float | None
    """Metric on the official test labels, when x_test was the official split."""


def get(lesson: int) -> HomeworkReference:
    try:
        return HOMEWORK[lesson]
    except KeyError:
        have = ", ".join(map(str, sorted(HOMEWORK)))
        raise ValueError(f"lesson {lesson} has no homework reference yet (have: {have})") from None


def run_homework(
    lesson: int,
    out: Path,
    *,
    x_test: Path | None = None,
    seed: int = 0,
    budget_minutes: float | None = None,
) -> HomeworkResult:
    """Train the reference on the training split, predict x_test, write the submission."""
    ref = get(lesson)
    solve = ref.solver(budget_minutes)
    y_true = None
    if x_test is None:
        test = data.load(ref.dataset, ref.test_split)
        if ref.official_test is not None:
            x, y_true = ref.official_test(test)
        else:
            x, y_true = test[ref.input_key], test[ref.target_key]
    else:
        x = _read_x_test(ref, x_test)
    train = data.load(ref.dataset, ref.train_split)
    start = time.perf_counter()
    pred = solve(train, x, seed)
    seconds = time.perf_counter() - start
    path = ref.write(out, pred)
    score = ref.metric(y_true, pred) if y_true is not None else None
    return HomeworkResult(ref, path, len(pred), seconds, score)


def _read_x_test(ref: HomeworkReference, path: Path) -> Any:
    if ref.read_x_test is not None:
        return ref.read_x_test(path)
    return check_x_test(ref, _load_npy(path), str(path))


def _load_npy(path: Path) -> np.ndarray:
    """Read a user's .npy without ever unpickling (allow_pickle=False)."""
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable .npy array ({exc})") from None
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path}: expected one array (.npy), got an archive")
    return array
