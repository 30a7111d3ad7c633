"""Compute as plain data and plain functions: what servers cost, who gets a GPU next, and
the one `Compute` value the hub, the store and the web service decide with.

    credits   credit arithmetic: millicredits, per-slot charges, ledger keys, time left,
              warnings, parsing what staff type and formatting what people read
    queue     the fair GPU queue's policy over a snapshot of it: order, places, waits
    profiles  the kinds of notebook server (`Profile`) and which one a server name means

No database, no JupyterHub here: `store` keeps the ledger and the queue, `hub` talks to
JupyterHub, and both decide with these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from practicum.compute.profiles import Profile, profile_named
from practicum.compute.queue import TYPICAL_GPU_SESSION, estimated_wait
from practicum.course import CreditPolicy


@dataclass(frozen=True)
class Compute:
    """What students may run and what it costs: the course's credit policy (the rates per
    hour and the warning threshold), the server profiles and the machine's GPUs."""

    credits: CreditPolicy
    profiles: Mapping[str, Profile]
    gpus: Sequence[str] = ()

    def profile(self, name: str) -> Profile | None:
        """The profile a server runs with ("": the default one); None when none is so named."""
        return profile_named(self.profiles, name)

    def charged_as(self, server_profile: str) -> Profile:
        """The profile a running server is charged as: one missing from the settings
        (renamed since the spawn) is charged as CPU."""
        found = self.profile(server_profile)
        if found is not None:
            return found
        name = server_profile or "unknown"
        return Profile(name=name, display_name=name, gpu=False, idle_timeout_minutes=0)

    def rate(self, profile: Profile) -> float:
        """Credits an hour that a server of this profile costs."""
        policy = self.credits
        return policy.gpu_rate_per_hour if profile.gpu else policy.cpu_rate_per_hour

    def queue_wait(self, position: int, running_elapsed: Sequence[timedelta]) -> timedelta:
        """How long the student at `position` in the GPU queue should wait for a GPU, with
        the GPUs' current sessions `running_elapsed` old (see `queue.estimated_wait`)."""
        return estimated_wait(position, len(self.gpus), running_elapsed, TYPICAL_GPU_SESSION)


__all__ = ["Compute", "Profile"]
