"""Results of the audits that are not item rules as rows (``audit_results``), moved out of the
check JSON kept in ``checks.extra``, so reports count and list them with the item results.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = ("rule", "group", "status", "evidence_url", "message")
_checks = sa.table("checks", sa.column("id", sa.Integer), sa.column("extra", sa.JSON))
_rows = sa.table(
    "audit_results",
    *(sa.column(k, sa.String) for k in _KEYS),
    sa.column("check_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("extra", sa.JSON),
)


def upgrade() -> None:
    op.create_table(
        "audit_results",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("group", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("evidence_url", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], name=op.f("fk_audit_results_check_id_checks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("check_id", "position", name=op.f("pk_audit_results")),
    )
    op.create_index(op.f("ix_audit_results_rule_status"), "audit_results", ["rule", "status"], unique=False)
    op.create_index(op.f("ix_audit_results_status"), "audit_results", ["status"], unique=False)
    _move(out_of_json=True)


def downgrade() -> None:
    _move(out_of_json=False)
    op.drop_index(op.f("ix_audit_results_status"), table_name="audit_results")
    op.drop_index(op.f("ix_audit_results_rule_status"), table_name="audit_results")
    op.drop_table("audit_results")


def _move(out_of_json: bool) -> None:
    """Stored checks keep their ``audits``: rows from the JSON on upgrade, back into it on downgrade."""
    bind = op.get_bind()
    checks = bind.execute(sa.select(_checks.c.id, _checks.c.extra)).all()
    for check_id, extra in checks:
        extra = dict(extra or {})
        values: dict[str, Any] = dict(extra.get("values") or {})
        if out_of_json:
            audits = values.pop("audits", None)
            if not isinstance(audits, list):
                continue
            rows = [
                {"check_id": check_id, "position": i, **{k: str(a.get(k) or "") for k in _KEYS},
                 "extra": {k: v for k, v in a.items() if k not in _KEYS} or None}
                for i, a in enumerate(audits) if isinstance(a, dict)
            ]
            if rows:
                bind.execute(sa.insert(_rows), rows)
        else:
            found = bind.execute(sa.select(_rows).where(_rows.c.check_id == check_id).order_by(_rows.c.position)).mappings().all()
            if not found and "audits" not in (extra.get("keys") or []):
                continue
            values["audits"] = [{**{k: r[k] for k in _KEYS}, **(r["extra"] or {})} for r in found]
        extra["values"] = values
        bind.execute(sa.update(_checks).where(_checks.c.id == check_id).values(extra=extra))
