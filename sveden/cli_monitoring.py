"""``sveden crawl`` (the monthly monitoring run), ``sveden worker`` and ``sveden recheck``."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)
    app.command("worker")(worker)
    app.command("recheck")(recheck)


def recheck(month: Annotated[str, typer.Option("--month", metavar="ГГГГ-ММ", help="Месяц ГГГГ-ММ, чей обход перепроверить")]) -> None:
    """Перепроверить сохранённый обход месяца текущими правилами, не обходя сайты заново."""
    from storage.db import StorageError, database_url
    from sveden.recheck import RecheckError, recheck_month

    try:
        summary = recheck_month(database_url(), month)
    except (RecheckError, StorageError) as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"Обход № {summary['source_run_id']} перепроверен правилами {summary['rules_version']}: "
        f"новый обход № {summary['run_id']}, организаций {summary['checks']}, изменились результаты у {summary['changed']}"
    )
    if summary.get("needs_crawl"):
        # What the stored pages cannot answer: said, never guessed.
        codes = ", ".join(f"{code} (организаций: {n})" for code, n in summary["needs_crawl"].items())
        typer.echo(f"Нужен новый обход: правилам {codes} нужны страницы или элементы, которые прошлый обход не проверял — до обхода их результат «требует проверки».")


def worker(
    redis: Annotated[str, typer.Option("--redis", metavar="АДРЕС", help="Адрес Redis, например redis://127.0.0.1:6379/0")],
    run: Annotated[int, typer.Option("--run", help="Номер обхода (его печатает sveden crawl --redis)")],
    idle_close: Annotated[int, typer.Option("--idle-close", help="Завершиться, если очередь пуста столько секунд")] = 30,
    setting: Annotated[list[str] | None, typer.Option("--set", metavar="КЛЮЧ=ЗНАЧЕНИЕ", help="Настройка обхода на этот запуск, например DOWNLOAD_DELAY=1 (можно несколько)")] = None,
) -> None:
    """Узел распределённого обхода: берёт организации из очереди Redis и пишет результаты в общую базу."""
    from crawler.runner import SettingsError, parse_sets, validate_settings
    from storage.db import StorageError, database_url
    from sveden.monitoring import MonitoringError, check_redis, check_worker_run, run_worker

    try:
        overrides = validate_settings(parse_sets(setting or []))
        check_redis(redis)
        db_url = database_url()
        check_worker_run(db_url, run)
        run_worker(redis, run, db_url, overrides, idle_close)
    except (StorageError, MonitoringError, SettingsError) as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None


def crawl(
    month: Annotated[str | None, typer.Option("--month", metavar="ГГГГ-ММ", help="Месяц обхода ГГГГ-ММ (по умолчанию текущий)")] = None,
    municipality: Annotated[list[str] | None, typer.Option("--municipality", metavar="НАЗВАНИЕ", help="Только организации муниципалитета (можно несколько)")] = None,
    org: Annotated[list[str] | None, typer.Option("--org", metavar="КОД", help="Только организация с кодом (можно несколько)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Продолжить незавершённый обход месяца")] = False,
    resume_or_start: Annotated[bool, typer.Option("--resume-or-start", hidden=True, help="Продолжить, а если нечего — начать")] = False,
    busgov: Annotated[bool, typer.Option("--busgov/--no-busgov", help="Собрать карточки bus.gov.ru и результаты НОК")] = True,
    redis: Annotated[str | None, typer.Option("--redis", metavar="АДРЕС", help="Распределённый обход: очередь в Redis (scrapy-redis), узлы — sveden worker")] = None,
    idle_close: Annotated[int, typer.Option("--idle-close", help="С --redis: завершить свой узел, если очередь пуста столько секунд")] = 10,
    workers: Annotated[int, typer.Option("--workers", metavar="N", min=0,
                                         help="С --redis: запустить на этой машине ещё N узлов sveden worker (один процесс обхода занимает одно ядро)")] = 0,
    setting: Annotated[list[str] | None, typer.Option("--set", metavar="КЛЮЧ=ЗНАЧЕНИЕ", help="Настройка обхода на этот запуск, например DOWNLOAD_DELAY=1 (можно несколько)")] = None,
) -> None:
    """Ежемесячный обход: все организации реестра (или выбранные), результаты — в базу данных."""
    import re

    from crawler.runner import SettingsError, parse_sets, validate_settings
    from storage.db import StorageError
    from sveden.monitoring import MonitoringError, current_month, run_monitoring

    month = month or current_month()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        typer.echo(f"Ошибка: месяц должен быть в виде ГГГГ-ММ, получено «{month}»", err=True)
        raise typer.Exit(2)
    if workers and not redis:
        typer.echo("Ошибка: --workers делит обход через очередь Redis: укажите и --redis АДРЕС", err=True)
        raise typer.Exit(2)
    try:
        overrides = validate_settings(parse_sets(setting or []))
    except SettingsError as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    kwargs = dict(month=month, municipalities=municipality or [], org_ids=org or [], overrides=overrides, with_busgov=busgov,
                  redis_url=redis, idle_close=idle_close, local_workers=workers)
    try:
        try:
            summary = run_monitoring(resume=resume or resume_or_start, **kwargs)
        except MonitoringError:
            if not resume_or_start:
                raise
            summary = run_monitoring(resume=False, **kwargs)
    except (MonitoringError, StorageError) as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    outcomes = summary["totals"].get("outcomes", {})
    typer.echo(f"Обход № {summary['run_id']} за {summary['month']}: {'завершён' if summary['status'] == 'finished' else 'прерван'}")
    typer.echo(f"Проверено организаций: {summary['done']} из {summary['total']}")
    from artifacts.schema import OUTCOMES

    for outcome, count in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {OUTCOMES.get(outcome, outcome)}: {count}")
    if summary["status"] != "finished":
        typer.echo(f"Продолжить: sveden crawl --month {summary['month']} --resume", err=True)
        raise typer.Exit(1)
    typer.echo(f"Отчёты: sveden report --month {summary['month']} -o отчёты/{summary['month']}")
