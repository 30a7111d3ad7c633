from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from store_helpers import NOON, Submit, publish

from practicum.store import (
    FileStore,
    Homework,
    InvalidName,
    StoreError,
    User,
    create_user,
    default_url,
    gc_blobs,
    record_homework,
    session_scope,
)
from practicum.store.db import ReadOnlySession


@pytest.mark.sqlite_only
def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.sqlite_only
def test_write_sessions_hold_the_write_lock_from_their_first_read(
    engine: Engine, db_url: str, users: dict[str, int]
) -> None:
    path = db_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with session_scope(engine) as session:
            session.execute(select(User.id)).all()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            with session_scope(engine, read_only=True) as reader:  # readers are not blocked
                assert len(reader.scalars(select(User)).all()) == 3
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_read_only_sessions_refuse_writes(engine: Engine) -> None:
    with (
        pytest.raises(ReadOnlySession, match="read-only"),
        session_scope(engine, read_only=True) as session,
    ):
        create_user(session, "ann", "student")
    with session_scope(engine) as session:
        assert session.scalars(select(User)).all() == []


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        create_user(session, "ann", "student")
        raise RuntimeError("request failed")
    with session_scope(engine) as session:
        assert session.scalars(select(User)).all() == []


def test_default_url_is_a_file_in_the_state_folder_unless_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRACTICUM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PRACTICUM_DATABASE_URL", raising=False)
    assert default_url() == f"sqlite:///{tmp_path / 'home' / 'practicum.db'}"
    monkeypatch.setenv("PRACTICUM_DATABASE_URL", "postgresql://db/practicum")
    assert default_url() == "postgresql://db/practicum"


def test_republishing_updates_paths_but_never_the_scoring_of_submitted_homework(
    engine: Engine, users: dict[str, int], submit: Submit, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        publish(session, "hw1", tmp_path / "moved")
        homework = session.get_one(Homework, "hw1")
        assert homework.private_path == str((tmp_path / "moved" / "private" / "hw1").resolve())
        submit(session, session.get_one(User, users["ann"]))
        with pytest.raises(StoreError, match=r"1 submission\(s\); refusing to change metric"):
            publish(session, "hw1", tmp_path, higher_is_better=False)


def test_homework_with_hidden_labels_in_the_public_folder_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    base: dict[str, Any] = {
        "published_at": NOON,
        "metric": "accuracy",
        "higher_is_better": True,
        "submission_kind": "labels",
        "n_items": 10,
        "split_seed": 1,
        "split_digest": "0" * 64,
        "public_count": 3,
        "public_dir": tmp_path / "public",
    }
    with session_scope(engine) as session:
        with pytest.raises(ValueError, match="lies inside the public folder"):
            record_homework(
                session, homework_id="hw1", private_path=tmp_path / "public/../public/y", **base
            )
        with pytest.raises(InvalidName, match="homework id"):
            record_homework(session, homework_id="../hw", private_path=tmp_path / "p", **base)
        with pytest.raises(ValueError, match="public_count must be between 1 and n_items - 1"):
            record_homework(
                session,
                homework_id="hw1",
                private_path=tmp_path / "p",
                **{**base, "public_count": 10},
            )


def test_gc_keeps_referenced_and_recent_blobs(
    engine: Engine, store: FileStore, users: dict[str, int], submit: Submit
) -> None:
    with session_scope(engine) as session:
        kept = submit(session, session.get_one(User, users["ann"]), content=b"kept").file_sha256
    orphan = store.put(b"orphan")
    with session_scope(engine) as session:
        assert gc_blobs(session, store) == []  # the orphan is too young: it may be in flight
        later = datetime.now(UTC) + timedelta(hours=2)
        assert gc_blobs(session, store, now=later) == [orphan]
        assert session.execute(text("SELECT count(*) FROM stored_files")).scalar() == 1
    assert list(store.digests()) == [kept]
    with session_scope(engine) as session:  # once its submission is gone, its file goes too
        session.execute(text("DELETE FROM submissions"))
        assert gc_blobs(session, store, now=later) == [kept]
        assert session.execute(text("SELECT count(*) FROM stored_files")).scalar() == 0
