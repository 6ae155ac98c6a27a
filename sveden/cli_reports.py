"""``sveden report``: the month's reports (regional, per municipality, per school) and exports."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class ReportFormat(StrEnum):
    html = "html"
    xlsx = "xlsx"
    csv = "csv"
    json = "json"
    pdf = "pdf"


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    output: Annotated[Path, typer.Option("-o", "--output", metavar="КАТАЛОГ", help="Каталог, куда записать отчёты (создаётся)")],
    month: Annotated[str | None, typer.Option("--month", metavar="ГГГГ-ММ", help="Месяц ГГГГ-ММ (по умолчанию — последний завершённый обход)")] = None,
    municipality: Annotated[list[str] | None, typer.Option("--municipality", metavar="НАЗВАНИЕ", help="Только муниципалитет (можно несколько): отчёт по нему и его организациям")] = None,
    org: Annotated[list[str] | None, typer.Option("--org", metavar="КОД", help="Только организация с кодом (можно несколько): её отчёт")] = None,
    fmt: Annotated[list[ReportFormat] | None, typer.Option("--format", help="Формат (можно несколько); по умолчанию html, xlsx, csv и json")] = None,
) -> None:
    """Отчёты за месяц: региональный (index.html), по муниципалитетам, по организациям; выгрузки XLSX/CSV/JSON, PDF."""
    from reports.build import DEFAULT_FORMATS, build_reports
    from reports.data import ReportError
    from reports.summary import month_title
    from storage.db import StorageError

    formats = tuple(f.value for f in fmt) if fmt else DEFAULT_FORMATS
    try:
        result = build_reports(None, output, month, municipality or [], org or [], formats, progress=sys.stderr)  # PDF progress
    except (ReportError, StorageError) as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    out = result.out_dir
    typer.echo(f"Отчёты за {month_title(result.month)} ({result.month}): организаций {result.organizations}, проверено {result.checked}")
    if result.regional:
        typer.echo(f"  Региональный отчёт: {result.regional}")
    if result.departments:
        typer.echo(f"  По муниципалитетам ({len(result.departments)}): {out / 'departments'}")
    if result.schools:
        typer.echo(f"  По организациям ({len(result.schools)}): {out / 'schools'}")
    if result.pdfs:
        typer.echo(f"  PDF ({len(result.pdfs)}): " + ", ".join(sorted({str(p.parent) for p in result.pdfs})))
    for path in result.exports:
        typer.echo(f"  Выгрузка: {path}")
    if result.regional:
        typer.echo(f"Открыть: {result.regional.resolve().as_uri()}")
