"""RestHubApi against a small stand-in for JupyterHub's REST API (httpx.MockTransport)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from practicum.hub.hub_client import PAGINATION, HubError, RestHubApi, parse_server
from practicum.hub.types import RunningServer

API = "http://127.0.0.1:8081/hub/api"
TOKEN = "svc-token"


def server(
    profile: str | None, *, ready: bool = True, pending: str | None = None
) -> dict[str, Any]:
    return {
        "name": "",
        "started": "2026-12-01T10:00:00.123456Z",
        "last_activity": "2026-12-01T10:05:00Z",
        "ready": ready,
        "pending": pending,
        "stopped": False,
        "user_options": {} if profile is None else {"profile": profile},
    }


class FakeHub:
    """Users with servers, paged like JupyterHub (limit per page), and the calls it received."""

    def __init__(self, users: dict[str, dict[str, Any]]) -> None:
        self.users = users
        self.requests: list[httpx.Request] = []
        self.answer: httpx.Response | None = None
        self.tokens = {"user-token": {"kind": "user", "name": "alice"}}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        token = request.headers["Authorization"].removeprefix("token ")
        path = request.url.path.removeprefix("/hub/api/")
        if path == "user":
            model = {"kind": "service", "name": "practicum"} if token == TOKEN else None
            model = self.tokens.get(token, model)
            return httpx.Response(200, json=model) if model else httpx.Response(403)
        assert token == TOKEN
        if self.answer is not None:
            return self.answer
        if path == "users" and request.method == "GET":
            return self.page(request)
        return httpx.Response(201 if request.method == "POST" else 204)

    def page(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Accept"] == PAGINATION
        assert request.url.params["state"] == "active"
        offset, limit = int(request.url.params["offset"]), 2  # the hub may cap the page size
        names = sorted(self.users)
        items = [{"name": n, "servers": self.users[n]} for n in names[offset : offset + limit]]
        more = offset + limit < len(names)
        following = {"offset": offset + limit, "limit": limit, "url": "ignored"} if more else None
        body = {"items": items, "_pagination": {"offset": offset, "next": following}}
        return httpx.Response(200, json=body)


def client(hub: FakeHub) -> RestHubApi:
    return RestHubApi(API + "/", TOKEN, transport=httpx.MockTransport(hub))


def test_running_servers_reads_every_page() -> None:
    hub = FakeHub(
        {
            "alice": {"": server("gpu")},
            "bob": {"": server(None, ready=False, pending="spawn")},
            "carol": {"": server("cpu")},
            "dave": {},  # active user whose server list is empty
            "erin": {"": server("cpu", ready=False, pending="stop")},
        }
    )
    with client(hub) as api:
        servers = api.running_servers()
    assert [(s.user, s.profile, s.ready, s.pending) for s in servers] == [
        ("alice", "gpu", True, None),
        ("bob", "", False, "spawn"),
        ("carol", "cpu", True, None),
        ("erin", "cpu", False, "stop"),
    ]
    assert servers[0].started == datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert servers[0].last_activity == datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    assert len(hub.requests) == 3  # 5 users, pages of 2


def test_parse_server_skips_stopped_or_never_started() -> None:
    assert parse_server("a", "", {**server("cpu"), "started": None}) is None
    assert parse_server("a", "", {**server("cpu"), "stopped": True}) is None
    naive = parse_server(
        "a", "x", {**server("cpu"), "started": "2026-12-01T10:00:00", "last_activity": None}
    )
    assert naive == RunningServer(
        "a", "x", "cpu", datetime(2026, 12, 1, 10, tzinfo=UTC), None, True, None
    )


def test_start_and_stop_send_the_profile() -> None:
    hub = FakeHub({})
    api = client(hub)
    api.start_server("alice", "gpu")
    api.stop_server("alice")
    start, stop = hub.requests
    assert (start.method, start.url.path) == ("POST", "/hub/api/users/alice/server")
    assert json.loads(start.content) == {"user_options": {"profile": "gpu"}}
    assert (stop.method, stop.url.path) == ("DELETE", "/hub/api/users/alice/server")


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(202, text=""),
        httpx.Response(400, json={"status": 400, "message": "alice is already running"}),
    ],
)
def test_start_of_a_starting_or_running_server_is_fine(answer: httpx.Response) -> None:
    hub = FakeHub({})
    hub.answer = answer
    client(hub).start_server("alice", "cpu")


@pytest.mark.parametrize("status", [202, 204, 404])
def test_stop_of_a_stopping_or_gone_server_is_fine(status: int) -> None:
    hub = FakeHub({})
    hub.answer = httpx.Response(status)
    client(hub).stop_server("ghost")


def test_refused_start_keeps_the_hubs_message() -> None:
    hub = FakeHub({})
    message = "no credits left: staff can grant credits"
    hub.answer = httpx.Response(403, json={"status": 403, "message": message})
    with pytest.raises(HubError) as caught:
        client(hub).start_server("alice", "gpu")
    assert caught.value.status == 403 and caught.value.detail == message
    assert str(caught.value) == f"JupyterHub refused starting alice's server: 403 {message}"


def test_errors_and_an_absent_hub_are_hub_errors() -> None:
    hub = FakeHub({})
    hub.answer = httpx.Response(500, text="oops")
    with pytest.raises(HubError, match="listing running servers: 500 oops"):
        client(hub).running_servers()

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    api = RestHubApi(API, TOKEN, transport=httpx.MockTransport(down))
    with pytest.raises(HubError, match="is not answering"):
        api.stop_server("alice")


def test_user_for_token() -> None:
    hub = FakeHub({})
    api = client(hub)
    assert api.user_for_token("user-token") == "alice"
    assert api.user_for_token("bogus") is None
    assert api.user_for_token(TOKEN) is None  # a service is not a student
    assert hub.requests[0].headers["Authorization"] == "token user-token"
