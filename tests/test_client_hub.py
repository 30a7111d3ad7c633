"""`practicum.submit` inside a notebook server the course's JupyterHub started: the
server's JUPYTERHUB_API_TOKEN identifies the student, and failures say what to do there."""

from __future__ import annotations

import httpx
import pytest

from practicum.client import SubmitError, submit

URL = "http://course.test/services/practicum"
HW = "lesson1-fashion-mnist"
OK = {"submission_id": 7, "public_score": 0.5, "rank": 1, "status": "scored"}


class Site:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.auth: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.auth.append(request.headers.get("authorization", ""))
        if request.url.path.endswith("/spec"):
            return httpx.Response(404)
        return httpx.Response(self.status, json=OK if self.status == 200 else {"detail": "no"})


@pytest.fixture(autouse=True)
def notebook_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment JupyterHub and Practicum's spawner give a student's server."""
    monkeypatch.delenv("PRACTICUM_TOKEN", raising=False)
    monkeypatch.setenv("PRACTICUM_URL", URL)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-token-of-ann")
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")


def test_the_servers_hub_token_is_used_when_no_practicum_token_is_set() -> None:
    site = Site()
    assert submit(HW, [0, 1, 2], transport=httpx.MockTransport(site)).submission_id == 7
    assert set(site.auth) == {"Bearer hub-token-of-ann"}


def test_a_practicum_token_set_by_hand_wins_over_the_hubs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRACTICUM_TOKEN", "pk_by-hand")
    site = Site()
    submit(HW, [0, 1, 2], transport=httpx.MockTransport(site))
    assert set(site.auth) == {"Bearer pk_by-hand"}


def test_a_refused_hub_token_says_to_restart_the_server() -> None:
    with pytest.raises(SubmitError, match=r"refused the token.*restart the server"):
        submit(HW, [0, 1, 2], transport=httpx.MockTransport(Site(401)))


def test_a_hub_server_without_the_course_address_blames_the_hub_setup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PRACTICUM_URL")
    with pytest.raises(SubmitError, match="this JupyterHub server has no PRACTICUM_URL"):
        submit(HW, [0, 1, 2])
