"""The pre-spawn question to Practicum, and how its answer reaches the server and the student."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from jupyterhub.objects import Hub

from practicum.hub.spawn_hook import UNREACHABLE, SpawnCheck, SpawnRefused, parse_decision
from practicum.hub.spawner import PracticumSpawner, choose_profile, profile_from_form
from practicum.hub.types import SpawnDecision
from practicum.settings.hub import DEFAULT_PROFILES

URL = "http://127.0.0.1:9/services/practicum"


def check(answer: httpx.Response | Exception, seen: list[httpx.Request]) -> SpawnCheck:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return SpawnCheck(URL, "svc-token", "cpu", transport=httpx.MockTransport(handler))


def fake_spawner(options: dict[str, Any]) -> SimpleNamespace:
    shared = {"SHARED": "1"}
    return SimpleNamespace(
        user=SimpleNamespace(name="alice"), user_options=options, environment=shared
    )


def test_allowed_start_gets_its_gpu() -> None:
    seen: list[httpx.Request] = []
    body = {"allowed": True, "message": "", "environment": {"CUDA_VISIBLE_DEVICES": "1"}}
    hook = check(httpx.Response(200, json=body), seen)
    spawner = fake_spawner({"profile": "gpu"})
    configured = spawner.environment
    asyncio.run(hook(spawner))
    assert spawner.environment == {"SHARED": "1", "CUDA_VISIBLE_DEVICES": "1"}
    assert configured == {"SHARED": "1"}  # the shared config dict is left alone
    (request,) = seen
    assert str(request.url) == f"{URL}/hub/spawn-check"
    assert request.headers["Authorization"] == "Bearer svc-token"
    assert json.loads(request.content) == {"user": "alice", "profile": "gpu"}


def test_no_options_means_the_default_profile() -> None:
    seen: list[httpx.Request] = []
    hook = check(httpx.Response(200, json={"allowed": True}), seen)
    asyncio.run(hook(fake_spawner({})))
    assert json.loads(seen[0].content)["profile"] == "cpu"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"allowed": False, "message": "no credits left: ask staff"}, 403),
        ({"allowed": False, "message": "you are 2nd in the GPU queue", "queue_position": 2}, 409),
    ],
)
def test_refusal_carries_the_students_message(body: dict[str, Any], status: int) -> None:
    hook = check(httpx.Response(200, json=body), [])
    with pytest.raises(SpawnRefused) as caught:
        asyncio.run(hook(fake_spawner({"profile": "gpu"})))
    assert caught.value.status_code == status
    assert caught.value.jupyterhub_message == body["message"]
    assert str(caught.value) == body["message"]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.ConnectError("refused"),
        httpx.Response(500, text="boom"),
        httpx.Response(401, json={"detail": "bad token"}),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"allowed": "yes"}),
    ],
)
def test_fails_closed_when_practicum_cannot_answer(answer: httpx.Response | Exception) -> None:
    hook = check(answer, [])
    with pytest.raises(SpawnRefused) as caught:
        asyncio.run(hook(fake_spawner({})))
    assert caught.value.status_code == 503 and caught.value.jupyterhub_message == UNREACHABLE


def test_parse_decision_checks_types() -> None:
    decision = parse_decision(
        {"allowed": False, "message": "wait", "environment": {}, "queue_position": 3}
    )
    assert decision == SpawnDecision(False, "wait", {}, 3)
    for bad in (
        [],
        {"allowed": 1},
        {"allowed": True, "environment": {"A": 1}},
        {"allowed": True, "queue_position": "3"},
        {"allowed": True, "queue_position": True},
    ):
        with pytest.raises(ValueError):
            parse_decision(bad)


def test_profile_choice() -> None:
    assert profile_from_form({"profile": ["gpu"]}, "cpu") == {"profile": "gpu"}
    assert profile_from_form({}, "cpu") == {"profile": "cpu"}
    assert choose_profile({"profile": "gpu"}, DEFAULT_PROFILES, "cpu").gpu
    assert choose_profile(None, DEFAULT_PROFILES, "cpu").name == "cpu"
    with pytest.raises(SpawnRefused) as caught:
        choose_profile({"profile": "tpu"}, DEFAULT_PROFILES, "cpu")
    assert caught.value.status_code == 400
    assert caught.value.jupyterhub_message == (
        "There is no server profile 'tpu'; choose one of cpu, gpu."
    )


def spawner(**traits: Any) -> PracticumSpawner:
    user = SimpleNamespace(name="alice", url="/user/alice/", escaped_name="alice")
    traits.setdefault("profiles", dict(DEFAULT_PROFILES))
    return PracticumSpawner(
        user=user,
        hub=Hub(),
        api_token="server-token",
        oauth_client_id="client",
        home_dir_template="/srv/homes/{username}",
        **traits,
    )


def test_server_environment() -> None:
    server = spawner(practicum_url=URL, data_dir="/srv/data")
    server.user_options = {"profile": "gpu"}
    env = server.get_env()
    assert env["PRACTICUM_URL"] == URL
    assert env["PRACTICUM_DATA"] == "/srv/data"
    assert env["PRACTICUM_PROFILE"] == "gpu"
    assert env["HOME"] == "/srv/homes/alice"
    assert env["JUPYTERHUB_API_TOKEN"] == "server-token"  # what practicum.submit() sends
    assert env["CUDA_VISIBLE_DEVICES"] == ""  # no GPU unless Practicum assigned one
    server.environment = {"CUDA_VISIBLE_DEVICES": "1"}
    assert server.get_env()["CUDA_VISIBLE_DEVICES"] == "1"


def test_spawn_form_offers_each_profile() -> None:
    form = spawner().options_form
    assert 'value="cpu" checked' in form and 'value="gpu"' in form and "GPU server" in form
    assert spawner().run_options_from_form({"profile": ["gpu"]}) == {"profile": "gpu"}
    one = spawner(profiles={"cpu": DEFAULT_PROFILES["cpu"]})
    assert one.options_form == ""  # nothing to choose: the server starts at once
