"""The service's state is its own: folders 0700, the database and secrets 0600."""

from __future__ import annotations

import stat
from pathlib import Path

from practicum.owner_only import owner_only_file
from practicum.settings.service import load_config
from practicum.web import create_app


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_standalone_service_keeps_its_state_to_itself(tmp_path: Path) -> None:
    config = load_config({"PRACTICUM_STATE": str(tmp_path / "service")})
    create_app(config)
    assert mode(config.state) == 0o700
    assert mode(config.state / "practicum.db") == 0o600
    assert mode(config.state / "secret_key") == 0o600
    assert mode(config.private_dir) == 0o700 and mode(config.blob_dir) == 0o700


def test_an_existing_readable_database_is_tightened_and_its_folder_left_alone(
    tmp_path: Path,
) -> None:
    tmp_path.chmod(0o755)
    db = tmp_path / "practicum.db"
    db.write_bytes(b"")
    db.chmod(0o644)
    owner_only_file(db)
    assert mode(db) == 0o600 and mode(tmp_path) == 0o755  # not our folder to close
    fresh = owner_only_file(tmp_path / "new" / "x.db")
    assert mode(fresh) == 0o600 and mode(fresh.parent) == 0o700
