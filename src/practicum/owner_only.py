"""Folders and files only their owner may read: the service's state, database and secrets.

A course machine may have other users (students' system users, isolated or not): none of
them may read the database with every private score or the keys that sign sessions.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def owner_only_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    path.chmod(DIR_MODE)
    return path


def owner_only_file(path: Path) -> Path:
    """Create `path` empty if missing (0600 from the first byte), else tighten its mode.
    A new parent folder is made 0700; an existing one is left as it is."""
    if not path.parent.exists():
        owner_only_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(FILE_MODE)
    return path
