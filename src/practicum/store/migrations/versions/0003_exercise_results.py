"""exercise results reported by the lesson notebooks

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    # The models use a UTCDateTime decorator over exactly this column type.
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exercise_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lesson", sa.Integer(), nullable=False),
        sa.Column("exercise", sa.String(length=64), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("used_reference", sa.Boolean(), nullable=False),
        sa.Column("first_done_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint("lesson BETWEEN 1 AND 99", name=op.f("ck_exercise_results_lesson")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_exercise_results_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_results")),
        sa.UniqueConstraint(
            "user_id", "lesson", "exercise", name=op.f("uq_exercise_results_user_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("exercise_results")
