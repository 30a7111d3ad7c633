"""Test-wide isolation (no test reads or writes the user's real cache or progress) and the
database fixtures every storage test starts from."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from practicum.store import make_engine, upgrade


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    base = tmp_path_factory.mktemp("practicum")
    monkeypatch.setenv("PRACTICUM_DATA", str(base / "data"))
    monkeypatch.setenv("PRACTICUM_HOME", str(base / "home"))
    monkeypatch.setenv("PRACTICUM_DEVICE", "cpu")
    yield


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A migrated SQLite database in the test's temp folder (store and hub tests)."""
    url = f"sqlite:///{tmp_path / 'state' / 'practicum.db'}"
    upgrade(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests (real data, full training) run only with PRACTICUM_SLOW=1."""
    if os.environ.get("PRACTICUM_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set PRACTICUM_SLOW=1 (make slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
