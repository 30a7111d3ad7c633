"""The hub's running servers as the dashboards see them: asked at most every few seconds.

Every dashboard shows the student's server, and staff pages show everyone's; 300 students
reloading must not become 300 listings of every server from the hub's API. Concurrent
pages share one request, and a start or stop forgets the answer so the next page is fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from practicum.hub.hub_client import HubError
from practicum.hub.types import HubApi, RunningServer

MAX_AGE_S = 5.0


@dataclass(frozen=True)
class ServersSnapshot:
    servers: tuple[RunningServer, ...] = ()
    error: str = ""
    """Why the hub could not be asked ("" when it answered)."""

    def of(self, user: str) -> RunningServer | None:
        """The user's default server, if it runs (or is starting or stopping)."""
        return next((s for s in self.servers if s.user == user and s.server_name == ""), None)


class RunningServers:
    def __init__(
        self,
        hub: HubApi,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hub = hub
        self.max_age_s = max_age_s
        self.clock = clock
        self._lock = anyio.Lock()
        self._cached: ServersSnapshot | None = None
        self._asked_at = 0.0

    async def snapshot(self) -> ServersSnapshot:
        async with self._lock:
            if self._cached is None or self.clock() - self._asked_at >= self.max_age_s:
                self._cached = await anyio.to_thread.run_sync(self._ask)
                self._asked_at = self.clock()
            return self._cached

    def _ask(self) -> ServersSnapshot:
        try:
            return ServersSnapshot(tuple(self.hub.running_servers()))
        except HubError as exc:
            return ServersSnapshot(error=str(exc))

    def forget(self) -> None:
        self._cached = None
