"""Test-wide isolation: no test reads or writes the user's real cache or progress."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    base = tmp_path_factory.mktemp("practicum")
    monkeypatch.setenv("PRACTICUM_DATA", str(base / "data"))
    monkeypatch.setenv("PRACTICUM_HOME", str(base / "home"))
    monkeypatch.setenv("PRACTICUM_DEVICE", "cpu")
    yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests (real data, full training) run only with PRACTICUM_SLOW=1."""
    if os.environ.get("PRACTICUM_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set PRACTICUM_SLOW=1 (make slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
