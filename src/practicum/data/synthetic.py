"""Small look-alikes of the course's data sets, in their exact official file formats.

Tests and notebook smoke runs need files that go through the same readers as the real
ones, without downloading anything. Each look-alike has class-dependent structure, so a
model can learn something from it, and is reproducible from its seed.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from practicum.data.formats.cifar import CIFAR10_CLASSES, write_cifar10_python
from practicum.data.formats.coco import write_coco_annotations_zip, write_image_zip
from practicum.data.formats.csv_series import write_monthly_csv
from practicum.data.formats.flickr8k import (
    SPLIT_LISTS,
    TOKEN_FILE,
    captions_csv_text,
    token_file_text,
)
from practicum.data.formats.idx import IDX_FILES, write_idx
from practicum.data.formats.image_folder import write_image_folder
from practicum.data.formats.parallel_text import write_lines
from practicum.data.formats.source import StrPath
from practicum.data.formats.ucr import write_ucr, write_ucr_zip

_COLOURS = {
    "red": (220, 40, 40), "green": (40, 180, 60), "blue": (40, 80, 220),
    "yellow": (230, 210, 40), "purple": (150, 50, 190), "orange": (240, 140, 30),
    "cyan": (40, 200, 210), "pink": (240, 120, 180), "white": (245, 245, 245),
    "black": (15, 15, 15),
}  # fmt: skip
_PALETTE = np.array(list(_COLOURS.values()), dtype=np.float32)


def digit_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MNIST-like (n, 28, 28) uint8 images of each label's digit drawn in a font: white
    strokes on black, varied in size, position and slant."""
    images = np.empty((len(labels), 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        canvas = Image.new("L", (28, 28))
        font = ImageFont.load_default(size=float(rng.integers(22, 30)))
        centre = (14.0 + rng.integers(-2, 3), 14.0 + rng.integers(-2, 3))
        ImageDraw.Draw(canvas).text(centre, str(label), fill=255, font=font, anchor="mm")
        tilted = canvas.rotate(float(rng.uniform(-12, 12)), resample=Image.Resampling.BILINEAR)
        noisy = np.asarray(tilted, dtype=np.float32) + rng.normal(0, 12, (28, 28))
        images[i] = np.clip(noisy, 0, 255).astype(np.uint8)
    return images


def blob_images(labels: np.ndarray, rng: np.random.Generator, side: int = 32) -> np.ndarray:
    """CIFAR-like (n, side, side, 3) uint8 images: a blob whose colour is the label's, at a
    random place and size on a random dull background, with noise."""
    n = len(labels)
    grid = np.mgrid[0:side, 0:side].astype(np.float32)[None]  # (1, 2, side, side)
    centres = rng.uniform(side * 0.3, side * 0.7, (n, 2, 1, 1)).astype(np.float32)
    radii = rng.uniform(side * 0.15, side * 0.35, (n, 1, 1)).astype(np.float32)
    inside = (((grid - centres) ** 2).sum(axis=1) < radii**2)[..., None]
    background = rng.uniform(60, 160, (n, 1, 1, 3)).astype(np.float32)
    colour = _PALETTE[labels % len(_PALETTE)][:, None, None, :]
    pixels = np.where(inside, colour, background) + rng.normal(0, 10, (n, side, side, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


def heartbeats(
    n: int, rng: np.random.Generator, length: int = 140
) -> tuple[np.ndarray, np.ndarray]:
    """ECG5000-like (n, length) float32 z-normalised beats and UCR labels 1..5: each class
    puts its bumps at its own places."""
    labels = rng.integers(1, 6, n)
    t = np.linspace(0, 1, length, dtype=np.float32)
    peaks = np.array([[0.2, 0.5], [0.3, 0.7], [0.25, 0.45], [0.6, 0.8], [0.4, 0.9]])
    widths = rng.uniform(0.03, 0.06, (n, 1)).astype(np.float32)
    shift = rng.normal(0, 0.02, (n, 1)).astype(np.float32)
    first, second = peaks[labels - 1, :1] + shift, peaks[labels - 1, 1:] + shift
    beats = np.exp(-(((t - first) / widths) ** 2)) - 0.6 * np.exp(-(((t - second) / widths) ** 2))
    beats = beats + rng.normal(0, 0.05, (n, length))
    beats = (beats - beats.mean(axis=1, keepdims=True)) / beats.std(axis=1, keepdims=True)
    return beats.astype(np.float32), labels.astype(np.int64)


def write_mnist_like(folder: StrPath, n_train: int = 600, n_test: int = 100, seed: int = 0) -> Path:
    """The four official IDX .gz files (train-images-idx3-ubyte.gz ...) of digit images."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("test", n_test)):
        y = rng.integers(0, 10, n)
        x = digit_images(y, rng)
        images_name, labels_name = IDX_FILES[split]
        write_idx(folder / images_name, x)
        write_idx(folder / labels_name, y.astype(np.uint8))
    return folder


def write_cifar10_like(path: StrPath, n_train: int = 500, n_test: int = 100, seed: int = 0) -> Path:
    """cifar-10-python.tar.gz (official layout and pickles) of coloured-blob images."""
    rng = np.random.default_rng(seed)
    y_train, y_test = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
    train, test = (blob_images(y_train, rng), y_train), (blob_images(y_test, rng), y_test)
    return write_cifar10_python(path, train, test)


def write_cifar10_jpeg_like(path: StrPath, n_per_class: int = 20, seed: int = 0) -> Path:
    """Like cifar10-train-jpeg.tar.gz: train/<class>/<nnnn>.jpg, 32x32, balanced classes."""
    y = np.repeat(np.arange(10), n_per_class)
    x = blob_images(y, np.random.default_rng(seed))
    return write_image_folder(path, {"train": {"x": x, "y": y}}, CIFAR10_CLASSES, fmt="jpg")


def write_ecg_like(path: StrPath, n_train: int = 100, n_test: int = 200, seed: int = 0) -> Path:
    """ECG5000.zip when `path` ends in .zip, else a folder with ECG5000_TRAIN.txt and
    ECG5000_TEST.txt."""
    path = Path(path)
    rng = np.random.default_rng(seed)
    train, test = heartbeats(n_train, rng), heartbeats(n_test, rng)
    if path.suffix.lower() == ".zip":
        return write_ucr_zip(path, "ECG5000", train, test)
    path.mkdir(parents=True, exist_ok=True)
    write_ucr(path / "ECG5000_TRAIN.txt", *train)
    write_ucr(path / "ECG5000_TEST.txt", *test)
    return path


def write_airline_like(path: StrPath, seed: int = 0) -> Path:
    """airline-passengers.csv look-alike: 144 months from 1949-01, trend times season."""
    rng = np.random.default_rng(seed)
    months = [f"{1949 + i // 12}-{i % 12 + 1:02d}" for i in range(144)]
    t = np.arange(144)
    season = 1 + 0.2 * np.sin(2 * np.pi * (t % 12 - 3) / 12)
    values = np.round((110 + 2.5 * t) * season + rng.normal(0, 5, 144))
    return write_monthly_csv(path, months, values.astype(np.float32))


_SUBJECTS = {"i": "私 は", "you": "あなた は", "he": "彼 は", "she": "彼女 は", "we": "私 たち は"}
_OBJECTS = {"apple": "りんご", "book": "本", "dog": "犬", "cat": "猫", "water": "水", "car": "車"}
_VERBS = {
    "see": "見 ま す",
    "like": "好き で す",
    "want": "欲し い で す",
    "have": "持 っ て い ま す",
}


def sentence_pairs(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Tokenized English (lowercased) and Japanese pairs; Japanese puts the verb last."""
    english, japanese = [], []
    for _ in range(n):
        subject = str(rng.choice(list(_SUBJECTS)))
        obj = str(rng.choice(list(_OBJECTS)))
        verb = str(rng.choice(list(_VERBS)))
        english.append(f"{subject} {verb} the {obj} .")
        japanese.append(f"{_SUBJECTS[subject]} {_OBJECTS[obj]} を {_VERBS[verb]} 。")
    return english, japanese


def write_enja_like(
    folder: StrPath, n_train: int = 200, n_dev: int = 20, n_test: int = 20, seed: int = 0
) -> Path:
    """{train,dev,test}.{en,ja} like small_parallel_enja."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("dev", n_dev), ("test", n_test)):
        english, japanese = sentence_pairs(n, rng)
        write_lines(folder / f"{split}.en", english)
        write_lines(folder / f"{split}.ja", japanese)
    return folder


def write_coco_like(
    folder: StrPath, n_train: int = 20, n_val: int = 10, seed: int = 0, *, unpacked: bool = False
) -> Path:
    """annotations_trainval2014.zip plus train2014.zip and val2014.zip: images of one
    coloured blob, each with five captions naming its colour. unpacked: the images in
    folders train2014/ and val2014/ beside the annotations zip instead of image zips."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = list(_COLOURS)
    splits = {}
    next_image, next_caption = 1, 1
    for split, n in (("train2014", n_train), ("val2014", n_val)):
        y = rng.integers(0, len(names), n)
        x = blob_images(y, rng, side=48)
        ids = np.arange(next_image, next_image + n, dtype=np.int64)
        files = np.array([f"COCO_{split}_{i:012d}.jpg" for i in ids])
        captions = [
            template.format(names[label])
            for label in y
            for template in (
                "a {} blob .",
                "a {} circle on a plain background .",
                "a round {} shape .",
                "there is a {} spot in the picture .",
                "an image with a {} disk .",
            )
        ]
        splits[split] = {
            "image_id": ids,
            "file_name": files,
            "width": np.full(n, 48, np.int32),
            "height": np.full(n, 48, np.int32),
            "caption_id": np.arange(next_caption, next_caption + len(captions), dtype=np.int64),
            "caption_image_id": np.repeat(ids, 5),
            "caption": np.array(captions),
        }
        if unpacked:
            (folder / split).mkdir(exist_ok=True)
            for file_name, pixels in zip(files, x, strict=True):
                Image.fromarray(pixels).save(folder / split / file_name, format="JPEG", quality=90)
        else:
            write_image_zip(folder / f"{split}.zip", split, dict(zip(files, x, strict=True)))
        next_image, next_caption = next_image + n, next_caption + len(captions)
    write_coco_annotations_zip(folder / "annotations_trainval2014.zip", splits)
    return folder


_SCENE_COLOURS = {"red": (215, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 215)}
_SCENE_BACKGROUNDS = {"light": (235, 232, 225), "dark": (30, 32, 40)}
_SCENE_SHAPES = ("circle", "square")


def scene_image(colour: str, shape: str, background: str, rng: np.random.Generator) -> Image.Image:
    """A `colour` `shape` on a `background` background, 64-120 px a side, placed and sized
    at random, with a little noise (so that JPEG files differ)."""
    width, height = (int(v) for v in rng.integers(64, 121, 2))
    canvas = Image.new("RGB", (width, height), _SCENE_BACKGROUNDS[background])
    side = int(rng.integers(min(width, height) * 2 // 5, min(width, height) * 3 // 4))
    left = int(rng.integers(0, width - side + 1))
    top = int(rng.integers(0, height - side + 1))
    box = (left, top, left + side, top + side)
    draw = ImageDraw.Draw(canvas)
    if shape == "circle":
        draw.ellipse(box, fill=_SCENE_COLOURS[colour])
    else:
        draw.rectangle(box, fill=_SCENE_COLOURS[colour])
    noisy = np.asarray(canvas, dtype=np.float32) + rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def scene_captions(colour: str, shape: str, background: str, variant: int) -> list[str]:
    """Five captions that describe the scene, Flickr8k style (lowercase words, " ." at the
    end); some variants hold a comma or double quotes, as real captions do."""
    middle = (
        f"a {colour} {shape} , alone on {background} ."
        if variant % 5 == 0
        else f'a {background} picture with a "{colour} {shape}" in it .'
        if variant % 11 == 3
        else f"a {background} picture with a {colour} {shape} in it ."
    )
    return [
        f"a {colour} {shape} on a {background} background .",
        f"a {colour} {shape} .",
        middle,
        f"there is a {colour} {shape} on {background} .",
        f"a simple drawing of a {colour} {shape} .",
    ]


def _flickr_names(n: int, rng: np.random.Generator) -> list[str]:
    """Distinct Flickr8k-style file names (<photo id>_<secret>.jpg), in drawing order."""
    names: dict[str, None] = {}
    while len(names) < n:
        photo = int(rng.integers(10**9, 4 * 10**9))
        secret = "".join(rng.choice(list("0123456789abcdef"), 10))
        names[f"{photo}_{secret}.jpg"] = None
    return list(names)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def write_flickr8k_like(
    folder: StrPath,
    n_images: int = 40,
    *,
    layout: Literal["kaggle", "original"] = "kaggle",
    seed: int = 0,
    text_only: int = 200,
    zipped: bool = False,
) -> Path:
    """Flickr8k look-alike: small JPEGs of a red/green/blue circle or square on a light or
    dark background, each with five captions that say so.

    layout="kaggle": Images/<name>.jpg and captions.txt (CSV image,caption, CRLF, captions
    with a comma or quotes in double quotes), plus captions-all-flickr8k-no-images.txt
    (same layout) with the captions of every image and of `text_only` more images that
    have no file; zipped: Images/ and captions.txt inside archive.zip instead.

    layout="original": Flicker8k_Dataset/<name>.jpg (sic), Flickr8k.token.txt
    (<name>#<k>TAB<caption>, also for the `text_only` images without a file, among them
    one named like the official quirk <name>.jpg.1), the split lists
    Flickr_8k.{train,dev,test}Images.txt (3/4, 1/8, 1/8 of the images, two left unlisted)
    and the files a reader must skip (lemma tokens, expert annotations, readme); zipped:
    inside Flickr8k_Dataset.zip and Flickr8k_text.zip, with __MACOSX/ entries, as the
    official zips have."""
    if layout not in ("kaggle", "original"):
        raise ValueError(f"layout must be 'kaggle' or 'original', got {layout!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = _flickr_names(n_images + text_only, rng)
    if layout == "original" and text_only:
        names[-1] = names[-1] + ".1"  # captioned, never an image file (the official quirk)
    captions: dict[str, list[str]] = {}
    images: dict[str, bytes] = {}
    for i, name in enumerate(names):
        colour = str(rng.choice(list(_SCENE_COLOURS)))
        shape = str(rng.choice(_SCENE_SHAPES))
        background = str(rng.choice(list(_SCENE_BACKGROUNDS)))
        captions[name] = scene_captions(colour, shape, background, i)
        if i < n_images:
            images[name] = _jpeg(scene_image(colour, shape, background, rng))
    present = {name: captions[name] for name in names[:n_images]}
    if layout == "kaggle":
        _write_kaggle(folder, images, present, captions, zipped)
    else:
        _write_original(folder, images, captions, names[:n_images], zipped)
    return folder


def _write_kaggle(
    folder: Path,
    images: dict[str, bytes],
    present: dict[str, list[str]],
    everything: dict[str, list[str]],
    zipped: bool,
) -> None:
    csv_text = captions_csv_text(present)
    if zipped:
        with zipfile.ZipFile(folder / "archive.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in images.items():
                archive.writestr(f"Images/{name}", data)
            archive.writestr("captions.txt", csv_text)
    else:
        (folder / "Images").mkdir(exist_ok=True)
        for name, data in images.items():
            (folder / "Images" / name).write_bytes(data)
        (folder / "captions.txt").write_bytes(csv_text.encode("utf-8"))
    if len(everything) > len(present):
        text = captions_csv_text(everything).encode("utf-8")
        (folder / "captions-all-flickr8k-no-images.txt").write_bytes(text)


def _write_original(
    folder: Path,
    images: dict[str, bytes],
    captions: dict[str, list[str]],
    present: list[str],
    zipped: bool,
) -> None:
    n = len(present)
    n_dev = n_test = max(1, n // 8)
    listed = present[: max(n - 2, 0)]  # like the official lists, a few images in none
    lists = {
        "test": listed[:n_test],
        "dev": listed[n_test : n_test + n_dev],
        "train": listed[n_test + n_dev :],
    }
    lemmas = {name: [t.replace("ing ", " ") for t in texts] for name, texts in captions.items()}
    texts = {
        TOKEN_FILE: token_file_text(captions),
        "Flickr8k.lemma.token.txt": token_file_text(lemmas),
        **{
            SPLIT_LISTS[split]: "".join(f"{name}\n" for name in names)
            for split, names in lists.items()
        },
        "ExpertAnnotations.txt": f"{present[0]}\t{present[0]}#0\t4\t4\t4\n" if present else "",
        "CrowdFlowerAnnotations.txt": f"{present[0]}\t{present[0]}#0\t1.0\t3\t0\n"
        if present
        else "",
        "readme.txt": "Flickr8k look-alike written by practicum.data.synthetic.\n",
    }
    if zipped:
        with zipfile.ZipFile(folder / "Flickr8k_Dataset.zip", "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("Flicker8k_Dataset/", b"")
            for name, data in images.items():
                archive.writestr(f"Flicker8k_Dataset/{name}", data)
                archive.writestr(f"__MACOSX/Flicker8k_Dataset/._{name}", b"\x00\x05\x16\x07")
        with zipfile.ZipFile(folder / "Flickr8k_text.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in texts.items():
                archive.writestr(name, text)
                archive.writestr(f"__MACOSX/._{name}", b"\x00\x05\x16\x07")
    else:
        (folder / "Flicker8k_Dataset").mkdir(exist_ok=True)
        for name, data in images.items():
            (folder / "Flicker8k_Dataset" / name).write_bytes(data)
        for name, text in texts.items():
            (folder / name).write_text(text, encoding="utf-8")
