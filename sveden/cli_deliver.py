"""``sveden deliver`` (the month's reports by e-mail) and ``sveden contacts`` (the addresses)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from reports.terminal import terminal_safe
from sveden.cli_ru import RussianTyper

contacts_app = RussianTyper(
    name="contacts",
    help="Адреса электронной почты управлений и организаций для рассылки отчётов (sveden deliver).",
    no_args_is_help=True,
    add_completion=False,
)

KIND_TITLES = {"department": "управление", "school": "организация"}
STATUS_TITLES = {
    "sent": "отправлено",
    "failed": "НЕ ОТПРАВЛЕНО",
    "skipped": "пропущено",
    "unknown": "НЕИЗВЕСТНО",
    "would_send": "будет отправлено",
}


def register(app: typer.Typer) -> None:
    app.command("deliver")(deliver)
    app.add_typer(contacts_app, name="contacts")


def _echo(text: str, err: bool = False) -> None:
    typer.echo(terminal_safe(text), err=err)


@contacts_app.command("import")
def contacts_import(file: Annotated[Path, typer.Argument(metavar="ФАЙЛ", help="CSV или XLSX: муниципалитет; e-mail; код организации (для адресов организаций)")]) -> None:
    """Загрузить адреса (заменяют загруженные ранее). Файл с неверными адресами не загружается: ошибки названы по строкам."""
    from sqlalchemy import select

    from storage import contacts as store
    from storage.db import StorageError, open_database
    from storage.models import Organization
    from sveden.contacts_io import ContactsFileError, read_contacts
    from sveden.registry_io import RowError

    try:
        parsed = read_contacts(file)
    except ContactsFileError as exc:
        _echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        factory = open_database(None)
    except StorageError as exc:
        _echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        with factory() as session, session.begin():
            orgs = {o.id: o for o in session.scalars(select(Organization))}
            munis = {o.municipality for o in orgs.values()}
            records = []
            for rec in parsed.records:
                if rec.org_id and rec.org_id not in orgs:
                    parsed.errors.append(RowError(rec.row, "Код", rec.org_id, "такой организации нет в реестре (sveden registry import)"))
                elif rec.org_id:
                    records.append(store.ContactRecord(rec.row, orgs[rec.org_id].municipality, rec.org_id, rec.email))
                elif rec.municipality not in munis:
                    parsed.errors.append(RowError(rec.row, "Муниципалитет", rec.municipality, "такого муниципалитета нет в реестре"))
                else:
                    records.append(rec)
            if parsed.errors:
                for e in sorted(set(parsed.errors), key=lambda e: e.row):
                    _echo(f"Ошибка: {e}", err=True)
                _echo("Адреса не загружены: исправьте файл и загрузите снова.", err=True)
                raise typer.Exit(1)
            n = store.replace_contacts(session, records)
    finally:
        factory.kw["bind"].dispose()
    _echo(f"Загружено адресов: {n}.")


@contacts_app.command("list")
def contacts_list() -> None:
    """Адреса управлений и организаций: загруженные и из столбцов e-mail реестра."""
    from sqlalchemy import select

    from storage.db import open_database
    from storage.models import Organization
    from sveden.delivery import _addresses

    factory = open_database(None)
    try:
        with factory() as session:
            orgs = {o.id: o for o in session.scalars(select(Organization))}
            depts, schools = _addresses(session, orgs)
    finally:
        factory.kw["bind"].dispose()
    for muni in sorted(depts):
        _echo(f"{muni}: {', '.join(depts[muni])}")
        for o in sorted(x for x in schools if x in orgs and orgs[x].municipality == muni):
            _echo(f"  {o} {orgs[o].name}: {', '.join(schools[o])}")


def deliver(
    month: Annotated[str | None, typer.Option("--month", metavar="ГГГГ-ММ", help="Месяц (по умолчанию — последний завершённый обход)")] = None,
    municipality: Annotated[list[str] | None, typer.Option("--municipality", metavar="НАЗВАНИЕ", help="Только муниципалитет (можно несколько)")] = None,
    schools: Annotated[bool, typer.Option("--schools", help="Отправить и каждой организации её отчёт (PDF) со списком того, что исправить")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Только показать, кому что будет отправлено; ничего не отправлять")] = False,
    force: Annotated[bool, typer.Option("--force", help="Отправить снова и то, что уже отправлено (или отправка чего была прервана)")] = False,
) -> None:
    """Разослать отчёты за месяц: каждому управлению — его отчёт (PDF) и таблицу (XLSX), с --schools — каждой организации её отчёт.

    SMTP: SVEDEN_SMTP_HOST, SVEDEN_SMTP_PORT, SVEDEN_SMTP_SECURITY (starttls, ssl, none), SVEDEN_SMTP_USER,
    SVEDEN_SMTP_PASSWORD, SVEDEN_SMTP_FROM. Код выхода: 0 — всё отправлено (или уже было), 1 — что-то не отправлено
    или его судьба неизвестна, 2 — рассылку не удалось начать.
    """
    from reports.data import ReportError
    from reports.summary import month_title
    from storage.db import StorageError
    from sveden.delivery import DeliveryError, Line
    from sveden.delivery import deliver as run

    def show(line: Line) -> None:
        p = line.parcel
        who = f"{KIND_TITLES[p.kind]} «{p.title}»"
        files = ", ".join(a.filename for a in p.attachments)
        note = f" — {line.message}" if line.message else ""
        _echo(f"  {STATUS_TITLES[line.status]}: {who} → {line.address} [{files}]{note}")

    try:
        report = run(month, municipality or [], schools, dry_run, force, progress=show)
    except (DeliveryError, ReportError, StorageError) as exc:
        _echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    _echo(f"Рассылка отчётов за {month_title(report.month)} ({report.month})" + (" — проверка без отправки:" if dry_run else ":"))
    for line in report.lines:
        if dry_run or line.status in ("skipped", "unknown"):
            show(line)
    for note in report.notes:
        _echo(f"  Примечание: {note}")
    counts = {s: sum(1 for ln in report.lines if ln.status == s) for s in STATUS_TITLES}
    summary = ", ".join(f"{STATUS_TITLES[s]}: {n}" for s, n in counts.items() if n)
    _echo(f"Итого — {summary or 'отправлять некому'}.")
    if counts["unknown"]:
        _echo("Отправка части писем была прервана: дошли ли они, неизвестно — уточните у получателей и при необходимости повторите с --force.", err=True)
    sys.stdout.flush()
    raise typer.Exit(0 if report.ok else 1)
