"""What users do with data sets: import, fetch, check status, verify and load.

`load` is the one call lessons use: it serves the cache, fills it from a system copy
(e.g. Debian's dataset-fashion-mnist) when there is one, and otherwise says exactly
which command gets the data.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from practicum import settings
from practicum.data import cache
from practicum.data.catalog import CATALOG, Dataset, get
from practicum.data.errors import DataError, NotCachedError
from practicum.data.importers import IMPORTERS, Imported, Progress


def import_files(
    name: str,
    paths: Sequence[Path | str],
    *,
    verify: bool = True,
    home: Path | None = None,
    progress: Progress | None = None,
) -> list[str]:
    """Parse the given source files into the cache; returns the splits written.

    With verify=False, files whose checksum differs from the catalog's (look-alikes made
    for tests, local variants) are accepted and the cache marks them unverified.
    """
    dataset = get(name)
    home = home or settings.data_home()
    imported = Imported(dataset, verify)
    IMPORTERS[name](imported, [Path(p) for p in paths], progress)
    if not imported.splits:
        expected = ", ".join(f.name for f in dataset.files)
        raise DataError(
            f"{name}: nothing to import from {', '.join(str(p) for p in paths)}; "
            f"expected the official files ({expected})"
            + (f" or {'; '.join(dataset.other_formats)}" if dataset.other_formats else "")
        )
    for split, arrays in imported.splits.items():
        cache.write_split(
            home,
            name,
            split,
            arrays,
            sources=imported.sources,
            verified=imported.verified,
            meta=imported.meta,
        )
    return sorted(imported.splits)


def fetch(
    name: str,
    *,
    splits: Iterable[str] | None = None,
    home: Path | None = None,
    progress: bool = True,
) -> list[str]:
    """Download the official files (resuming, checksummed) and import them."""
    from practicum.data.download import fetch_all

    dataset = get(name)
    home = home or settings.data_home()
    downloads = home / "downloads" / name
    files = fetch_all(
        dataset, downloads, splits=list(splits) if splits else None, progress=progress
    )
    return import_files(name, files, home=home)


def system_copy(dataset: Dataset) -> Path | None:
    """The folder an OS package installed this data set into, if any."""
    if dataset.system_subdir is None:
        return None
    for base in settings.system_data_dirs():
        folder = base / dataset.system_subdir
        if folder.is_dir() and any(folder.iterdir()):
            return folder
    return None


@dataclass(frozen=True)
class SplitStatus:
    split: str
    state: str  # "cached", "cached (unverified)", "on system", "missing"
    items: int | None


def status(name: str, *, home: Path | None = None) -> list[SplitStatus]:
    """Where each split of a data set stands, without touching any file's content."""
    dataset = get(name)
    home = home or settings.data_home()
    on_system = system_copy(dataset) is not None
    out = []
    for split in dataset.splits:
        found = cache.find_split(home, name, split)
        if found is not None:
            first = next(iter(found.manifest["arrays"].values()), None)
            items = first["shape"][0] if first and first["shape"] else None
            state = "cached" if found.verified else "cached (unverified)"
            out.append(SplitStatus(split, state, items))
        else:
            out.append(SplitStatus(split, "on system" if on_system else "missing", None))
    return out


def verify(name: str, *, home: Path | None = None) -> list[str]:
    """Re-hash every cached array of a data set; returns the problems found."""
    home = home or settings.data_home()
    problems: list[str] = []
    for split in get(name).splits:
        found = cache.find_split(home, name, split)
        if found is not None:
            problems.extend(f"{name}/{p}" for p in cache.verify_split(found))
    return problems


def remove(name: str, *, home: Path | None = None) -> bool:
    """Drop a data set from the cache (downloads are kept); True if something was removed."""
    folder = (home or settings.data_home()) / get(name).name
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True


def load(name: str, split: str | None = None, *, home: Path | None = None) -> dict[str, np.ndarray]:
    """Arrays of one split, ready to use (see the catalog entry for what each key holds)."""
    dataset = get(name)
    if split is None:
        if len(dataset.splits) != 1:
            raise DataError(f"{name} has splits {', '.join(dataset.splits)}: pass split=...")
        split = dataset.splits[0]
    if split not in dataset.splits:
        raise DataError(f"{name} has no split {split!r}; its splits: {', '.join(dataset.splits)}")
    home = home or settings.data_home()
    found = cache.find_split(home, name, split)
    # a student's sandbox shows the course's cache read-only: nothing can be imported there
    writable = os.access(home, os.W_OK) if home.exists() else True
    if found is None and writable:
        folder = system_copy(dataset)
        if folder is not None:
            import_files(name, [folder], home=home)
            found = cache.find_split(home, name, split)
    if found is None and not writable:
        raise NotCachedError(
            f"{name}/{split} is not in the course's data cache ({home}, read-only here): "
            f"ask the course staff to run 'practicum data import {name}' (or fetch) on the server"
        )
    if found is None:
        files = " ".join(f.name for f in dataset.files_for(split))
        raise NotCachedError(
            f"{name}/{split} is not in the cache ({home}). Get it with: practicum data fetch "
            f"{name}   (no network? download {files} by hand from the URLs in "
            f"'practicum data info {name}', then: practicum data import {name} FILE...)"
        )
    return cache.read_split(found)


def known() -> list[str]:
    return list(CATALOG)
