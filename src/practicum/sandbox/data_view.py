"""Which data a student's sandbox may read: every split but the ones whose labels score.

A homework built on a catalog data set hides that set's official `test` split (see
service.publish), so the shared data cache is shown split by split without it, and the
system data folders (Debian's dataset packages) without the files that carry it. What a
student can download from the internet is another matter: see the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from practicum.data.catalog import CATALOG, Dataset

HIDDEN_SPLITS = frozenset({"test"})
"""Splits whose labels become a homework's hidden y_test."""


@dataclass(frozen=True)
class DataView:
    masked: tuple[Path, ...]
    """Folders replaced by an empty one in the sandbox."""
    read_only: tuple[Path, ...]
    """What shows through the masks, read-only."""


def data_view(cache: Path, system_dirs: tuple[Path, ...]) -> DataView:
    masked = [cache, *(d for d in system_dirs if d.is_dir())]
    shown = [*_cached_splits(cache)]
    for folder in system_dirs:
        for dataset in CATALOG.values():
            shown += _system_files(folder, dataset)
    return DataView(tuple(masked), tuple(shown))


def _cached_splits(cache: Path) -> list[Path]:
    if not cache.is_dir():
        return []
    return [
        split
        for dataset in sorted(cache.iterdir())
        if dataset.is_dir() and not dataset.is_symlink()
        for split in sorted(dataset.iterdir())
        if split.is_dir() and not split.is_symlink() and split.name not in HIDDEN_SPLITS
    ]


def _system_files(folder: Path, dataset: Dataset) -> list[Path]:
    if dataset.system_subdir is None:
        return []
    # a file for no split in particular provides every split, the hidden one too
    return [
        path
        for source in dataset.files
        if source.splits and not HIDDEN_SPLITS & set(source.splits)
        if (path := folder / dataset.system_subdir / source.name).is_file()
    ]
