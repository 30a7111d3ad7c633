"""Alembic environment: migrates through the connection that `practicum.store.db` hands in."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from practicum.store.models import Base, UTCDateTime


def render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Keep migrations free of model imports: UTCDateTime is stored as a plain DateTime."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with practicum.store.db.upgrade(url); "
        "this environment needs a connection from alembic_config(connection)"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite can only ALTER tables by copying them
    render_item=render_item,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
