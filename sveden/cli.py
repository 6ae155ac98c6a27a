"""The ``sveden`` command line. All user-facing text is Russian."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated

import typer

from checks import catalogue, docs
from checks.messages import item_name
from checks.model import OrgType, Rule
from reports.terminal import json_terminal_safe, terminal_safe
from sveden.cli_ru import RussianTyper

app = RussianTyper(
    name="sveden",
    help="Проверка официальных сайтов образовательных организаций: раздел «Сведения об образовательной организации» "
    "(приказ Рособрнадзора № 1493 в ред. № 1353, МР v9) и дистанционные способы обратной связи (НОКО).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


class ListFormat(StrEnum):
    text = "text"
    json = "json"


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"Ошибка: {terminal_safe(message)}", err=True)  # messages quote URLs and sites' answers
    return typer.Exit(code)


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters at a word boundary, with «…» when anything was cut."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if text[width - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—–-(«") + "…"


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"не удалось записать файл {output}: {exc.strerror or exc}") from None
    typer.echo(f"Отчёт записан: {output}", err=True)


@app.command()
def check(
    url: Annotated[str, typer.Argument(metavar="АДРЕС", help="Адрес сайта (главная страница), например https://school1.ru/")],
    org_type: Annotated[OrgType | None, typer.Option("--type", help="Тип организации; по умолчанию определяется по названию")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", help="Формат результата")] = CheckFormat.text,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Записать результат в файл")] = None,
    store: Annotated[bool, typer.Option("--store/--no-store", help="Сохранить проверку в базе данных")] = True,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Подсказки по исправлению в текстовом отчёте")] = False,
    setting: Annotated[list[str] | None, typer.Option("--set", metavar="КЛЮЧ=ЗНАЧЕНИЕ", help="Настройка обхода на этот запуск, например DOWNLOAD_DELAY=1 (можно несколько)")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="Показывать ход проверки в stderr; по умолчанию — только в терминале и не при --format json без -o")] = None,
    profile: Annotated[str | None, typer.Option("--profile", metavar="ПРОФИЛЬ", help="Профиль обхода: interactive (по умолчанию: до 4 запросов к сайту сразу, пауза 0,02 с) или polite (как ежемесячный обход); SVEDEN_PROFILE тоже задаёт его")] = None,
) -> None:
    """Проверить один сайт. Код выхода: 0 — нарушений нет, 1 — есть нарушения, 2 — сайт не удалось проверить."""
    from sveden.checking import CheckInputError, run_check, store_check

    import os

    if profile or not os.environ.get("SVEDEN_PROFILE", "").strip():  # one site someone waits for: the interactive profile
        setting = [f"SVEDEN_PROFILE={profile or 'interactive'}", *(setting or [])]
    tty = sys.stderr.isatty()
    if progress is None:  # a terminal shows it, a pipe or a log does not; JSON on stdout stays clean of it
        progress = tty and not (fmt is CheckFormat.json and output is None)
    try:
        result, artifact = run_check(url, org_type.value if org_type else None, settings=setting or [], progress=("tty" if tty else "lines") if progress else "")
    except CheckInputError as exc:
        raise fail(str(exc)) from None
    if fmt is CheckFormat.json:
        text = json_terminal_safe(json.dumps(result, ensure_ascii=False, indent=2)) + "\n"
    elif fmt is CheckFormat.html:
        from reports.school import render_html

        text = terminal_safe(render_html(result))  # control characters are not allowed in HTML either
    else:
        from reports.school import render_text

        text = render_text(result, verbose=verbose)
    note = terminal_safe(result.get("url_note") or "")
    if note and fmt is CheckFormat.text:
        text = f"Примечание: {note}\n\n{text}"
    elif note:
        typer.echo(f"Примечание: {note}", err=True)
    write_output(text, output)  # the result first: a database problem must not lose it
    if store:
        from sqlalchemy.exc import SQLAlchemyError

        from storage.db import StorageError

        try:
            typer.echo(f"Проверка сохранена (№ {store_check(result, artifact)}).", err=True)
        except (StorageError, SQLAlchemyError) as exc:
            typer.echo(f"Проверка не сохранена: {terminal_safe(str(exc).splitlines()[0])}", err=True)
    if not result["reachable"]:
        typer.echo(f"Сайт не проверен: {terminal_safe(result['error'] or '')}", err=True)
        raise typer.Exit(2)
    raise typer.Exit(1 if result["counts"].get("fail") else 0)


@app.command("rules")
def rules_cmd(
    action: Annotated[str | None, typer.Argument(metavar="[load ФАЙЛ]", help="load ФАЙЛ — проверить и установить файл региональных правил (TOML)", show_default=False)] = None,
    rules_file: Annotated[Path | None, typer.Argument(metavar="", hidden=True, show_default=False)] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", help="Формат списка")] = ListFormat.text,
    section: Annotated[str | None, typer.Option("--section", help="Только подраздел (slug, например common)")] = None,
    org_type: Annotated[OrgType | None, typer.Option("--type", help="Только правила, применимые к типу")] = None,
) -> None:
    """Каталог правил (генерируется из кода правил и файла региональных правил); «sveden rules load ФАЙЛ» устанавливает региональные правила."""
    from checks.regional import RegionalRulesError

    if action is not None:
        if action != "load" or rules_file is None:
            raise fail("ожидается «sveden rules load ФАЙЛ» (файл региональных правил TOML)")
        _load_regional(rules_file)
        return
    try:
        audits = catalogue.audits()
    except RegionalRulesError as exc:
        raise fail(str(exc)) from None
    if section:
        if section not in catalogue.section_by_slug():
            raise fail(f"нет подраздела «{section}»; есть: {', '.join(s.slug for s in catalogue.sections())}")
        audits = tuple(a for a in audits if isinstance(a, Rule) and a.section == section)
    if org_type:
        audits = tuple(a for a in audits if a.applies(org_type))
    if fmt is ListFormat.json:
        payload = {"rules_version": catalogue.rules_version(), "ruleset": catalogue.RULESET, "rules": [docs.rule_json(a) for a in audits]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    current = None
    for a in audits:
        heading = a.section if isinstance(a, Rule) else a.group
        if heading != current:
            current = heading
            if isinstance(a, Rule):
                s = catalogue.section_by_slug()[current]
                typer.echo(f"\n{s.title} (/sveden/{s.slug}, {s.basis})")
            else:
                typer.echo(f"\n{docs.GROUP_TITLES.get(a.group, a.group)} ({a.basis})")
        if isinstance(a, Rule):
            name = item_name(a.parent, a.itemprop)
            flags = ("ссылка" if a.kind == "link" else "") + (" · при наличии" if a.optional else "")
            typer.echo(f"  {a.code}  {name:<40} {shorten(a.title, 70)}" + (f"  [{flags.strip(' ·')}]" if flags else ""))
        else:
            typer.echo(f"  {a.code}  {a.title}")
    typer.echo(f"\nВсего правил: {len(audits)} · версия {catalogue.rules_version()}")


def _load_regional(path: Path) -> None:
    import os

    from checks import regional

    try:
        target, rules = regional.store(path)
    except regional.RegionalRulesError as exc:
        raise fail(f"файл региональных правил не загружен — {exc}") from None
    except OSError as exc:
        raise fail(f"не удалось сохранить файл региональных правил: {exc.strerror or exc}") from None
    typer.echo(f"Региональные правила загружены: {terminal_safe(rules.region.name)}, правил: {len(rules.check)} ({', '.join(c.code for c in rules.check)}).")
    typer.echo(f"Файл сохранён: {target}")
    if os.environ.get(regional.ENV, "").strip():
        typer.echo(f"Внимание: переменная {regional.ENV} указывает другой файл ({os.environ[regional.ENV]}) — действует он.", err=True)
    typer.echo("Применить к сохранённому месяцу без обхода: sveden recheck --month ГГГГ-ММ")


@app.command("rule")
def rule_cmd(rule_id: Annotated[str, typer.Argument(metavar="КОД", help="Код правила, например CMN002")]) -> None:
    """Документация одного правила: что проверяет, почему, как исправить, примеры."""
    rule = catalogue.by_code().get(rule_id.strip().upper())
    if rule is None:
        raise fail(f"нет правила с кодом «{rule_id}»; список: sveden rules")
    sys.stdout.write(docs.render_text(rule))


@cache  # mounted once, whoever asks first
def _mount_optional() -> None:
    """Sub-commands that live in their own modules (storage, the scheduler, the web page: heavy imports)."""
    from importlib import import_module

    for module, attrs, name in (
        ("sveden.cli_registry", ("registry_app", "app"), "registry"),
        ("sveden.cli_schedule", ("schedule_app", "app"), "schedule"),
        ("sveden.cli_monitoring", ("register",), None),
        ("sveden.cli_demo", ("register",), None),
        ("sveden.cli_reports", ("register",), None),
        ("sveden.cli_deliver", ("register",), None),
        ("sveden.cli_web", ("register",), None),
        ("sveden.cli_review", ("register",), None),
    ):
        try:
            mod = import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        obj = next((getattr(mod, a) for a in attrs if hasattr(mod, a)), None)
        if obj is None:
            continue
        if name:
            app.add_typer(obj, name=name)
        else:
            obj(app)


def build_app() -> RussianTyper:
    """The whole command line: the commands of this module and every sub-command module mounted."""
    _mount_optional()
    return app


def _needs_only_core(args: list[str]) -> bool:
    """Is the command one of this module's own (`check`, `rules`, `rule`)? Then the sub-command modules,
    whose imports (SQLAlchemy, the scheduler, the registry reader) cost a one-site check half a second,
    are not imported. Anything else (`--help`, another command, a typo) gets the whole command line."""
    core = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return bool(args) and args[0] in core


_EXIT_CODE = [0]


def _leave_without_teardown() -> None:
    """A one-shot command leaves without the interpreter's teardown: freeing every module and object of
    Scrapy, Twisted and the catalogue takes a third of a second after a check that took three. Registered
    before any other exit handler, so it runs last: logging's and temporary files' handlers have run."""
    import atexit
    import os

    def leave() -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be said on it
                pass
        os._exit(_EXIT_CODE[0])

    atexit.register(leave)


def main() -> None:
    from checks.regional import RegionalRulesError

    from checks.audits.personal import setting_problem

    problem = setting_problem()  # a mistyped code would leave an audit on without a word
    if problem:
        sys.stderr.write(f"Ошибка: {problem}\n")
        raise SystemExit(2)
    if _needs_only_core(sys.argv[1:]):
        # A one-shot command (a one-site check someone waits for) allocates mostly what it keeps (modules,
        # the catalogue): the young generation is collected far less often, cycles still are.
        import gc

        gc.set_threshold(50_000, 50, 50)
        _leave_without_teardown()
    else:
        _mount_optional()
    try:
        app(prog_name="sveden")  # «python -m sveden.cli» is sveden too, in its usage lines
    except RegionalRulesError as exc:  # a bad regional rules file (SVEDEN_REGIONAL_RULES) is the user's to fix
        sys.stderr.write(terminal_safe(f"Ошибка: {exc}") + "\n")
        _EXIT_CODE[0] = 2
        raise SystemExit(2) from None
    except SystemExit as exc:  # the code the process leaves with (see _leave_without_teardown)
        _EXIT_CODE[0] = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        raise
    except BaseException:
        _EXIT_CODE[0] = 1
        raise


if __name__ == "__main__":
    main()
