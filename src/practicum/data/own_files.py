"""A homework's train and test arrays from staff's own files, so a course can score on
labels nobody else has (a public data set's official test labels are public).

Each file is read by what it is:

    a folder, .zip, .tar, .tar.gz, .tgz   class subfolders of PNG/JPEG images
                                          (`read_image_folder`): the same folder names
                                          both x (images) and y (class indexes)
    *-ubyte, *-ubyte.gz                   IDX (`read_idx`)
    *.npy                                 a numeric or text array, never a pickle
    *.csv                                 numbers (`read_number_csv`)

Then the four must fit together: y one value per item, x and y of a split one for one,
train and test items of one shape, and image classes matched by name across splits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from practicum.data.errors import DataError, FormatError
from practicum.data.formats.arrays import read_npy, read_number_csv
from practicum.data.formats.idx import read_idx
from practicum.data.formats.image_folder import read_image_folder

IMAGE_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz")
READERS: dict[str, Callable[[Path], np.ndarray]] = {
    ".npy": read_npy,
    ".csv": read_number_csv,
    "-ubyte": read_idx,
    "-ubyte.gz": read_idx,
}
"""File name ending -> reader of one array."""
KINDS = "a folder of class subfolders (or .zip/.tar/.tgz of one), *.npy, *.csv or IDX *-ubyte[.gz]"


class _Images:
    """An image folder read once, though both x and y of a split name it."""

    def __init__(self, path: Path) -> None:
        splits, self.classes = read_image_folder(path)
        if len(splits) != 1:
            raise FormatError(
                path,
                f"holds the splits {', '.join(splits)}; name one split's folder of classes",
            )
        (arrays,) = splits.values()
        self.x, self.y = arrays["x"], arrays["y"]


def read_own_files(
    *, x_train: Path, y_train: Path, x_test: Path, y_test: Path
) -> dict[str, np.ndarray]:
    """{"x_train", "y_train", "x_test", "y_test"}; a DataError names the key and the file."""
    paths = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    images: dict[Path, _Images] = {}
    arrays = {key: _read(key, path, images) for key, path in paths.items()}
    for split in ("train", "test"):
        x, y = f"x_{split}", f"y_{split}"
        if paths[x] != paths[y] and {paths[x], paths[y]} & images.keys():
            raise DataError(
                f"{x} = {paths[x]} and {y} = {paths[y]}: an image folder gives both x and y, "
                "so name the same folder for both"
            )
        if arrays[y].ndim != 1:
            raise DataError(
                f"{y} = {paths[y]}: expected one value per item, got shape {arrays[y].shape}"
            )
        if len(arrays[x]) != len(arrays[y]):
            raise DataError(
                f"{x} = {paths[x]} has {len(arrays[x]):,} items but {y} = {paths[y]} has "
                f"{len(arrays[y]):,}; they must pair one for one"
            )
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise DataError(
            f"x_train = {x_train} items have shape {arrays['x_train'].shape[1:]} but x_test = "
            f"{x_test} items have {arrays['x_test'].shape[1:]}; a model needs one shape"
        )
    if y_train in images and y_test in images:
        arrays["y_test"] = _same_classes(images[y_train], images[y_test], y_train, y_test)
    return arrays


def _read(key: str, path: Path, images: dict[Path, _Images]) -> np.ndarray:
    if not path.exists():
        raise DataError(f"{key} = {path}: no such file or folder")
    try:
        if path.is_dir() or path.name.lower().endswith(IMAGE_ARCHIVES):
            if path not in images:
                images[path] = _Images(path)
            return images[path].x if key.startswith("x") else images[path].y
        reader = next((r for end, r in READERS.items() if path.name.endswith(end)), None)
        if reader is None:
            raise DataError(f"{key} = {path}: unknown kind of file; expected {KINDS}")
        array = reader(path)
    except FormatError as exc:
        raise DataError(f"{key} = {path}: {exc.check}") from None
    if array.ndim == 0 or len(array) == 0:
        raise DataError(f"{key} = {path}: no items (shape {array.shape})")
    return array


def _same_classes(train: _Images, test: _Images, train_path: Path, test_path: Path) -> np.ndarray:
    """Test labels as indexes into the train folder's classes: a test folder may lack a class,
    and sorted indexes alone would then shift every class after it."""
    unknown = sorted(set(test.classes) - set(train.classes))
    if unknown:
        raise DataError(
            f"y_test = {test_path} has classes {', '.join(unknown)} that y_train = {train_path} "
            f"lacks (train classes: {', '.join(train.classes)})"
        )
    index = np.array([train.classes.index(name) for name in test.classes], dtype=np.int64)
    return index[test.y]
