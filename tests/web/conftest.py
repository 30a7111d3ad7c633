"""One app per test module over a tmp state folder with the tiny homework published.

Users and their logged-in clients are made once per module (argon2 costs ~0.1-0.3 s a
hash); each test starts with no submissions and the clock at BEFORE (`clock.set` moves it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).parents[1] / "service"))  # tiny_homework

from tiny_homework import forget_submissions, make_config
from web_helpers import Clock, Service, tiny_course_state

from practicum import store
from practicum.web import create_app
from practicum.web.deps import get_now


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("web")
    config = make_config(root)
    engine, tokens = tiny_course_state(config, "tests")
    found = Service(config, create_app(config), engine, store.FileStore(config.blob_dir), tokens)
    yield found
    for client in found.clients.values():
        client.close()
    engine.dispose()


@pytest.fixture(autouse=True)
def clock(service: Service) -> Iterator[Clock]:
    """Fresh state per test: no submissions, the clock at BEFORE, no other overrides."""
    clock = Clock()
    service.app.dependency_overrides = {get_now: lambda: clock.now}
    yield clock
    service.app.dependency_overrides = {}
    forget_submissions(service.engine, service.files)
    with store.session_scope(service.engine) as session:  # no test inherits a login lock
        session.execute(delete(store.LoginFailure))
        session.execute(delete(store.LoginLock))


@pytest.fixture
def ann(service: Service) -> TestClient:
    return service.client("ann")


@pytest.fixture
def bob(service: Service) -> TestClient:
    return service.client("bob")


@pytest.fixture
def tara(service: Service) -> TestClient:
    return service.client("tara")


@pytest.fixture
def fresh(service: Service) -> TestClient:
    """A browser with no cookies: logged out."""
    return TestClient(service.app)
