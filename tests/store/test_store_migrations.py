from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from db_backends import Databases
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from practicum.store import make_engine, upgrade
from practicum.store.db import alembic_config
from practicum.store.models import Base

TABLES = {"users", "api_tokens", "homework", "stored_files", "submissions"}
CREDIT_TABLES = {"credit_entries", "metered_runs", "gpu_queue", "gpu_assignments", "leases"}
EXERCISE_TABLES = {"exercise_results"}
LOGIN_TABLES = {"login_failures", "login_locks"}
ATTEMPT_TABLES = {"submission_attempts"}
HEAD = "0006"


def sql(url: str, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    """One statement in its own transaction on a fresh engine (rows, if it returns any)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_upgrade_creates_the_schema_from_nothing_and_reruns_as_a_no_op(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.new(tmp_path / "deep" / "er", blank=True)
    upgrade(url)
    engine = make_engine(url)
    try:
        assert set(
            inspect(engine).get_table_names()
        ) == TABLES | CREDIT_TABLES | EXERCISE_TABLES | LOGIN_TABLES | ATTEMPT_TABLES | {
            "alembic_version"
        }
    finally:
        engine.dispose()
    sql(url, "INSERT INTO stored_files VALUES ('ab', 1, '2026-01-01')")
    upgrade(url)  # again: nothing to do, nothing lost
    assert sql(url, "SELECT sha256 FROM stored_files") == [("ab",)]
    assert sql(url, "SELECT version_num FROM alembic_version") == [(HEAD,)]


def test_migrated_database_matches_the_models_exactly(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_comparison_notices_a_schema_that_drifted(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_submissions_homework_user_created"))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d[0] for d in diff] == ["add_index"]


def test_downgrade_to_base_removes_every_table(engine: Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}


def test_exercise_results_migrate_onto_a_0002_database_and_back(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.new(tmp_path, blank=True)
    upgrade(url, "0002")
    sql(url, "INSERT INTO stored_files VALUES ('ab', 1, '2026-01-01')")
    upgrade(url)
    engine = make_engine(url)
    try:
        assert "exercise_results" in inspect(engine).get_table_names()
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        assert "exercise_results" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    assert sql(url, "SELECT sha256 FROM stored_files") == [("ab",)]


def test_login_throttle_and_session_epoch_migrate_onto_a_0003_database_and_back(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.new(tmp_path, blank=True)
    upgrade(url, "0003")
    sql(
        url,
        "INSERT INTO users (name, role, password_hash, created_at) "
        "VALUES ('ann', 'student', 'h', '2026-01-01')",
    )
    upgrade(url)
    assert sql(url, "SELECT name, session_epoch FROM users") == [("ann", 0)]
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= LOGIN_TABLES
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0003")
        assert not LOGIN_TABLES & set(inspect(engine).get_table_names())
        columns = {column["name"] for column in inspect(engine).get_columns("users")}
        assert "session_epoch" not in columns
    finally:
        engine.dispose()
    assert sql(url, "SELECT name, password_hash FROM users") == [("ann", "h")]


def test_submission_attempts_migrate_onto_a_0004_database_and_back(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.new(tmp_path, blank=True)
    upgrade(url, "0004")
    sql(
        url,
        "INSERT INTO users (name, role, created_at, session_epoch) "
        "VALUES ('ann', 'student', '2026-01-01', 2)",
    )
    upgrade(url)
    engine = make_engine(url)
    try:
        indexes = inspect(engine).get_indexes("submission_attempts")
        assert [(i["name"], i["column_names"]) for i in indexes] == [
            ("ix_submission_attempts_user_at", ["user_id", "at"])
        ]
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0004")
        assert not ATTEMPT_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert sql(url, "SELECT name, session_epoch FROM users") == [("ann", 2)]


SUBMISSION = (
    "INSERT INTO submissions (homework_id, user_id, file_sha256, filename, created_at, status, "
    "public_score, private_score, full_score, late_note, picked) VALUES ('hw', 1, 'ab', 'f', "
    "'2026-01-01', :status, :score, :score, :score, NULL, false)"
)


def test_queued_and_failed_submissions_migrate_onto_a_0005_database_and_back(
    databases: Databases, tmp_path: Path
) -> None:
    """0006 lets a policy wait unscored (queued) or fail with a message; the statuses stay
    checked, and going back drops only what the old schema cannot hold."""
    url = databases.new(tmp_path, blank=True)
    upgrade(url, "0005")
    sql(url, "INSERT INTO users (name, role, created_at) VALUES ('ann', 'student', '2026-01-01')")
    sql(url, "INSERT INTO stored_files VALUES ('ab', 1, '2026-01-01')")
    sql(
        url,
        "INSERT INTO homework VALUES ('hw', '2026-01-01', 'mean_return', true, 'policy', 10, 1, "
        "'d', 3, '/private/hw', '/shared/hw')",
    )
    sql(url, SUBMISSION, status="scored", score=1.5)
    upgrade(url)
    sql(url, SUBMISSION, status="queued", score=None)
    sql(url, "UPDATE submissions SET status = 'failed', message = 'it hung' WHERE id = 2")
    sql(url, SUBMISSION, status="queued", score=None)
    with pytest.raises(IntegrityError):
        sql(url, SUBMISSION, status="playing", score=None)
    rows = sql(url, "SELECT status, public_score, message FROM submissions ORDER BY id")
    assert rows == [("scored", 1.5, None), ("failed", None, "it hung"), ("queued", None, None)]
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0005")
        columns = {column["name"] for column in inspect(engine).get_columns("submissions")}
        assert "message" not in columns
    finally:
        engine.dispose()
    assert sql(url, "SELECT status, public_score FROM submissions") == [("scored", 1.5)]
    with pytest.raises(IntegrityError):
        sql(url, SUBMISSION, status="queued", score=None)
