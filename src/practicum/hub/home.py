"""What a student finds in a new notebook server: the lesson notebooks and the homework data.

Runs before every start, so it must be safe to repeat: a notebook already in the home is
the student's (maybe edited) copy and is never replaced; only missing ones are copied in.
The published homework folder is linked, not copied: the publisher writes its files
read-only (0444), and a re-publish shows up at once without touching any home.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOKS = "notebooks"
HOMEWORK = "homework"


@dataclass
class SeedReport:
    copied: list[Path] = field(default_factory=list)
    """Notebooks newly copied into the home."""
    homework_linked: bool = False
    note: str = ""
    """Why the homework link was left alone, if it was."""


def seed_home(home: Path, notebooks_dir: Path | None, homework_dir: Path | None) -> SeedReport:
    """Create `home`, copy missing exercise notebooks in, and link home/homework."""
    home.mkdir(parents=True, exist_ok=True)
    report = SeedReport()
    if notebooks_dir is not None and notebooks_dir.is_dir():
        report.copied = _copy_missing(notebooks_dir, home / NOTEBOOKS)
    if homework_dir is not None:
        report.homework_linked, report.note = _link(home / HOMEWORK, homework_dir)
    return report


def _copy_missing(source: Path, target: Path) -> list[Path]:
    copied = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or any(part.startswith(".") for part in relative.parts):
            continue
        destination = target / relative
        if destination.exists() or destination.is_symlink():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".{destination.name}.partial")
        shutil.copyfile(path, partial)
        partial.replace(destination)  # a crash mid-copy never leaves half a notebook
        copied.append(destination)
    return copied


def _link(link: Path, target: Path) -> tuple[bool, str]:
    # Nothing published yet: an empty folder. A read-only mount not there yet: the link waits.
    with contextlib.suppress(OSError):
        target.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        if link.readlink() == target:
            return True, ""
        link.unlink()  # an older location of the shared folder: point at the current one
    elif link.exists():
        return False, f"{link} is the student's own; the homework data is in {target}"
    link.symlink_to(target, target_is_directory=True)
    return True, ""
