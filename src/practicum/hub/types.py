"""What Practicum and JupyterHub say to each other: the servers the hub reports, its REST API,
and Practicum's answer to the pre-spawn question."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class RunningServer:
    """One server the hub reports (ready or still starting)."""

    user: str
    server_name: str
    """"" for the default server."""
    profile: str
    """From the server's user_options; "" when the hub reports none (treated as CPU)."""
    started: datetime
    last_activity: datetime | None
    ready: bool
    pending: str | None = None
    """"spawn", "stop"... while the hub is busy with it."""


class HubApi(Protocol):
    """What Practicum asks of JupyterHub's REST API (a fake in unit tests)."""

    def running_servers(self) -> list[RunningServer]: ...

    def start_server(self, user: str, profile: str) -> None:
        """Ask the hub to spawn the user's default server with {"profile": profile}."""

    def stop_server(self, user: str) -> None: ...


@dataclass(frozen=True)
class SpawnDecision:
    """Practicum's answer to the hub's pre-spawn question."""

    allowed: bool
    message: str = ""
    """Why not, and what to do (shown to the student), or a note when allowed."""
    environment: dict[str, str] = field(default_factory=dict)
    """Extra variables for the server, e.g. CUDA_VISIBLE_DEVICES."""
    queue_position: int | None = None
