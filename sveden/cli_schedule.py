"""`sveden schedule`: the monthly monitoring scheduler (see scheduler.py).

Mounted by the main CLI as ``app.add_typer(cli_schedule.app, name="schedule")``; also runnable
as ``python -m sveden.cli_schedule``.

Exit codes: 0 done; 1 the run failed; 2 bad options; 3 a run (or a scheduler) is already going
for the same database; 130 interrupted.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import traceback
from typing import Optional

import typer
from sqlalchemy.exc import SQLAlchemyError

from storage.db import StorageError

import scheduler as sched
from sveden.cli_ru import RussianTyper

app = RussianTyper(
    help="Ежемесячный мониторинг по расписанию (APScheduler).",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
)


def _echo(message: str) -> None:
    typer.echo(message)


def _print_jobs(url: str) -> None:
    jobs = sched.list_jobs(url)
    if not jobs:
        typer.echo("В хранилище заданий нет ни одного задания.")
        return
    for info in jobs:
        reports = "—" if info.reports is None else ("да" if info.reports else "нет")
        typer.echo(f"{info.id} ({info.name})")
        typer.echo(f"  расписание: {info.trigger}")
        typer.echo(f"  следующий запуск: {sched.format_time(info.next_run_time)}")
        typer.echo(
            f"  функция: {info.target or '—'}; отчёты: {reports}; "
            f"допуск опоздания: {sched.format_duration(info.misfire_grace_time)}"
        )


def _drop_job_failed(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], sched.JobFailed))


def _quiet_apscheduler_warnings() -> None:
    # Missed and max-instance runs are reported in Russian by the scheduler's listener; keep
    # APScheduler's own English warnings out unless logging was configured otherwise.
    logger = logging.getLogger("apscheduler")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.ERROR)
    # a non-zero exit code of the job is reported by the listener; no traceback for it
    logging.getLogger("apscheduler.executors.default").addFilter(_drop_job_failed)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.callback()
def schedule(
    ctx: typer.Context,
    list_: bool = typer.Option(
        False, "--list", help="Показать задания и время следующего запуска и выйти."
    ),
    run_now: bool = typer.Option(
        False, "--run-now", help="Выполнить мониторинг один раз сейчас, в этом процессе."
    ),
    cron: Optional[str] = typer.Option(
        None,
        "--cron",
        metavar="РАСПИСАНИЕ",
        help="Расписание: строка crontab («0 2 1 * *»), @monthly или поля CronTrigger "
        "(«day=1 hour=2 minute=0»). Сохраняется в хранилище заданий.",
    ),
    timezone: Optional[str] = typer.Option(
        None, "--timezone", metavar="ПОЯС", help="Часовой пояс расписания (по умолчанию Europe/Moscow)."
    ),
    misfire_grace: Optional[str] = typer.Option(
        None,
        "--misfire-grace",
        metavar="ДЛИТЕЛЬНОСТЬ",
        help="Сколько пропущенный запуск ещё может начаться с опозданием: 6h, 30m, 3600.",
    ),
    reports: Optional[bool] = typer.Option(
        None, "--reports/--no-reports", help="Строить ли отчёты за месяц после обхода."
    ),
    target: Optional[str] = typer.Option(
        None, "--target", metavar="МОДУЛЬ:ФУНКЦИЯ", help="Функция задания «модуль:функция» (для отладки)."
    ),
    database_url: Optional[str] = typer.Option(
        None, "--database-url", metavar="АДРЕС", help="База данных (по умолчанию SVEDEN_DATABASE_URL или файл SQLite)."
    ),
) -> None:
    """Запустить планировщик (по умолчанию), показать задания (--list) или выполнить
    мониторинг сейчас (--run-now)."""
    if ctx.invoked_subcommand is not None:
        return
    if list_ and run_now:
        raise typer.BadParameter("--list и --run-now нельзя указывать вместе.")
    url = sched.normalize_url(database_url) if database_url else sched.database_url()
    overrides = dict(
        cron=cron, timezone=timezone, misfire_grace=misfire_grace, reports=reports, target=target
    )
    try:
        if run_now:
            if cron or timezone or misfire_grace:
                typer.echo("--cron, --timezone и --misfire-grace при --run-now не применяются.", err=True)
            raise typer.Exit(_run_now(url, target=target, reports=reports))
        if list_:
            if any(value is not None for value in overrides.values()):
                sched.save_job(url, **overrides)
                typer.echo("Настройки задания сохранены.")
            _print_jobs(url)
            return
        _quiet_apscheduler_warnings()
        raise typer.Exit(sched.serve(url, notify=_echo, **overrides))
    except sched.ScheduleError as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    except (SQLAlchemyError, StorageError) as exc:
        typer.echo(f"Ошибка: не удалось открыть базу данных: {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(2) from None
    except sched.AlreadyRunning as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(sched.EXIT_BUSY) from None


def _run_now(url: str, *, target: Optional[str], reports: Optional[bool]) -> int:
    settings = sched.resolve_settings(sched.stored_job(url), target=target, reports=reports)
    problem = sched.target_problem(settings.target)
    if problem:
        typer.echo(f"Ошибка: {problem}.", err=True)
        return 1
    flag = "да" if settings.reports else "нет"
    typer.echo(f"Запуск мониторинга сейчас: функция {settings.target}, отчёты: {flag}.")

    # SIGTERM behaves like Ctrl+C here: the job is interrupted by KeyboardInterrupt and its
    # `finally` blocks (and the run guard's release) run.
    def on_term(signum, _frame):
        sched.request_stop()
        raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_term) if in_main else None
    try:
        result = sched.run_now(url, target=settings.target, reports=settings.reports)
    except sched.AlreadyRunning:
        raise
    except KeyboardInterrupt:
        typer.echo("Запуск прерван.", err=True)
        return 130
    except sched.JobFailed as exc:
        typer.echo(f"Запуск мониторинга завершился с ошибкой: {exc}.", err=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - report any failure of the job, with traceback
        traceback.print_exc(file=sys.stderr)
        typer.echo(f"Запуск мониторинга завершился с ошибкой: {exc}", err=True)
        return 1
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        sched.clear_stop()
    if isinstance(result, str) and result:
        typer.echo(result)
    typer.echo("Запуск мониторинга завершён.")
    return 0


def main() -> None:
    app()


if __name__ == "__main__":
    main()
