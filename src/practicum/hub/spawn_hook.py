"""The hub's pre-spawn question to Practicum: may this student start this profile now?

Practicum owns admissions, credits and the GPU queue, so the hub asks it before every
spawn (POST /hub/spawn-check on the course service, with the service's own API token).
A refusal becomes an HTTP error carrying `jupyterhub_message`: JupyterHub shows that text
to the student on the spawn page and returns it from the REST API, so the reason and
what to do reach them verbatim. An allowed answer's environment (CUDA_VISIBLE_DEVICES)
is merged into the server's.

Fail closed: when the course service cannot be asked, nothing starts (credits would
otherwise go unchecked), and the student is told to retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from tornado import web

from practicum.hub.types import SpawnDecision

SPAWN_CHECK_PATH = "hub/spawn-check"
UNREACHABLE = (
    "The course service did not answer, so your server could not be checked for credits. "
    "Try again in a minute; if it keeps happening, tell the course staff."
)


class SpawnRefused(web.HTTPError):
    """A refused start; `jupyterhub_message` is what the student reads."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(status, message, reason=_reason(status))
        self.jupyterhub_message = message

    def __str__(self) -> str:
        return self.jupyterhub_message


def _reason(status: int) -> str:
    return {
        400: "Unknown profile",
        403: "Start refused",
        409: "Waiting for a GPU",
        503: "Course service unavailable",
    }.get(status, "Start refused")


def parse_decision(payload: object) -> SpawnDecision:
    """The service's JSON answer; ValueError when it is not a SpawnDecision."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("allowed"), bool):
        raise ValueError(f"not a spawn decision (needs a boolean 'allowed'): {payload!r:.200}")
    environment = payload.get("environment") or {}
    if not isinstance(environment, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in environment.items()
    ):
        raise ValueError(f"spawn decision environment must map strings to strings: {environment!r}")
    position = payload.get("queue_position")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
        raise ValueError(f"spawn decision queue_position must be an integer: {position!r}")
    return SpawnDecision(
        allowed=payload["allowed"],
        message=str(payload.get("message") or ""),
        environment=dict(environment),
        queue_position=position,
    )


def refusal(decision: SpawnDecision) -> SpawnRefused:
    message = decision.message or "Practicum refused to start this server."
    return SpawnRefused(message, 409 if decision.queue_position is not None else 403)


class SpawnCheck:
    """`c.Spawner.pre_spawn_hook`: asks the course service and applies its answer."""

    def __init__(
        self,
        service_url: str,
        token: str,
        default_profile: str,
        *,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`service_url`: the service's own address with its prefix, e.g.
        http://127.0.0.1:8002/services/practicum (asked directly, not through the proxy)."""
        self.url = f"{service_url.rstrip('/')}/{SPAWN_CHECK_PATH}"
        self.token = token
        self.default_profile = default_profile
        self.timeout = timeout
        self.transport = transport

    async def ask(self, user: str, profile: str) -> SpawnDecision:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                response = await http.post(
                    self.url,
                    json={"user": user, "profile": profile},
                    headers={"Authorization": f"Bearer {self.token}"},
                )
        except httpx.HTTPError as exc:
            raise SpawnRefused(UNREACHABLE, 503) from exc
        if response.status_code != 200:
            raise SpawnRefused(UNREACHABLE, 503)
        try:
            return parse_decision(response.json())
        except ValueError as exc:
            raise SpawnRefused(UNREACHABLE, 503) from exc

    async def __call__(self, spawner: Any) -> None:
        options = spawner.user_options or {}
        profile = str(options.get("profile") or self.default_profile)
        decision = await self.ask(spawner.user.name, profile)
        if not decision.allowed:
            raise refusal(decision)
        # A new dict: the configured one may be shared by every spawner.
        spawner.environment = {**spawner.environment, **decision.environment}
