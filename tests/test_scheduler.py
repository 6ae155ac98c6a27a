"""The monthly scheduler (scheduler.py, sveden/cli_schedule.py).

Jobs used by the scheduler under test are defined at the bottom of this module and referenced by
text (``f"{__name__}:record"``), as a persistent job store requires. They write markers to the
file named by SVEDEN_TEST_MARKER. Waits poll with generous deadlines; no test asserts a duration.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import scheduler as sched
from sveden import cli_schedule

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")

MOD = __name__
REPO = Path(__file__).resolve().parents[1]
DEADLINE = 20.0  # seconds: generous on a loaded 2-core machine


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in (
        sched.ENV_SCHEDULE,
        sched.ENV_TIMEZONE,
        sched.ENV_MISFIRE_GRACE,
        sched.ENV_TARGET,
        sched.ENV_REPORTS,
        "SVEDEN_TEST_GATE",
        "SVEDEN_TEST_SLOW_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SVEDEN_TEST_MARKER", str(tmp_path / "marker.txt"))
    monkeypatch.setenv("SVEDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    sched.clear_stop()
    yield
    sched.clear_stop()


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "marker.txt"


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for(predicate, what: str, deadline: float = DEADLINE, step: float = 0.05):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # this module is importable as `test_scheduler` (rootdir/tests on sys.path) or
    # `tests.test_scheduler` (rootdir on sys.path): give the child both
    paths = [str(REPO / "tests"), str(REPO), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def _die_with_parent() -> None:
    # Linux: the child gets SIGTERM (a graceful stop) if the test process dies, so a killed test
    # run never leaves a scheduler behind
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort on other systems
        pass


def cli_process(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sveden.cli_schedule", *args],
        env=env,
        cwd=str(REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def hourly_at(moment: datetime) -> str:
    return f"minute={moment.minute}"


# --------------------------------------------------------------------------- parsing/settings


def test_parse_schedule_forms():
    assert sched.describe_trigger(sched.parse_schedule("day=1 hour=2 minute=0")) == (
        "«day=1 hour=2 minute=0» (Europe/Moscow)"
    )
    crontab = sched.parse_schedule("0 2 1 * *", "UTC")
    nxt = crontab.get_next_fire_time(None, datetime(2026, 5, 15, tzinfo=timezone.utc))
    assert nxt == datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)
    monthly = sched.parse_schedule("@monthly", "UTC")
    assert monthly.get_next_fire_time(None, datetime(2026, 5, 15, tzinfo=timezone.utc)).day == 1
    for bad in ("", "bogus=1", "day=1 hour", "0 2 1 *", "day=40"):
        with pytest.raises(sched.ScheduleError):
            sched.parse_schedule(bad)
    with pytest.raises(sched.ScheduleError, match="часовой пояс"):
        sched.parse_schedule("day=1", "Mars/Olympus")
    assert sched.parse_duration("6h") == 21600
    assert sched.parse_duration("30m") == 1800
    assert sched.parse_duration(90) == 90
    with pytest.raises(sched.ScheduleError):
        sched.parse_duration("soon")


def test_settings_precedence_explicit_env_stored_default(url):
    default = sched.resolve_settings(None, env={})
    assert sched.describe_trigger(default.trigger) == "«day=1 hour=2 minute=0» (Europe/Moscow)"
    assert (default.target, default.reports, default.misfire_grace_time) == (
        sched.DEFAULT_TARGET,
        False,
        6 * 3600,
    )

    job = sched.save_job(url, cron="day=15 hour=4", timezone="UTC", reports=False,
                         misfire_grace="1h", target="x.y:z")
    stored = sched.stored_job(url)
    kept = sched.resolve_settings(stored, env={})
    assert repr(kept.trigger) == repr(job.trigger)
    assert (kept.target, kept.reports, kept.misfire_grace_time) == ("x.y:z", False, 3600)

    env = {sched.ENV_SCHEDULE: "0 5 2 * *", sched.ENV_REPORTS: "1", sched.ENV_TARGET: "a.b:c"}
    from_env = sched.resolve_settings(stored, env=env)
    assert "hour=5" in sched.describe_trigger(from_env.trigger)
    assert "(UTC)" in sched.describe_trigger(from_env.trigger)  # time zone kept from the store
    assert (from_env.target, from_env.reports) == ("a.b:c", True)

    explicit = sched.resolve_settings(stored, cron="day=3", reports=False, target="m:f", env=env)
    assert sched.describe_trigger(explicit.trigger).startswith("«day=3»")
    assert (explicit.target, explicit.reports) == ("m:f", False)

    moved = sched.resolve_settings(stored, timezone="Asia/Yekaterinburg", env={})
    assert sched.describe_trigger(moved.trigger) == "«day=15 hour=4» (Asia/Yekaterinburg)"


# --------------------------------------------------------------------------- persistence


def test_job_store_keeps_the_job_across_restarts(url, tmp_path):
    first = sched.start_scheduler(url, cron="day=15 hour=4 minute=30", timezone="UTC",
                                  reports=False, misfire_grace="2h", target=f"{MOD}:record")
    job = first.get_job(sched.JOB_ID)
    saved_next = job.next_run_time
    first.shutdown(wait=True)

    import sqlite3

    with sqlite3.connect(tmp_path / "app.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert sched.JOBS_TABLE in tables

    # a new scheduler (new engine, nothing passed) finds the job as it was stored
    messages: list[str] = []
    second = sched.start_scheduler(url, notify=messages.append)
    try:
        again = second.get_job(sched.JOB_ID)
        assert repr(again.trigger) == repr(job.trigger)
        assert again.kwargs == {"target": f"{MOD}:record", "reports": False}
        assert again.misfire_grace_time == 7200
        assert again.coalesce is True and again.max_instances == 1
        assert again.func_ref == sched.RUNNER_REF
        assert again.next_run_time == saved_next
        assert len(second.get_jobs()) == 1  # replaced, not duplicated
    finally:
        second.shutdown(wait=True)
    assert any("«day=15 hour=4 minute=30» (UTC)" in m for m in messages)
    assert any("следующий запуск: 15." in m for m in messages)

    [info] = sched.list_jobs(url)
    assert info.id == "monthly-monitoring" and info.next_run_time == saved_next
    assert info.reports is False and info.target == f"{MOD}:record"


def test_list_on_an_empty_database_creates_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert sched.list_jobs(url) == []
    assert sched.stored_job(url) is None
    import sqlite3

    with sqlite3.connect(tmp_path / "empty.db") as db:
        assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_a_job_stored_with_the_legacy_target_is_moved_to_the_new_one(url):
    legacy = "sveden.monitoring:scheduled_run"
    assert sched.DEFAULT_TARGET == "scheduler:scheduled_run" and sched.LEGACY_TARGETS[legacy] == sched.DEFAULT_TARGET
    old = sched.create_scheduler(url)  # a store as an earlier version left it
    old.start(paused=True)
    old.add_job(sched.RUNNER_REF, sched.parse_schedule("day=1 hour=2 minute=0", "UTC"), id=sched.JOB_ID,
                name=sched.JOB_NAME, kwargs={"target": legacy, "reports": True}, misfire_grace_time=3600)
    old.shutdown(wait=False)
    before = sched.stored_job(url)
    assert before.kwargs["target"] == legacy
    assert sched.resolve_settings(before, env={}).target == sched.DEFAULT_TARGET

    messages: list[str] = []
    scheduler = sched.start_scheduler(url, notify=messages.append)
    try:
        job = scheduler.get_job(sched.JOB_ID)
        assert job.kwargs == {"target": sched.DEFAULT_TARGET, "reports": True}
        assert job.next_run_time == before.next_run_time and job.misfire_grace_time == 3600
    finally:
        scheduler.shutdown(wait=True)
    assert not any("Внимание" in m for m in messages), messages
    assert sched.stored_job(url).kwargs["target"] == sched.DEFAULT_TARGET
    assert sched.target_problem(sched.DEFAULT_TARGET) is None


def test_monitoring_does_not_import_the_scheduler():
    code = "import sys, sveden.monitoring; print('scheduler' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


# --------------------------------------------------------------------------- misfires


def _leave_missed_job(url: str, settings: sched.JobSettings, missed_at: datetime) -> None:
    """Store the job as a scheduler that went down before ``missed_at`` would have left it."""
    down = sched.create_scheduler(url)
    down.start(paused=True)
    sched.ensure_job(down, settings)
    down.modify_job(sched.JOB_ID, next_run_time=missed_at)
    down.shutdown(wait=True)


def _hourly_settings(grace: int) -> tuple[sched.JobSettings, datetime]:
    # an hourly run was due 30 minutes ago; the store still points three hours further back, so
    # four periods (3.5, 2.5, 1.5 h and 30 min ago) were missed while the scheduler was down
    last = (datetime.now(timezone.utc) - timedelta(minutes=30)).replace(second=0, microsecond=0)
    settings = sched.JobSettings(
        trigger=sched.parse_schedule(hourly_at(last), "UTC"),
        target=f"{MOD}:record",
        reports=False,
        misfire_grace_time=grace,
    )
    return settings, last - timedelta(hours=3)


def _next_run_is_the_coming_period(url: str) -> None:
    left = sched.stored_job(url).next_run_time - datetime.now(timezone.utc)
    assert timedelta(0) < left <= timedelta(minutes=31)


def test_missed_runs_within_grace_run_once(url, marker):
    # all four missed periods are within the grace time: without coalescing, four runs
    settings, long_ago = _hourly_settings(grace=6 * 3600)
    _leave_missed_job(url, settings, long_ago)
    assert sched.stored_job(url).next_run_time == long_ago

    messages: list[str] = []
    scheduler = sched.start_scheduler(url, settings=settings, notify=messages.append)
    try:
        wait_for(lambda: lines(marker), "the coalesced run")
        wait_for(
            lambda: scheduler.get_job(sched.JOB_ID).next_run_time > datetime.now(timezone.utc),
            "the next run time to move to the future",
        )
    finally:
        scheduler.shutdown(wait=True)  # any further (uncoalesced) run would complete here
    assert lines(marker) == ["record reports=False"]
    assert any("пропущен, пока планировщик не работал" in m for m in messages)
    assert not any("опоздание больше допуска" in m for m in messages)
    _next_run_is_the_coming_period(url)


def test_missed_run_beyond_grace_is_skipped(url, marker):
    settings, long_ago = _hourly_settings(grace=10 * 60)
    _leave_missed_job(url, settings, long_ago)

    messages: list[str] = []
    scheduler = sched.start_scheduler(url, settings=settings, notify=messages.append)
    try:
        wait_for(lambda: any("пропущен: опоздание больше допуска" in m for m in messages),
                 "the missed-run event")
    finally:
        scheduler.shutdown(wait=True)
    assert lines(marker) == []
    assert sum("опоздание больше допуска" in m for m in messages) == 1  # coalesced: one miss
    _next_run_is_the_coming_period(url)


# --------------------------------------------------------------------------- no overlap


def test_slow_job_is_not_started_twice(url, marker, monkeypatch):
    monkeypatch.setenv("SVEDEN_TEST_SLOW_SECONDS", "2")
    settings = sched.JobSettings(
        trigger=sched.parse_schedule("second=*", "UTC"),  # due every second
        target=f"{MOD}:slow_job",
        reports=False,
        misfire_grace_time=30,
    )
    messages: list[str] = []
    scheduler = sched.start_scheduler(url, settings=settings, notify=messages.append)
    skipped = lambda: [m for m in messages if "предыдущий запуск ещё выполняется" in m]  # noqa: E731
    try:
        wait_for(lambda: lines(marker), "the first run to start")
        wait_for(skipped, "a trigger while the job runs")
    finally:
        scheduler.shutdown(wait=True)
    events = [line.split()[0] for line in lines(marker)]
    assert events and events[0] == "start"
    # runs strictly alternate: no second start before the previous end
    assert events == ["start", "end"] * (len(events) // 2), events
    assert skipped()


def test_run_now_is_refused_while_another_process_runs(url, marker, tmp_path, monkeypatch):
    gate = tmp_path / "gate"
    env = subprocess_env(SVEDEN_TEST_GATE=str(gate))
    first = cli_process("--run-now", "--target", f"{MOD}:slow_job", "--database-url", url, env=env)
    try:
        wait_for(lambda: lines(marker) or first.poll() is not None, "the first run to start")
        assert first.poll() is None, first.communicate()

        with pytest.raises(sched.AlreadyRunning) as refused:
            sched.run_now(url, target=f"{MOD}:record")
        message = str(refused.value)
        assert "Мониторинг уже выполняется" in message and "повторный запуск отменён" in message
        assert f"PID {first.pid}" in message

        result = CliRunner().invoke(
            cli_schedule.app, ["--run-now", "--target", f"{MOD}:record", "--database-url", url]
        )
        assert result.exit_code == sched.EXIT_BUSY, result.output
        assert "Мониторинг уже выполняется" in result.output

        # a scheduled run that comes due meanwhile is skipped, not doubled
        monkeypatch.setattr(sched, "_runtime_url", url)
        assert sched.run_monitoring(target=f"{MOD}:record", reports=False) == sched.SKIPPED
        assert [line.split()[0] for line in lines(marker)] == ["start"]
    finally:
        gate.touch()
        out, err = first.communicate(timeout=DEADLINE)
    assert first.returncode == 0, err
    assert "Запуск мониторинга завершён." in out
    # the guard is released with the process: the next run goes ahead
    sched.run_now(url, target=f"{MOD}:record", reports=False)
    assert [line.split()[0] for line in lines(marker)] == ["start", "end", "record"]


def test_run_now_is_refused_in_another_thread(url, marker, tmp_path, monkeypatch):
    gate = tmp_path / "gate"
    monkeypatch.setenv("SVEDEN_TEST_GATE", str(gate))
    errors: list[BaseException] = []

    def first():
        try:
            sched.run_now(url, target=f"{MOD}:slow_job", reports=False)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        wait_for(lambda: lines(marker), "the first run to start")
        with pytest.raises(sched.AlreadyRunning, match=f"PID {os.getpid()}"):
            sched.run_now(url, target=f"{MOD}:record", reports=False)
    finally:
        gate.touch()
        thread.join(DEADLINE)
    assert not thread.is_alive() and not errors
    assert [line.split()[0] for line in lines(marker)] == ["start", "end"]


# --------------------------------------------------------------------------- signals


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_scheduler_gracefully(url, marker, tmp_path, signum):
    env = subprocess_env(SVEDEN_TEST_GATE=str(tmp_path / "never"))
    proc = cli_process(
        "--cron", "second=*", "--timezone", "UTC", "--no-reports",
        "--target", f"{MOD}:slow_job", "--database-url", url,
        env=env,
    )
    try:
        wait_for(lambda: lines(marker) or proc.poll() is not None, "a run to start")
        assert proc.poll() is None, proc.communicate()
        if signum == signal.SIGTERM:
            # one scheduler per database: a second one is refused (were it not, the pre-set
            # stop event makes it return at once instead of hanging the test)
            stop_at_once = threading.Event()
            stop_at_once.set()
            with pytest.raises(sched.AlreadyRunning, match="Планировщик уже запущен"):
                sched.serve(url, notify=lambda _m: None, stop_event=stop_at_once)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, (out, err)
    assert "Получен сигнал" in out and "Планировщик остановлен." in out
    assert "Ожидаю завершения текущего запуска" in out
    assert "следующий запуск" in out
    events = lines(marker)
    # the running job saw the stop request, finished cleanly and nothing started afterwards
    assert events[-1] == "end stopped", events
    assert [e.split()[0] for e in events] == ["start", "end"] * (len(events) // 2)


# --------------------------------------------------------------------------- CLI


def test_cli_list_and_cron(url):
    runner = CliRunner()
    empty = runner.invoke(cli_schedule.app, ["--list", "--database-url", url])
    assert empty.exit_code == 0 and "нет ни одного задания" in empty.output

    saved = runner.invoke(
        cli_schedule.app,
        ["--list", "--cron", "0 3 1 * *", "--no-reports", "--misfire-grace", "2h",
         "--database-url", url],
    )
    assert saved.exit_code == 0, saved.output
    assert "Настройки задания сохранены." in saved.output
    assert "monthly-monitoring" in saved.output and "отчёты: нет" in saved.output
    assert "допуск опоздания: 2 ч" in saved.output
    assert "следующий запуск: 01." in saved.output and "03:00:00 MSK" in saved.output

    bad = runner.invoke(cli_schedule.app, ["--list", "--cron", "hour=25", "--database-url", url])
    assert bad.exit_code == 2 and "Неверное расписание" in bad.output

    both = runner.invoke(cli_schedule.app, ["--list", "--run-now", "--database-url", url])
    assert both.exit_code == 2


@pytest.mark.parametrize("cron", ["hour=25", "0 2 32 * *", "каждый месяц"])
def test_cli_bad_cron_is_refused_before_the_scheduler_says_it_started(url, cron):
    result = CliRunner().invoke(cli_schedule.app, ["--cron", cron, "--database-url", url])
    assert result.exit_code == 2, result.output
    assert "Ошибка: " in result.output and ("Неверное расписание" in result.output or "Непонятный элемент" in result.output)
    assert "запущен" not in result.output and "Для остановки" not in result.output


def test_cli_run_now_passes_reports(url, marker):
    result = CliRunner().invoke(
        cli_schedule.app,
        ["--run-now", "--target", f"{MOD}:record", "--reports", "--database-url", url],
    )
    assert result.exit_code == 0, result.output
    assert "Запуск мониторинга завершён." in result.output
    assert lines(marker) == ["record reports=True"]

    failed = CliRunner().invoke(
        cli_schedule.app, ["--run-now", "--target", f"{MOD}:failing", "--database-url", url]
    )
    assert failed.exit_code == 1 and "вернула код 3" in failed.output
    with pytest.raises(sched.JobFailed):
        sched.run_now(url, target=f"{MOD}:failing")

    missing = CliRunner().invoke(
        cli_schedule.app, ["--run-now", "--target", "no.such.module:run", "--database-url", url]
    )
    assert missing.exit_code == 1 and "не найдена" in missing.output


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_postgres_advisory_guard():
    from conftest import pg_admin_url

    PG_URL = pg_admin_url()  # CI has PostgreSQL: a missing server fails, it is not skipped
    with sched.run_guard(PG_URL):
        with pytest.raises(sched.AlreadyRunning) as refused:
            with sched.run_guard(PG_URL):
                pass
        assert f"PID {os.getpid()}" in str(refused.value)
        with sched.run_guard(PG_URL, sched.SCHEDULER_LOCK):  # a different lock
            pass
    with sched.run_guard(PG_URL):  # released
        pass


# --------------------------------------------------------------------------- jobs under test


def _mark(text: str) -> None:
    with open(os.environ["SVEDEN_TEST_MARKER"], "a", encoding="utf-8") as fh:
        fh.write(text + "\n")


def record(reports: bool) -> None:
    _mark(f"record reports={reports}")


def failing(reports: bool) -> int:
    return 3  # like scheduler.scheduled_run when the crawl fails


def slow_job(reports: bool) -> str:
    """Runs until the gate file appears, a stop is requested, or SVEDEN_TEST_SLOW_SECONDS pass."""
    _mark(f"start {time.monotonic():.3f}")
    gate = os.environ.get("SVEDEN_TEST_GATE")
    limit = float(os.environ.get("SVEDEN_TEST_SLOW_SECONDS", DEADLINE))
    end = time.monotonic() + limit
    how = "done"
    while time.monotonic() < end:
        if gate and os.path.exists(gate):
            break
        if sched.stop_requested():
            how = "stopped"
            break
        time.sleep(0.05)
    _mark(f"end {how}")
    return ""
