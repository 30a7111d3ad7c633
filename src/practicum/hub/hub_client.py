"""JupyterHub's REST API as Practicum needs it: which servers run, start one, stop one.

Synchronous (httpx), because the metering tick and the CLI call it between database
transactions and never from inside an event loop's hot path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from practicum.hub.types import RunningServer

PAGINATION = "application/jupyterhub-pagination+json"
PAGE_SIZE = 200
"""JupyterHub's default largest page: 300 students take two requests."""


class HubError(Exception):
    """The hub refused or could not be reached; the message is the hub's own when it gave one."""

    def __init__(self, message: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail
        """The hub's own message (e.g. why a spawn was refused), for showing to a student."""


class RestHubApi:
    """`HubApi` over /hub/api with a service's API token."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`url` is the API root, e.g. http://127.0.0.1:8081/hub/api ($JUPYTERHUB_API_URL)."""
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url + "/",
            headers={"Authorization": f"token {token}"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RestHubApi:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def running_servers(self) -> list[RunningServer]:
        """Every active server (ready or still starting or stopping), all pages."""
        return [
            server
            for user in self._active_users()
            for name, model in (user.get("servers") or {}).items()
            if (server := parse_server(user["name"], name, model)) is not None
        ]

    def start_server(self, user: str, profile: str) -> None:
        """Spawn the user's default server; a server already running or starting is fine."""
        response = self._request(
            "POST", f"users/{quote(user)}/server", json={"user_options": {"profile": profile}}
        )
        if response.status_code in (201, 202):
            return
        if response.status_code == 400 and "already running" in _message(response):
            return
        raise _error(response, f"starting {user}'s server")

    def stop_server(self, user: str) -> None:
        """Stop the user's default server; one that is not running (or no such user) is fine."""
        response = self._request("DELETE", f"users/{quote(user)}/server")
        if response.status_code in (202, 204, 404):
            return
        raise _error(response, f"stopping {user}'s server")

    def user_for_token(self, token: str) -> str | None:
        """The hub user a token belongs to (e.g. a notebook's JUPYTERHUB_API_TOKEN), else None."""
        response = self._request("GET", "user", headers={"Authorization": f"token {token}"})
        if response.status_code in (401, 403):
            return None
        if response.status_code != 200:
            raise _error(response, "checking a token")
        model = response.json()
        if model.get("kind", "user") != "user":
            return None  # a service's token is not a student
        name = model.get("name")
        return name if isinstance(name, str) else None

    def _active_users(self) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            response = self._request(
                "GET",
                "users",
                params={"state": "active", "offset": offset, "limit": PAGE_SIZE},
                headers={"Accept": PAGINATION},
            )
            if response.status_code != 200:
                raise _error(response, "listing running servers")
            page = response.json()
            yield from page["items"]
            following = page["_pagination"].get("next")
            if not following:
                return
            offset = int(following["offset"])

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise HubError(f"JupyterHub at {self.url} is not answering ({exc})") from exc


def parse_server(user: str, name: str, model: Mapping[str, Any]) -> RunningServer | None:
    """One entry of a user model's "servers"; None for a stopped one or one never started."""
    started = _when(model.get("started"))
    if started is None or model.get("stopped"):
        return None
    options = model.get("user_options") or {}
    profile = options.get("profile", "") if isinstance(options, dict) else ""
    return RunningServer(
        user=user,
        server_name=name,
        profile=profile if isinstance(profile, str) else "",
        started=started,
        last_activity=_when(model.get("last_activity")),
        ready=bool(model.get("ready")),
        pending=model.get("pending") or None,
    )


def _when(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()
    message = body.get("message") if isinstance(body, dict) else None
    return str(message) if message else response.text.strip()


def _error(response: httpx.Response, doing: str) -> HubError:
    detail = _message(response)
    return HubError(
        f"JupyterHub refused {doing}: {response.status_code} {detail}".strip(),
        status=response.status_code,
        detail=detail,
    )
