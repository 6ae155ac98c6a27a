"""Recording review decisions (``sveden review``): from the command line and from an edited XLSX export.

A decision is made on the finding of one month's check: its status, message and the fingerprint of
its page are kept with it (the evidence it was made on), so later months know whether it still holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks import catalogue
from reports.data import finished_months, monthly_runs
from reports.decisions import DECISION_TITLES, OPEN_STATUSES, Finding, decision_title, evidence_changed, finding_of, fingerprint
from storage.models import Check, Organization, ReviewDecision
from storage.reviews import NewDecision, add_decision, current_decisions

# What a person may type (the command line, a cell of «Решение»), to the stored value.
DECISION_WORDS = {
    "подтверждено": "confirmed",
    "оспорено": "disputed",
    "оспорено — сведения размещены": "disputed",
    "не применяется": "not_applicable",
    "не применяется к организации": "not_applicable",
    "принято к исправлению": "fix_planned",
    "принято к исправлению до": "fix_planned",
    "к исправлению": "fix_planned",
    **{k: k for k in DECISION_TITLES},
}
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y")
_DUE_IN_TEXT = re.compile(r"^(принято к исправлению до)\s+(\S+)$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


class ReviewError(Exception):
    """Bad input or nothing to decide on: a Russian message for the user."""


def _norm(text: str) -> str:
    return " ".join(text.replace("–", "—").replace(" - ", " — ").split()).casefold()


def parse_decision(value: str) -> tuple[str, date | None]:
    """The stored decision, and the date when the text carries one («принято к исправлению до 31.12.2026»)."""
    text = _norm(value)
    m = _DUE_IN_TEXT.match(text)
    if m:
        return "fix_planned", parse_date(m.group(2))
    decision = DECISION_WORDS.get(text) or DECISION_WORDS.get(text.replace("_", " "))
    if decision is None:
        allowed = "; ".join(f"«{t}»" for t in DECISION_TITLES.values())
        raise ReviewError(f"неизвестное решение «{value}»; допустимы: {allowed}")
    return decision, None


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ReviewError(f"неверная дата «{text}»: нужна ДД.ММ.ГГГГ, например 31.12.2026")


@dataclass(slots=True)
class Request:
    """One decision as asked for, before it is checked against the stored findings."""

    org_id: str
    rule: str
    decision: str
    reason: str = ""
    evidence_url: str = ""
    due_date: date | None = None


def validate(req: Request) -> None:
    """What each kind of decision needs."""
    if req.decision == "disputed" and not _URL.match(req.evidence_url.strip()):
        raise ReviewError("для решения «оспорено — сведения размещены» укажите адрес страницы, где сведения размещены (http://… или https://…)")
    if req.decision == "not_applicable" and not req.reason.strip():
        raise ReviewError("для решения «не применяется к организации» укажите причину")
    if req.decision == "fix_planned" and req.due_date is None:
        raise ReviewError("для решения «принято к исправлению до» укажите дату, например 31.12.2026")


def month_check(session: Session, org_id: str, month: str | None) -> tuple[str, Check]:
    """The organization's check in ``month`` (default: the newest finished month that has one)."""
    runs = monthly_runs(session)
    months = finished_months(runs)
    if month is not None and month not in months:
        raise ReviewError(f"нет завершённого ежемесячного обхода за {month}; завершённые: {', '.join(months[-12:]) or 'нет'}")
    for m in reversed(months if month is None else [month]):
        ids = [r.id for r in sorted((r for r in runs if r.month == m and r.status == "finished"), key=lambda r: (r.finished_at or r.started_at, r.id), reverse=True)]
        for run_id in ids:
            check = session.scalar(select(Check).where(Check.run_id == run_id, Check.org_id == org_id))
            if check is not None:
                return m, check
    where = f"за {month}" if month else "ни в одном завершённом обходе"
    raise ReviewError(f"у организации {org_id} нет проверки {where}")


def locate(session: Session, org_id: str, rule: str, month: str | None) -> tuple[str, Finding]:
    """The finding a decision on ``org_id`` × ``rule`` is made on; a clear error when there is none."""
    if session.get(Organization, org_id) is None:
        raise ReviewError(f"организации с кодом «{org_id}» нет в реестре")
    if rule not in catalogue.by_code():
        raise ReviewError(f"нет правила с кодом «{rule}»; список: sveden rules")
    m, check = month_check(session, org_id, month)
    if check.outcome not in ("ok", "no_sveden_section"):
        raise ReviewError(f"сайт организации {org_id} за {m} не проверен ({check.error or check.outcome}): решать не о чем")
    finding = finding_of(session, check.id, org_id, rule)
    if finding is None:
        raise ReviewError(f"в проверке организации {org_id} за {m} нет результата правила {rule}")
    if finding.status not in OPEN_STATUSES:
        what = {"pass": "выполнено", "not_applicable": "не применяется", "error": "не удалось проверить"}.get(finding.status, finding.status)
        raise ReviewError(f"{org_id}, {rule} за {m}: {what} — решение принимают по нарушению или пункту, требующему проверки")
    return m, finding


def record(session: Session, req: Request, author: str, month: str | None, source: str, created_at: datetime | None = None) -> ReviewDecision:
    """Check the request against the stored finding and append the decision (flushes, never commits)."""
    validate(req)
    m, finding = locate(session, req.org_id, req.rule, month)
    return add_decision(session, NewDecision(
        org_id=req.org_id, rule=req.rule, decision=req.decision, author=author, month=m, reason=req.reason.strip(),
        evidence_url=req.evidence_url.strip(), due_date=req.due_date, source=source, check_id=finding.check_id,
        basis_status=finding.status, basis_message=finding.message, basis_url=finding.evidence_url,
        basis_hash=fingerprint(session, finding),
    ), created_at)


# --- the XLSX round trip ---------------------------------------------------------------------------

SHEET = "Нарушения"
COL_ORG, COL_RULE = "Код организации", "Код правила"
COL_DECISION, COL_DUE, COL_URL, COL_COMMENT = "Решение", "Исправить до", "Где размещены сведения", "Комментарий"


@dataclass
class ImportResult:
    month: str
    added: list[tuple[int, ReviewDecision]] = field(default_factory=list)  # (row, decision)
    unchanged: int = 0


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def read_rows(path: Path) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """The month of the export and its «Нарушения» rows (row number, values by column title)."""
    from openpyxl import load_workbook  # noqa: PLC0415
    from zipfile import BadZipFile  # noqa: PLC0415

    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ReviewError(f"файл {path} не найден") from None
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError):
        raise ReviewError(f"файл {path} не читается как XLSX: это не книга Excel или она повреждена") from None
    try:
        if SHEET not in wb.sheetnames:
            raise ReviewError(f"в файле {path.name} нет листа «{SHEET}»: нужна выгрузка sveden report (sveden-ГГГГ-ММ.xlsx)")
        month = ""
        if "Параметры" in wb.sheetnames:
            for key, value, *_ in wb["Параметры"].iter_rows(values_only=True):
                if key == "Месяц":
                    month = _cell_text(value)
        if not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", month):
            raise ReviewError(f"в файле {path.name} на листе «Параметры» нет месяца выгрузки (строка «Месяц»)")
        rows = wb[SHEET].iter_rows(values_only=True)
        header = [_cell_text(v) for v in next(rows, ())]
        for needed in (COL_ORG, COL_RULE, COL_DECISION, COL_COMMENT):
            if needed not in header:
                raise ReviewError(f"на листе «{SHEET}» нет столбца «{needed}»")
        out = []
        for n, values in enumerate(rows, start=2):
            rec = {title: values[i] if i < len(values) else None for i, title in enumerate(header) if title}
            if any(v not in (None, "") for v in rec.values()):
                out.append((n, rec))
        return month, out
    finally:
        wb.close()


def import_xlsx(session: Session, path: Path, author: str, created_at: datetime | None = None) -> ImportResult:
    """Read «Решение», «Исправить до», «Где размещены сведения» and «Комментарий» back; every row is checked
    before anything is stored. A row whose decision equals the one in force is unchanged; an empty
    «Решение» changes nothing (decisions are never deleted)."""
    month, rows = read_rows(path)
    errors: list[str] = []
    requests: list[tuple[int, Request]] = []
    for n, rec in rows:
        raw = _cell_text(rec.get(COL_DECISION))
        if not raw:
            continue
        org_id, rule = _cell_text(rec.get(COL_ORG)), _cell_text(rec.get(COL_RULE)).upper()
        try:
            decision, due = parse_decision(raw)
            due_cell = rec.get(COL_DUE)
            if due_cell not in (None, ""):
                due = parse_date(due_cell)
            req = Request(org_id, rule, decision, _cell_text(rec.get(COL_COMMENT)), _cell_text(rec.get(COL_URL)), due if decision == "fix_planned" else None)
            validate(req)
        except ReviewError as exc:
            errors.append(f"строка {n}: {exc}")
            continue
        requests.append((n, req))
    if errors:
        raise ReviewError(f"файл {path.name}, лист «{SHEET}» не загружен, ничего не записано:\n  " + "\n  ".join(errors))
    result = ImportResult(month)
    in_force = current_decisions(session, {r.org_id for _, r in requests})
    source = path.name
    for n, req in requests:
        now = in_force.get((req.org_id, req.rule))
        try:
            if now is not None and (now.decision, now.reason, now.evidence_url, now.due_date) == (req.decision, req.reason, req.evidence_url, req.due_date):
                # The same decision again: nothing to record while it holds; a lapsed one is made anew.
                if not evidence_changed(session, now, locate(session, req.org_id, req.rule, month)[1]):
                    result.unchanged += 1
                    continue
            row = record(session, req, author, month, f"файл {source}, строка {n}", created_at)
        except ReviewError as exc:
            errors.append(f"строка {n}: {exc}")
            continue
        in_force[(req.org_id, req.rule)] = row
        result.added.append((n, row))
    if errors:
        raise ReviewError(f"файл {path.name}, лист «{SHEET}» не загружен, ничего не записано:\n  " + "\n  ".join(errors))
    return result


def describe(row: ReviewDecision) -> str:
    """One decision in a line of Russian text (the trail, the import's report)."""
    parts = [decision_title(row)]
    if row.evidence_url:
        parts.append(f"сведения: {row.evidence_url}")
    if row.reason:
        parts.append(f"«{row.reason}»")
    return ", ".join(parts)

