"""Exports of the month: XLSX (openpyxl), CSV (UTF-8 with BOM, «;», decimal comma — for Russian
Excel) and JSON, all with the same tables:

- «Сводка» — one row per municipality and a total row;
- «Организации × подразделы» — one row per organization, «соответствие» per subsection;
- «Нарушения» — one row per item with a finding (нарушение, требует проверки, не удалось проверить)
  of a checked site;
- «Правила» — each rule code with its title, legal basis and fix hint (the reference for «Нарушения»);
- «Параметры» (XLSX) / ``meta`` (JSON) — the month, runs, rules version, filters.

Cell text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@`` first) is
written as text: in XLSX as a string cell, in CSV with a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from artifacts.failures import plain_message
from checks import catalogue
from artifacts.schema import OUTCOMES
from checks.feedback import CHANNELS
from checks.docs import GROUP_TITLES
from checks.messages import item_name
from checks.model import Rule
from checks.scores import P1_1_NOTE
from reports import summary
from reports.data import Dataset, findings
from reports.monthly import NOT_CHECKED_TITLES
from reports.render import (
    org_type_title,
    rule_basis,
    rule_fix,
    ru_datetime,
    rule_title,
    status_title,
)

CHANNEL_COLUMNS = {
    "phone": "Телефон, %",
    "email": "Электронная почта, %",
    "e_service": "Электронный сервис обращений, %",
    "faq": "Раздел «Часто задаваемые вопросы», %",
    "opinion": "Возможность выразить мнение о качестве, %",
}
# What the «Параметры» sheet calls the keys of ``meta``: a person reads it, not a program.
NOTE_TITLES = {
    "checked": "Проверенные организации",
    "compliant": "Полностью соответствует",
    "p1_1_site": "П1.1 (сайт)",
    "sections": "Соответствие подраздела",
}
FILTER_TITLES = {"municipality": "муниципалитет", "org": "организации", "url": "адрес сайта"}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # characters XML (and so XLSX) cannot hold
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Column:
    key: str
    title: str
    kind: str = "text"  # text | int | num (one decimal) | pct (0–100, one decimal) | date (ISO text)
    width: int = 14
    choices: tuple[str, ...] = ()  # XLSX: the cell offers these values (a list validation)


@dataclass
class Table:
    key: str  # file name (CSV) and JSON key
    title: str  # sheet name
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


def _reasons_text(reasons: dict[str, int]) -> str:
    return "; ".join(f"{NOT_CHECKED_TITLES.get(k, k)}: {n}" for k, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))


def summary_table(ds: Dataset, trend: summary.Trend) -> Table:
    cols = [
        Column("municipality", "Муниципалитет", width=34),
        Column("organizations", "Организаций", "int"),
        Column("checked", "Проверено", "int"),
        Column("not_checked", "Не проверено", "int"),
        Column("not_checked_reasons", "Причины непроверки", width=40),
        Column("compliant", "Полностью соответствуют", "int"),
        Column("compliant_share", "Доля полностью соответствующих, %", "pct"),
        Column("p1_1_site_mean", "Средний П1.1 (сайт)", "num"),
        Column("p1_2_mean", "Средний П1.2", "num"),
        *[Column(f"channel_{ch}", CHANNEL_COLUMNS[ch], "pct") for ch in CHANNELS],
        Column("fails_total", "Нарушений (пунктов)", "int"),
        Column("p1_1_site_change", "Изменение среднего П1.1 к прошлому месяцу", "num"),
        Column("compliant_share_change", "Изменение доли соответствующих, п.п.", "num"),
    ]
    prev = ds.previous_month

    def row(name: str, ind: summary.Indicators, before: summary.Indicators | None) -> list[Any]:
        before = before if before is not None and before.checked else None
        return [
            name, ind.total, ind.checked, ind.not_checked + ind.no_result, _reasons_text(ind.reasons), ind.compliant,
            ind.compliant_share, ind.p1_1_mean, ind.p1_2_mean, *[ind.channel_shares.get(ch) for ch in CHANNELS], ind.fails_total,
            summary.delta(ind.p1_1_mean, before.p1_1_mean) if before else None,
            summary.delta(ind.compliant_share, before.compliant_share) if before else None,
        ]

    table = Table("summary", "Сводка", cols)
    for m in ds.municipalities:
        by_month = trend.by_municipality[m]
        table.rows.append(row(m, by_month[ds.month], by_month.get(prev) if prev else None))
    table.rows.append(row("Всего", trend.region[ds.month], trend.region.get(prev) if prev else None))
    return table


def groups_table(ds: Dataset) -> Table:
    """The month's indicators by each grouping column of the registry (district, kind of locality…)."""
    cols = [
        Column("column", "Столбец реестра", width=24),
        Column("value", "Группа", width=30),
        Column("organizations", "Организаций", "int"),
        Column("checked", "Проверено", "int"),
        Column("compliant_share", "Доля полностью соответствующих, %", "pct"),
        Column("p1_1_site_mean", "Средний П1.1 (сайт)", "num"),
        Column("p1_2_mean", "Средний П1.2", "num"),
        Column("fails_total", "Нарушений (пунктов)", "int"),
    ]
    table = Table("registry_groups", "По группам реестра", cols)
    for b in summary.group_breakdowns(ds):
        for value, ind in b.rows:
            table.rows.append([b.column, value, ind.total, ind.checked, ind.compliant_share, ind.p1_1_mean, ind.p1_2_mean, ind.fails_total])
    return table


def organizations_table(ds: Dataset) -> Table:
    sections = catalogue.sections()
    cols = [
        Column("org_id", "Код организации", width=14),
        Column("name", "Наименование", width=48),
        Column("municipality", "Муниципалитет", width=28),
        Column("org_type", "Тип организации", width=26),
        Column("site_url", "Сайт", width=30),
        Column("outcome", "Результат обхода", width=22),
        Column("error", "Причина, если не проверено", width=30),
        Column("compliant", "Полностью соответствует", width=12),
        Column("p1_1_site", "П1.1 (сайт)", "num"),
        Column("p1_2", "П1.2", "int"),
        Column("fails", "Нарушений", "int"),
        Column("needs_review", "Требует проверки", "int"),
        Column("opinion", "Возможность выразить мнение о качестве", width=12),
        *[Column(f"section_{s.slug}", f"{s.title}, %", "pct", width=12) for s in sections],
    ]
    table = Table("organizations_sections", "Организации × подразделы", cols)
    for o in ds.scope:
        org, c = ds.orgs[o], ds.current.get(o)
        if c is None:
            table.rows.append([org.id, org.name, org.municipality, org_type_title(org.org_type), org.site_url,
                               NOT_CHECKED_TITLES[summary.NO_RESULT], "", None, None, None, None, None, None, *[None] * len(sections)])
            continue
        per_section = summary.section_compliance(c) if c.checked else {}
        table.rows.append([
            org.id, org.name, org.municipality, org_type_title(c.org_type or org.org_type), c.url or org.site_url,
            OUTCOMES.get(c.outcome, c.outcome), plain_message(c.error) if not c.checked else "",
            ("да" if c.compliant else "нет") if c.checked else None,
            c.p1_1 if c.checked else None, c.p1_2 if c.checked else None,
            c.fails if c.checked else None, int(c.counts.get("needs_review", 0)) if c.checked else None,
            ("да" if c.channels.get("opinion") else "нет") if c.checked and c.channels is not None else None,
            *[per_section.get(s.slug) for s in sections],
        ])
    return table


def _section_titles() -> dict[str, str]:
    """Subsection titles of the item rules, then the titles of the other audits' groups."""
    return {**GROUP_TITLES, **{s.slug: s.title for s in catalogue.sections()}}


def findings_table(session: Session, ds: Dataset) -> Table:
    section_titles = _section_titles()
    cols = [
        Column("org_id", "Код организации", width=14),
        Column("name", "Наименование", width=40),
        Column("municipality", "Муниципалитет", width=24),
        Column("section", "Подраздел", width=24),
        Column("rule", "Код правила", width=10),
        Column("title", "Сведения", width=40),
        Column("itemprop", "Атрибут itemprop", width=24),
        Column("status", "Статус", width=16),
        Column("message", "Что найдено", width=50),
        Column("evidence_url", "Страница", width=30),
        Column("basis", "Основание", width=30),
    ]
    table = Table("findings", "Нарушения", cols)
    by_check = {c.id: c for c in ds.current.values()}
    for check_id, item in findings(session, [ds.current[o] for o in ds.scope if o in ds.current]):
        org = ds.orgs[by_check[check_id].org_id]
        code = item["rule"]
        prop = item_name(item["parent"], item["itemprop"])
        table.rows.append([
            org.id, org.name, org.municipality, section_titles.get(item["section"], item["section"]), code, rule_title(code), prop,
            status_title(item["status"]), plain_message(item["message"]), item["evidence_url"], rule_basis(code),
        ])
    # Region order: by municipality and organization as in the other tables, then item order.
    order = {o: i for i, o in enumerate(ds.scope)}
    table.rows.sort(key=lambda r: order.get(r[0], 0))
    return table


def rules_table() -> Table:
    """The rules with their legal basis and fix: the reference for the codes of «Нарушения»."""
    section_titles = _section_titles()
    cols = [
        Column("rule", "Код правила", width=10),
        Column("section", "Подраздел", width=24),
        Column("itemprop", "Атрибут itemprop", width=24),
        Column("title", "Сведения", width=40),
        Column("optional", "При наличии", width=10),
        Column("basis", "Основание", width=40),
        Column("fix", "Как исправить", width=70),
    ]
    table = Table("rules", "Правила", cols)
    for r in catalogue.rules():
        prop = item_name(r.parent, r.itemprop)
        table.rows.append([r.code, section_titles.get(r.section, r.section), prop, r.title, "да" if r.optional else "нет", rule_basis(r.code), rule_fix(r.code)])
    # The other audits (feedback channels, НОКО, regional rules…): their group stands for the subsection.
    for a in catalogue.audits():
        if not isinstance(a, Rule):
            table.rows.append([a.code, section_titles.get(a.group, a.group), "", a.title, "", rule_basis(a.code), rule_fix(a.code)])
    return table


def meta(ds: Dataset, generated_at: datetime) -> dict[str, Any]:
    return {
        "month": ds.month,
        "runs": [{"id": r.id, "started_at": r.started_at.isoformat(), "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                  "rules_version": r.rules_version} for r in ds.runs],
        "rules_versions": ds.rules_versions,
        "ruleset": catalogue.RULESET,
        "previous_month": ds.previous_month,
        "filters": ds.filters,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "notes": {
            "checked": "Доли и средние — по проверенным организациям (сайт ответил и был оценён).",
            "compliant": "Полностью соответствует — ни одного нарушения среди применимых пунктов.",
            "p1_1_site": P1_1_NOTE,
            "sections": "Соответствие подраздела: выполнено / (выполнено + нарушение + требует проверки + не удалось проверить).",
        },
    }


def build_tables(session: Session, ds: Dataset, trend: summary.Trend) -> list[Table]:
    from reports.review_export import add_review_columns  # noqa: PLC0415 - it builds on Column

    orgs, found = organizations_table(ds), findings_table(session, ds)
    add_review_columns(session, ds, found, orgs)  # the state across months and the reviewer's decision, editable; scores both ways
    return [summary_table(ds, trend), orgs, found, rules_table(), groups_table(ds)]


# --- writers ---------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return _ILLEGAL.sub(" ", text)


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "date" and value:
        return ".".join(reversed(str(value).split("-")))
    if kind in ("num", "pct") and isinstance(value, (int, float)):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, (int, float)):
        return str(value).replace(".", ",")
    text = _clean(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(table: Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([c.title for c in table.columns])
        kinds = [c.kind for c in table.columns]
        for row in table.rows:
            writer.writerow([_csv_value(v, k) for v, k in zip(row, kinds, strict=True)])
    return path


def write_json(tables: Iterable[Table], info: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "meta": info,
        "tables": {
            t.key: {"title": t.title, "columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in t.columns], "rows": t.records()}
            for t in tables
        },
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _validations(ws: Any, table: Table) -> None:
    """Cells a reviewer fills: a list of values, or a date; a wrong entry is refused by Excel itself."""
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    last = max(len(table.rows) + 1, 1000)  # room for rows the reviewer adds below
    for i, col in enumerate(table.columns, 1):
        letter = get_column_letter(i)
        if col.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True, showErrorMessage=True,
                                errorTitle=col.title, error="Выберите значение из списка: " + "; ".join(col.choices))
        elif col.kind == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True, showErrorMessage=True,
                                errorTitle=col.title, error="Введите дату, например 31.12.2026")
        else:
            continue
        dv.add(f"{letter}2:{letter}{last}")
        ws.data_validations.append(dv)


def write_xlsx(tables: Iterable[Table], info: dict[str, Any], path: Path) -> Path:
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="F4F4F6")
    wrap = Alignment(wrap_text=True, vertical="top")
    formats = {"int": "0", "num": "0.0", "pct": "0.0"}

    for table in tables:
        ws = wb.create_sheet(table.title)
        for i, col in enumerate(table.columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.freeze_panes = "A2" if table.key != "organizations_sections" else "C2"
        last = get_column_letter(len(table.columns))
        ws.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
        _validations(ws, table)
        header = []
        for col in table.columns:
            cell = WriteOnlyCell(ws, value=col.title)
            cell.font, cell.fill, cell.alignment = header_font, header_fill, wrap
            header.append(cell)
        ws.append(header)
        kinds = [c.kind for c in table.columns]
        for row in table.rows:
            out: list[Any] = []
            for value, kind in zip(row, kinds, strict=True):
                if isinstance(value, str):
                    value = _clean(value) if _ILLEGAL.search(value) else value
                    if value.startswith("="):  # openpyxl would write it as a formula
                        cell = WriteOnlyCell(ws, value=value)
                        cell.data_type = "s"
                        value = cell
                elif kind == "date" and value:
                    cell = WriteOnlyCell(ws, value=date.fromisoformat(value))
                    cell.number_format = "DD.MM.YYYY"
                    value = cell
                elif value is not None and kind in formats:
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = formats[kind]
                    value = cell
                out.append(value)
            ws.append(out)

    ws = wb.create_sheet("Параметры")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 100
    rows = [
        ("Месяц", info["month"]),
        ("Обходы", ", ".join(f"№ {r['id']} ({ru_datetime(r['started_at'])[:10]} — {ru_datetime(r['finished_at'])[:10] if r['finished_at'] else 'не завершён'})"
                             for r in info["runs"])),
        ("Требования", info["ruleset"]),
        ("Версия правил", ", ".join(info["rules_versions"])),
        ("Предыдущий месяц для сравнения", info["previous_month"] or "нет"),
        ("Отбор", "; ".join(f"{FILTER_TITLES.get(k, k)}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                            for k, v in info["filters"].items() if v) or "весь реестр"),
        ("Сформировано", ru_datetime(info["generated_at"])),
        *[(NOTE_TITLES.get(k, k), v) for k, v in info["notes"].items()],
    ]
    for key, value in rows:
        a, b = WriteOnlyCell(ws, value=key), WriteOnlyCell(ws, value=_clean(str(value)))
        a.font = header_font
        b.data_type = "s"
        b.alignment = wrap
        ws.append([a, b])
    wb.save(path)
    return path


def export_files(out_dir: Path, month: str) -> dict[str, Path]:
    base = out_dir / "export"
    return {
        "xlsx": base / f"sveden-{month}.xlsx",
        "json": base / f"sveden-{month}.json",
        "csv_summary": base / "summary.csv",
        "csv_organizations_sections": base / "organizations_sections.csv",
        "csv_findings": base / "findings.csv",
        "csv_rules": base / "rules.csv",
        "csv_registry_groups": base / "registry_groups.csv",
        "csv_template_defects": base / "template_defects.csv",
        "csv_card_findings": base / "card_findings.csv",
    }


def write_exports(session: Session, ds: Dataset, trend: summary.Trend, out_dir: Path, formats: Iterable[str], generated_at: datetime | None = None) -> list[Path]:
    formats = set(formats)
    generated_at = generated_at or datetime.now(UTC)
    from reports import card_findings, template_defects  # noqa: PLC0415 - they build on Column and Table

    tables = [*build_tables(session, ds, trend), template_defects.table(session, ds), card_findings.table(session, ds)]
    info = meta(ds, generated_at)
    files = export_files(out_dir, ds.month)
    written = []
    if "xlsx" in formats:
        written.append(write_xlsx(tables, info, files["xlsx"]))
    if "csv" in formats:
        for t in tables:
            written.append(write_csv(t, files[f"csv_{t.key}"]))
    if "json" in formats:
        written.append(write_json(tables, info, files["json"]))
    return written
