"""Review decisions on findings and their audit trail (issue 16).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("month", sa.String(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("basis_status", sa.String(), nullable=False),
        sa.Column("basis_message", sa.Text(), nullable=False),
        sa.Column("basis_url", sa.Text(), nullable=False),
        sa.Column("basis_hash", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], name=op.f("fk_review_decisions_org_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
    )
    op.create_index(op.f("ix_review_decisions_org_id_rule"), "review_decisions", ["org_id", "rule"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_review_decisions_org_id_rule"), table_name="review_decisions")
    op.drop_table("review_decisions")
