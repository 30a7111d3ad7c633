"""CIFAR-10 "python version": pickled batches inside cifar-10-python.tar.gz.

Each batch is a Python 2 pickle of a dict with byte-string keys: b"data" a uint8 array
(N, 3072) holding the red, green and blue 32x32 planes of each image in turn, b"labels"
a list of ints, b"batch_label" and b"filenames". batches.meta holds b"label_names".
The pickles are untrusted input: they are loaded by `load_untrusted`, never `pickle.load`.
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from practicum.data.errors import FormatError
from practicum.data.formats.py2pickle import dumps_py2, load_untrusted
from practicum.data.formats.safe_archive import iter_members
from practicum.data.formats.source import Origin, StrPath

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
FOLDER = "cifar-10-batches-py"
_SIDE = 32
_PIXELS = _SIDE * _SIDE * 3
_TRAIN_BATCH = re.compile(r"data_batch_([1-9][0-9]*)")
_README = (
    b'<meta HTTP-EQUIV="REFRESH" content="0; url=http://www.cs.toronto.edu/~kriz/cifar.html">\n'
)
_MTIME = 1244419200  # June 2009, when the official archive was made

Splits = dict[str, dict[str, np.ndarray]]


def read_cifar10_python(path: StrPath) -> tuple[Splits, list[str]]:
    """({"train": {"x", "y"}, "test": {"x", "y"}}, class names) from the official tar.gz or
    its extracted folder; x is (N, 32, 32, 3) uint8, y int64 indexes the class names."""
    path = Path(path)
    loaded: dict[str, tuple[Origin, object]] = {}
    for member in iter_members(path):
        folder, _, base = member.name.rpartition("/")
        if folder not in ("", FOLDER) or not _is_batch_name(base):
            continue
        if base in loaded:
            raise member.origin.error(f"{base} appears twice")
        loaded[base] = (member.origin, load_untrusted(member.read(), member.origin))

    classes = _class_names(path, loaded)
    n_train = sum(name.startswith("data_batch_") for name in loaded)
    train_names = [f"data_batch_{i}" for i in range(1, max(n_train, 1) + 1)]
    for name in [*train_names, "test_batch"]:
        if name not in loaded:
            raise FormatError(path, f"missing {FOLDER}/{name}")
    splits = {
        "train": _concat([_batch(*loaded[n], len(classes)) for n in train_names]),
        "test": _concat([_batch(*loaded["test_batch"], len(classes))]),
    }
    return splits, classes


def _is_batch_name(name: str) -> bool:
    return name in ("batches.meta", "test_batch") or _TRAIN_BATCH.fullmatch(name) is not None


def _class_names(path: Path, loaded: dict[str, tuple[Origin, object]]) -> list[str]:
    if "batches.meta" not in loaded:
        raise FormatError(path, f"missing {FOLDER}/batches.meta")
    origin, meta = loaded["batches.meta"]
    names = meta.get(b"label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or not names or not all(isinstance(n, bytes) for n in names):
        raise origin.error("expected a dict with b'label_names', a list of byte strings")
    try:
        return [n.decode("utf-8") for n in names]
    except UnicodeDecodeError:
        raise origin.error("label_names are not UTF-8") from None


def _batch(origin: Origin, batch: object, n_classes: int) -> dict[str, np.ndarray]:
    if not isinstance(batch, dict):
        raise origin.error(f"expected a pickled dict, found {type(batch).__name__}")
    data, labels = batch.get(b"data"), batch.get(b"labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise origin.error("b'data' must be a uint8 array (N, 3072)")
    if data.shape[1] != _PIXELS:
        raise origin.error(f"b'data' rows hold {data.shape[1]} values, expected {_PIXELS}")
    if not isinstance(labels, list) or not all(type(v) is int for v in labels):
        raise origin.error("b'labels' must be a list of ints")
    if len(labels) != len(data):
        raise origin.error(f"{len(labels):,} labels for {len(data):,} images")
    y = np.array(labels, dtype=np.int64)
    bad = np.flatnonzero((y < 0) | (y >= n_classes))
    if bad.size:
        raise origin.error(f"label {y[bad[0]]} of image {bad[0]} is not in 0..{n_classes - 1}")
    planes = data.reshape(-1, 3, _SIDE, _SIDE)
    return {"x": np.ascontiguousarray(planes.transpose(0, 2, 3, 1)), "y": y}


def _concat(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([b[key] for b in batches]) for key in ("x", "y")}


def write_cifar10_python(
    path: StrPath,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    batches: int = 5,
    classes: Sequence[str] = CIFAR10_CLASSES,
) -> Path:
    """Write cifar-10-python.tar.gz with the official members and pickle structure
    (Python 2 protocol 2), train split over `batches` batches; x is (N, 32, 32, 3) uint8."""
    path = Path(path)
    members: list[tuple[str, bytes]] = []
    for i, (x, y) in enumerate(_split(*train, batches), start=1):
        label = f"training batch {i} of {batches}"
        members.append((f"data_batch_{i}", _pickle_batch(x, y, label, classes)))
    members.append(("test_batch", _pickle_batch(*test, "testing batch 1 of 1", classes)))
    meta = {
        b"num_cases_per_batch": len(train[0]) // batches,
        b"label_names": [c.encode() for c in classes],
        b"num_vis": _PIXELS,
    }
    members.append(("batches.meta", dumps_py2(meta)))
    members.append(("readme.html", _README))
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as archive:
        folder = tarfile.TarInfo(FOLDER)
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, _MTIME
        archive.addfile(folder)
        for name, data in members:
            info = tarfile.TarInfo(f"{FOLDER}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, _MTIME
            archive.addfile(info, io.BytesIO(data))
    return path


def _split(x: np.ndarray, y: np.ndarray, parts: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(zip(np.array_split(x, parts), np.array_split(y, parts), strict=True))


def _pickle_batch(x: np.ndarray, y: np.ndarray, label: str, classes: Sequence[str]) -> bytes:
    if x.dtype != np.uint8 or x.shape[1:] != (_SIDE, _SIDE, 3):
        raise ValueError(f"CIFAR images must be uint8 (N, 32, 32, 3), not {x.dtype} {x.shape}")
    labels = [int(v) for v in y]
    batch = {
        b"batch_label": label.encode(),
        b"labels": labels,
        b"data": np.ascontiguousarray(x.transpose(0, 3, 1, 2)).reshape(len(x), _PIXELS),
        b"filenames": [f"{classes[v]}_s_{i:06d}.png".encode() for i, v in enumerate(labels)],
    }
    return dumps_py2(batch)
