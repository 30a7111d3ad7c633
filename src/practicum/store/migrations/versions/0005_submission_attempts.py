"""submission attempts, for the per-student upload rate limit

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    # The models use a UTCDateTime decorator over exactly this column type.
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "submission_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("homework_id", sa.String(length=64), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_submission_attempts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_attempts")),
    )
    op.create_index("ix_submission_attempts_user_at", "submission_attempts", ["user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_submission_attempts_user_at", table_name="submission_attempts")
    op.drop_table("submission_attempts")
