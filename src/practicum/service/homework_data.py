"""What a homework is made of: the arrays students get and the hidden answers, cut from a
catalog data set by the homework's submission kind, or read from staff's own files.

Both sources end in the same `HomeworkArrays` and the same label checks, so everything
after (split, private storage, README, republish) cannot tell them apart.
"""

from __future__ import annotations

import csv
import io
import secrets
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO

import numpy as np

from practicum import data
from practicum.course import Homework
from practicum.course.model import DEFAULT_GAMES
from practicum.data.captioned import CAPTIONED_SETS, CaptionedImages, captioned_images
from practicum.grading.metrics import reference_matrix


class PublishError(Exception):
    """A homework that cannot be published as asked; the message says what to do."""


@dataclass(frozen=True, eq=False)
class PublicFile:
    """A file students get as it is, besides the arrays (a zip of photos, a CSV of captions).
    It is written only when the homework is published, straight into its file: a zip of
    thousands of photos is never held in memory."""

    contents: str
    """What it holds, for the README's table of files: "6,000 images"."""
    format: str
    """How it is laid out, for the same table: "ZIP, `x_train/<file name>`"."""
    write: Callable[[BinaryIO], None]
    """Writes the whole file to an open binary file; the same bytes every time."""


@dataclass(frozen=True, eq=False)
class HomeworkArrays:
    """What a homework is made of, whatever its kind."""

    public: dict[str, np.ndarray]
    """File stem -> array students get (x_train, y_train, x_test; a translation adds
    x_dev, y_dev)."""
    y_test: np.ndarray
    """The hidden answers, one per test item, in x_test order; for captions, the references
    of each test image as a 2-D (n_items, n_refs) string array, "" where an image has fewer."""
    example: np.ndarray | Sequence[str]
    """Made-up predictions in the submission's shape, for the README's format example."""
    files: dict[str, PublicFile] = field(default_factory=dict)
    """File name -> a file students get as it is, besides the arrays' files."""
    test_images: str | None = None
    """The public zip whose photos are the test items, in file-name order (captioning);
    None where x_test is an array."""
    notes: str | None = None
    """More for the README's submission section, where the format alone does not say it
    (conditional generation: what each item asks for, and the judge that scores it)."""


Layout = Callable[[Homework], HomeworkArrays]
TARGETS = ("y_train", "y_test")


def _labeled_pairs(homework: Homework) -> HomeworkArrays:
    """Classification on a data set with labeled train and test splits (keys x, y)."""
    dataset = data.get(_catalog_name(homework))
    if "train" not in dataset.splits or "test" not in dataset.splits:
        raise PublishError(
            f"homework {homework.id}: data set {dataset.name} has no labeled train/test splits "
            f"here (splits: {', '.join(dataset.splits)}), so there are no hidden labels to score"
        )
    train, test = _load(homework, "train"), _load(homework, "test")
    for split, arrays in (("train", train), ("test", test)):
        if not {"x", "y"} <= arrays.keys():
            raise PublishError(
                f"homework {homework.id}: {dataset.name}/{split} holds {', '.join(arrays)}, "
                "not the labeled pairs x, y"
            )
    y_train = _labels(homework, f"{dataset.name}/train", train["y"])
    y_test = _labels(homework, f"{dataset.name}/test", test["y"])
    return HomeworkArrays(
        public={"x_train": train["x"], "y_train": y_train, "x_test": test["x"]},
        y_test=y_test,
        example=_label_example(homework, len(y_test)),
    )


def _series_forecast(homework: Homework) -> HomeworkArrays:
    """Forecasting on a single series (time labels and values, e.g. months and passengers):
    the last `horizon` values are hidden; students get everything before them, and the time
    labels of the values to forecast as x_test."""
    horizon, dataset = homework.horizon, data.get(_catalog_name(homework))
    if horizon is None:
        raise PublishError(
            f"homework {homework.id}: a regression homework needs `horizon` in course.toml "
            "(how many final values of the series to forecast); only forecasts are supported"
        )
    if len(dataset.splits) != 1:
        raise PublishError(
            f"homework {homework.id}: data set {dataset.name} is not a single series "
            f"(splits: {', '.join(dataset.splits)}), so there is nothing to forecast"
        )
    arrays = _load(homework, dataset.splits[0])
    times = [a for a in arrays.values() if a.ndim == 1 and a.dtype.kind == "U"]
    values = [a for a in arrays.values() if a.ndim == 1 and a.dtype.kind in "iuf"]
    if len(times) != 1 or len(values) != 1:
        raise PublishError(
            f"homework {homework.id}: {dataset.name} holds {', '.join(arrays)}, not one series "
            "of time labels and values"
        )
    t, y = times[0], values[0].astype(np.float64)
    if not 0 < horizon < len(y):
        raise PublishError(
            f"homework {homework.id}: horizon {horizon} leaves no history to forecast from "
            f"({dataset.name} has {len(y)} values)"
        )
    return HomeworkArrays(
        public={"x_train": t[:-horizon], "y_train": y[:-horizon], "x_test": t[-horizon:]},
        y_test=y[-horizon:],
        example=np.full(horizon, y[-horizon - 1]),  # the last known value, repeated
    )


DIRECTIONS: dict[str, tuple[str, str]] = {"small-parallel-enja": ("en", "ja")}
"""A parallel corpus' usual (source, target) arrays, used when course.toml gives neither."""
EXAMPLE_LINES: dict[str, tuple[str, ...]] = {
    "ja": (
        "わたし は 猫 が 好き だ 。",
        "明日 は 雨 が 降 る 。",
        "この 本 は 面白 い 。",
        "駅 まで 歩 い た 。",
    ),
    "en": ("i like cats .", "it will rain tomorrow .", "this book is fun .", "i walked ."),
}
"""Made-up sentences (not from any data set) for the README's submission example."""


def _parallel_text(homework: Homework) -> HomeworkArrays:
    """Translation on a parallel corpus (one tokenized sentence per line, aligned by line):
    students get train and dev in both languages and the test source sentences; the test
    target sentences are the hidden references BLEU scores against."""
    source, target = _direction(homework)
    dataset = data.get(_catalog_name(homework))
    missing = {"train", "dev", "test"} - set(dataset.splits)
    if missing:
        raise PublishError(
            f"homework {homework.id}: data set {dataset.name} has no {', '.join(sorted(missing))} "
            f"split (splits: {', '.join(dataset.splits)}); a translation needs train, dev, test"
        )
    train, dev, test = (
        _sides(homework, split, source, target) for split in ("train", "dev", "test")
    )
    lines = EXAMPLE_LINES.get(target, ("token token .",))
    return HomeworkArrays(
        public={
            "x_train": train[0],
            "y_train": train[1],
            "x_dev": dev[0],
            "y_dev": dev[1],
            "x_test": test[0],
        },
        y_test=test[1],
        example=[lines[i % len(lines)] for i in range(len(test[1]))],
    )


def _direction(homework: Homework) -> tuple[str, str]:
    """(source, target) from course.toml, else the data set's usual direction."""
    if homework.source_lang and homework.target_lang:
        return homework.source_lang, homework.target_lang
    name = _catalog_name(homework)
    if name not in DIRECTIONS:
        raise PublishError(
            f"homework {homework.id}: say which arrays of {name} to translate from and into "
            'with source_lang and target_lang in course.toml (e.g. source_lang = "en")'
        )
    return DIRECTIONS[name]


def _sides(
    homework: Homework, split: str, source: str, target: str
) -> tuple[np.ndarray, np.ndarray]:
    """The source and target sentences of one split, checked to be aligned text."""
    arrays = _load(homework, split)
    where = f"homework {homework.id}: {homework.dataset}/{split}"
    if not {source, target} <= arrays.keys():
        raise PublishError(
            f"{where} holds {', '.join(arrays)}, not {source} and {target} "
            "(check source_lang and target_lang in course.toml)"
        )
    x, y = arrays[source], arrays[target]
    if {x.ndim, y.ndim} != {1} or len(x) != len(y) or {x.dtype.kind, y.dtype.kind} != {"U"}:
        raise PublishError(
            f"{where}: {source} {x.dtype}{x.shape} and {target} {y.dtype}{y.shape} are not "
            "two aligned lists of sentences"
        )
    return x, y


CAPTION_EXAMPLES = (
    "A dog runs across a wet lawn.",
    "Two people walk along the beach at sunset.",
    "A child in a yellow raincoat jumps into a puddle.",
    "A man rides his bicycle down a busy street.",
)
"""Made-up captions (not from any data set) for the README's submission example."""
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
"""Every member's timestamp (the earliest a zip can hold), so a zip is the same bytes each time
it is built from the same photos."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def _captioned_images(homework: Homework) -> HomeworkArrays:
    """Image captioning on photos with several captions each (Flickr8k, COCO): students get
    the train photos under their own file names in `x_train.zip` and their captions in
    `y_train.csv` (Kaggle's Flickr8k layout: header `image,caption`, one row a caption), the
    same for dev where the data set has a dev split, and the test photos in `x_test.zip`,
    renamed `x_test/0000.jpg`, `0001.jpg`, ... in test-item order, so that no file name leads
    to their public captions. Every caption of a test photo is a hidden reference."""
    name = _catalog_name(homework)
    splits = data.get(name).splits
    missing = {"train", "test"} - set(splits)
    if missing:
        raise PublishError(
            f"homework {homework.id}: data set {name} has no {', '.join(sorted(missing))} "
            f"split (splits: {', '.join(splits)}); captioning needs train and test photos "
            "with their captions (dev is optional)"
        )
    files: dict[str, PublicFile] = {}
    for split in ("train", "dev"):
        if split in splits:
            photos = _photos(homework, split)
            folder = f"x_{split}"
            files[f"{folder}.zip"] = _image_zip(
                folder, photos, photos.file_names, f"ZIP, `{folder}/<file name>`"
            )
            files[f"y_{split}.csv"] = _captions_csv(photos)
    test = _photos(homework, "test")
    names = public_test_names(test.file_names)
    shown = ", ".join(f"`x_test/{name}`" for name in names[:2])
    files["x_test.zip"] = _image_zip("x_test", test, names, f"ZIP, {shown}, …")
    return HomeworkArrays(
        public={},
        y_test=reference_matrix(test.captions),
        example=[CAPTION_EXAMPLES[i % len(CAPTION_EXAMPLES)] for i in range(len(test))],
        files=files,
        test_images="x_test.zip",
    )


def _photos(homework: Homework, split: str) -> CaptionedImages:
    """A split's photos with their captions, each photo with at least one caption."""
    name = _catalog_name(homework)
    try:
        photos = captioned_images(name, split)
    except data.DataError as e:
        raise PublishError(f"homework {homework.id}: {e}") from None
    if not len(photos):
        raise PublishError(f"homework {homework.id}: {name}/{split} has no photos")
    for file_name, captions in zip(photos.file_names, photos.captions, strict=True):
        if not any(captions):
            raise PublishError(
                f"homework {homework.id}: {name}/{split}: photo {file_name} has no caption"
            )
    return photos


def public_test_names(names: Sequence[str]) -> list[str]:
    """The test photos' public names: their position, zero-padded so that file-name order
    is test-item order (0000.jpg, 0001.jpg, ...), with their own suffix lowercased."""
    width = max(4, len(str(len(names) - 1)))
    suffixes = [PurePosixPath(n).suffix.lower() for n in names]
    return [
        f"{i:0{width}d}{suffix if suffix in IMAGE_SUFFIXES else '.jpg'}"
        for i, suffix in enumerate(suffixes)
    ]


def _image_zip(
    folder: str, photos: CaptionedImages, names: Sequence[str], layout: str
) -> PublicFile:
    """The photos as `<folder>/<name>` members, stored as they are (JPEGs do not compress),
    in the given order, with fixed timestamps and permissions."""

    def write(handle: BinaryIO) -> None:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
            for i, name in enumerate(names):
                info = zipfile.ZipInfo(f"{folder}/{name}", date_time=ZIP_DATE_TIME)
                info.create_system = 3  # Unix, so that the permissions below are read
                info.external_attr = 0o644 << 16
                archive.writestr(info, photos.image_bytes(i))

    return PublicFile(f"{len(names):,} images", layout, write)


def _captions_csv(photos: CaptionedImages) -> PublicFile:
    """Header `image,caption`, then one row a caption, the photos in zip order; fields are
    quoted where CSV needs it (a comma, a double quote)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["image", "caption"])
    counts_per_photo = []
    for file_name, captions in zip(photos.file_names, photos.captions, strict=True):
        kept = [c for c in captions if c]
        counts_per_photo.append(len(kept))
        writer.writerows([file_name, caption] for caption in kept)
    content = text.getvalue().encode("utf-8")

    def write(handle: BinaryIO) -> None:
        handle.write(content)

    rows = sum(counts_per_photo)
    low, high = min(counts_per_photo), max(counts_per_photo)
    per_image = f"{low}" if low == high else f"{low}-{high}"
    return PublicFile(f"{rows:,} captions, {per_image} an image", "CSV, `image,caption`", write)


def _load(homework: Homework, split: str) -> dict[str, np.ndarray]:
    """A split of the homework's data set; a missing one says which homework needs it."""
    try:
        return data.load(_catalog_name(homework), split)
    except data.NotCachedError as e:
        raise PublishError(f"homework {homework.id}: {e}") from None


def _tokens(homework: Homework) -> HomeworkArrays:
    """Text outputs: captions of photos for a data set of captioned photos, else a
    translation of a parallel corpus."""
    if _catalog_name(homework) in CAPTIONED_SETS:
        return _captioned_images(homework)
    return _parallel_text(homework)


SCORED_IMAGES = {
    "class_frechet": "the class-conditional Fréchet distance (lower is better): for each "
    "class, the Fréchet distance between the judge's features of your images of that class "
    "and of the training images of that class it learnt from, averaged over the classes. An "
    "image of the wrong class costs as much as an unrealistic one. A distance taken over "
    "fewer images comes out larger, so the public leaderboard's (about {public} images a "
    "class) and the private one's (about {private}) are not comparable with each other.",
    "class_consistency": "class consistency (higher is better): the share of your images "
    "that the judge reads as the class asked for.",
}
"""How a metric of generated images scores, for the README."""


def _conditional_images(homework: Homework) -> HomeworkArrays:
    """Conditional generation on the labeled images the course's judge was trained on
    (Fashion-MNIST): students get the training split (x_train, y_train) and, as x_test, the
    class each image must show, `generative.PER_CLASS` a class in class order. The hidden
    answer of item i is a held-out real test image that the judge reads as that class
    (`generative.hidden_items`): the scorer reads the item's class from it. The judge is
    built here if this machine has none yet (minutes, from the training split)."""
    from practicum.grading import generative  # torch: only when images homework is published
    from practicum.grading import judge as judges

    name = _catalog_name(homework)
    if homework.metric not in SCORED_IMAGES:
        raise PublishError(
            f"homework {homework.id}: images on a catalog data set are a conditional "
            f"generation, scored by {' or '.join(SCORED_IMAGES)}; {homework.metric} would "
            "compare the images pixel by pixel with hidden real ones"
        )
    if name != judges.DATASET:
        raise PublishError(
            f"homework {homework.id}: generated images are scored by the course's "
            f"{judges.DATASET} classifier, so the data set must be {judges.DATASET}, not {name}"
        )
    train, test = _load(homework, "train"), _load(homework, "test")
    for split, arrays in (("train", train), ("test", test)):
        if not {"x", "y"} <= arrays.keys() or arrays["x"].shape[1:] != (28, 28):
            shapes = ", ".join(f"{k} {v.dtype}{v.shape}" for k, v in arrays.items())
            raise PublishError(
                f"homework {homework.id}: {name}/{split} holds {shapes}, not labeled "
                "28x28 images x, y"
            )
    y_train = _labels(homework, f"{name}/train", train["y"], n_classes=judges.N_CLASSES)
    y_test = _labels(homework, f"{name}/test", test["y"], n_classes=judges.N_CLASSES)
    try:
        judge = judges.ensure()
        classes, real = generative.hidden_items(
            judge, test["x"], y_test, per_class=generative.PER_CLASS, seed=0
        )
    except judges.JudgeError as e:
        raise PublishError(f"homework {homework.id}: {e}") from None
    except ValueError as e:  # too few test images the judge reads right
        raise PublishError(f"homework {homework.id}: {name}/test: {e}") from None
    n_classes, per_class = int(classes.max()) + 1, generative.PER_CLASS
    public = round(per_class * homework.public_fraction)
    scored = SCORED_IMAGES[homework.metric].format(public=public, private=per_class - public)
    notes = (
        f"Item *i* of `x_test` is the class image *i* must show: {per_class} of each of the "
        f"{n_classes} classes, in class order (items 0-{per_class - 1} class 0, items "
        f"{per_class}-{2 * per_class - 1} class 1, ...). Scored with the course's own "
        f"{data.get(name).title} classifier, the judge of Lesson 6 (SHA-256 "
        f"`{judge.sha256}`), by {scored}"
    )
    return HomeworkArrays(
        public={"x_train": train["x"], "y_train": y_train, "x_test": classes},
        y_test=real,
        example=np.zeros_like(real),  # made up: blank images of the right shape and dtype
        notes=notes,
    )


LAYOUTS: dict[str, Layout] = {
    "labels": _labeled_pairs,
    "regression": _series_forecast,
    "tokens": _tokens,
    "images": _conditional_images,
}
"""How each submission kind's homework is cut from its data set. A lesson with another kind
registers its own layout here."""


GAME_SEEDS_BELOW = 2**31 - 1
"""The emulator's seeds are 32-bit signed integers."""


def policy_games(homework: Homework, seeds: np.ndarray | None = None) -> HomeworkArrays:
    """A policy homework: no files for students; the hidden answer is the seeds of its games,
    consecutive (one play seeds its games seed, seed + 1, ...). `seeds` are the published
    ones, kept on a republish; else a fresh secret draw."""
    n = homework.games or DEFAULT_GAMES
    if seeds is None or len(seeds) != n:
        seeds = secrets.randbelow(GAME_SEEDS_BELOW - n) + np.arange(n, dtype=np.int64)
    return HomeworkArrays(public={}, y_test=seeds, example=np.zeros(0))


def first_game_seed(seeds: np.ndarray) -> int:
    """The seed a play starts from, checking the seeds are what `policy_games` draws."""
    if (
        seeds.ndim != 1
        or seeds.dtype.kind not in "iu"
        or not np.array_equal(seeds, seeds[0] + np.arange(len(seeds)))
        or not 0 <= int(seeds[0]) <= GAME_SEEDS_BELOW - len(seeds)
    ):
        raise ValueError("the hidden answer is not the consecutive game seeds of a policy homework")
    return int(seeds[0])


def homework_arrays(homework: Homework) -> HomeworkArrays:
    """The homework's arrays from its source: its own files, or its data set's layout."""
    if homework.files is not None:
        return _own_files(homework)
    layout = LAYOUTS.get(homework.submission)
    if layout is None:
        raise PublishError(
            f"homework {homework.id}: publishing {homework.submission!r} homework is not "
            f"supported yet (supported: {', '.join(LAYOUTS)})"
        )
    return layout(homework)


def _own_files(homework: Homework) -> HomeworkArrays:
    """Staff's x_train, y_train, x_test, y_test as given; only the targets are checked and
    normalised (labels int64 within n_classes, regression values finite float64)."""
    assert homework.files is not None
    paths = homework.files.paths()
    try:
        arrays = data.read_own_files(**paths)
    except data.DataError as e:
        raise PublishError(f"homework {homework.id}: files.{e}") from None
    if homework.submission == "labels":
        y_train, y_test = (_labels(homework, str(paths[k]), arrays[k]) for k in TARGETS)
        example = _label_example(homework, len(y_test))
    elif homework.submission == "regression":
        y_train, y_test = (_values(homework, str(paths[k]), arrays[k]) for k in TARGETS)
        example = np.full(len(y_test), float(np.mean(y_train)))
    else:
        raise PublishError(
            f"homework {homework.id}: publishing {homework.submission!r} homework from files is "
            "not supported yet (supported: labels, regression)"
        )
    return HomeworkArrays(
        public={"x_train": arrays["x_train"], "y_train": y_train, "x_test": arrays["x_test"]},
        y_test=y_test,
        example=example,
    )


def _labels(
    homework: Homework, where: str, y: np.ndarray, *, n_classes: int | None = None
) -> np.ndarray:
    """Class indexes 0..n_classes-1 as int64 (the homework's n_classes unless given); whole
    floats (1.0 in a CSV or .npy) pass."""
    n_classes = n_classes or homework.n_classes or 0
    if y.dtype.kind == "f":
        fractional = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
        if fractional.size:
            item = int(fractional[0])
            raise PublishError(
                f"homework {homework.id}: {where} item {item}: expected a class index "
                f"0..{n_classes - 1}, got {y[item]}"
            )
    elif y.dtype.kind not in "iu":
        raise PublishError(
            f"homework {homework.id}: {where}: expected class indexes 0..{n_classes - 1}, "
            f"got {y.dtype} values"
        )
    if y.size and not 0 <= int(y.min()) <= int(y.max()) < n_classes:
        raise PublishError(
            f"homework {homework.id}: {where} labels span {int(y.min())}..{int(y.max())}, "
            f"but the course says n_classes = {n_classes}"
        )
    return y.astype(np.int64, copy=False)


def _values(homework: Homework, where: str, y: np.ndarray) -> np.ndarray:
    """Regression targets as finite float64."""
    if y.dtype.kind not in "iuf":
        raise PublishError(f"homework {homework.id}: {where}: expected numbers, got {y.dtype}")
    y = y.astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        item = int(bad[0])
        raise PublishError(
            f"homework {homework.id}: {where} item {item}: expected a finite number, got {y[item]}"
        )
    return y


def _label_example(homework: Homework, n: int) -> np.ndarray:
    return np.arange(n) % (homework.n_classes or 1)


def _catalog_name(homework: Homework) -> str:
    if homework.dataset is None:
        raise PublishError(f"homework {homework.id} names no data set (it has its own files)")
    return homework.dataset
