"""Engines, sessions and migrations: SQLite on one machine, PostgreSQL by URL.

SQLite is set up for many concurrent writers on one file: WAL (readers never block
the writer), a 30 s busy timeout (writers queue instead of failing), foreign keys on,
and write transactions that start with BEGIN IMMEDIATE, so that a transaction which
reads a count and then inserts holds the write lock from its first statement and no
other writer can slip in between (the daily submission limit relies on this).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, UOWTransaction

from practicum.owner_only import owner_only_file
from practicum.settings import state_home
from practicum.store.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "practicum_read_only"


def default_url() -> str:
    """$PRACTICUM_DATABASE_URL, else a SQLite file in the state folder."""
    env = os.environ.get("PRACTICUM_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{state_home() / 'practicum.db'}"


MAX_ROW_ID = 2**63 - 1
"""The largest id a row can have (a signed 64-bit integer, in SQLite and PostgreSQL)."""


def fits_row_id(value: int) -> bool:
    """Whether `value` can be a row id: a larger number from a URL would make the driver
    fail (a 500) where the answer is simply that no such row exists."""
    return 0 < value <= MAX_ROW_ID


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    url = url or default_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(_with_installed_driver(parsed), echo=echo, pool_pre_ping=True)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        # every private score is in there: SQLite gives its journals the file's own mode
        owner_only_file(Path(parsed.database).expanduser())
    engine = create_engine(url, echo=echo)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _with_installed_driver(url: URL) -> URL:
    """`postgresql://...` means psycopg2 to SQLAlchemy; Practicum installs psycopg 3, so a
    URL without a driver uses that one unless psycopg2 is there."""
    if url.drivername != "postgresql" or importlib.util.find_spec("psycopg2") is not None:
        return url
    return url.set(drivername="postgresql+psycopg")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module (it would defer it past our SELECTs)
    # and emit it ourselves in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(_READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class ReadOnlySession(StoreError):
    """A write was attempted inside `session_scope(..., read_only=True)`."""


def _refuse_flush(session: Session, _tx: UOWTransaction, _instances: object) -> None:
    raise ReadOnlySession("this session is read-only; open it with session_scope(engine)")


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session whose transaction commits when the block ends and rolls back on error.

    `read_only=True` is for pages such as leaderboards: on SQLite it begins a deferred
    transaction, so it reads a consistent snapshot without waiting for the write lock;
    any ORM write in it raises `ReadOnlySession`, and nothing is committed.
    """
    bind = engine.execution_options(**{_READ_ONLY: True}) if read_only else engine
    session = Session(bind, expire_on_commit=False)
    if read_only:
        event.listen(session, "before_flush", _refuse_flush)
    try:
        yield session
        if read_only:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped inside this package.

    With `connection`, env.py migrates through it (see `upgrade`); developers can pass
    the config to `alembic.command.revision(cfg, message=..., autogenerate=True)`.
    """
    config = Config()
    config.set_main_option("script_location", "practicum.store:migrations")
    config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`; running it again changes nothing.

    The whole upgrade runs in one transaction, so a failing migration leaves the
    database as it was (on SQLite too, since our BEGIN makes its DDL transactional).
    """
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()
