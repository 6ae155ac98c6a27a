"""Review decisions beside the verdicts: which decision holds for a month's finding, and the scores
computed both ways — «по проверке» (the audits' verdicts) and «с учётом решений».

A decision is made on a finding of one month (``storage.reviews``) and holds for later months while
the evidence it was made on is unchanged: the fingerprint of the finding's page
(``artifacts.evidence``) when one was recorded, otherwise the finding's message. When the site
changes it *lapses*, and the reports say so; a finding that is gone (the item passes) needs no
decision any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artifacts.evidence import page_fingerprint
from checks import catalogue
from checks.scores import percent
from reports.data import Dataset
from storage import repository
from storage.models import AuditResultRow, Check, ItemResult, ReviewDecision
from storage.reviews import current_decisions

DECISION_TITLES = {
    "confirmed": "подтверждено",
    "disputed": "оспорено — сведения размещены",
    "not_applicable": "не применяется к организации",
    "fix_planned": "принято к исправлению до",
}
STATE_TITLES = {
    "applies": "действует",
    "lapsed": "утратило силу",
    "resolved": "нарушение устранено",
    "unchecked": "не проверено в этом месяце",
    "later": "принято позже месяца отчёта",
}
OPEN_STATUSES = ("fail", "needs_review")  # a finding a decision can be made on
SCORE_LABELS = {"audit": "по проверке", "reviewed": "с учётом решений"}
SCORE_NOTE = (
    "«По проверке» — как решили проверки; «с учётом решений» — решения проверяющих применены: "
    "«оспорено — сведения размещены» засчитывает пункт как выполненный, «не применяется к организации» "
    "исключает его; «подтверждено» и «принято к исправлению» оставляют нарушение."
)


def decision_title(row: ReviewDecision) -> str:
    title = DECISION_TITLES[row.decision]
    if row.decision == "fix_planned" and row.due_date:
        title += " " + row.due_date.strftime("%d.%m.%Y")
    return title


@dataclass(slots=True)
class Finding:
    """One result of an audit in a stored check, and what it was read from."""

    org_id: str
    rule: str
    status: str
    message: str
    evidence_url: str
    section: str
    check_id: int


def finding_of(session: Session, check_id: int, org_id: str, rule: str) -> Finding | None:
    """The result of ``rule`` in the check: an item row, or a row of the other audits."""
    row = session.scalar(select(ItemResult).where(ItemResult.check_id == check_id, ItemResult.rule == rule).limit(1))
    if row is not None:
        return Finding(org_id, rule, row.status, row.message, row.evidence_url, row.section, check_id)
    audit = session.scalar(select(AuditResultRow).where(AuditResultRow.check_id == check_id, AuditResultRow.rule == rule).limit(1))
    if audit is not None:
        return Finding(org_id, rule, audit.status, audit.message, audit.evidence_url, "", check_id)
    return None


def fingerprint(session: Session, finding: Finding) -> str | None:
    """The fingerprint of the finding's page; remembered in the session, and the last artifact read kept
    (decisions come organization by organization, artifacts can be megabytes)."""
    known = session.info.setdefault("sveden_fingerprints", {})
    key = (finding.check_id, finding.evidence_url, finding.section)
    if key not in known:
        last = session.info.get("sveden_last_artifact")
        if last is None or last[0] != finding.check_id:
            last = (finding.check_id, repository.load_artifact(session, finding.check_id))
            session.info["sveden_last_artifact"] = last
        known[key] = page_fingerprint(last[1], finding.evidence_url, finding.section)
    return known[key]


@dataclass(slots=True)
class Applied:
    """A decision and what it means for the month's finding."""

    decision: ReviewDecision
    state: str  # STATE_TITLES
    note: str  # why it lapsed, in Russian ("" otherwise)
    status: str  # the finding's status this month ("" when not checked)
    overdue: bool = False  # «принято к исправлению до» a date before this month's check, still not fixed

    @property
    def holds(self) -> bool:
        return self.state == "applies"

    @property
    def title(self) -> str:
        return decision_title(self.decision)

    def label(self) -> str:
        """«оспорено — сведения размещены (действует)», «подтверждено — утратило силу: страница изменилась»."""
        if self.state == "applies":
            return self.title + (" — срок истёк" if self.overdue else "")
        return f"{self.title} — {STATE_TITLES[self.state]}" + (f": {self.note}" if self.note else "")


def applied_decisions(session: Session, ds: Dataset, org_ids: Iterable[str] | None = None) -> dict[tuple[str, str], Applied]:
    """Each decision in force on a pair of the report's organizations, judged against the month's check."""
    wanted = set(ds.scope if org_ids is None else org_ids)
    out: dict[tuple[str, str], Applied] = {}
    for (org_id, rule), row in current_decisions(session, wanted, ds.month).items():
        out[(org_id, rule)] = judge_decision(session, row, ds.current.get(org_id), ds.month)
    return out


def judge_decision(session: Session, row: ReviewDecision, check: Any, month: str) -> Applied:
    """``check``: the organization's check of ``month`` (a ``reports.data.CheckRow``) or None."""
    if row.month > month:
        return Applied(row, "later", "", "")
    if check is None or not check.checked:
        return Applied(row, "unchecked", "", "")
    finding = finding_of(session, check.id, row.org_id, row.rule)
    if finding is None or finding.status == "error":
        return Applied(row, "unchecked", "", finding.status if finding else "")
    if finding.status not in OPEN_STATUSES:
        return Applied(row, "resolved", "", finding.status)
    overdue = bool(row.decision == "fix_planned" and row.due_date and check.checked_at and check.checked_at.date() > row.due_date)
    note = evidence_changed(session, row, finding)
    return Applied(row, "lapsed" if note else "applies", note, finding.status, overdue)


def evidence_changed(session: Session, row: ReviewDecision, finding: Finding) -> str:
    """Why the decision no longer holds for ``finding`` (Russian), or "" while its evidence is unchanged:
    the same check, the same page fingerprint when one was recorded, else the same message."""
    if row.check_id == finding.check_id:
        return ""
    if row.basis_hash:
        now = fingerprint(session, finding)
        if now == row.basis_hash:
            return ""
        return "страница изменилась после решения" if now else "страница, на которой принято решение, не прочитана"
    return "" if finding.message == row.basis_message else "изменилось то, что найдено на сайте"


def reviewed_status(status: str, applied: Applied | None) -> str:
    """The item's status «с учётом решений»."""
    if applied is None or not applied.holds or status not in OPEN_STATUSES:
        return status
    return {"disputed": "pass", "not_applicable": "not_applicable"}.get(applied.decision.decision, status)


@dataclass(slots=True)
class ReviewedScore:
    p1_1: float | None  # П1.1 (сайт) «с учётом решений»
    fails: int  # нарушений «с учётом решений»
    compliant: bool


def reviewed_scores(session: Session, ds: Dataset, applied: dict[tuple[str, str], Applied]) -> dict[str, ReviewedScore]:
    """П1.1 (сайт), failures and «полностью соответствует» «с учётом решений», for organizations with a
    holding decision that changes a status (the others score the same both ways)."""
    optional = {r.code: r.optional for r in catalogue.rules()}  # П1.1 and the failure count are item rules' only
    by_org: dict[str, list[Applied]] = {}
    for (org_id, _), a in applied.items():
        if a.holds and a.decision.decision in ("disputed", "not_applicable") and a.decision.rule in optional:
            by_org.setdefault(org_id, []).append(a)
    out: dict[str, ReviewedScore] = {}
    for org_id, decided in by_org.items():
        check = ds.current.get(org_id)
        if check is None or not check.checked:
            continue
        scores = session.scalar(select(Check.scores).where(Check.id == check.id)) or {}
        required, passed = scores.get("p1_1_required"), scores.get("p1_1_passed")
        fails = check.fails
        for a in decided:
            after = reviewed_status(a.status, a)
            if a.status == "fail":
                fails -= 1
            if isinstance(required, int) and isinstance(passed, int) and not optional[a.decision.rule]:
                if after == "pass":
                    passed += 1
                elif after == "not_applicable":
                    required -= 1
        p1_1 = percent(passed, required) if isinstance(required, int) and isinstance(passed, int) else check.p1_1
        out[org_id] = ReviewedScore(p1_1, fails, fails == 0 and check.unjudged == 0)
    return out


def overdue(applied: dict[tuple[str, str], Applied]) -> list[Applied]:
    """Findings «принято к исправлению до» a date that passed before the month's check, still open."""
    return sorted((a for a in applied.values() if a.overdue), key=lambda a: (a.decision.due_date or date.min, a.decision.org_id, a.decision.rule))
