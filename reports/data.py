"""A month of monitoring results, loaded for the reports in a few SQL queries.

The results of a month are the checks of its *finished* monthly runs; when a month has several
(a whole-region run, then a re-run of one municipality), each organization's newest check counts.
Nothing here loads item rows one organization at a time: item-level figures come from
``GROUP BY`` queries over ``item_results`` and from one self-join for the changes since the
previous month. Only the school reports read whole check documents, through
``storage.repository.load_check_json``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from artifacts.schema import CHECKED_OUTCOMES
from storage.models import AuditResultRow, BusGovResult, Check, ItemResult, Organization, Run
from storage.registry import grouping_values

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
HISTORY_MONTHS = 12  # earlier months shown in the trends
_CHUNK = 900  # ids per IN (…) list: below SQLite's oldest limit of 999 bound parameters
FINDING_STATUSES = ("fail", "needs_review", "error")


class ReportError(Exception):
    """A problem the user must fix (no run for the month, unknown municipality…); Russian text."""


@dataclass(slots=True)
class Org:
    id: str
    name: str
    short_name: str
    municipality: str
    org_type: str
    site_url: str
    active: bool
    inn: str | None = None
    groups: dict[str, str] = field(default_factory=dict)  # the registry's extra grouping columns (district, locality…)


@dataclass(slots=True)
class RunInfo:
    id: int
    month: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rules_version: str
    filters: dict[str, Any]


@dataclass(slots=True)
class CheckRow:
    """The columns of a stored check that the reports use (no items, no artifact)."""

    id: int
    run_id: int
    org_id: str
    outcome: str
    reachable: bool
    error: str
    counts: dict[str, int]
    p1_1: float | None
    p1_2: int | None
    channels: dict[str, bool] | None
    checked_at: datetime | None = None
    url: str = ""
    org_type: str = ""
    rules_version: str = ""
    sections: list[dict[str, Any]] | None = None

    @property
    def checked(self) -> bool:
        """Judged (the site answered): every other outcome means «не проверено»."""
        return self.outcome in CHECKED_OUTCOMES

    @property
    def fails(self) -> int:
        return int(self.counts.get("fail", 0))

    @property
    def unjudged(self) -> int:
        """Applicable items that could not be checked (their subsection page errored, a budget ran out)."""
        return int(self.counts.get("error", 0))

    @property
    def compliant(self) -> bool:
        """Checked, every applicable item actually judged, and none fails: an error never looks compliant."""
        return self.checked and self.fails == 0 and self.unjudged == 0

    @property
    def incomplete(self) -> bool:
        """Checked without a failure, but with items that could not be checked: kept out of «compliant»."""
        return self.checked and self.fails == 0 and self.unjudged > 0


@dataclass(slots=True)
class BusGovRow:
    org_id: str
    status: str
    message: str
    agency_id: int | None
    nok: dict[str, Any] | None
    card: dict[str, Any] | None
    audits: list[dict[str, Any]]  # the bus.gov.ru and cross-check audits of the card (BUS, CRD)


@dataclass
class Dataset:
    month: str
    runs: list[RunInfo]  # finished monthly runs of the month, oldest first
    unfinished: list[RunInfo]  # runs of the month that did not finish (not used, mentioned)
    orgs: dict[str, Org]
    scope: list[str]  # organizations of the report (filters applied), by municipality and name
    current: dict[str, CheckRow]  # org id → its check of the month (only organizations in scope)
    history: dict[str, dict[str, CheckRow]]  # earlier finished months, ascending → org id → check
    history_runs: dict[str, list[RunInfo]]
    item_counts: dict[str, Counter[tuple[str, str]]]  # municipality → (rule, status) → checks (checked sites only)
    busgov: dict[str, BusGovRow]
    filters: dict[str, list[str]] = field(default_factory=dict)
    # The whole region in the month, whatever the filters (the «по региону» figures a filtered
    # report compares with): the same objects as ``scope`` and ``current`` when nothing is filtered.
    region_scope: list[str] = field(default_factory=list)
    region_current: dict[str, CheckRow] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        return [*self.history, self.month]

    @property
    def previous_month(self) -> str | None:
        return next(reversed(self.history), None) if self.history else None

    @property
    def previous(self) -> dict[str, CheckRow]:
        prev = self.previous_month
        return self.history[prev] if prev else {}

    @property
    def municipalities(self) -> list[str]:
        return sorted({self.orgs[o].municipality for o in self.scope}, key=_ru_key)

    @property
    def rules_versions(self) -> list[str]:
        return sorted({r.rules_version for r in self.runs if r.rules_version} | {c.rules_version for c in self.current.values() if c.rules_version})

    def orgs_of(self, municipality: str) -> list[str]:
        return [o for o in self.scope if self.orgs[o].municipality == municipality]

    def region_item_counts(self) -> Counter[tuple[str, str]]:
        total: Counter[tuple[str, str]] = Counter()
        for counts in self.item_counts.values():
            total.update(counts)
        return total


def _ru_key(text: str) -> tuple[Any, ...]:
    """Alphabetical (ё as е, case-insensitive), numbers by value: «район № 2» before «район № 10»."""
    parts = re.split(r"(\d+)", text.casefold().replace("ё", "е"))
    return (tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p), text)


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _run_info(run: Run) -> RunInfo:
    return RunInfo(run.id, run.month or "", run.status, run.started_at, run.finished_at, run.rules_version or "", dict(run.filters or {}))


def monthly_runs(session: Session) -> list[RunInfo]:
    """Every monthly run, oldest first (a handful a year)."""
    runs = session.scalars(select(Run).where(Run.kind == "monthly").order_by(Run.started_at, Run.id))
    return [_run_info(r) for r in runs]


def finished_months(runs: Iterable[RunInfo]) -> list[str]:
    return sorted({r.month for r in runs if r.status == "finished" and r.month})


def resolve_month(runs: list[RunInfo], month: str | None) -> str:
    """The month to report: the one asked for (it must have a finished run) or the newest finished one."""
    done = finished_months(runs)
    if month is not None:
        if not MONTH_RE.match(month):
            raise ReportError(f"месяц должен быть в виде ГГГГ-ММ, получено «{month}»")
        if month in done:
            return month
        unfinished = [r for r in runs if r.month == month]
        if unfinished:
            r = unfinished[-1]
            state = {"running": "ещё идёт", "interrupted": "прерван", "failed": "завершился с ошибкой"}.get(r.status, r.status)
            raise ReportError(
                f"обход за {month} не завершён (обход № {r.id} {state}): продолжите его командой "
                f"sveden crawl --month {month} --resume, затем постройте отчёт"
            )
        have = ", ".join(done[-12:]) if done else "нет ни одного"
        raise ReportError(f"нет завершённого ежемесячного обхода за {month}; завершённые обходы: {have}")
    if not done:
        raise ReportError("в базе данных нет ни одного завершённого ежемесячного обхода: сначала выполните sveden crawl")
    return done[-1]


def _order_key(run: RunInfo) -> tuple[datetime, int]:
    return (run.finished_at or run.started_at, run.id)


def _check_row(row, with_sections: bool) -> CheckRow:  # noqa: ANN001 - a row of _check_columns()
    channels = row[9]
    return CheckRow(
        id=row[0], run_id=row[1], org_id=row[2], outcome=row[3], reachable=bool(row[4]), error=row[5] or "",
        counts={k: int(v) for k, v in (row[6] or {}).items()}, p1_1=row[7], p1_2=row[8],
        channels={k: bool(v) for k, v in channels.items()} if isinstance(channels, dict) else None,
        checked_at=row[10], url=row[11] or "", org_type=row[12] or "", rules_version=row[13] or "",
        sections=(row[14] or []) if with_sections else None,
    )


def _check_columns(with_sections: bool) -> list[Any]:
    cols: list[Any] = [
        Check.id, Check.run_id, Check.org_id, Check.outcome, Check.reachable, Check.error, Check.counts,
        Check.p1_1_site, Check.p1_2, Check.feedback["channels"], Check.checked_at, Check.url, Check.org_type, Check.rules_version,
    ]
    if with_sections:
        cols.append(Check.sections)
    return cols


def _latest_checks(session: Session, runs: list[RunInfo], with_sections: bool, org_filter: set[str] | None) -> dict[str, CheckRow]:
    """Each organization's check in the newest of ``runs`` that has one."""
    if not runs:
        return {}
    order = {r.id: i for i, r in enumerate(sorted(runs, key=_order_key))}
    chosen: dict[str, tuple[int, CheckRow]] = {}
    q = select(*_check_columns(with_sections)).where(Check.run_id.in_(list(order)), Check.org_id.is_not(None))
    for row in session.execute(q):
        org_id = row[2]
        if org_filter is not None and org_id not in org_filter:
            continue
        check = _check_row(row, with_sections)
        rank = order[check.run_id]
        if org_id not in chosen or chosen[org_id][0] < rank:
            chosen[org_id] = (rank, check)
    return {org_id: check for org_id, (_, check) in chosen.items()}


def load_dataset(
    session: Session,
    month: str | None = None,
    municipalities: Sequence[str] = (),
    org_ids: Sequence[str] = (),
    history_months: int = HISTORY_MONTHS,
) -> Dataset:
    """Everything the regional, department and export reports need, for the month and its history."""
    all_runs = monthly_runs(session)
    month = resolve_month(all_runs, month)
    runs = sorted((r for r in all_runs if r.month == month and r.status == "finished"), key=_order_key)
    unfinished = [r for r in all_runs if r.month == month and r.status != "finished"]

    orgs = {
        o.id: Org(o.id, o.name, o.short_name or "", o.municipality, o.org_type, o.site_url, bool(o.active), o.inn, grouping_values(o.extra))
        for o in session.scalars(select(Organization))
    }
    known_munis = sorted({o.municipality for o in orgs.values()}, key=_ru_key)
    wanted_munis = [m.strip() for m in municipalities if m.strip()]
    for m in wanted_munis:
        if m not in known_munis:
            close = [k for k in known_munis if m.casefold() in k.casefold()]
            hint = f"; возможно, вы имели в виду: {', '.join(close[:5])}" if close else f"; в реестре: {', '.join(known_munis[:20])}" + ("…" if len(known_munis) > 20 else "")
            raise ReportError(f"неизвестный муниципалитет «{m}»{hint}")
    missing = sorted(set(org_ids) - set(orgs))
    if missing:
        raise ReportError(f"в реестре нет организаций с кодами: {', '.join(missing)}")

    def selected(org: Org) -> bool:
        return (not wanted_munis or org.municipality in wanted_munis) and (not org_ids or org.id in org_ids)

    filtered = {o.id for o in orgs.values() if selected(o)}
    current = _latest_checks(session, runs, True, filtered)
    scope = sorted({o for o in filtered if orgs[o].active} | set(current), key=lambda o: (*_ru_key(orgs[o].municipality), *_ru_key(orgs[o].name), o))

    history: dict[str, dict[str, CheckRow]] = {}
    history_runs: dict[str, list[RunInfo]] = {}
    earlier = [m for m in finished_months(all_runs) if m < month][-history_months:] if history_months > 0 else []
    if earlier:
        hruns = [r for r in all_runs if r.month in earlier and r.status == "finished"]
        rows = _history_checks(session, hruns, set(scope))
        for m in earlier:
            history_runs[m] = sorted((r for r in hruns if r.month == m), key=_order_key)
            history[m] = rows.get(m, {})

    item_counts = _item_counts(session, current, orgs, duplicated=_has_duplicates(session, runs), whole_runs=not wanted_munis and not org_ids, runs=runs)
    busgov = _busgov(session, runs, set(scope))
    region_scope, region_current = scope, current
    if wanted_munis or org_ids:
        region_current = _latest_checks(session, runs, False, None)
        region_scope = [o for o in orgs if orgs[o].active or o in region_current]
    return Dataset(
        month=month, runs=runs, unfinished=unfinished, orgs=orgs, scope=scope, current=current, history=history,
        history_runs=history_runs, item_counts=item_counts, busgov=busgov,
        filters={"municipality": wanted_munis, "org": sorted(org_ids)},
        region_scope=region_scope, region_current=region_current,
    )


def _history_checks(session: Session, runs: list[RunInfo], scope: set[str]) -> dict[str, dict[str, CheckRow]]:
    """Light check rows of earlier months (one query), each organization's newest per month."""
    by_month: dict[str, list[RunInfo]] = defaultdict(list)
    for r in runs:
        by_month[r.month].append(r)
    month_of = {r.id: r.month for r in runs}
    order = {r.id: i for i, r in enumerate(sorted(runs, key=_order_key))}
    out: dict[str, dict[str, tuple[int, CheckRow]]] = defaultdict(dict)
    q = select(*_check_columns(False)).where(Check.run_id.in_(list(order)), Check.org_id.is_not(None))
    for row in session.execute(q):
        if row[2] not in scope:
            continue
        check = _check_row(row, False)
        bucket = out[month_of[check.run_id]]
        rank = order[check.run_id]
        if check.org_id not in bucket or bucket[check.org_id][0] < rank:
            bucket[check.org_id] = (rank, check)
    return {m: {o: c for o, (_, c) in rows.items()} for m, rows in out.items()}


def _has_duplicates(session: Session, runs: list[RunInfo]) -> bool:
    """Whether some organization has checks in more than one of the month's runs."""
    if len(runs) < 2:
        return False
    q = select(Check.org_id).where(Check.run_id.in_([r.id for r in runs]), Check.org_id.is_not(None)).group_by(Check.org_id).having(func.count() > 1).limit(1)
    return session.execute(q).first() is not None


def _item_counts(
    session: Session, current: dict[str, CheckRow], orgs: dict[str, Org], *, duplicated: bool, whole_runs: bool, runs: list[RunInfo]
) -> dict[str, Counter[tuple[str, str]]]:
    """Item results by municipality, rule and status over the checked sites (GROUP BY on item_results)."""
    out: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    # Item rules and the other audits (feedback, НОКО, regional…) alike: one result per code and check.
    for table in (ItemResult, AuditResultRow):
        base = (
            select(Organization.municipality, table.rule, table.status, func.count())
            .select_from(table)
            .join(Check, Check.id == table.check_id)
            .join(Organization, Organization.id == Check.org_id)
            .where(Check.reachable.is_(True))
            .group_by(Organization.municipality, table.rule, table.status)
        )
        if whole_runs and not duplicated:
            queries = [base.where(Check.run_id.in_([r.id for r in runs]), Check.org_id.is_not(None))]
        else:
            ids = sorted(c.id for c in current.values() if c.checked)
            queries = [base.where(Check.id.in_(list(chunk))) for chunk in _chunks(ids)]
        for q in queries:
            for muni, rule, status, n in session.execute(q):
                out[muni][(rule, status)] += int(n)
    return dict(out)


def _busgov(session: Session, runs: list[RunInfo], scope: set[str]) -> dict[str, BusGovRow]:
    order = {r.id: i for i, r in enumerate(runs)}
    chosen: dict[str, tuple[int, BusGovRow]] = {}
    if not order:
        return {}
    for r in session.scalars(select(BusGovResult).where(BusGovResult.run_id.in_(list(order)))):
        if r.org_id not in scope:
            continue
        row = BusGovRow(r.org_id, r.status, r.message or "", r.agency_id, r.nok, r.card, r.audits or [])
        if r.org_id not in chosen or chosen[r.org_id][0] < order[r.run_id]:
            chosen[r.org_id] = (order[r.run_id], row)
    return {o: row for o, (_, row) in chosen.items()}


# --- item-level changes since the previous month ---------------------------------------------


@dataclass(slots=True)
class Changes:
    fixed: list[str] = field(default_factory=list)  # rule codes: «нарушение» then, «выполнено» now
    broken: list[str] = field(default_factory=list)  # rule codes: «выполнено» then, «нарушение» now


def item_changes(session: Session, ds: Dataset, org_ids: Iterable[str] | None = None, *, by_position: bool | None = None) -> dict[str, Changes]:
    """Items newly fixed and newly broken since the previous finished month, per organization.

    Only organizations checked in both months are compared (an unreachable site says nothing
    about its items). One self-join of ``item_results``: by position when both months were judged
    by the same rules version (the fast primary-key path), else by rule code.
    """
    wanted = set(ds.scope if org_ids is None else org_ids)
    pairs = {}
    for org_id in wanted:
        cur, prev = ds.current.get(org_id), ds.previous.get(org_id)
        if cur is not None and prev is not None and cur.checked and prev.checked:
            pairs[(cur.id, prev.id)] = org_id
    out: dict[str, Changes] = {org_id: Changes() for org_id in pairs.values()}
    if not pairs:
        return out
    versions = {ds.current[o].rules_version for o in out} | {ds.previous[o].rules_version for o in out}
    if by_position is None:
        by_position = len(versions) == 1
    cur_ids = sorted({c for c, _ in pairs})
    prev_run_ids = sorted({ds.previous[o].run_id for o in out})
    cur_item, prev_item = aliased(ItemResult), aliased(ItemResult)
    cur_check, prev_check = aliased(Check), aliased(Check)
    changed = or_(
        and_(cur_item.status == "fail", prev_item.status == "pass"),
        and_(cur_item.status == "pass", prev_item.status == "fail"),
    )
    if by_position:
        item_join = and_(prev_item.check_id == prev_check.id, prev_item.position == cur_item.position, prev_item.rule == cur_item.rule)
    else:
        item_join = and_(prev_item.check_id == prev_check.id, prev_item.rule == cur_item.rule)
    for chunk in _chunks(cur_ids):
        q = (
            select(cur_check.id, prev_check.id, cur_item.rule, cur_item.status, cur_item.position)
            .select_from(cur_item)
            .join(cur_check, cur_check.id == cur_item.check_id)
            .join(prev_check, and_(prev_check.org_id == cur_check.org_id, prev_check.run_id.in_(prev_run_ids)))
            .join(prev_item, item_join)
            .where(cur_check.id.in_(list(chunk)), changed)
            .order_by(cur_check.id, cur_item.position)
        )
        for cur_id, prev_id, rule, status, _pos in session.execute(q):
            org_id = pairs.get((cur_id, prev_id))
            if org_id is None:  # a check of another run of the previous month, not the one compared
                continue
            (out[org_id].broken if status == "fail" else out[org_id].fixed).append(rule)
    return out


def previous_fails(session: Session, check_ids: Iterable[int]) -> dict[int, list[str]]:
    """Rule codes that failed in each of the given checks (one query per chunk of checks)."""
    out: dict[int, list[str]] = defaultdict(list)
    ids = sorted(set(check_ids))
    for chunk in _chunks(ids):
        q = select(ItemResult.check_id, ItemResult.rule).where(ItemResult.check_id.in_(list(chunk)), ItemResult.status == "fail").order_by(ItemResult.check_id, ItemResult.position)
        for check_id, rule in session.execute(q):
            out[check_id].append(rule)
    return dict(out)


def findings(session: Session, checks: Iterable[CheckRow], statuses: Sequence[str] = FINDING_STATUSES) -> Iterator[tuple[int, dict[str, Any]]]:
    """Item results with a finding (``fail``, ``needs_review``, ``error``) of checked sites, in item order."""
    ids = sorted(c.id for c in checks if c.checked)
    cols = (ItemResult.check_id, ItemResult.rule, ItemResult.section, ItemResult.parent, ItemResult.itemprop, ItemResult.status, ItemResult.evidence_url, ItemResult.message)
    acols = (AuditResultRow.check_id, AuditResultRow.rule, AuditResultRow.group, AuditResultRow.status, AuditResultRow.evidence_url, AuditResultRow.message)
    for chunk in _chunks(ids):
        q = select(*cols).where(ItemResult.check_id.in_(list(chunk)), ItemResult.status.in_(list(statuses))).order_by(ItemResult.check_id, ItemResult.position)
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for check_id, rule, section, parent, itemprop, status, evidence_url, message in session.execute(q):
            found[check_id].append({"rule": rule, "section": section, "parent": parent, "itemprop": itemprop, "status": status, "evidence_url": evidence_url, "message": message})
        # The other audits follow each check's items; ``section`` is their group («Обратная связь», «НОКО»…).
        q2 = select(*acols).where(AuditResultRow.check_id.in_(list(chunk)), AuditResultRow.status.in_(list(statuses))).order_by(AuditResultRow.check_id, AuditResultRow.position)
        for check_id, rule, group, status, evidence_url, message in session.execute(q2):
            found[check_id].append({"rule": rule, "section": group, "parent": "", "itemprop": "", "status": status, "evidence_url": evidence_url, "message": message, "group": group})
        for check_id in chunk:
            for finding in found.get(check_id, ()):
                yield check_id, finding
