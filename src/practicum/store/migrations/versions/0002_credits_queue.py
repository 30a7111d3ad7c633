"""credits ledger, metered runs, GPU queue and assignments, leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:49:22.802869
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    # The models use a UTCDateTime decorator over exactly this column type.
    return sa.DateTime(timezone=True)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users")
    )


def upgrade() -> None:
    op.create_table(
        "credit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_mc", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "kind IN ('grant', 'charge', 'refund', 'adjust')", name=op.f("ck_credit_entries_kind")
        ),
        _user_fk("credit_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_credit_entries_key")),
    )
    op.create_index("ix_credit_entries_user_amount", "credit_entries", ["user_id", "amount_mc"])
    op.create_table(
        "metered_runs",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("started", _utc(), nullable=False),
        sa.Column("next_slot", sa.Integer(), nullable=False),
        sa.Column("last_seen", _utc(), nullable=False),
        _user_fk("metered_runs"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_metered_runs")),
    )
    op.create_index(op.f("ix_metered_runs_user_id"), "metered_runs", ["user_id"])
    op.create_table(
        "gpu_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("requested_at", _utc(), nullable=False),
        _user_fk("gpu_queue"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gpu_queue")),
        sa.UniqueConstraint("user_id", name=op.f("uq_gpu_queue_user_id")),
    )
    op.create_table(
        "gpu_assignments",
        sa.Column("gpu", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", _utc(), nullable=False),
        sa.Column("start_requested_at", _utc(), nullable=True),
        _user_fk("gpu_assignments"),
        sa.PrimaryKeyConstraint("gpu", name=op.f("pk_gpu_assignments")),
        sa.UniqueConstraint("user_id", name=op.f("uq_gpu_assignments_user_id")),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("gpu_assignments")
    op.drop_table("gpu_queue")
    op.drop_index(op.f("ix_metered_runs_user_id"), table_name="metered_runs")
    op.drop_table("metered_runs")
    op.drop_index("ix_credit_entries_user_amount", table_name="credit_entries")
    op.drop_table("credit_entries")
