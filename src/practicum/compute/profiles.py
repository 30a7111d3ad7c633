"""Server profiles: the kinds of notebook server a student may start, and which one a
server name stands for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """A kind of notebook server a student may start (from practicum.toml)."""

    name: str
    """Slug used in user_options ("cpu", "gpu")."""
    display_name: str
    gpu: bool
    """True: the server needs one whole GPU (one slot of the queue)."""
    idle_timeout_minutes: int
    """Idle servers of this profile are stopped after this long (GPU sooner than CPU)."""
    cpu_limit: float | None = None
    mem_limit: str | None = None
    description: str = ""


def profile_named(profiles: Mapping[str, Profile], name: str) -> Profile | None:
    """The profile a server runs with; "" (started without options) is the spawner's default,
    the first CPU profile, else the first profile."""
    if name:
        return profiles.get(name)
    cpu = [p for p in profiles.values() if not p.gpu]
    return next(iter(cpu or profiles.values()), None)
