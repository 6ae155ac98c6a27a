"""``sveden registry``: import the registry of organizations and list it.

Mounted by the main CLI as ``app.add_typer(registry_app, name="registry")``. The import reads the
file with :mod:`sveden.registry_io` and hands the valid records to :mod:`storage.registry`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from reports.terminal import terminal_safe
from storage.db import StorageError, open_database
from storage.registry import (
    OPTIONAL_FIELDS,
    ImportCounts,
    import_records,
    list_organizations,
    organization_json,
)
from sveden.cli_ru import RussianTyper
from sveden.registry_io import FIELD_TITLES, RegistryFile, RegistryFileError, RowError, read_registry

registry_app = RussianTyper(
    name="registry",
    help="Реестр организаций: загрузка из CSV/XLSX и просмотр.",
    no_args_is_help=True,
    add_completion=False,
)

_ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (с BOM)", "utf-16": "UTF-16", "cp1251": "Windows-1251"}
_DELIMITERS = {";": "«;»", ",": "«,»", "\t": "табуляция"}
_TYPE_SHORT = {
    "school": "школа",
    "kindergarten": "детский сад",
    "college": "СПО",
    "university": "вуз",
    "additional": "доп. образование",
    "dpo": "ДПО",
}


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


DbOption = Annotated[
    str | None,
    typer.Option("--db", metavar="АДРЕС", help="Адрес базы данных (по умолчанию SVEDEN_DATABASE_URL или файл SQLite в каталоге данных пользователя)."),
]


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _safe(text: str) -> str:
    """Text from the file or the database for rich: no markup, no terminal escapes."""
    return escape(terminal_safe(text))


def _fail(message: str) -> typer.Exit:
    _err().print(f"[bold red]Ошибка:[/] {_safe(message)}")
    return typer.Exit(1)


@contextmanager
def _session(db: str | None) -> Iterator[Session]:
    """A session on the registry's database; database failures become a clear message."""
    try:
        maker = open_database(db)
    except StorageError as exc:
        raise _fail(str(exc)) from None
    try:
        with maker() as session:
            yield session
    except SQLAlchemyError as exc:
        raise _fail(f"ошибка базы данных: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}") from None
    finally:
        maker.kw["bind"].dispose()


@dataclass(slots=True)
class ImportResult(ImportCounts):
    """An import of a registry file: what was stored, and what the file had wrong."""

    skipped: int = 0  # invalid rows left out (skip_invalid)
    imported: bool = False  # False: nothing was written (errors without skip_invalid, or a dry run)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    file: RegistryFile | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "total_rows": self.total_rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "deactivated": self.deactivated,
            "errors": [_row_json(e) for e in self.errors],
            "warnings": [_row_json(e) for e in self.warnings],
        }


def _row_json(e: RowError) -> dict[str, Any]:
    return {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}


def import_registry_file(
    session: Session,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    deactivate_missing: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Read, validate and import a registry file. Flushes, never commits.

    With any invalid row nothing is imported unless ``skip_invalid``; ``dry_run`` counts what an
    import would do and writes nothing (the caller rolls back). Raises
    ``sveden.registry_io.RegistryFileError`` for an unreadable file.
    """
    reg = read_registry(path)
    if reg.errors and not skip_invalid:
        return ImportResult(errors=reg.errors, warnings=reg.warnings, total_rows=reg.total_rows, skipped=reg.total_rows, file=reg)
    present = [f for f in OPTIONAL_FIELDS if f in reg.columns]
    with session.no_autoflush:
        counts = import_records(
            session,
            reg.records,
            present=present,
            extra_columns=reg.extra_columns,
            deactivate_missing=deactivate_missing,
            keep_ids=reg.all_ids,  # an invalid row's organization is not «missing» from the registry
        )
    return ImportResult(
        **asdict(counts),
        skipped=reg.invalid_rows,
        imported=not dry_run,
        errors=reg.errors,
        warnings=reg.warnings,
        total_rows=reg.total_rows,
        file=reg,
    )


def _describe(reg: RegistryFile) -> str:
    if reg.format == "xlsx":
        where = f"книга Excel, лист «{reg.sheet}»"
    else:
        where = f"CSV, кодировка {_ENCODINGS.get(reg.encoding or '', reg.encoding)}, разделитель {_DELIMITERS.get(reg.delimiter or '', reg.delimiter)}"
    cols = ", ".join(f"{FIELD_TITLES[f]} ← «{h}»" for f, h in reg.columns.items())
    lines = [f"Файл: {reg.path.name} ({where}); строка заголовков: {reg.header_row}; строк с организациями: {reg.total_rows}.", f"Столбцы: {cols}."]
    if reg.extra_columns:
        lines.append("Дополнительные столбцы (для группировки): " + ", ".join(f"«{c}»" for c in reg.extra_columns) + ".")
    return "\n".join(lines)


def _print_rows(console: Console, title: str, rows: list) -> None:
    console.print(title)
    for e in rows:
        console.print("  " + _safe(str(e)))


def _print_import(result: ImportResult, skip_invalid: bool, dry_run: bool) -> None:
    out, err = _out(), _err()
    if result.file is not None:
        out.print(_safe(_describe(result.file)))
    if result.warnings:
        _print_rows(err, f"[yellow]Предупреждения ({len(result.warnings)}):[/]", result.warnings)
    if result.errors:
        rows = len({e.row for e in result.errors})
        if skip_invalid:
            _print_rows(err, f"[yellow]Пропущены строки с ошибками: {rows}.[/]", result.errors)
        else:
            _print_rows(err, f"[bold red]Ошибки в файле (строк с ошибками: {rows}, ошибок: {len(result.errors)}):[/]", result.errors)
            err.print(
                "[bold red]Ничего не загружено.[/] Исправьте файл или запустите команду с --skip-invalid, "
                "чтобы загрузить только строки без ошибок."
            )
            return
    verb = "Проверка без загрузки (--dry-run): было бы" if dry_run else "Загружено"
    summary = (
        f"{verb}: добавлено {result.added}, обновлено {result.updated}, без изменений {result.unchanged}, "
        f"пропущено {result.skipped}"
    )
    if result.deactivated:
        summary += f", отключено (нет в файле) {result.deactivated}"
    out.print(summary + ".")


@registry_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(metavar="ФАЙЛ", help="Файл реестра: CSV (UTF-8 или Windows-1251, разделитель «;» или «,») или XLSX.")],
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Загрузить строки без ошибок, пропустив ошибочные.")] = False,
    deactivate_missing: Annotated[
        bool, typer.Option("--deactivate-missing", help="Отключить организации, которых нет в файле (файл — полный реестр).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Только проверить файл и показать, что изменится.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="Формат вывода.")] = OutputFormat.text,
    db: DbOption = None,
) -> None:
    """Загрузить реестр организаций (обновляет существующие записи по коду)."""
    try:
        with _session(db) as session:
            result = import_registry_file(session, file, skip_invalid=skip_invalid, deactivate_missing=deactivate_missing, dry_run=dry_run)
            if result.imported:
                session.commit()
            else:
                session.rollback()
    except RegistryFileError as exc:
        raise _fail(f"{exc}") from None
    failed = bool(result.errors) and not skip_invalid
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_import(result, skip_invalid, dry_run)
    if failed:
        raise typer.Exit(1)


@registry_app.command("list")
def list_command(
    municipality: Annotated[
        list[str] | None, typer.Option("--municipality", "-m", metavar="НАЗВАНИЕ", help="Только этот муниципалитет (можно повторять).")
    ] = None,
    include_inactive: Annotated[bool, typer.Option("--all", help="Включая отключённые организации.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="Формат вывода.")] = OutputFormat.text,
    db: DbOption = None,
) -> None:
    """Показать организации реестра."""
    with _session(db) as session:
        orgs = list_organizations(session, municipality or None, active_only=not include_inactive)
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps([organization_json(o) for o in orgs], ensure_ascii=False, indent=2) + "\n")
        return
    out = _out()
    if not orgs:
        out.print("Организаций не найдено." if municipality else "Реестр пуст: загрузите его командой «sveden registry import ФАЙЛ».")
        return
    if out.is_terminal:
        table = Table(show_lines=False)
        for title in ("Код", "Наименование", "Тип", "Муниципалитет", "Сайт"):
            table.add_column(title, overflow="fold")
        for o in orgs:
            name = o.short_name or o.name
            if not o.active:
                name += " (отключена)"
            table.add_row(_safe(o.id), _safe(name), _TYPE_SHORT.get(o.org_type, o.org_type), _safe(o.municipality), _safe(o.site_url))
        out.print(table)
    else:  # piped: one tab-separated line per organization
        for o in orgs:
            fields = [o.id, o.short_name or o.name, o.org_type, o.municipality, o.site_url] + ([] if o.active else ["отключена"])
            out.print(_safe("\t".join(fields)))
    out.print(f"Всего: {len(orgs)}.")
