"""The canonical cache: one folder per split holding .npy arrays and a JSON manifest.

Whatever a data set's source format, it is parsed once and stored here, so `load` is a
few `np.load` calls. A split is written into a temporary folder and renamed into place,
so an interrupted import never leaves a half-written split behind.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from practicum.data.errors import DataError
from practicum.data.hashing import sha256_file

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class CachedSplit:
    """What the manifest of one cached split says."""

    dataset: str
    split: str
    path: Path
    manifest: dict[str, Any]

    @property
    def verified(self) -> bool:
        """True when every source file matched the catalog's checksum."""
        return bool(self.manifest.get("verified", False))


def split_dir(home: Path, dataset: str, split: str) -> Path:
    return home / dataset / split


def write_split(
    home: Path,
    dataset: str,
    split: str,
    arrays: Mapping[str, np.ndarray],
    *,
    sources: list[dict[str, Any]],
    verified: bool,
    meta: Mapping[str, Any] | None = None,
) -> Path:
    """Store one split atomically; replaces an older copy only once the new one is complete."""
    parent = home / dataset
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(parent)
    tmp = parent / f".tmp-{split}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        described = {}
        for key, array in arrays.items():
            if array.dtype == object:
                raise DataError(f"{dataset}/{split}: array {key!r} has object dtype; not cacheable")
            file = tmp / f"{key}.npy"
            np.save(file, array, allow_pickle=False)
            described[key] = {
                "file": file.name,
                "dtype": str(array.dtype),
                "shape": list(array.shape),
                "sha256": sha256_file(file),
            }
        manifest = {
            "format_version": FORMAT_VERSION,
            "dataset": dataset,
            "split": split,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "verified": verified,
            "sources": sources,
            "arrays": described,
            "meta": dict(meta or {}),
        }
        _write_json(tmp / MANIFEST, manifest)
        _fsync_dir(tmp)
        final = split_dir(home, dataset, split)
        if final.exists():
            old = parent / f".old-{split}-{uuid.uuid4().hex[:8]}"
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
        _fsync_dir(parent)
        return final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def find_split(home: Path, dataset: str, split: str) -> CachedSplit | None:
    """The cached split, or None when absent or incomplete (no readable manifest)."""
    path = split_dir(home, dataset, split)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("format_version") != FORMAT_VERSION:
        return None
    return CachedSplit(dataset, split, path, manifest)


def read_split(cached: CachedSplit) -> dict[str, np.ndarray]:
    """Load every array of a split, checking dtype and shape against the manifest."""
    out: dict[str, np.ndarray] = {}
    for key, info in cached.manifest["arrays"].items():
        file = cached.path / info["file"]
        try:
            array = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(
                f"{cached.dataset}/{cached.split}: cached {file.name} is unreadable ({exc}); "
                f"run: practicum data verify {cached.dataset}"
            ) from None
        if str(array.dtype) != info["dtype"] or list(array.shape) != info["shape"]:
            raise DataError(
                f"{cached.dataset}/{cached.split}: cached {file.name} is {array.dtype}"
                f"{list(array.shape)}, manifest says {info['dtype']}{info['shape']}; "
                f"re-import the data set"
            )
        out[key] = array
    return out


def verify_split(cached: CachedSplit) -> list[str]:
    """Problems found by re-hashing every cached array (empty list: intact)."""
    problems = []
    for key, info in cached.manifest["arrays"].items():
        file = cached.path / info["file"]
        if not file.exists():
            problems.append(f"{cached.split}/{file.name}: missing")
        elif sha256_file(file) != info["sha256"]:
            problems.append(f"{cached.split}/{file.name}: sha256 differs from the manifest ({key})")
    return problems


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(parent: Path, older_than_s: float = 3600.0) -> None:
    """Leftovers of interrupted imports; recent ones may belong to a running import."""
    now = time.time()
    for entry in parent.glob(".*-*"):
        if entry.name.startswith((".tmp-", ".old-")) and now - entry.stat().st_mtime > older_than_s:
            shutil.rmtree(entry, ignore_errors=True)
