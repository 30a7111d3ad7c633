"""Whether student servers are isolated, and what each one's sandbox shows.

As root (a course's own box), every student gets a system user and a bubblewrap sandbox
that holds: their home (read-write), this Python environment and the system's programs
(read-only; homework references the course has not released yet covered by stubs), the
published homework (read-only), the shared data cache without its hidden splits, and the
device nodes of their GPU if they have one. The hub's and the service's
state, secrets and database, other homes and other processes are simply not there.
Without root there is one user for everything, and the servers are not isolated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from practicum.coursework.withheld import Cover, sandbox_binds
from practicum.sandbox.bwrap import Sandbox, SandboxError, find_bwrap, find_setpriv, python_paths
from practicum.sandbox.data_view import data_view
from practicum.sandbox.devices import gpu_device_binds
from practicum.sandbox.users import SystemUser
from practicum.settings.hub import HubSettings

Isolation = Literal["users", "shared"]
NOT_ISOLATED = (
    "notebook servers are NOT isolated: every student's code runs as this user and can "
    "read the others' files and the course's secrets (run `practicum up` as root to isolate)"
)


class IsolationError(ValueError):
    """Isolation was asked for and cannot be had; the message says what to do."""


def resolve(settings: HubSettings, euid: int | None = None) -> Isolation:
    """The mode the hub will run in; checks that the tools it needs are installed."""
    euid = os.geteuid() if euid is None else euid
    mode = settings.isolation.mode
    if mode == "off" or (mode == "auto" and euid != 0):
        return "shared"
    if euid != 0:
        raise IsolationError(
            '[isolation] mode = "users" needs root: the hub creates a system user per '
            "student and starts each server as that user"
        )
    try:
        find_bwrap()
        find_setpriv()
    except SandboxError as exc:
        raise IsolationError(str(exc)) from None
    return "users"


@dataclass(frozen=True)
class ServerPaths:
    """The folders a student's server is built from (the hub's view of the machine)."""

    home: Path
    homework: Path | None
    data_cache: Path
    system_data: tuple[Path, ...]
    hidden: tuple[Path, ...]
    """Folders to cover even when a system bind would show them (the hub's state)."""
    device_dir: Path
    withheld: tuple[Cover, ...] = ()
    """Homework references the course has not released (`coursework.withheld`)."""


def server_sandbox(user: SystemUser, paths: ServerPaths, gpu: str | None) -> Sandbox:
    data = data_view(paths.data_cache, paths.system_data)
    homework = (paths.homework,) if paths.homework and paths.homework.is_dir() else ()
    covered, emptied = sandbox_binds(paths.withheld)
    return Sandbox(
        uid=user.uid,
        gid=user.gid,
        workdir=paths.home,
        writable=(paths.home,),
        read_only=(*python_paths(), *data.read_only, *homework),
        masked=(*paths.hidden, *data.masked),
        devices=tuple(gpu_device_binds(paths.device_dir, gpu)),
        covered=covered,
        emptied=emptied,
    )
