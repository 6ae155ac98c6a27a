"""Review decisions on findings: appended, never changed or deleted (the audit trail).

The newest decision on an organization × audit code pair is the one in force; the earlier ones
stay as its history. None of the functions commits: the caller owns the transaction, so a file
of decisions is stored whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import REVIEW_DECISIONS, ReviewDecision, utcnow


@dataclass(slots=True, frozen=True)
class NewDecision:
    org_id: str
    rule: str
    decision: str  # REVIEW_DECISIONS
    author: str
    month: str
    reason: str = ""
    evidence_url: str = ""
    due_date: date | None = None
    source: str = ""
    check_id: int | None = None
    basis_status: str = ""
    basis_message: str = ""
    basis_url: str = ""
    basis_hash: str | None = None


def add_decision(session: Session, new: NewDecision, created_at: datetime | None = None) -> ReviewDecision:
    if new.decision not in REVIEW_DECISIONS:
        raise ValueError(f"unknown decision {new.decision!r}")
    row = ReviewDecision(
        org_id=new.org_id, rule=new.rule, decision=new.decision, reason=new.reason, evidence_url=new.evidence_url,
        due_date=new.due_date, author=new.author, created_at=created_at or utcnow(), source=new.source, month=new.month,
        check_id=new.check_id, basis_status=new.basis_status, basis_message=new.basis_message, basis_url=new.basis_url,
        basis_hash=new.basis_hash,
    )
    session.add(row)
    session.flush()
    return row


def current_decisions(session: Session, org_ids: Iterable[str] | None = None, month: str | None = None) -> dict[tuple[str, str], ReviewDecision]:
    """The decision in force on each pair (the newest), optionally for some organizations only; with
    ``month``, the newest among those made on that month's findings or earlier (what held then)."""
    q = select(ReviewDecision)
    if month is not None:
        q = q.where(ReviewDecision.month <= month)
    if org_ids is not None:
        wanted = sorted(set(org_ids))
        if len(wanted) <= 500:
            q = q.where(ReviewDecision.org_id.in_(wanted))
    keep = None if org_ids is None else set(org_ids)
    out: dict[tuple[str, str], ReviewDecision] = {}
    for row in session.scalars(q.order_by(ReviewDecision.id)):
        if keep is None or row.org_id in keep:
            out[(row.org_id, row.rule)] = row
    return out


def decision_history(session: Session, org_id: str | None = None, rule: str | None = None) -> list[ReviewDecision]:
    """Every decision, oldest first (the audit trail), optionally of one organization and code."""
    q = select(ReviewDecision)
    if org_id is not None:
        q = q.where(ReviewDecision.org_id == org_id)
    if rule is not None:
        q = q.where(ReviewDecision.rule == rule)
    return list(session.scalars(q.order_by(ReviewDecision.created_at, ReviewDecision.id)))
