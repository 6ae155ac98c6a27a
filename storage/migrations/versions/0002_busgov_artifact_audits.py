"""bus.gov.ru results keep the gathered artifact and the audits' verdicts apart.

``artifact`` is what the crawler gathered (re-judged by ``sveden recheck``); ``audits`` are the
results of the bus.gov.ru audits (BUS002, BUS003). Rows stored before have neither: their
artifact is rebuilt from the row on read (``artifacts.schema.upgrade_busgov``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("busgov_results") as batch:
        batch.add_column(sa.Column("artifact", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("audits", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("busgov_results") as batch:
        batch.drop_column("audits")
        batch.drop_column("artifact")
