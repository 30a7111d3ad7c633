"""Where the service keeps its state, read from an environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from practicum.settings.service import load_config


def test_another_processs_environment_is_read_without_touching_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRACTICUM_HOME", str(tmp_path / "mine"))
    monkeypatch.delenv("PRACTICUM_STATE", raising=False)
    before = dict(os.environ)
    theirs = load_config({"PRACTICUM_HOME": str(tmp_path / "theirs")})
    assert theirs.state == tmp_path / "theirs" / "service"
    assert theirs.database_url == f"sqlite:///{tmp_path / 'theirs' / 'service' / 'practicum.db'}"
    explicit = load_config(
        {"PRACTICUM_STATE": str(tmp_path / "st"), "PRACTICUM_MAX_UPLOAD_MB": "2"}
    )
    assert (explicit.state, explicit.max_upload_bytes) == (tmp_path / "st", 2 * 2**20)
    assert dict(os.environ) == before
    assert load_config().state == tmp_path / "mine" / "service"  # default: os.environ
