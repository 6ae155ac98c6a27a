"""``sveden review``: reviewers' decisions on findings — recorded, listed with whether they hold, their trail."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from reports.terminal import terminal_safe
from sveden.cli_ru import RussianTyper

review_app = RussianTyper(
    name="review",
    help="Решения проверяющих по нарушениям (организация × код правила): «подтверждено», «оспорено — сведения размещены», "
    "«не применяется к организации», «принято к исправлению до ДАТА». Решения не удаляются: более позднее заменяет прежнее.",
    no_args_is_help=True,
    add_completion=False,
)


class ListFormat(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")


def _echo(text: str, err: bool = False) -> None:
    typer.echo(terminal_safe(text), err=err)


def _fail(message: str, code: int = 2) -> typer.Exit:
    _echo(f"Ошибка: {message}", err=True)
    return typer.Exit(code)


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "не указан"


@contextmanager
def _session(write: bool) -> Iterator[Session]:
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import StorageError, open_database

    try:
        factory = open_database(None)
    except StorageError as exc:
        raise _fail(str(exc)) from None
    try:
        with factory() as session:
            if write:
                with session.begin():  # one transaction: a refused file leaves nothing behind
                    yield session
            else:
                yield session
    except SQLAlchemyError as exc:
        raise _fail(f"ошибка базы данных: {str(exc).splitlines()[0]}") from None
    finally:
        factory.kw["bind"].dispose()


@review_app.command("add")
def add(
    org: Annotated[str, typer.Argument(metavar="КОД_ОРГАНИЗАЦИИ", help="Код организации в реестре")],
    rule: Annotated[str, typer.Argument(metavar="КОД_ПРАВИЛА", help="Код правила, например CMN002")],
    decision: Annotated[str, typer.Argument(metavar="РЕШЕНИЕ", help="подтверждено | оспорено | не применяется | принято к исправлению (в кавычках, если из нескольких слов)")],
    reason: Annotated[str, typer.Option("--reason", metavar="ТЕКСТ", help="Комментарий; для «не применяется» — причина (обязательно)")] = "",
    url: Annotated[str, typer.Option("--url", metavar="АДРЕС", help="Для «оспорено»: страница, где сведения размещены (обязательно)")] = "",
    until: Annotated[str, typer.Option("--until", metavar="ДАТА", help="Для «принято к исправлению»: срок, ДД.ММ.ГГГГ (обязательно)")] = "",
    author: Annotated[str | None, typer.Option("--author", metavar="ИМЯ", help="Кто принял решение (по умолчанию — имя пользователя системы)")] = None,
    month: Annotated[str | None, typer.Option("--month", metavar="ГГГГ-ММ", help="Месяц проверки, по которой принято решение (по умолчанию — последний)")] = None,
) -> None:
    """Записать решение по нарушению. Код выхода 2 — решение не записано (причина названа)."""
    from sveden.reviews import Request, ReviewError, describe, parse_date, parse_decision, record

    try:
        kind, due = parse_decision(decision)
        if until:
            due = parse_date(until)
        req = Request(org.strip(), rule.strip().upper(), kind, reason, url, due if kind == "fix_planned" else None)
        with _session(write=True) as session:
            row = record(session, req, (author or _default_author()).strip(), month, "командная строка")
            text = f"Решение записано (№ {row.id}): {row.org_id}, {row.rule} — {describe(row)}; по проверке за {row.month}, {row.author}."
    except ReviewError as exc:
        raise _fail(str(exc)) from None
    _echo(text)


@review_app.command("list")
def list_cmd(
    month: Annotated[str | None, typer.Option("--month", metavar="ГГГГ-ММ", help="Месяц, к проверке которого применить решения (по умолчанию — последний)")] = None,
    municipality: Annotated[list[str] | None, typer.Option("--municipality", metavar="НАЗВАНИЕ", help="Только муниципалитет (можно несколько)")] = None,
    org: Annotated[list[str] | None, typer.Option("--org", metavar="КОД", help="Только организация (можно несколько)")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", help="Формат списка")] = ListFormat.text,
) -> None:
    """Действующие решения и их судьба в проверке месяца: действует, утратило силу (сайт изменился), нарушение устранено."""
    from reports.data import ReportError, load_dataset
    from reports.decisions import STATE_TITLES, applied_decisions

    with _session(write=False) as session:
        try:
            ds = load_dataset(session, month, municipality or [], org or [], history_months=0)
        except ReportError as exc:
            raise _fail(str(exc)) from None
        applied = applied_decisions(session, ds)
        rows = [_row_json(a.decision) | {"state": a.state, "state_title": STATE_TITLES[a.state], "note": a.note, "status": a.status, "overdue": a.overdue}
                for _, a in sorted(applied.items())]
    if fmt is ListFormat.json:
        sys.stdout.write(json.dumps({"month": ds.month, "decisions": rows}, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        _echo(f"Решений нет (месяц {ds.month}).")
        return
    _echo(f"Решения, применённые к проверке за {ds.month}:")
    for r in rows:
        state = r["state_title"] + (f": {r['note']}" if r["note"] else "") + (" · срок истёк" if r["overdue"] else "")
        _echo(f"  {r['org_id']} {r['rule']}: {r['title']} — {state} (№ {r['id']}, {r['author']}, {r['created_at'][:10]})")


@review_app.command("history")
def history(
    org: Annotated[str | None, typer.Argument(metavar="[КОД_ОРГАНИЗАЦИИ]", help="Только организация", show_default=False)] = None,
    rule: Annotated[str | None, typer.Argument(metavar="[КОД_ПРАВИЛА]", help="Только правило", show_default=False)] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", help="Формат списка")] = ListFormat.text,
) -> None:
    """Все решения по порядку (журнал): кто, когда, что решил, почему, по какой проверке; последнее по паре действует."""
    from storage.reviews import decision_history

    with _session(write=False) as session:
        rows = decision_history(session, org.strip() if org else None, rule.strip().upper() if rule else None)
        docs = [_row_json(r) for r in rows]
    newest = {(d["org_id"], d["rule"]): d["id"] for d in docs}
    if fmt is ListFormat.json:
        for d in docs:
            d["in_force"] = newest[(d["org_id"], d["rule"])] == d["id"]
        sys.stdout.write(json.dumps({"decisions": docs}, ensure_ascii=False, indent=2) + "\n")
        return
    if not docs:
        _echo("Решений нет.")
        return
    for d in docs:
        mark = "" if newest[(d["org_id"], d["rule"])] == d["id"] else " (заменено более поздним)"
        _echo(f"№ {d['id']} {d['created_at'][:16].replace('T', ' ')} {d['author']}: {d['org_id']} {d['rule']} — {d['title']}{mark}")
        details = [f"по проверке за {d['month']}", d["source"]]
        if d["evidence_url"]:
            details.append(f"сведения: {d['evidence_url']}")
        if d["reason"]:
            details.append(f"комментарий: {d['reason']}")
        _echo("    " + "; ".join(x for x in details if x))


@review_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(metavar="ФАЙЛ", help="Выгрузка sveden report (XLSX) с заполненными столбцами «Решение» и «Комментарий» листа «Нарушения»")],
    author: Annotated[str | None, typer.Option("--author", metavar="ИМЯ", help="Кто принял решения (по умолчанию — имя пользователя системы)")] = None,
) -> None:
    """Загрузить решения из выгрузки XLSX. Файл с неизвестным решением или без обязательного поля не загружается
    целиком (строки названы), код выхода 2."""
    from sveden.reviews import ReviewError, describe, import_xlsx

    try:
        with _session(write=True) as session:
            result = import_xlsx(session, file, (author or _default_author()).strip())
            lines = [f"  строка {n}: {row.org_id} {row.rule} — {describe(row)}" for n, row in result.added]
    except ReviewError as exc:
        raise _fail(str(exc)) from None
    _echo(f"Решения из {file.name} (проверка за {result.month}): записано {len(result.added)}, без изменений {result.unchanged}.")
    for line in lines:
        _echo(line)


def _row_json(row: Any) -> dict[str, Any]:
    from reports.decisions import decision_title

    return {
        "id": row.id, "org_id": row.org_id, "rule": row.rule, "decision": row.decision, "title": decision_title(row),
        "reason": row.reason, "evidence_url": row.evidence_url, "due_date": row.due_date.isoformat() if row.due_date else None,
        "author": row.author, "created_at": row.created_at.isoformat(timespec="seconds"), "source": row.source, "month": row.month,
        "basis": {"status": row.basis_status, "message": row.basis_message, "url": row.basis_url, "page_hash": row.basis_hash},
    }
