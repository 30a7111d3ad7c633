"""Test-wide isolation (no test reads or writes the user's real cache or progress) and the
database fixtures every storage test starts from.

`db_backend` runs each test that asks for a database (store, service and hub tests) twice:
on SQLite and on PostgreSQL (a throwaway cluster started once per run, each test getting its
own database copied from a migrated template). PRACTICUM_TEST_POSTGRES=0 skips the
PostgreSQL half on a machine without the server; by default its absence is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_backends import TEMPLATE, Databases
from sqlalchemy import Engine

from practicum.store import make_engine, upgrade
from practicum.store.scratch_postgres import PostgresUnavailable, ScratchPostgres

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    base = tmp_path_factory.mktemp("practicum")
    monkeypatch.setenv("PRACTICUM_DATA", str(base / "data"))
    monkeypatch.setenv("PRACTICUM_HOME", str(base / "home"))
    monkeypatch.setenv("PRACTICUM_DEVICE", "cpu")
    yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[ScratchPostgres]:
    """One server for the run, with a migrated template database to copy."""
    if os.environ.get("PRACTICUM_TEST_POSTGRES") == "0":
        pytest.skip("PRACTICUM_TEST_POSTGRES=0")
    server = ScratchPostgres(max_connections=400)
    try:
        server.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"{exc}\n(set PRACTICUM_TEST_POSTGRES=0 to skip the PostgreSQL tests)")
    try:
        upgrade(server.create_database(TEMPLATE))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture(scope="session")
def databases(db_backend: str, request: pytest.FixtureRequest) -> Databases:
    if db_backend == "postgresql":
        return Databases(db_backend, request.getfixturevalue("postgres"))
    return Databases(db_backend, None)


@pytest.fixture
def db_url(databases: Databases, tmp_path: Path) -> str:
    """A migrated database of the test's own (store, service and hub tests), on each backend."""
    return databases.new(tmp_path / "state")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _sqlite_only_on_postgresql(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("db_backend") if callspec else None
    return backend == "postgresql" and "sqlite_only" in item.keywords


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of SQLite's own machinery are not run on PostgreSQL (deselected, not skipped:
    nothing is missing); slow tests (real data, full training) run only with
    PRACTICUM_SLOW=1."""
    dropped = [item for item in items if _sqlite_only_on_postgresql(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not _sqlite_only_on_postgresql(item)]
    if os.environ.get("PRACTICUM_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set PRACTICUM_SLOW=1 (make slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
