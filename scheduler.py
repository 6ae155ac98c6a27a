"""Monthly monitoring runs with APScheduler 3.

The scheduler keeps one job, ``monthly-monitoring``, in a persistent
:class:`~apscheduler.jobstores.sqlalchemy.SQLAlchemyJobStore` that lives in the application's own
database (table ``apscheduler_jobs``, created by APScheduler itself and kept out of Alembic).

The job does not reference the monitoring code directly: it calls :func:`run_monitoring` (textual
reference ``scheduler:run_monitoring``, required by persistent job stores), which takes the
cross-process guard (:mod:`storage.locks`) and then calls the *target*, another textual reference
(``scheduler:scheduled_run`` by default: this month's crawl and reports in child processes) as
``target(reports=<bool>)``. A job stored with the old default target
``sveden.monitoring:scheduled_run`` is rewritten to the new one when the scheduler ensures it.

Settings are resolved field by field: explicit argument (CLI option) → environment variable →
what the stored job already has → built-in default.

Environment variables:
    SVEDEN_DATABASE_URL              database (job store and run guard); see :func:`database_url`
    SVEDEN_SCHEDULE                  "day=1 hour=2 minute=0" (CronTrigger fields) or a crontab line
    SVEDEN_SCHEDULE_TZ               time zone of the schedule, default Europe/Moscow
    SVEDEN_SCHEDULE_MISFIRE_GRACE    how late a missed run may still start: "6h", "30m", "3600"
    SVEDEN_SCHEDULE_TARGET           "module:function" called by the job
    SVEDEN_SCHEDULE_REPORTS          1/0: whether the job renders the month's reports
    SVEDEN_SCHEDULE_DELIVER          1/0: whether the job then e-mails them (`sveden deliver`)
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from typing import Any, Callable, Mapping

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.util import ref_to_obj

log = logging.getLogger("sveden.scheduler")

JOB_ID = "monthly-monitoring"
JOB_NAME = "Ежемесячный мониторинг"
JOBS_TABLE = "apscheduler_jobs"
RUNNER_REF = "scheduler:run_monitoring"
DEFAULT_TARGET = "scheduler:scheduled_run"
#: job targets of earlier versions, still found in persistent job stores → their current name
LEGACY_TARGETS = {"sveden.monitoring:scheduled_run": DEFAULT_TARGET}
DEFAULT_SCHEDULE = "day=1 hour=2 minute=0"
DEFAULT_TIMEZONE = "Europe/Moscow"
DEFAULT_MISFIRE_GRACE = 6 * 3600
DEFAULT_REPORTS = False  # opt-in, like scheduled_run's own default
#: returned by :func:`run_monitoring` when the guard refused a scheduled run
SKIPPED = "skipped"
#: exit code of the CLI when another run (or scheduler) holds the guard
EXIT_BUSY = 3

ENV_SCHEDULE = "SVEDEN_SCHEDULE"
ENV_TIMEZONE = "SVEDEN_SCHEDULE_TZ"
ENV_MISFIRE_GRACE = "SVEDEN_SCHEDULE_MISFIRE_GRACE"
ENV_TARGET = "SVEDEN_SCHEDULE_TARGET"
ENV_REPORTS = "SVEDEN_SCHEDULE_REPORTS"
ENV_DELIVER = "SVEDEN_SCHEDULE_DELIVER"  # 1: after the run (and the reports), `sveden deliver` the month

_CRON_FIELDS = CronTrigger.FIELD_NAMES
_CRONTAB_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@hourly": "0 * * * *",
}

# Set when the foreground scheduler is asked to stop (SIGTERM/SIGINT). A long job may poll
# stop_requested() to end early and cleanly; a thread cannot be interrupted from outside.
_STOP = threading.Event()
# URL of the database the scheduler of this process works with; the job (run in this process's
# thread pool) takes its run guard there. Kept out of the job's kwargs so that no credentials are
# pickled into the jobs table.
_runtime_url: str | None = None
_active_count = 0  # runs in progress in this process (for messages)
_active_lock = threading.Lock()


class ScheduleError(ValueError):
    """A schedule, time zone or duration that cannot be understood (message in Russian)."""


class JobFailed(RuntimeError):
    """The job's target returned a non-zero exit code (message in Russian)."""


def stop_requested() -> bool:
    """True once the foreground scheduler got SIGTERM/SIGINT; long jobs may poll it."""
    return _STOP.is_set()


def request_stop() -> None:
    _STOP.set()


def clear_stop() -> None:
    _STOP.clear()


# --------------------------------------------------------------------------- database


# The application's database, as storage resolves it (bare path → SQLite, postgresql:// → psycopg 3).
from storage.db import database_url, normalize_url  # noqa: E402

# The one-run-per-database guards (flock beside SQLite, advisory lock in PostgreSQL).
from storage.locks import (  # noqa: E402
    GUARD_HELD_ENV,
    MONITORING_LOCK,
    SCHEDULER_LOCK,
    AlreadyRunning,
    _lock_for,
    run_guard,
)


def _url(url: str | None) -> str:
    return normalize_url(url) if url else database_url()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return url


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # the crawler writes to the same SQLite file: wait for its locks instead of failing
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


# --------------------------------------------------------------------------- parsing


def _tz(name: str | None):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = name or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"Неизвестный часовой пояс: «{name}»") from exc


def parse_schedule(spec: str, timezone: str | None = None) -> CronTrigger:
    """A CronTrigger from ``"day=1 hour=2 minute=0"`` (CronTrigger fields separated by spaces),
    a five-field crontab line (``"0 2 1 * *"``) or an alias (``@monthly``, ``@daily``...)."""
    tz = _tz(timezone)
    text = (spec or "").strip()
    if not text:
        raise ScheduleError("Пустое расписание")
    text = _CRONTAB_ALIASES.get(text.lower(), text)
    try:
        if "=" in text:
            fields: dict[str, str] = {}
            for token in text.split():
                key, sep, value = token.partition("=")
                key = key.strip().lower()
                if not sep or not value or key not in _CRON_FIELDS:
                    raise ScheduleError(
                        f"Непонятный элемент расписания «{token}»: ожидается поле=значение, "
                        f"поля: {', '.join(_CRON_FIELDS)}"
                    )
                fields[key] = value
            return CronTrigger(timezone=tz, **fields)
        return CronTrigger.from_crontab(text, timezone=tz)
    except ScheduleError:
        raise
    except ValueError as exc:
        raise ScheduleError(f"Неверное расписание «{spec}»: {exc}") from exc


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | int | float) -> int:
    """Seconds from ``3600``, ``"90s"``, ``"30m"``, ``"6h"`` or ``"1d"``."""
    if isinstance(text, (int, float)):
        seconds = int(text)
    else:
        match = _DURATION.match(str(text))
        if not match:
            raise ScheduleError(
                f"Неверная длительность «{text}»: ожидается число секунд или 30m, 6h, 1d"
            )
        seconds = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if seconds <= 0:
        raise ScheduleError(f"Длительность должна быть положительной: «{text}»")
    return seconds


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on", "да"):
        return True
    if value in ("0", "false", "no", "off", "нет"):
        return False
    raise ScheduleError(f"Ожидается 1/0 (да/нет), получено «{text}»")


def _cron_fields(trigger: CronTrigger) -> dict[str, str]:
    return {f.name: str(f) for f in trigger.fields if not f.is_default}


def describe_trigger(trigger: BaseTrigger) -> str:
    if isinstance(trigger, CronTrigger):
        fields = " ".join(f"{k}={v}" for k, v in _cron_fields(trigger).items())
        return f"«{fields}» ({trigger.timezone})"
    return str(trigger)


def format_time(value: datetime | None) -> str:
    if value is None:
        return "не запланирован (задание приостановлено)"
    return value.strftime("%d.%m.%Y %H:%M:%S %Z").strip()


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return "без ограничения"
    for unit, size in (("сут", 86400), ("ч", 3600), ("мин", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} с"


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class JobSettings:
    trigger: BaseTrigger
    target: str = DEFAULT_TARGET
    reports: bool = DEFAULT_REPORTS
    misfire_grace_time: int = DEFAULT_MISFIRE_GRACE


def current_target(target: str) -> str:
    """``target`` under its current name (a legacy target of a stored job is renamed)."""
    return LEGACY_TARGETS.get(target, target)


def resolve_settings(
    stored: Job | None = None,
    *,
    cron: str | None = None,
    timezone: str | None = None,
    misfire_grace: str | int | None = None,
    reports: bool | None = None,
    target: str | None = None,
    env: Mapping[str, str] | None = None,
) -> JobSettings:
    """Settings for the job: explicit argument → environment → stored job → default."""
    env = os.environ if env is None else env
    spec = cron or env.get(ENV_SCHEDULE) or None
    tz_name = timezone or env.get(ENV_TIMEZONE) or None
    stored_trigger = stored.trigger if stored is not None else None

    if spec:
        if tz_name is None and isinstance(stored_trigger, CronTrigger):
            tz_name = str(stored_trigger.timezone)
        trigger: BaseTrigger = parse_schedule(spec, tz_name)
    elif stored_trigger is not None:
        trigger = stored_trigger
        if tz_name and isinstance(trigger, CronTrigger) and str(trigger.timezone) != tz_name:
            trigger = CronTrigger(timezone=_tz(tz_name), **_cron_fields(trigger))
    else:
        trigger = parse_schedule(DEFAULT_SCHEDULE, tz_name)

    stored_kwargs = stored.kwargs if stored is not None else {}
    target = current_target(target or env.get(ENV_TARGET) or stored_kwargs.get("target") or DEFAULT_TARGET)
    if ":" not in target:
        raise ScheduleError(f"Функция задания должна быть вида «модуль:функция», а не «{target}»")

    if reports is None:
        if env.get(ENV_REPORTS):
            reports = _parse_bool(env[ENV_REPORTS])
        else:
            reports = bool(stored_kwargs.get("reports", DEFAULT_REPORTS))

    if misfire_grace is None:
        misfire_grace = env.get(ENV_MISFIRE_GRACE) or None
    if misfire_grace is not None:
        grace = parse_duration(misfire_grace)
    elif stored is not None and stored.misfire_grace_time:
        grace = stored.misfire_grace_time
    else:
        grace = DEFAULT_MISFIRE_GRACE

    return JobSettings(trigger=trigger, target=target, reports=reports, misfire_grace_time=grace)


# --------------------------------------------------------------------------- the job


def _call_target(target: str, reports: bool) -> Any:
    func = ref_to_obj(current_target(target))
    result = func(reports=reports)
    # scheduled_run reports failure as a process-style exit code
    if isinstance(result, int) and not isinstance(result, bool) and result != 0:
        raise JobFailed(f"функция задания {target} вернула код {result}")
    return result


def _enter_run() -> None:
    global _active_count
    with _active_lock:
        _active_count += 1


def _leave_run() -> None:
    global _active_count
    with _active_lock:
        _active_count -= 1


def runs_in_progress() -> int:
    with _active_lock:
        return _active_count


def run_monitoring(target: str = DEFAULT_TARGET, reports: bool = DEFAULT_REPORTS) -> Any:
    """The scheduled job (``scheduler:run_monitoring``): guard, then ``target(reports=...)``.

    When another run holds the guard, the run is skipped (logged) and :data:`SKIPPED` returned.
    """
    lock = _lock_for(_runtime_url or database_url(), MONITORING_LOCK)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        log.warning("Плановый запуск пропущен: %s", exc)
        return SKIPPED
    _enter_run()
    try:
        return _call_target(target, reports)
    finally:
        _leave_run()
        lock.release()


def run_now(
    url: str | None = None,
    *,
    target: str | None = None,
    reports: bool | None = None,
) -> Any:
    """Run the job once in this thread, now; raises :class:`AlreadyRunning` if a run is going.

    ``target``/``reports`` default to the environment, then the stored job, then defaults.
    """
    global _runtime_url
    url = _url(url)
    _runtime_url = url  # the job's child processes work in this database
    settings = resolve_settings(stored_job(url), target=target, reports=reports)
    with run_guard(url, MONITORING_LOCK):
        _enter_run()
        try:
            return _call_target(settings.target, settings.reports)
        finally:
            _leave_run()


def scheduled_run(reports: bool = False, reports_dir: str | None = None, extra_args: list[str] | None = None) -> int:
    """The default target: this month's run in a child process (a reactor per run), then reports.

    Resumes the month's unfinished run when there is one, so a restart after a crash or a
    missed schedule does not crawl everything twice.
    """
    from sveden.monitoring import current_month

    month = current_month()
    base = [sys.executable, "-m", "sveden.cli"]
    code = _child([*base, "crawl", "--month", month, "--resume-or-start", *(extra_args or [])])
    if code == 0 and reports:
        out = reports_dir or os.environ.get("SVEDEN_REPORTS_DIR") or os.path.join(os.getcwd(), "reports-out", month)
        code = _child([*base, "report", "--month", month, "-o", out])
    # Then delivery (SVEDEN_SCHEDULE_DELIVER=1): crawl → reports → e-mail, each only when the step before succeeded.
    if code == 0 and _parse_bool(os.environ.get(ENV_DELIVER, "") or "0"):
        code = _child([*base, "deliver", "--month", month])
    return code


def _child(args: list[str]) -> int:
    """Run a step in the scheduler's database; when the scheduler stops, the step stops too."""
    url = _runtime_url or database_url()
    env = {**os.environ, "SVEDEN_DATABASE_URL": url, GUARD_HELD_ENV: url}
    proc = subprocess.Popen(args, env=env)
    try:
        while True:
            try:
                return proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                if stop_requested():
                    return _stop_child(proc)
    except BaseException:  # Ctrl+C or SIGTERM in --run-now: never leave the crawl running unguarded
        _stop_child(proc)
        raise


def _stop_child(proc: subprocess.Popen) -> int:
    proc.terminate()  # Scrapy shuts down gracefully on SIGTERM; the run is resumable
    try:
        return proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


# --------------------------------------------------------------------------- scheduler


class _Scheduler(BackgroundScheduler):
    def _process_jobs(self):
        # APScheduler 3's main loop runs one more round of job processing after shutdown() (the
        # loop condition is checked before the wait, shutdown() sets the event). That round
        # "submits" due jobs to the already closed executor, fails, and still advances their
        # next run time in the store: a run that was missed while the scheduler was down would
        # be lost by merely opening and closing a paused scheduler (save_job, --list --cron).
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def create_scheduler(url: str | None = None, *, tablename: str = JOBS_TABLE) -> BackgroundScheduler:
    """A configured (not started) scheduler with the persistent job store in ``url``."""
    global _runtime_url
    url = _url(url)
    _runtime_url = url
    store = SQLAlchemyJobStore(url=url, tablename=tablename, engine_options=_engine_options(url))
    scheduler = _Scheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=_tz(os.environ.get(ENV_TIMEZONE)),
    )
    scheduler.job_store = store
    return scheduler


def _same_trigger(a: BaseTrigger, b: BaseTrigger) -> bool:
    return type(a) is type(b) and repr(a) == repr(b)


def ensure_job(scheduler: BackgroundScheduler, settings: JobSettings) -> Job:
    """Add or replace the ``monthly-monitoring`` job (the scheduler must be started, paused is
    fine).

    If the stored job has the same trigger, its stored ``next_run_time`` is kept even when it lies
    in the past: that is how a run missed while the scheduler was down is noticed (and then run
    once within the grace time, or skipped beyond it). A plain replace would recompute the next
    run time from now and silently drop the missed run. A changed trigger starts afresh.
    """
    existing = scheduler.get_job(JOB_ID)
    options: dict[str, Any] = dict(
        func=RUNNER_REF,
        trigger=settings.trigger,
        id=JOB_ID,
        name=JOB_NAME,
        kwargs={"target": current_target(settings.target), "reports": settings.reports},
        coalesce=True,
        max_instances=1,
        misfire_grace_time=settings.misfire_grace_time,
        replace_existing=True,
    )
    if (
        existing is not None
        and existing.next_run_time is not None
        and _same_trigger(existing.trigger, settings.trigger)
    ):
        options["next_run_time"] = existing.next_run_time
    scheduler.add_job(**options)
    return scheduler.get_job(JOB_ID)


def _open_store(url: str, tablename: str = JOBS_TABLE) -> SQLAlchemyJobStore | None:
    """The job store for reading, or None if its table does not exist yet (nothing is created)."""
    from sqlalchemy import inspect

    store = SQLAlchemyJobStore(url=url, tablename=tablename, engine_options=_engine_options(url))
    if not inspect(store.engine).has_table(tablename):
        store.shutdown()
        return None
    store.start(BackgroundScheduler(timezone=_tz(os.environ.get(ENV_TIMEZONE))), "default")
    return store


def stored_job(url: str | None = None, *, tablename: str = JOBS_TABLE) -> Job | None:
    store = _open_store(_url(url), tablename)
    if store is None:
        return None
    try:
        return store.lookup_job(JOB_ID)
    finally:
        store.shutdown()


@dataclass(frozen=True)
class JobInfo:
    id: str
    name: str
    trigger: str
    next_run_time: datetime | None
    target: str | None
    reports: bool | None
    misfire_grace_time: int | None


def list_jobs(url: str | None = None, *, tablename: str = JOBS_TABLE) -> list[JobInfo]:
    """Jobs of the persistent store with their next run times (read only)."""
    store = _open_store(_url(url), tablename)
    if store is None:
        return []
    try:
        return [
            JobInfo(
                id=job.id,
                name=job.name,
                trigger=describe_trigger(job.trigger),
                next_run_time=job.next_run_time,
                target=job.kwargs.get("target"),
                reports=job.kwargs.get("reports"),
                misfire_grace_time=job.misfire_grace_time,
            )
            for job in store.get_all_jobs()
        ]
    finally:
        store.shutdown()


def save_job(url: str | None = None, **overrides: Any) -> Job:
    """Store the job with resolved settings (see :func:`resolve_settings`) without running."""
    scheduler = create_scheduler(url)
    scheduler.start(paused=True)
    try:
        return ensure_job(scheduler, resolve_settings(scheduler.get_job(JOB_ID), **overrides))
    finally:
        scheduler.shutdown(wait=False)


def describe_job(job: Job) -> list[str]:
    reports = "да" if job.kwargs.get("reports") else "нет"
    return [
        f"Задание {job.id} ({job.name}): расписание {describe_trigger(job.trigger)}",
        f"  функция: {job.kwargs.get('target')}; отчёты: {reports}; "
        f"допуск опоздания: {format_duration(job.misfire_grace_time)}",
        f"  следующий запуск: {format_time(job.next_run_time)}",
    ]


def target_problem(target: str) -> str | None:
    try:
        obj = ref_to_obj(target)
    except (ImportError, LookupError, ValueError) as exc:
        return f"функция задания «{target}» не найдена ({exc})"
    if not callable(obj):
        return f"«{target}» не является функцией"
    return None


class _Reporter:
    """Turns scheduler events into Russian messages."""

    def __init__(self, scheduler: BackgroundScheduler, notify: Callable[[str], None]):
        self.store: SQLAlchemyJobStore = scheduler.job_store
        self.notify = notify

    def _next(self) -> str:
        # Read the store directly, never through scheduler.get_job(): a job finishing during
        # shutdown(wait=True) dispatches its event while shutdown() holds the job store lock, and
        # get_job() would wait for that lock forever.
        try:
            job = self.store.lookup_job(JOB_ID)
        except Exception:  # noqa: BLE001 - a message must never break the scheduler
            return ""
        if job is None:
            return ""
        upcoming = job.next_run_time
        now = datetime.now(dt_timezone.utc)
        if upcoming is not None and upcoming <= now:  # the store is updated just after submission
            upcoming = job.trigger.get_next_fire_time(upcoming, now)
        return f" Следующий запуск: {format_time(upcoming)}."

    def __call__(self, event: JobEvent) -> None:
        if event.job_id != JOB_ID:
            return
        stamp = datetime.now().astimezone().strftime("%d.%m.%Y %H:%M:%S")
        code = event.code
        if code == EVENT_JOB_SUBMITTED:
            planned = ", ".join(format_time(t) for t in event.scheduled_run_times)
            text = f"Запуск мониторинга (плановое время {planned})."
        elif code == EVENT_JOB_EXECUTED:
            if event.retval == SKIPPED:
                text = "Плановый запуск пропущен: мониторинг уже выполняется другим процессом."
            else:
                text = "Запуск мониторинга завершён."
            text += self._next()
        elif code == EVENT_JOB_ERROR:
            exc = event.exception
            reason = str(exc) if isinstance(exc, JobFailed) else f"{type(exc).__name__}: {exc}"
            text = f"Запуск мониторинга завершился с ошибкой: {reason}." + self._next()
        elif code == EVENT_JOB_MISSED:
            text = (
                f"Запуск на {format_time(event.scheduled_run_time)} пропущен: "
                "опоздание больше допуска." + self._next()
            )
        elif code == EVENT_JOB_MAX_INSTANCES:
            text = "Плановый запуск пропущен: предыдущий запуск ещё выполняется." + self._next()
        else:
            return
        self.notify(f"[{stamp}] {text}")


REPORTED_EVENTS = (
    EVENT_JOB_SUBMITTED
    | EVENT_JOB_EXECUTED
    | EVENT_JOB_ERROR
    | EVENT_JOB_MISSED
    | EVENT_JOB_MAX_INSTANCES
)


def start_scheduler(
    url: str | None = None,
    *,
    notify: Callable[[str], None] | None = None,
    tablename: str = JOBS_TABLE,
    **overrides: Any,
) -> BackgroundScheduler:
    """Start a background scheduler with the job stored/updated; returns it running.

    ``overrides`` are :func:`resolve_settings` keywords (cron, timezone, misfire_grace, reports,
    target) or ``settings=JobSettings(...)``. The caller stops it with ``shutdown(wait=True)``.
    """
    settings: JobSettings | None = overrides.pop("settings", None)
    scheduler = create_scheduler(url, tablename=tablename)
    if notify is not None:
        scheduler.add_listener(_Reporter(scheduler, notify), REPORTED_EVENTS)
    scheduler.start(paused=True)
    try:
        if settings is None:
            settings = resolve_settings(scheduler.get_job(JOB_ID), **overrides)
        job = ensure_job(scheduler, settings)
        if notify is not None:
            for line in describe_job(job):
                notify(line)
            problem = target_problem(settings.target)
            if problem:
                notify(f"Внимание: {problem}; запуски будут завершаться ошибкой.")
            if job.next_run_time and job.next_run_time <= datetime.now(dt_timezone.utc):
                notify(
                    "Плановый запуск был пропущен, пока планировщик не работал: он будет "
                    "выполнен сейчас, если опоздание не больше допуска, иначе пропущен."
                )
    except BaseException:
        scheduler.shutdown(wait=False)
        raise
    scheduler.resume()
    return scheduler


def serve(
    url: str | None = None,
    *,
    notify: Callable[[str], None] = print,
    stop_event: threading.Event | None = None,
    poll_interval: float = 60.0,
    **overrides: Any,
) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT (or ``stop_event``); returns 0.

    On the first signal no new run starts, :func:`stop_requested` turns true and the running job
    (if any) is waited for (``shutdown(wait=True)``). A second signal exits at once with code 1.
    Raises :class:`AlreadyRunning` if another scheduler serves the same database.
    """
    url = _url(url)
    if "settings" not in overrides:
        # A bad schedule, time zone or grace is refused before anything says the scheduler started.
        resolve_settings(None, **overrides)
    stop = stop_event or threading.Event()
    _STOP.clear()

    def say(message: str) -> None:
        try:
            notify(message)
        except Exception:  # noqa: BLE001 - e.g. a reentrant print from the signal handler
            pass

    def on_signal(signum, _frame):
        if stop.is_set():
            say("Повторный сигнал: выход без ожидания завершения запуска.")
            try:
                sys.stdout.flush()
            finally:
                os._exit(1)
        say(f"Получен сигнал {signal.Signals(signum).name}: планировщик останавливается.")
        _STOP.set()
        stop.set()

    with run_guard(url, SCHEDULER_LOCK):
        previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            # installed before the scheduler starts: no window where SIGTERM kills the process
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, on_signal)
        try:
            notify(f"Планировщик мониторинга запущен (база: {_safe_url(url)}).")
            scheduler = start_scheduler(url, notify=notify, **overrides)
            try:
                notify("Для остановки нажмите Ctrl+C или пошлите SIGTERM.")
                # Wake the scheduler now and then so that changes made to the job store by
                # another process (`sveden schedule --cron ... --list`) are picked up without a
                # restart (and a suspended/adjusted clock does not delay a run).
                while not stop.wait(poll_interval):
                    scheduler.wakeup()
            finally:
                _STOP.set()
                if runs_in_progress():
                    notify("Ожидаю завершения текущего запуска мониторинга…")
                scheduler.shutdown(wait=True)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _STOP.clear()
        notify("Планировщик остановлен.")
    return 0
