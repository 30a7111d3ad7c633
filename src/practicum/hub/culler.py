"""Per-profile idle timeouts for jupyterhub-idle-culler: idle GPU servers go sooner.

The culler runs as a hub service with one global `--timeout`; its `cull_arbiter_hook`
decides per server instead. We give it the profile's own timeout, read from the server's
user_options (the REST model carries them), so a forgotten GPU server returns its GPU to
the queue after minutes while a CPU server may idle for hours.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from practicum.compute.profiles import Profile

Arbiter = Callable[..., bool]


def idle_limit_seconds(
    server: Mapping[str, Any], timeouts: Mapping[str, int], default_seconds: int
) -> int:
    """The idle limit of the server's profile; servers without a known profile get the default."""
    options = server.get("user_options") or {}
    profile = options.get("profile") if isinstance(options, dict) else None
    return timeouts.get(profile, default_seconds) if isinstance(profile, str) else default_seconds


def make_arbiter(timeouts: Mapping[str, int], default_seconds: int) -> Arbiter:
    """A `cull_arbiter_hook`: cull once idle for the profile's limit (the global one is unused)."""
    limits = dict(timeouts)

    def arbiter(*, inactive: timedelta | None, server: Mapping[str, Any], **_: Any) -> bool:
        if inactive is None:
            return False
        return inactive.total_seconds() >= idle_limit_seconds(server, limits, default_seconds)

    return arbiter


def timeouts_seconds(profiles: Mapping[str, Profile]) -> dict[str, int]:
    return {name: p.idle_timeout_minutes * 60 for name, p in profiles.items()}


def culler_config_text(profiles: Mapping[str, Profile], default: Profile) -> str:
    """The culler's --config file: a Python file that installs the arbiter."""
    timeouts = json.dumps(timeouts_seconds(profiles), sort_keys=True)
    return (
        "# Written by `practicum up` from practicum.toml: edit that file instead.\n"
        "from practicum.hub.culler import make_arbiter\n\n"
        f"c.IdleCuller.cull_arbiter_hook = make_arbiter({timeouts}, "
        f"default_seconds={default.idle_timeout_minutes * 60})\n"
    )
