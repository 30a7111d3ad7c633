"""Policy homework on the site: the page says what to upload and takes `.pt` files; an upload
is queued at once (the web never plays it); the worker, a process of its own, plays it while
the site goes on answering; a hanging policy ends failed with the reason shown; and the
games' hidden seeds appear in no page and no API answer."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from policy_homework import (
    HW,
    NOW,
    Hang,
    Uniform,
    make_config,
    needs_sandbox,
    publish_policy_homework,
    rows,
    run_worker,
    scripted,
)
from sqlalchemy import Engine
from web_helpers import csrf_of, login, password

from practicum import store
from practicum.service.policy_queue import Worker, run
from practicum.settings.service import ServiceConfig
from practicum.web import create_app
from practicum.web.deps import get_now

WALL_SECONDS = 8


@dataclass
class Site:
    config: ServiceConfig
    engine: Engine
    client: TestClient
    """Logged in as the student ann."""
    staff: TestClient
    tokens: dict[str, str]
    seeds: np.ndarray

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    config = make_config(tmp_path_factory.mktemp("policy-web"))
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    seeds = publish_policy_homework(config, engine)
    tokens = {}
    with store.session_scope(engine) as session:
        for name, role in (("ann", "student"), ("tara", "staff")):
            user = store.create_user(session, name, role, password(name))
            tokens[name] = store.create_token(session, user, "tests")
    app = create_app(config)
    app.dependency_overrides = {get_now: lambda: NOW}
    ann = login(TestClient(app), "ann", password("ann"))
    tara = login(TestClient(app), "tara", password("tara"))
    try:
        yield Site(config, engine, ann, tara, tokens, seeds)
    finally:
        ann.close()
        tara.close()
        engine.dispose()


def test_the_page_says_what_to_upload_and_takes_pt_files(site: Site) -> None:
    page = site.client.get(f"/homework/{HW}")
    assert page.status_code == 200
    html = page.text
    assert 'accept=".pt"' in html
    assert "a TorchScript file of at most 1 MB" in html
    assert 'torch.jit.save(torch.jit.script(policy), "policy.pt")' in html
    assert "plays 3 whole games" in html and "queued" in html


def _form_upload(client: TestClient, content: bytes, filename: str) -> int:
    page = client.get(f"/homework/{HW}")
    answer = client.post(
        f"/homework/{HW}/submissions",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": (filename, content)},
        follow_redirects=False,
    )
    return answer.status_code


def _watch(site: Site, worker: subprocess.Popen[str]) -> int:
    """Ask the site for pages while the worker plays; how many rounds it answered."""
    answered = 0
    try:
        while worker.poll() is None:
            start = time.monotonic()
            assert site.client.get(f"/homework/{HW}").status_code == 200
            board = site.client.get(f"/api/homework/{HW}/leaderboard", headers=site.bearer("ann"))
            assert board.status_code == 200
            assert time.monotonic() - start < 5, "the site is held up by the games"
            answered += 1
            time.sleep(0.5)
        output = worker.communicate(timeout=10)[0]
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    return answered


@pytest.mark.skipif(not needs_sandbox, reason="needs root and bubblewrap")
def test_policies_are_queued_then_played_apart_from_the_site_which_keeps_answering(
    site: Site, tmp_path: Path
) -> None:
    assert _form_upload(site.client, scripted(Hang(), tmp_path / "hang.pt"), "hang.pt") == 303
    assert 'id="queued"' in site.client.get(f"/homework/{HW}").text
    assert [row.status for row in rows(site.engine)] == ["queued"], (
        "the web only queues: nothing is played in its process"
    )
    answered = _watch(site, run_worker(site.config, wall_seconds=WALL_SECONDS))
    assert answered >= 3, "the site answered all along the hanging policy's games"
    [hung] = rows(site.engine)
    assert (hung.status, hung.public_score) == ("failed", None)
    assert f"did not finish its games in {WALL_SECONDS} s" in (hung.message or "")
    assert (
        f"did not finish its games in {WALL_SECONDS} s" in site.client.get(f"/homework/{HW}").text
    )

    api = site.client.post(
        f"/api/homework/{HW}/submissions",
        headers=site.bearer("ann"),
        files={"file": ("policy.pt", scripted(Uniform(), tmp_path / "policy.pt"))},
    )
    assert api.status_code == 200, api.text
    assert {k: api.json()[k] for k in ("status", "public_score", "rank")} == {
        "status": "queued",
        "public_score": None,
        "rank": None,
    }
    files = store.FileStore(site.config.blob_dir)
    assert run(Worker(site.config, site.engine, files, site.config.course()), once=True) == 1
    hung, played = rows(site.engine)
    assert played.status == "scored" and played.public_score is not None

    mine = site.client.get(f"/api/homework/{HW}/submissions", headers=site.bearer("ann")).json()
    assert [(s["status"], s["public_score"] is None) for s in mine] == [
        ("failed", True),
        ("scored", False),
    ]
    assert "did not finish" in mine[0]["message"] and mine[1]["message"] is None
    board = site.client.get(f"/api/homework/{HW}/leaderboard", headers=site.bearer("ann")).json()
    assert [row["student"] for row in board["rows"]] == ["ann"], "only scored ones rank"
    assert board["rows"][0]["score"] == pytest.approx(played.public_score)

    answers = [
        site.client.get(f"/homework/{HW}").text,
        site.client.get(f"/homework/{HW}/leaderboard").text,
        site.client.get("/").text,
        site.staff.get("/staff").text,
        *(
            site.client.get(f"/api/homework/{HW}/{what}", headers=site.bearer("ann")).text
            for what in ("submissions", "leaderboard", "spec")
        ),
        site.client.get("/api/staff/submissions", headers=site.bearer("tara")).text,
    ]
    for seed in site.seeds:
        assert not any(str(int(seed)) in text for text in answers), "a hidden seed was shown"


def test_the_worker_is_not_part_of_the_web_process() -> None:
    probe = (
        "import sys, practicum.web.app, practicum.web.routes_api, practicum.web.routes_pages\n"
        "print(sorted(m for m in sys.modules if m.endswith('policy_queue')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == "[]"
