"""Configuration read from PRACTICUM_* environment variables.

Kept as functions (not module constants) so tests and notebooks can change the
environment at run time and be heard.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SYSTEM_DATA_DIRS: tuple[Path, ...] = (Path("/usr/share/datasets"),)


def data_home() -> Path:
    """Where the canonical data cache lives: $PRACTICUM_DATA, else ~/.cache/practicum."""
    env = os.environ.get("PRACTICUM_DATA")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "practicum"


def system_data_dirs() -> tuple[Path, ...]:
    """Folders where OS packages put data sets; $PRACTICUM_SYSTEM_DATA overrides (tests)."""
    env = os.environ.get("PRACTICUM_SYSTEM_DATA")
    if env is not None:
        return tuple(Path(p) for p in env.split(os.pathsep) if p)
    return SYSTEM_DATA_DIRS


def state_home(environ: Mapping[str, str] | None = None) -> Path:
    """Per-user progress (quiz unlocks, checkpoints): $PRACTICUM_HOME, else ~/.practicum.

    `environ` stands in for os.environ (the environment of another process)."""
    env = (os.environ if environ is None else environ).get("PRACTICUM_HOME")
    return Path(env).expanduser() if env else Path.home() / ".practicum"


def smoke() -> bool:
    """PRACTICUM_SMOKE=1 shrinks data and epochs for fast checks; code paths stay the same."""
    return os.environ.get("PRACTICUM_SMOKE", "") not in ("", "0", "false", "no")
