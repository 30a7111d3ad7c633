"""queued and failed submissions (policies played later by the worker), their message

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORED = "status IN ('scored', 'late_unranked')"
ANY = "status IN ('scored', 'late_unranked', 'queued', 'failed')"
SCORES = ("public_score", "private_score", "full_score")


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_constraint(op.f("ck_submissions_status"), type_="check")
        batch.create_check_constraint(op.f("ck_submissions_status"), ANY)
        for column in SCORES:
            batch.alter_column(column, existing_type=sa.Float(), nullable=True)
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))


def downgrade() -> None:
    # queued and failed rows have no scores to keep: they cannot exist in the old schema
    op.execute(sa.text("DELETE FROM submissions WHERE status IN ('queued', 'failed')"))
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("message")
        for column in SCORES:
            batch.alter_column(column, existing_type=sa.Float(), nullable=False)
        batch.drop_constraint(op.f("ck_submissions_status"), type_="check")
        batch.create_check_constraint(op.f("ck_submissions_status"), SCORED)
