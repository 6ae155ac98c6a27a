"""The monthly monitoring run: every organization of the registry crawled, judged and stored.

One Scrapy process crawls all selected organizations concurrently (each site politely, in its
own download slot); the storage pipeline commits each organization's result on its own, so a
killed run continues with ``--resume`` without losing or duplicating anything. With Redis the
organizations go through a shared queue instead, taken by this process, by ``sveden worker``
processes on other machines and by ``--workers`` more on this one (one per core).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from checks import catalogue
from sveden import doccache
from storage.locks import GUARD_HELD_ENV, MONITORING_LOCK, AlreadyRunning, run_guard

log = logging.getLogger(__name__)
MSK = ZoneInfo("Europe/Moscow")


class MonitoringError(Exception):
    """A problem the user must fix (no organizations, nothing to resume…); the message is Russian."""


def current_month() -> str:
    return datetime.now(MSK).strftime("%Y-%m")


@dataclass
class Plan:
    run_id: int
    month: str
    targets: list[dict[str, Any]]
    busgov_targets: list[dict[str, Any]]
    org_ids: list[str]  # every organization the run must cover (its completion is decided by ids)
    already_done: int
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.org_ids)


def plan_run(db_url: str, month: str, municipalities: list[str], org_ids: list[str], resume: bool, settings: dict[str, Any],
             order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None) -> Plan:
    """The run's organizations, then the run itself (started or resumed). ``order`` may reorder the sites'
    targets in between (the latency pass, ``first_month_order``): before the run is running, so that no
    worker of it finds its queue empty meanwhile and leaves."""
    from storage import db, repository
    from storage.models import BusGovResult, Organization

    filters = {"municipality": municipalities, "org": org_ids}
    session_factory = db.open_database(db_url)
    try:
        with session_factory() as session, session.begin():
            q = select(Organization).where(Organization.active.is_(True))
            if municipalities:
                q = q.where(Organization.municipality.in_(municipalities))
            if org_ids:
                q = q.where(Organization.id.in_(org_ids))
            orgs = list(session.scalars(q.order_by(Organization.id)))
            if not orgs or set(org_ids) - {o.id for o in orgs}:
                raise MonitoringError(_nothing_to_crawl(session, municipalities, org_ids, {o.id for o in orgs}))
            found = repository.find_resumable_run(session, month, filters) if resume else None
            if resume and found is None:
                raise MonitoringError(f"нет незавершённого обхода за {month} с такими же фильтрами — запустите без --resume")
            run_id = found.id if found is not None else None
            done = repository.done_org_ids(session, run_id) if run_id is not None else set()
            busgov_done = set(session.scalars(select(BusGovResult.org_id).where(BusGovResult.run_id == run_id))) if run_id is not None else set()
            todo = [o for o in orgs if o.id not in done]
            # The slowest sites of the previous month first: a slow site started last would hold up the run's end.
            took = previous_durations(session, month, {o.id for o in todo})
            targets = [{"org_id": o.id, "url": o.site_url, "org_type": o.org_type, "expected_seconds": took.get(o.id, 0.0)}
                       for o in sorted(todo, key=lambda o: (-took.get(o.id, 0.0), o.id))]
            busgov = [
                {"org_id": o.id, "agency_id": o.busgov_agency_id, "inn": o.inn, "site_url": o.site_url}
                for o in orgs
                if o.id not in busgov_done and (o.busgov_agency_id or o.inn)
            ]
            all_ids = [o.id for o in orgs]
            already = len(done & set(all_ids))
        if order is not None and targets:
            targets = order(targets)
        with session_factory() as session, session.begin():
            if run_id is None:
                run_id = repository.start_run(session, "monthly", month, catalogue.rules_version(), settings, filters).id
            else:
                repository.resume_run(session, run_id)
        return Plan(run_id, month, targets, busgov, all_ids, already, filters)
    finally:
        session_factory.kw["bind"].dispose()


def previous_durations(session, month: str, org_ids: set[str]) -> dict[str, float]:  # noqa: ANN001
    """Seconds each organization's site took in the latest earlier monthly run (its artifact's
    ``stats.seconds``); organizations not crawled then are absent."""
    from storage.models import Artifact, Check, Run

    run_id = session.scalar(select(Run.id).where(Run.kind == "monthly", Run.month < month).order_by(Run.month.desc(), Run.id.desc()).limit(1))
    if run_id is None or not org_ids:
        return {}
    rows = session.execute(
        select(Check.org_id, Artifact.data).join(Artifact, Artifact.check_id == Check.id).where(Check.run_id == run_id),
        execution_options={"yield_per": 200},
    )
    return {org_id: seconds for org_id, data in rows if org_id in org_ids and (seconds := _artifact_seconds(data)) > 0}


def first_month_order(targets: list[dict[str, Any]], overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets, slowest first, the new ones (no time from last month) timed by the latency pass
    (crawler.latency), for a run shared through Redis: its queue is filled once, in this order. Without
    the pass, or when it fails, the order is unchanged: the pass only orders the run, the run never
    depends on it. (A lone crawl times its new sites while it crawls its first ones: SvedenSpider.)"""
    import time

    from crawler import latency
    from crawler.progress import progress_log
    from crawler.runner import project_settings

    settings = project_settings(overrides)
    new = [t for t in targets if not t.get("expected_seconds")]
    if not latency.wanted(settings.getint("SVEDEN_LATENCY_PASS"), len(new)):
        return targets
    timeout = settings.getfloat("SVEDEN_LATENCY_PASS_TIMEOUT")
    started = time.monotonic()
    try:
        answers = latency.measure([{"org_id": t["org_id"], "url": t["url"]} for t in new], overrides, timeout)
    except (RuntimeError, OSError, ValueError) as exc:
        progress_log().warning(latency.not_measured(exc))
        return targets
    timed = latency.expected_by_org(answers, timeout)
    ordered = [{**t, "expected_seconds": timed.get(t["org_id"], t.get("expected_seconds") or 0.0)} for t in targets]
    ordered.sort(key=lambda t: (-t["expected_seconds"], t["org_id"]))
    progress_log().info(latency.report(len(new), time.monotonic() - started, timeout, answers))
    return ordered


def _artifact_seconds(data: bytes) -> float:
    """``stats.seconds`` of a stored (zlib-compressed JSON) artifact, reading only its last key:
    ``crawler.sitecrawl`` writes the stats last, and the pages before them may be megabytes."""
    import json
    import zlib

    try:
        text = zlib.decompress(data).decode("utf-8", "replace")
        at = text.rfind('"stats"')
        stats, _ = json.JSONDecoder().raw_decode(text, text.index("{", at)) if at >= 0 else ({}, 0)
        return float(stats.get("seconds") or 0.0)
    except (ValueError, AttributeError, TypeError, zlib.error):
        return 0.0


def _nothing_to_crawl(session, municipalities: list[str], org_ids: list[str], found: set[str]) -> str:  # noqa: ANN001
    """Why the filters select nothing (or not every organization asked for), in Russian."""
    from sqlalchemy import func

    from storage.models import Organization

    missing = sorted(set(org_ids) - found)
    if missing:
        active = dict(session.execute(select(Organization.id, Organization.active).where(Organization.id.in_(missing))).all())
        why = {
            "нет в реестре": [o for o in missing if o not in active],
            "отключены в реестре": [o for o in missing if active.get(o) is False],
            f"не относятся к муниципалитету {', '.join(municipalities)}": [o for o in missing if active.get(o)],
        }
        return "организации не обходятся: " + "; ".join(f"{', '.join(ids)} — {reason}" for reason, ids in why.items() if ids)
    if not session.scalar(select(func.count()).select_from(Organization).where(Organization.active.is_(True))):
        return "в реестре нет организаций для обхода (загрузите реестр: sveden registry import ФАЙЛ)"
    known = sorted(set(session.scalars(select(Organization.municipality).where(Organization.active.is_(True)))))
    listed = ", ".join(known[:15]) + ("…" if len(known) > 15 else "")
    return f"в реестре нет действующих организаций муниципалитета {', '.join(municipalities)}; муниципалитеты реестра: {listed}"


def worker_settings(run_id: int, db_url: str, total: int, overrides: dict[str, Any]):
    from crawler import settings as project
    from crawler.runner import project_settings
    from sveden.gather import gather_settings

    return project_settings(
        {
            **gather_settings(),
            # Artifacts are judged and stored through sveden.judging, one transaction per organization.
            "ITEM_PIPELINES": {"sveden.pipeline.JudgeAndStorePipeline": 300},
            # The project's extensions (robots.txt Crawl-delay, documents, the collector…) and the run's progress.
            "EXTENSIONS": {**project.EXTENSIONS, "crawler.progress.Progress": 600},
            "SVEDEN_RUN_ID": run_id,
            "SVEDEN_DATABASE_URL": db_url,
            "SVEDEN_PROGRESS_TOTAL": total,
            "LOG_LEVEL": "WARNING",
            **overrides,
        }
    )


def redis_key(run_id: int, what: str) -> str:
    """Keys of a run; the namespace (SVEDEN_REDIS_NAMESPACE) separates databases sharing one Redis."""
    return f"{os.environ.get('SVEDEN_REDIS_NAMESPACE', 'sveden')}:run:{run_id}:{what}"


def redis_settings(redis_url: str, run_id: int, idle_close: int) -> dict[str, Any]:
    """scrapy-redis: the shared start queue, scheduler queue and dupefilter of one run."""
    return {
        "REDIS_URL": redis_url,
        "REDIS_START_URLS_KEY": redis_key(run_id, "targets"),
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_KEY": redis_key(run_id, "requests"),
        "SCHEDULER_DUPEFILTER_KEY": redis_key(run_id, "dupefilter"),
        "SCHEDULER_PERSIST": True,
        "MAX_IDLE_TIME_BEFORE_CLOSE": idle_close,
        "REDIS_START_URLS_BATCH_SIZE": 4,  # a worker takes a few organizations at a time
    }


def run_worker(
    redis_url: str, run_id: int, db_url: str, overrides: dict[str, Any], idle_close: int = 10,
    total: int = 0, busgov_targets: list[dict[str, Any]] | None = None,
) -> None:
    """Crawl organizations popped from the run's Redis queue until it stays empty for ``idle_close`` s."""
    from scrapy.crawler import CrawlerProcess

    from crawler.runner import quiet_download_errors
    from crawler.spiders.sveden_redis import SvedenRedisSpider

    with doccache.exported(db_url) as known:
        settings = worker_settings(run_id, db_url, total, {**redis_settings(redis_url, run_id, idle_close), **known, **overrides})
        process = CrawlerProcess(settings)
        quiet_download_errors()
        process.crawl(SvedenRedisSpider)
        _add_busgov(process, busgov_targets)
        process.start()


def _add_busgov(process, targets: list[dict[str, Any]] | None) -> None:
    if not targets:
        return
    try:
        from crawler.spiders.busgov import BusGovSpider
    except ImportError:  # pragma: no cover - the bus.gov.ru spider ships with the package
        return
    process.crawl(BusGovSpider, targets=targets)


def wait_for_run(db_url: str, run_id: int, org_ids: list[str], timeout: float) -> int:
    """Other workers may still hold their last organizations when this one goes idle."""
    import time

    from storage import db, repository

    session_factory = db.open_database(db_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with session_factory() as session:
                done = len(repository.done_org_ids(session, run_id) & set(org_ids))
            if done == len(org_ids) or time.monotonic() >= deadline:
                return done
            time.sleep(1.0)
    finally:
        session_factory.kw["bind"].dispose()


def push_targets(redis_url: str, run_id: int, targets: list[dict[str, Any]]) -> None:
    import json

    import redis

    client = redis.Redis.from_url(redis_url)
    key = redis_key(run_id, "targets")
    pipe = client.pipeline()
    pipe.delete(key)
    for t in targets:
        pipe.rpush(key, json.dumps(t, ensure_ascii=False))
    pipe.execute()


def crawl_plan(plan: Plan, db_url: str, overrides: dict[str, Any], with_busgov: bool) -> None:
    """Run the spiders of the plan in this process (once: the reactor cannot restart)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.runner import quiet_download_errors
    from crawler.spiders.sveden import SvedenSpider

    with doccache.exported(db_url) as known:
        settings = worker_settings(plan.run_id, db_url, len(plan.targets), {**known, **overrides})
        process = CrawlerProcess(settings)
        quiet_download_errors()
        if plan.targets:
            process.crawl(SvedenSpider, targets=plan.targets, latency_overrides=overrides)
        _add_busgov(process, plan.busgov_targets if with_busgov else None)
        process.start()


def close_run(db_url: str, plan: Plan) -> dict[str, Any]:
    from storage import db, repository
    from sveden import judging

    session_factory = db.open_database(db_url)
    try:
        with session_factory() as session, session.begin():
            done = repository.done_org_ids(session, plan.run_id) & set(plan.org_ids)
            judging.complete_cross_checks(session, plan.run_id)
            status = "finished" if len(done) == plan.total else "interrupted"
            run = repository.finish_run(session, plan.run_id, status)
            return {"run_id": run.id, "month": run.month, "status": status, "done": len(done), "total": plan.total, "totals": run.totals}
    finally:
        session_factory.kw["bind"].dispose()


def run_monitoring(
    month: str | None = None,
    municipalities: list[str] | None = None,
    org_ids: list[str] | None = None,
    resume: bool = False,
    overrides: dict[str, Any] | None = None,
    db_url: str | None = None,
    with_busgov: bool = True,
    redis_url: str | None = None,
    idle_close: int = 10,
    wait_workers: float = 600,
    local_workers: int = 0,
) -> dict[str, Any]:
    from storage import db

    db_url = db_url or db.database_url()
    month = month or current_month()
    overrides = overrides or {}
    if redis_url:
        check_redis(redis_url)
    with monitoring_guard(db_url):
        return _run_monitoring(db_url, month, municipalities, org_ids, resume, overrides, with_busgov, redis_url, idle_close, wait_workers, local_workers)


def start_local_workers(n: int, redis_url: str, run_id: int, db_url: str, overrides: dict[str, Any], idle_close: int) -> list[subprocess.Popen]:
    """``n`` more ``sveden worker`` processes of the run on this machine: a Scrapy process uses one
    core, so a machine's other cores crawl through workers sharing the run's Redis queue."""
    cmd = [sys.executable, "-m", "sveden.cli", "worker", "--redis", redis_url, "--run", str(run_id), "--idle-close", str(idle_close)]
    for key, value in overrides.items():
        cmd += ["--set", f"{key}={json.dumps(value, ensure_ascii=False)}"]
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url}
    return [subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) for _ in range(n)]


def end_local_workers(children: list[subprocess.Popen], timeout: float) -> None:
    """The run is done: each local worker ends once the queue has been empty for its idle time."""
    from crawler.progress import progress_log

    for child in children:
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.terminate()
            code = child.wait()
        if code:
            progress_log().warning("Узел sveden worker (процесс %d) завершился с кодом %s; его организации, если остались, — sveden crawl --resume",
                                   child.pid, code)


def _run_monitoring(db_url, month, municipalities, org_ids, resume, overrides, with_busgov, redis_url, idle_close, wait_workers, local_workers=0):
    # A queue shared through Redis is filled once, so its new sites are timed first; a lone crawl times
    # them while it crawls its first sites (SvedenSpider's latency pass).
    plan = plan_run(db_url, month, municipalities or [], org_ids or [], resume, {k: v for k, v in overrides.items() if isinstance(v, (str, int, float, bool))},
                    order=(lambda targets: first_month_order(targets, overrides)) if redis_url else None)
    from crawler.progress import progress_log

    progress_log().info(
        "Обход %s за %s: организаций %d, уже проверено %d, осталось %d",
        "продолжается" if resume else "начат", month, plan.total, plan.already_done, len(plan.targets),
    )
    if redis_url:
        push_targets(redis_url, plan.run_id, plan.targets)
        progress_log().info("Очередь обхода № %d в Redis: %d организаций; другие узлы: sveden worker --redis %s --run %d",
                            plan.run_id, len(plan.targets), redis_url, plan.run_id)
        children = start_local_workers(local_workers, redis_url, plan.run_id, db_url, overrides, idle_close) if plan.targets else []
        try:
            run_worker(redis_url, plan.run_id, db_url, overrides, idle_close, len(plan.targets), plan.busgov_targets if with_busgov else None)
            wait_for_run(db_url, plan.run_id, plan.org_ids, wait_workers)
            end_local_workers(children, idle_close + 30)
        finally:
            for child in children:  # interrupted: the local workers go with the coordinator
                if child.poll() is None:
                    child.terminate()
    else:
        crawl_plan(plan, db_url, overrides, with_busgov)
    return close_run(db_url, plan)


@contextmanager
def monitoring_guard(db_url: str) -> Iterator[None]:
    """One monitoring run per database at a time (storage.locks: flock or advisory lock).

    The scheduler's own child (``GUARD_HELD_ENV`` set) runs under the guard its parent holds.
    """
    if os.environ.get(GUARD_HELD_ENV):
        yield
        return
    try:
        with run_guard(db_url, MONITORING_LOCK):
            yield
    except AlreadyRunning as exc:
        raise MonitoringError(str(exc)) from None


def check_redis(redis_url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise MonitoringError(f"Redis {redis_url} недоступен: {exc}") from None


def check_worker_run(db_url: str, run_id: int) -> None:
    from storage import db
    from storage.models import Run

    session_factory = db.open_database(db_url)
    try:
        with session_factory() as session:
            run = session.get(Run, run_id)
    finally:
        session_factory.kw["bind"].dispose()
    if run is None or run.kind != "monthly":
        raise MonitoringError(f"нет ежемесячного обхода № {run_id} в базе данных")
    if run.status != "running":
        raise MonitoringError(f"обход № {run_id} не выполняется (состояние: {run.status})")
