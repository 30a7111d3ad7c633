"""A migrated SQLite database in a temp folder for the hub's credit and queue tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from practicum.store import make_engine, upgrade

sys.path.insert(0, str(Path(__file__).parents[1] / "service"))  # tiny_homework, browser_setup


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'state' / 'practicum.db'}"
    upgrade(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
