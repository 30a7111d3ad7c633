"""Turning source files (official or other known layouts) into canonical arrays per split.

One function per data set: it is handed every path the user gave (files or folders) and
fills an `Imported` with the splits it could build. Checksums of official files are
checked before parsing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from practicum.data import formats
from practicum.data.catalog import Dataset
from practicum.data.errors import ChecksumError, DataError
from practicum.data.formats import CIFAR10_CLASSES
from practicum.data.hashing import sha256_file

Progress = Callable[[int, int | None], None]


@dataclass
class Imported:
    """Splits parsed from the given files, with the record of where they came from."""

    dataset: Dataset
    verify: bool
    """Refuse official files whose sha256 differs from the catalog's."""
    splits: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    verified: bool = True
    meta: dict[str, Any] = field(default_factory=dict)

    def check(self, path: Path, official_name: str | None = None) -> Path:
        """Verify sha256 (of the file, or of its decompressed content) where the catalog knows
        it, and record the file for the manifest."""
        spec = self.dataset.file(official_name or path.name)
        digest = sha256_file(path)
        verified = spec is not None and spec.sha256 is not None and spec.accepts_file(path, digest)
        if spec is not None and spec.sha256 is not None and not verified and self.verify:
            raise ChecksumError(path, spec.sha256, digest)
        self.verified &= verified
        self.sources.append(
            {
                "file": path.name,
                "path": str(path.resolve()),
                "sha256": digest,
                "bytes": path.stat().st_size,
                "official": spec is not None,
                "verified": verified,
            }
        )
        return path


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files given directly, plus the files directly inside any folder given."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.is_file()))
        elif path.is_file():
            out.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    return out


def _by_name(files: list[Path]) -> dict[str, Path]:
    return {f.name: f for f in files}


def import_idx(imported: Imported, paths: list[Path], progress: Progress | None) -> None:
    """MNIST-style: four IDX files, gzipped (official) or already unpacked."""
    files = _by_name(expand(paths))
    for split, prefix in (("train", "train"), ("test", "t10k")):
        found = {}
        for kind in ("images-idx3", "labels-idx1"):
            official = f"{prefix}-{kind}-ubyte.gz"
            for candidate in (official, official[:-3], official.replace("-idx", ".idx")[:-3]):
                if candidate in files:
                    found[kind] = imported.check(files[candidate], official)
                    break
        if len(found) == 2:
            x = formats.read_idx(found["images-idx3"])
            y = formats.read_idx(found["labels-idx1"])
            _check_pair(found["images-idx3"], x, found["labels-idx1"], y)
            if x.ndim != 3 or x.dtype != np.uint8:
                raise DataError(
                    f"{found['images-idx3'].name}: expected uint8 images (N,H,W), got {x.dtype}{x.shape}"
                )
            _check_labels(found["labels-idx1"], y, 10)
            imported.splits[split] = {"x": x, "y": y.astype(np.int64)}


def import_cifar10(imported: Imported, paths: list[Path], progress: Progress | None) -> None:
    """The official pickled batches, or any class-per-folder image tree or archive."""
    for path in paths:
        if path.name == "cifar-10-python.tar.gz" or (path / "data_batch_1").exists():
            if path.is_file():
                imported.check(path)
            splits, classes = formats.read_cifar10_python(path)
            imported.meta["format"] = "cifar-10-python"
        else:
            if path.is_file():
                imported.check(path)
            imported.verified = False
            splits, classes = formats.read_image_folder(path, progress=progress)
            imported.meta["format"] = "image folder (re-encoded; not the official batches)"
        remap = _class_remap(path, classes, CIFAR10_CLASSES)
        for split, arrays in splits.items():
            if arrays["x"].shape[1:] != (32, 32, 3):
                raise DataError(
                    f"{path.name}: {split} images are {arrays['x'].shape[1:]}, expected 32x32x3"
                )
            imported.splits[split] = {"x": arrays["x"], "y": remap[arrays["y"]]}
    imported.meta["classes"] = list(CIFAR10_CLASSES)


def import_ecg5000(imported: Imported, paths: list[Path], progress: Progress | None) -> None:
    """The official ECG5000.zip, or its ECG5000_TRAIN.txt / ECG5000_TEST.txt files."""
    raw: dict[str, dict[str, np.ndarray]] = {}
    for path in expand(paths):
        if path.suffix == ".zip":
            raw.update(formats.read_ucr_zip(imported.check(path), "ECG5000"))
        else:
            name = path.name.upper()
            for split in ("TRAIN", "TEST"):
                if name.startswith(f"ECG5000_{split}"):
                    raw[split.lower()] = formats.read_ucr(imported.check(path))
    for split, arrays in raw.items():
        labels = arrays["y"]
        if labels.size and (labels.min() < 1 or labels.max() > 5):
            raise DataError(
                f"ECG5000 {split}: class labels must be 1..5, found {labels.min()}..{labels.max()}"
            )
        if arrays["x"].shape[1] != 140:
            raise DataError(
                f"ECG5000 {split}: rows have {arrays['x'].shape[1]} values, expected 140"
            )
        imported.splits[split] = {"x": arrays["x"], "y": labels.astype(np.int64) - 1}
    imported.meta["label_offset"] = "stored 0-based: class k of the UCR files is k-1 here"


def import_airline(imported: Imported, paths: list[Path], progress: Progress | None) -> None:
    for path in expand(paths):
        if path.suffix.lower() == ".csv":
            imported.splits["all"] = formats.read_monthly_csv(
                imported.check(path, "airline-passengers.csv")
            )


def import_enja(imported: Imported, paths: list[Path], progress: Progress | None) -> None:
    files = _by_name(expand(paths))
    for split in imported.dataset.splits:
        en, ja = files.get(f"{split}.en"), files.get(f"{split}.ja")
        if en is not None and ja is not None:
            pair = formats.read_parallel(imported.check(en), imported.check(ja))
            imported.splits[split] = {"en": pair[0], "ja": pair[1]}


def import_coco(imported: Imported, paths: list[Path], progress: Progress | None) -> None:
    """Caption annotations (JSON or the official zips), with their images: official image
    zips (checked and indexed) or the unpacked image folders named like the split, given
    or lying beside the annotations (coco/captions_train2017.json and coco/train2017/)."""
    splits = imported.dataset.splits
    images: dict[str, dict[str, int]] = {}
    folders: dict[str, Path] = {}
    beside: dict[str, list[Path]] = {}
    files: list[Path] = []
    for path in paths:
        if path.is_dir() and path.name in splits:
            folders[path.name] = path
        else:
            files.extend(expand([path]))
    for path in files:
        stem = path.name.removesuffix(".zip")
        if path.suffix == ".zip" and stem in splits:
            images[stem] = formats.index_image_zip(imported.check(path))
        else:
            for split, arrays in formats.read_coco_captions(imported.check(path)).items():
                imported.splits[split] = dict(arrays)
                beside[split] = _folders_beside(path, split)
    for split, index in images.items():
        captions = _captions_for(imported, split, f"{split}.zip")
        missing = [n for n in captions["file_name"] if _zip_member(split, str(n)) not in index]
        if missing:
            raise DataError(f"{split}.zip lacks {len(missing)} captioned images, e.g. {missing[0]}")
        imported.meta.setdefault("image_zips", {})[split] = next(
            s["path"] for s in imported.sources if s["file"] == f"{split}.zip"
        )
    for split, candidates in beside.items():
        if split not in images and split not in folders:
            found = next((c for c in candidates if c.is_dir()), None)
            if found is not None:
                folders[split] = found
    for split, folder in folders.items():
        captions = _captions_for(imported, split, f"{split}/")
        where = formats.check_image_folder(folder, captions["file_name"].tolist())
        imported.meta.setdefault("image_dirs", {})[split] = str(where)


def _folders_beside(annotations: Path, split: str) -> list[Path]:
    """Where the unpacked images of a split lie, next to its annotations: <dir>/<split>/,
    or <dir>/../<split>/ for the official annotations/ folder."""
    out = [annotations.parent / split]
    if annotations.parent.name == "annotations":
        out.append(annotations.parent.parent / split)
    return out


def _captions_for(imported: Imported, split: str, given: str) -> dict[str, np.ndarray]:
    captions = imported.splits.get(split)
    if captions is None:
        raise DataError(f"{given} given without the captions of {split}; import both together")
    return captions


def import_flickr8k(imported: Imported, paths: list[Path], progress: Progress | None) -> None:
    """The official Flickr8k_Dataset.zip and Flickr8k_text.zip (or their unpacked files),
    Kaggle's archive.zip or Images/ with captions.txt, and captions-only CSV files; in
    folders searched two levels down. Every import writes all four splits, so that the
    text split never holds a caption of an image present in another import."""
    files = formats.read_flickr8k_files(paths, seen=imported.check, progress=progress)
    splits, meta = formats.build_flickr8k_splits(files)
    for folder, (count, size) in files.image_folders.items():
        imported.verified = False
        imported.sources.append(
            {
                "file": Path(folder).name + "/",
                "path": folder,
                "images": count,
                "bytes": size,
                "official": False,
                "verified": False,
            }
        )
    imported.splits.update(splits)
    imported.meta.update(meta)


def _zip_member(split: str, file_name: str) -> str:
    return f"{split}/{file_name}"


def _check_pair(xpath: Path, x: np.ndarray, ypath: Path, y: np.ndarray) -> None:
    if len(x) != len(y):
        raise DataError(f"{xpath.name} has {len(x)} items but {ypath.name} has {len(y)} labels")


def _check_labels(path: Path, y: np.ndarray, n_classes: int) -> None:
    if y.ndim != 1 or (y.size and (int(y.min()) < 0 or int(y.max()) >= n_classes)):
        raise DataError(f"{path.name}: labels must be a vector of 0..{n_classes - 1}")


def _class_remap(path: Path, classes: list[str], official: tuple[str, ...]) -> np.ndarray:
    """Index map from the source's class order to the official label order."""
    unknown = [c for c in classes if c not in official]
    if unknown:
        raise DataError(
            f"{path.name}: unknown class folder(s) {unknown}; expected {list(official)}"
        )
    return np.array([official.index(c) for c in classes], dtype=np.int64)


Importer = Callable[[Imported, list[Path], Progress | None], None]

IMPORTERS: dict[str, Importer] = {
    "mnist": import_idx,
    "fashion-mnist": import_idx,
    "cifar10": import_cifar10,
    "ecg5000": import_ecg5000,
    "airline-passengers": import_airline,
    "small-parallel-enja": import_enja,
    "coco-captions": import_coco,
    "flickr8k": import_flickr8k,
}
