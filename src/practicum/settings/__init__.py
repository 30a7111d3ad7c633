"""The one configuration: every "where is X" of Practicum is answered here.

    data_home()         the data cache           $PRACTICUM_DATA, else ~/.cache/practicum
    system_data_dirs()  OS packages' data sets   $PRACTICUM_SYSTEM_DATA, else /usr/share/datasets
    state_home()        a learner's progress     $PRACTICUM_HOME, else ~/.practicum
    smoke()             shrink data and epochs   $PRACTICUM_SMOKE
    course_state()      the course service's state, database URL, course.toml, homework
                        folders (settings.service: $PRACTICUM_STATE and friends, else the
                        service inside the hub's state that `practicum up` runs)
    hub_settings()      practicum.toml (settings.hub: $PRACTICUM_CONFIG, else
                        ./practicum.toml, else the embedded defaults)
    hub_service()       what JupyterHub told the service it manages (settings.hub_env)

The environment functions are read on each call, so tests and notebooks that change the
environment are heard; the files (course state, practicum.toml) are read once per process
for the same environment.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from practicum.settings.paths import (
    SYSTEM_DATA_DIRS,
    data_home,
    smoke,
    state_home,
    system_data_dirs,
)

if TYPE_CHECKING:
    from practicum.settings.hub import HubSettings
    from practicum.settings.hub_env import HubServiceEnv
    from practicum.settings.service import ServiceConfig


def course_state() -> ServiceConfig:
    """$PRACTICUM_STATE when set; else the service state of the course `practicum up` runs
    (practicum.toml if present, else its embedded defaults), so staff commands reach the
    same database without anyone exporting a variable."""
    from practicum.settings.hub import settings_path

    return _course_state(_environment_key(settings_path()))


def hub_settings(path: Path | None = None) -> HubSettings:
    """practicum.toml at `path`, else where settings.hub.settings_path() finds it."""
    from practicum.settings.hub import settings_path

    source = path or settings_path()
    return _hub_settings(source, _environment_key(source))


def hub_service() -> HubServiceEnv:
    """The hub's word on the service it runs; HubServiceError outside a hub."""
    from practicum.settings.hub_env import hub_service_env

    return hub_service_env()


def _environment_key(toml: Path | None) -> tuple[object, ...]:
    """What the answers depend on: the variables read, the folder, practicum.toml's
    version. The same key within a process means the files are not read again."""
    variables = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith(("PRACTICUM_", "XDG_")) or name == "HOME"
    )
    version = None
    if toml is not None and toml.is_file():
        stat = toml.stat()
        version = (stat.st_mtime_ns, stat.st_size)
    return (Path.cwd(), toml, version, *variables)


@cache
def _course_state(_key: tuple[object, ...]) -> ServiceConfig:
    from practicum.settings.service import load_config

    if os.environ.get("PRACTICUM_STATE"):
        return load_config()
    from practicum.settings.hub import service_config

    return service_config(hub_settings())


@cache
def _hub_settings(path: Path | None, _key: tuple[object, ...]) -> HubSettings:
    from practicum.settings.hub import load_settings

    return load_settings(path)


__all__ = [
    "SYSTEM_DATA_DIRS",
    "course_state",
    "data_home",
    "hub_service",
    "hub_settings",
    "smoke",
    "state_home",
    "system_data_dirs",
]
