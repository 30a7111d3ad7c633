from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from practicum.store import make_engine, upgrade
from practicum.store.db import alembic_config
from practicum.store.models import Base

TABLES = {"users", "api_tokens", "homework", "stored_files", "submissions"}
CREDIT_TABLES = {"credit_entries", "metered_runs", "gpu_queue", "gpu_assignments", "leases"}
EXERCISE_TABLES = {"exercise_results"}
LOGIN_TABLES = {"login_failures", "login_locks"}
HEAD = "0004"


def test_upgrade_creates_the_schema_from_nothing_and_reruns_as_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'practicum.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        assert set(
            inspect(engine).get_table_names()
        ) == TABLES | CREDIT_TABLES | EXERCISE_TABLES | LOGIN_TABLES | {"alembic_version"}
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO stored_files VALUES ('ab', 1, '2026-01-01')")
    finally:
        engine.dispose()
    upgrade(url)  # again: nothing to do, nothing lost
    with sqlite3.connect(tmp_path / "deep" / "er" / "practicum.db") as raw:
        assert raw.execute("SELECT sha256 FROM stored_files").fetchall() == [("ab",)]
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


def test_migrated_database_matches_the_models_exactly(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_comparison_notices_a_schema_that_drifted(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_submissions_homework_user_created")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d[0] for d in diff] == ["add_index"]


def test_downgrade_to_base_removes_every_table(engine: Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}


def test_exercise_results_migrate_onto_a_0002_database_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'practicum.db'}"
    upgrade(url, "0002")
    with sqlite3.connect(tmp_path / "practicum.db") as raw:
        raw.execute("INSERT INTO stored_files VALUES ('ab', 1, '2026-01-01')")
    upgrade(url)
    engine = make_engine(url)
    try:
        assert "exercise_results" in inspect(engine).get_table_names()
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        assert "exercise_results" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    with sqlite3.connect(tmp_path / "practicum.db") as raw:
        assert raw.execute("SELECT sha256 FROM stored_files").fetchall() == [("ab",)]


def test_login_throttle_and_session_epoch_migrate_onto_a_0003_database_and_back(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'practicum.db'}"
    upgrade(url, "0003")
    with sqlite3.connect(tmp_path / "practicum.db") as raw:
        raw.execute(
            "INSERT INTO users (name, role, password_hash, created_at) "
            "VALUES ('ann', 'student', 'h', '2026-01-01')"
        )
    upgrade(url)
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= LOGIN_TABLES
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT name, session_epoch FROM users").fetchall()
        assert [tuple(row) for row in rows] == [("ann", 0)]
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0003")
        assert not LOGIN_TABLES & set(inspect(engine).get_table_names())
        columns = {column["name"] for column in inspect(engine).get_columns("users")}
        assert "session_epoch" not in columns
    finally:
        engine.dispose()
    with sqlite3.connect(tmp_path / "practicum.db") as raw:
        assert raw.execute("SELECT name, password_hash FROM users").fetchall() == [("ann", "h")]
