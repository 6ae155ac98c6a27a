"""Small typed functions the rest of sveden uses to store and read runs and checks.

None of them commits: the caller owns the transaction (the crawler pipeline commits once per
organization, so an interrupted run keeps every organization it finished).
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from storage.models import (
    BUSGOV_STATUSES,
    CHECK_OUTCOMES,
    RUN_KINDS,
    RUN_STATUSES,
    Artifact,
    AuditResultRow,
    BusGovResult,
    Check,
    ItemResult,
    Run,
    utcnow,
)

RESUMABLE_STATUSES = ("running", "interrupted", "failed")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# Keys of the check JSON that have columns of their own (``checked_at`` and ``items`` aside).
_CHECK_COLUMNS = ("url", "org_type", "outcome", "reachable", "error", "counts", "feedback", "scores", "sections", "rules_version")
_ITEM_KEYS = ("section", "parent", "itemprop", "rule", "status", "evidence_url", "message")
# Keys of an audit result (the check JSON's ``audits``) with columns of their own.
_AUDIT_KEYS = ("rule", "group", "status", "evidence_url", "message")


def canonical_filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Filters in a comparable form: empty values dropped, lists of strings sorted and deduplicated."""
    out: dict[str, Any] = {}
    for key, value in sorted((filters or {}).items()):
        if value is None or value == [] or value == () or value == "":
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            value = sorted(set(value), key=str) if all(isinstance(v, str) for v in value) else list(value)
        out[key] = value
    return out


# --- runs ----------------------------------------------------------------------------------


def start_run(
    session: Session,
    kind: str,
    month: str | None,
    rules_version: str,
    settings: Mapping[str, Any] | None = None,
    filters: Mapping[str, Any] | None = None,
) -> Run:
    if kind not in RUN_KINDS:
        raise ValueError(f"unknown run kind {kind!r}")
    if month is not None and not _MONTH.match(month):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    if kind == "monthly" and month is None:
        raise ValueError("a monthly run needs its month")
    run = Run(
        kind=kind,
        month=month,
        status="running",
        started_at=utcnow(),
        rules_version=rules_version,
        settings=dict(settings or {}),
        filters=canonical_filters(filters),
        totals={},
    )
    session.add(run)
    session.flush()
    return run


def find_resumable_run(session: Session, month: str, filters: Mapping[str, Any] | None = None, kind: str = "monthly") -> Run | None:
    """The newest unfinished run of the month with the same filters (status running, interrupted or failed).

    A run is never resumable once a newer run of the same month and filters has finished.
    """
    wanted = canonical_filters(filters)
    runs = session.scalars(select(Run).where(Run.kind == kind, Run.month == month).order_by(Run.started_at.desc(), Run.id.desc()))
    for run in runs:
        if canonical_filters(run.filters) != wanted:
            continue
        return run if run.status in RESUMABLE_STATUSES else None
    return None


def run_totals(session: Session, run_id: int) -> dict[str, Any]:
    """What a run produced: checks by outcome, item results by status, bus.gov.ru results by status."""
    outcomes: Counter[str] = Counter()
    items: Counter[str] = Counter()
    for outcome, counts in session.execute(select(Check.outcome, Check.counts).where(Check.run_id == run_id)):
        outcomes[outcome] += 1
        items.update({k: int(v) for k, v in (counts or {}).items()})
    busgov = Counter(session.scalars(select(BusGovResult.status).where(BusGovResult.run_id == run_id)))
    return {
        "checks": sum(outcomes.values()),
        "outcomes": dict(sorted(outcomes.items())),
        "items": dict(sorted(items.items())),
        "busgov": dict(sorted(busgov.items())),
    }


def finish_run(session: Session, run_id: int, status: str = "finished", totals: Mapping[str, Any] | None = None) -> Run:
    """Close a run (``finished``, ``interrupted`` or ``failed``); totals are computed when not given."""
    if status not in RUN_STATUSES or status == "running":
        raise ValueError(f"a run cannot finish as {status!r}")
    run = session.get_one(Run, run_id)
    run.status = status
    run.finished_at = utcnow()
    run.totals = dict(totals) if totals is not None else run_totals(session, run_id)
    session.flush()
    return run


def resume_run(session: Session, run_id: int) -> Run:
    """Mark a resumable run as running again (``finished_at`` cleared)."""
    run = session.get_one(Run, run_id)
    run.status = "running"
    run.finished_at = None
    session.flush()
    return run


def latest_runs(session: Session, kind: str | None = None, month: str | None = None, status: str | None = None, limit: int = 20) -> list[Run]:
    """Newest first."""
    q = select(Run)
    if kind:
        q = q.where(Run.kind == kind)
    if month:
        q = q.where(Run.month == month)
    if status:
        q = q.where(Run.status == status)
    return list(session.scalars(q.order_by(Run.started_at.desc(), Run.id.desc()).limit(limit)))


# --- checks --------------------------------------------------------------------------------


def _parse_checked_at(raw: Any) -> tuple[datetime, bool]:
    """The timestamp, and whether formatting it back gives exactly ``raw``."""
    if isinstance(raw, datetime):
        dt = raw if raw.tzinfo else raw.replace(tzinfo=UTC)
        return dt.astimezone(UTC), False
    try:
        dt = datetime.fromisoformat(str(raw))
    except (TypeError, ValueError):
        return utcnow(), False
    dt = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
    return dt, _format_checked_at(dt) == raw


def _format_checked_at(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds" if dt.microsecond else "seconds")


def _indicator(scores: Any, *keys: str) -> Any:
    """A НОКО indicator value from the scores document: a flat key, or ``{"value": …}`` under it."""
    if not isinstance(scores, Mapping):
        return None
    for key in keys:
        value = scores.get(key)
        if isinstance(value, Mapping):
            value = next((value[k] for k in ("value", "points", "score") if k in value), None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return None


def save_check(
    session: Session,
    run_id: int,
    org_id: str | None,
    check_json: Mapping[str, Any],
    artifact: Mapping[str, Any] | None = None,
) -> Check:
    """Store a check JSON (its items as rows) and the site artifact it was judged from.

    Saving the same (run, organization) again replaces the earlier check. Flushes, never commits.
    """
    outcome = str(check_json.get("outcome") or "ok")
    if outcome not in CHECK_OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if org_id is not None:
        old = session.scalar(select(Check.id).where(Check.run_id == run_id, Check.org_id == org_id))
        if old is not None:
            delete_check(session, old)

    checked_at, exact = _parse_checked_at(check_json.get("checked_at"))
    values = {k: v for k, v in check_json.items() if k not in _CHECK_COLUMNS and k not in ("checked_at", "items", "audits")}
    if isinstance(check_json.get("checked_at"), str) and not exact:
        values["checked_at"] = check_json["checked_at"]  # kept verbatim: it does not round-trip
    scores = check_json.get("scores")
    p1_1 = _indicator(scores, "p1_1_site", "p1_1", "1.1")
    p1_2 = _indicator(scores, "p1_2", "1.2")
    check = Check(
        run_id=run_id,
        org_id=org_id,
        url=str(check_json.get("url") or ""),
        org_type=str(check_json.get("org_type") or ""),
        outcome=outcome,
        reachable=bool(check_json.get("reachable", outcome in ("ok", "no_sveden_section"))),
        error=str(check_json.get("error") or ""),
        checked_at=checked_at,
        counts=check_json.get("counts") or {},
        p1_1_site=float(p1_1) if p1_1 is not None else None,
        p1_2=round(p1_2) if p1_2 is not None else None,
        feedback=check_json.get("feedback"),
        scores=scores,
        sections=check_json.get("sections") or [],
        rules_version=str(check_json.get("rules_version") or ""),
        extra={"keys": list(check_json.keys()), "values": values},
    )
    session.add(check)
    session.flush()

    rows = []
    for position, item in enumerate(check_json.get("items") or []):
        extra = {k: v for k, v in item.items() if k not in _ITEM_KEYS} or None
        row: dict[str, Any] = {k: str(item.get(k) or "") for k in _ITEM_KEYS}
        rows.append({"check_id": check.id, "position": position, **row, "extra": extra})
    if rows:
        session.execute(insert(ItemResult), rows)
    audit_rows = [
        {"check_id": check.id, "position": position, **{k: str(a.get(k) or "") for k in _AUDIT_KEYS},
         "extra": {k: v for k, v in a.items() if k not in _AUDIT_KEYS} or None}
        for position, a in enumerate(check_json.get("audits") or [])
    ]
    if audit_rows:
        session.execute(insert(AuditResultRow), audit_rows)
    if artifact is not None:
        raw = json.dumps(artifact, ensure_ascii=False, separators=(",", ":")).encode()
        session.add(Artifact(check_id=check.id, data=zlib.compress(raw, 6), size=len(raw)))
    session.flush()
    return check


def delete_check(session: Session, check_id: int) -> None:
    """Remove a check with its items and artifact (explicitly: no reliance on ON DELETE CASCADE)."""
    session.execute(delete(ItemResult).where(ItemResult.check_id == check_id))
    session.execute(delete(AuditResultRow).where(AuditResultRow.check_id == check_id))
    session.execute(delete(Artifact).where(Artifact.check_id == check_id))
    check = session.get(Check, check_id)
    if check is not None:
        session.delete(check)
    session.flush()


def done_org_ids(session: Session, run_id: int, exclude_outcomes: Iterable[str] = ()) -> set[str]:
    """Organizations already checked in the run (to skip when resuming); ``exclude_outcomes``
    (e.g. ``("timeout",)``) lets a resumed run try those again."""
    q = select(Check.org_id).where(Check.run_id == run_id, Check.org_id.is_not(None))
    excluded = list(exclude_outcomes)
    if excluded:
        q = q.where(Check.outcome.not_in(excluded))
    return {org_id for org_id in session.scalars(q) if org_id is not None}


def find_check(session: Session, run_id: int, org_id: str) -> Check | None:
    return session.scalar(select(Check).where(Check.run_id == run_id, Check.org_id == org_id))


def load_check_json(session: Session, check_id: int) -> dict[str, Any]:
    """The check JSON exactly as it was saved, items included."""
    check = session.get_one(Check, check_id)
    rows = session.scalars(select(ItemResult).where(ItemResult.check_id == check_id).order_by(ItemResult.position))
    audit_rows = session.scalars(select(AuditResultRow).where(AuditResultRow.check_id == check_id).order_by(AuditResultRow.position))
    return _check_json(check, list(rows), list(audit_rows))


def load_check_jsons(session: Session, check_ids: Iterable[int], chunk: int = 500) -> Iterator[tuple[int, dict[str, Any]]]:
    """``load_check_json`` for many checks with two queries per chunk (reports render thousands)."""
    ids = list(check_ids)
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        checks = {c.id: c for c in session.scalars(select(Check).where(Check.id.in_(part)))}
        items: dict[int, list[ItemResult]] = {i: [] for i in part}
        q = select(ItemResult).where(ItemResult.check_id.in_(part)).order_by(ItemResult.check_id, ItemResult.position)
        for row in session.scalars(q):
            items[row.check_id].append(row)
        audits: dict[int, list[AuditResultRow]] = {i: [] for i in part}
        q2 = select(AuditResultRow).where(AuditResultRow.check_id.in_(part)).order_by(AuditResultRow.check_id, AuditResultRow.position)
        for arow in session.scalars(q2):
            audits[arow.check_id].append(arow)
        for check_id in part:
            yield check_id, _check_json(checks[check_id], items[check_id], audits[check_id])


def _check_json(check: Check, rows: list[ItemResult], audit_rows: list[AuditResultRow]) -> dict[str, Any]:
    extra = check.extra or {}
    values: dict[str, Any] = extra.get("values", {})
    keys: list[str] = extra.get("keys") or [*_CHECK_COLUMNS, "checked_at", "items"]
    items = []
    for row in rows:
        item = {k: getattr(row, k) for k in _ITEM_KEYS}
        if row.extra:
            item.update(row.extra)
        items.append(item)
    out: dict[str, Any] = {}
    for key in keys:
        if key in values:
            out[key] = values[key]
        elif key == "checked_at":
            out[key] = _format_checked_at(check.checked_at)
        elif key == "items":
            out[key] = items
        elif key == "audits":
            out[key] = [{**{k: getattr(r, k) for k in _AUDIT_KEYS}, **(r.extra or {})} for r in audit_rows]
        elif key in _CHECK_COLUMNS:
            out[key] = getattr(check, key)
    return out


def load_artifact(session: Session, check_id: int) -> dict[str, Any] | None:
    """The site artifact saved with a check, or None."""
    art = session.get(Artifact, check_id)
    if art is None:
        return None
    return json.loads(zlib.decompress(art.data))


# --- bus.gov.ru ----------------------------------------------------------------------------


def save_busgov(
    session: Session,
    run_id: int,
    org_id: str,
    status: str,
    *,
    agency_id: int | None = None,
    card: Mapping[str, Any] | None = None,
    nok: Mapping[str, Any] | None = None,
    message: str = "",
    fetched_at: datetime | None = None,
    artifact: Mapping[str, Any] | None = None,
    audits: list[Any] | None = None,
) -> BusGovResult:
    """What bus.gov.ru publishes about an organization in this run; replaces an earlier result."""
    if status not in BUSGOV_STATUSES:
        raise ValueError(f"unknown bus.gov.ru status {status!r}")
    result = session.scalar(select(BusGovResult).where(BusGovResult.run_id == run_id, BusGovResult.org_id == org_id))
    if result is None:
        result = BusGovResult(run_id=run_id, org_id=org_id)
        session.add(result)
    result.status = status
    result.agency_id = agency_id
    result.card = dict(card) if card is not None else None
    result.nok = dict(nok) if nok is not None else None
    result.message = message
    result.fetched_at = fetched_at or utcnow()
    result.artifact = dict(artifact) if artifact is not None else None
    result.audits = list(audits) if audits is not None else None
    session.flush()
    return result


def load_busgov_artifact(result: BusGovResult) -> dict[str, Any]:
    """The gathered bus.gov.ru artifact of a stored result; rows stored before it was kept give
    it back from their columns in the version 1 shape (upgraded on read by the audits)."""
    if result.artifact is not None:
        return dict(result.artifact)
    return {
        "kind": "busgov", "version": 1, "org_id": result.org_id, "status": result.status, "agency_id": result.agency_id,
        "card": result.card, "nok": result.nok, "message": result.message,
        "fetched_at": result.fetched_at.isoformat(timespec="seconds") if result.fetched_at else None,
    }


def busgov_result(session: Session, run_id: int, org_id: str) -> BusGovResult | None:
    return session.scalar(select(BusGovResult).where(BusGovResult.run_id == run_id, BusGovResult.org_id == org_id))


def busgov_results(session: Session, run_id: int) -> dict[str, BusGovResult]:
    """The run's bus.gov.ru results by organization id."""
    return {r.org_id: r for r in session.scalars(select(BusGovResult).where(BusGovResult.run_id == run_id))}
