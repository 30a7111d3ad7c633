"""Uploads that cannot hurt other users: a huge or slow-to-check file is read, parsed and
scored outside the write lock, each homework caps its uploads by its own format (413
before parsing), and no page or the API docs load anything from outside the service."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from tiny_homework import BEFORE, N_ITEMS, Y_TEST, labels_csv, make_config, publish_tiny
from web_helpers import USERS, Service, password, serve_live

from practicum import store
from practicum.grading import submission as grading
from practicum.grading.submission import CAP_BYTES_PER_ROW, CAP_SLACK_BYTES, format_size
from practicum.service import submissions
from practicum.web import create_app
from practicum.web.deps import get_now

HW = "hw-tiny"
CAP = N_ITEMS * CAP_BYTES_PER_ROW["labels"] + CAP_SLACK_BYTES
MB = 2**20
PATIENCE_S = 1.0
"""Another user's request, while a big upload is checked: generous for a noisy machine
(benchmarks/upload_lock.py measures the real delay)."""


def _never_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> grading.Parsed:
        raise AssertionError("an upload over the homework's cap was parsed")

    monkeypatch.setattr(submissions, "parse_submission", refuse)


def test_api_upload_over_the_homework_cap_is_413_before_parsing(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    _never_parse(monkeypatch)
    answer = TestClient(service.app).post(
        f"/api/homework/{HW}/submissions",
        headers=service.bearer("ann"),
        files={"file": ("s.csv", b"0" * (CAP + 1))},
    )
    assert answer.status_code == 413
    detail = answer.json()["detail"]
    assert format_size(CAP) in detail and repr(HW) in detail, detail
    assert service.config.max_upload_bytes > CAP


def test_form_upload_over_the_homework_cap_is_413_and_shown(
    ann: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _never_parse(monkeypatch)
    page = ann.get(f"/homework/{HW}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = ann.post(
        f"/homework/{HW}/submissions",
        data={"csrf_token": token.group(1)},
        files={"file": ("big.csv", b"0" * (CAP + 1))},
        follow_redirects=False,
    )
    assert answer.status_code == 413
    assert format_size(CAP) in answer.text


def test_a_file_at_the_cap_is_parsed(service: Service) -> None:
    """Just under the cap the file is checked as before: 422 names the real problem."""
    answer = TestClient(service.app).post(
        f"/api/homework/{HW}/submissions",
        headers=service.bearer("ann"),
        files={"file": ("s.csv", b"x" * CAP)},
    )
    assert answer.status_code == 422


def test_the_spec_gives_the_homework_cap_that_uploads_are_refused_over(
    service: Service,
) -> None:
    """What `practicum.submit` checks before uploading is what the service refuses with 413."""
    spec = TestClient(service.app).get(f"/api/homework/{HW}/spec", headers=service.bearer("ann"))
    assert spec.status_code == 200
    assert spec.json()["max_bytes"] == CAP < service.config.max_upload_bytes
    over = TestClient(service.app).post(
        f"/api/homework/{HW}/submissions",
        headers=service.bearer("ann"),
        files={"file": ("s.csv", b"0" * (spec.json()["max_bytes"] + 1))},
    )
    assert over.status_code == 413


def _timed_writer(url: str, service: Service) -> Callable[[], float]:
    """Seconds one of bob's requests that needs the write lock takes (his submission)."""

    def run() -> float:
        started = time.perf_counter()
        answer = httpx.post(
            f"{url}/api/homework/{HW}/submissions",
            headers=service.bearer("bob"),
            files={"file": ("s.csv", labels_csv(Y_TEST))},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        return time.perf_counter() - started

    return run


def test_a_slow_refused_upload_does_not_hold_the_write_lock(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing that takes 3 s (as a 40 MB file did) happens while others write freely."""
    parsing = threading.Event()
    real_parse = submissions.parse_submission

    def slow_parse(raw: bytes, spec: grading.SubmissionSpec, **kwargs: str) -> grading.Parsed:
        parsing.set()
        time.sleep(3)
        return real_parse(raw, spec, **kwargs)

    refused: list[httpx.Response] = []
    with serve_live(service.app) as url:
        writer = _timed_writer(url, service)
        writer()  # warm up: connections, imports
        monkeypatch.setattr(submissions, "parse_submission", slow_parse)

        def attack() -> None:
            refused.append(
                httpx.post(
                    f"{url}/api/homework/{HW}/submissions",
                    headers=service.bearer("ann"),
                    files={"file": ("s.csv", b"not,a\nvalid,file\n")},
                    timeout=60,
                )
            )

        thread = threading.Thread(target=attack)
        thread.start()
        assert parsing.wait(20)
        monkeypatch.setattr(submissions, "parse_submission", real_parse)  # bob's is fast
        elapsed = writer()
        thread.join()
    assert refused[0].status_code == 422
    assert elapsed < PATIENCE_S, f"bob waited {elapsed:.3f} s for the write lock"


@pytest.fixture(scope="module")
def roomy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The tiny homework behind a 64 MB service-wide limit, so that a 40 MB file gets past
    the body limit and reaches the submission route, as it did in the attack."""
    config = make_config(tmp_path_factory.mktemp("roomy"), max_upload_mb=64)
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    publish_tiny(config, engine)
    with store.session_scope(engine) as session:
        tokens = {
            name: store.create_token(
                session, store.create_user(session, name, role, password(name)), "tests"
            )
            for name, role in USERS.items()
        }
    app = create_app(config)
    app.dependency_overrides = {get_now: lambda: BEFORE}
    yield Service(config, app, engine, store.FileStore(config.blob_dir), tokens)
    engine.dispose()


def test_a_40mb_refused_upload_does_not_delay_other_writers(roomy: Service) -> None:
    big = b"0," * (20 * MB)
    answers: list[httpx.Response] = []
    with serve_live(roomy.app) as url:
        writer = _timed_writer(url, roomy)
        writer()
        thread = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"{url}/api/homework/{HW}/submissions",
                    headers=roomy.bearer("ann"),
                    files={"file": ("s.csv", big)},
                    timeout=60,
                )
            )
        )
        thread.start()
        time.sleep(0.05)
        elapsed = writer()
        thread.join()
    assert answers[0].status_code == 413
    assert format_size(CAP) in answers[0].json()["detail"]
    assert elapsed < PATIENCE_S, f"bob waited {elapsed:.3f} s"


EXTERNAL = re.compile(r"""https?://(?!testserver[/"'])[^\s"'<>)]+""")


@pytest.mark.parametrize("path", ["/", f"/homework/{HW}", "/docs"])
def test_pages_and_docs_load_nothing_from_outside(ann: TestClient, path: str) -> None:
    answer = ann.get(path)
    assert answer.status_code == 200
    assert EXTERNAL.findall(answer.text) == []


def test_the_docs_assets_are_served_locally(ann: TestClient) -> None:
    page = ann.get("/docs").text
    assets = re.findall(r"""(?:src|href)=["'](/static/swagger-ui/[^"']+)""", page)
    assert len(assets) >= 2, page
    for asset in assets:
        assert ann.get(asset).status_code == 200, asset
    assert "/openapi.json" in page and ann.get("/openapi.json").status_code == 200
    assert ann.get("/redoc").status_code == 404
