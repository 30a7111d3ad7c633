"""login throttling (failures and locks) and revocable sessions (users.session_epoch)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPES = "scope IN ('account', 'address')"


def _utc() -> sa.DateTime:
    # The models use a UTCDateTime decorator over exactly this column type.
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("failed_at", _utc(), nullable=False),
        sa.CheckConstraint(SCOPES, name=op.f("ck_login_failures_scope")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_scope_key_at", "login_failures", ["scope", "key", "failed_at"]
    )
    op.create_table(
        "login_locks",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("locked_until", _utc(), nullable=False),
        sa.Column("strikes", sa.Integer(), nullable=False),
        sa.CheckConstraint(SCOPES, name=op.f("ck_login_locks_scope")),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_login_locks")),
    )


def downgrade() -> None:
    op.drop_table("login_locks")
    op.drop_index("ix_login_failures_scope_key_at", table_name="login_failures")
    op.drop_table("login_failures")
    # Not batch mode: copying `users` would trip the foreign keys that point at it.
    op.drop_column("users", "session_epoch")
