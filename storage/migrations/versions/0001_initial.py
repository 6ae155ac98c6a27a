"""Initial schema: organizations, runs, checks with item results and artifacts, bus.gov.ru results.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("inn", sa.String(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("short_name", sa.Text(), nullable=False),
        sa.Column("org_type", sa.String(), nullable=False),
        sa.Column("municipality", sa.String(), nullable=False),
        sa.Column("site_url", sa.Text(), nullable=False),
        sa.Column("busgov_agency_id", sa.BigInteger(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_index(op.f("ix_organizations_inn"), "organizations", ["inn"])
    op.create_index(op.f("ix_organizations_municipality"), "organizations", ["municipality"])

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("month", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rules_version", sa.String(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_kind_month"), "runs", ["kind", "month"])

    op.create_table(
        "busgov_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("agency_id", sa.BigInteger(), nullable=True),
        sa.Column("card", sa.JSON(), nullable=True),
        sa.Column("nok", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], name=op.f("fk_busgov_results_org_id_organizations")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_busgov_results_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_busgov_results")),
        sa.UniqueConstraint("run_id", "org_id", name=op.f("uq_busgov_results_run_id_org_id")),
    )
    op.create_index(op.f("ix_busgov_results_org_id"), "busgov_results", ["org_id"])

    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("org_type", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("p1_1_site", sa.Float(), nullable=True),
        sa.Column("p1_2", sa.Integer(), nullable=True),
        sa.Column("feedback", sa.JSON(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.String(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], name=op.f("fk_checks_org_id_organizations")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_checks_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
        sa.UniqueConstraint("run_id", "org_id", name=op.f("uq_checks_run_id_org_id")),
    )
    op.create_index(op.f("ix_checks_org_id"), "checks", ["org_id"])
    op.create_index(op.f("ix_checks_outcome"), "checks", ["outcome"])

    op.create_table(
        "artifacts",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], name=op.f("fk_artifacts_check_id_checks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_artifacts")),
    )

    op.create_table(
        "item_results",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("parent", sa.String(), nullable=False),
        sa.Column("itemprop", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("evidence_url", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], name=op.f("fk_item_results_check_id_checks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("check_id", "position", name=op.f("pk_item_results")),
    )
    op.create_index(op.f("ix_item_results_rule_status"), "item_results", ["rule", "status"])
    op.create_index(op.f("ix_item_results_status"), "item_results", ["status"])


def downgrade() -> None:
    op.drop_table("item_results")
    op.drop_table("artifacts")
    op.drop_table("checks")
    op.drop_table("busgov_results")
    op.drop_table("runs")
    op.drop_table("organizations")
