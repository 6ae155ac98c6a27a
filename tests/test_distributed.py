"""Two workers share one monitoring run through scrapy-redis and a shared PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest
from crawlkit import import_slow_schools
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0", "--set", "SVEDEN_PROBE_OFFSITE=false"]
REDIS = os.environ.get("SVEDEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.postgres


def test_two_workers_share_a_run_without_duplicates(pg_url, tmp_path):
    import redis

    redis.Redis.from_url(REDIS).ping()
    namespace = f"sveden-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "SVEDEN_DATABASE_URL": pg_url, "SVEDEN_REDIS_NAMESPACE": namespace}
    # One organization in hand per process, each ≥ 1.5 s: the coordinator alone would need ≥ 24 s,
    # time enough for the second process to start on a busy machine and take its share.
    n = 16
    with ExitStack() as stack:
        servers = import_slow_schools(stack, n, tmp_path, env)
        coordinator = subprocess.Popen(
            [*SVEDEN, "crawl", "--month", "2026-08", "--no-busgov", "--redis", REDIS, "--idle-close", "3", *FAST, "--set", "CONCURRENT_REQUESTS=2", "--set", "SVEDEN_WORKER_SITES=1"],
            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        from storage import db
        from storage.models import Check, Run

        session_factory = db.open_database(pg_url)
        run_id = None
        deadline = time.monotonic() + 180  # a busy CI machine starts the coordinator slowly
        while run_id is None and time.monotonic() < deadline:
            with session_factory() as session:
                run_id = session.scalar(select(Run.id).where(Run.month == "2026-08"))
            time.sleep(0.2)
        assert run_id, "the coordinator did not start a run"
        worker = subprocess.run(
            [*SVEDEN, "worker", "--redis", REDIS, "--run", str(run_id), "--idle-close", "3", *FAST, "--set", "CONCURRENT_REQUESTS=2", "--set", "SVEDEN_WORKER_SITES=1"],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=180,
        )
        out, err = coordinator.communicate(timeout=180)
        assert worker.returncode == 0, worker.stderr[-3000:]
        assert coordinator.returncode == 0, out + err[-3000:]
        assert f"Проверено организаций: {n} из {n}" in out
        from storage import repository

        with session_factory() as session:
            rows = session.execute(select(Check.org_id, func.count()).where(Check.run_id == run_id).group_by(Check.org_id)).all()
            workers = {repository.load_artifact(session, c)["stats"]["worker"] for c in session.scalars(select(Check.id).where(Check.run_id == run_id))}
            status = session.scalar(select(Run.status).where(Run.id == run_id))
        session_factory.kw["bind"].dispose()
    assert sorted(o for o, _ in rows) == [f"org{i:02d}" for i in range(n)]
    # each site was crawled by exactly one worker, once
    assert [s.log.count(("GET", "/")) for s in servers] == [1] * n
    assert all(c == 1 for _, c in rows)
    assert len(workers) == 2, workers  # both processes took a share
    assert status == "finished"
    client = redis.Redis.from_url(REDIS)
    client.delete(*[f"{namespace}:run:{run_id}:{k}" for k in ("targets", "requests", "dupefilter")])


class _Engine:
    """The engine as a worker sees it: crawl() puts a seed in the shared scheduler queue (as
    scrapy-redis does), start() moves it to the downloader, which backs out at ``capacity``."""

    def __init__(self, client, queue_key, capacity):
        self.client, self.queue_key = client, queue_key
        self.crawled = []
        active: set = set()
        self.downloader = type("Downloader", (), {"active": active, "needs_backout": staticmethod(lambda: len(active) >= capacity)})()

    def crawl(self, request):
        self.crawled.append(request)
        self.client.zadd(self.queue_key, {request.url: 0})

    def start(self, request):
        self.client.zrem(self.queue_key, request.url)
        self.downloader.active.add(request)


def test_a_worker_takes_organizations_while_its_downloader_has_room(monkeypatch):
    """scrapy-redis alone takes a new batch only when every site in hand is finished; the worker
    takes more as seeds start and sites end while its downloader has room, keeping a batch of
    seeds queued, and never more than SVEDEN_WORKER_SITES when that is set."""
    import asyncio
    import json

    import redis
    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.spiders.sveden import SvedenSpider
    from crawler.spiders.sveden_redis import SvedenRedisSpider
    from sveden.gather import gather_settings
    from sveden.monitoring import redis_settings

    client = redis.Redis.from_url(REDIS)
    client.ping()
    namespace = f"sveden-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("SVEDEN_REDIS_NAMESPACE", namespace)
    try:
        settings = {**gather_settings(), **redis_settings(REDIS, 7, 3), "CONCURRENT_REQUESTS": 12}
        crawler = get_crawler(SvedenRedisSpider, settings)
        spider = SvedenRedisSpider.from_crawler(crawler)
        queue = settings["SCHEDULER_QUEUE_KEY"]
        crawler.engine = engine = _Engine(client, queue, 12)
        key = settings["REDIS_START_URLS_KEY"]
        client.rpush(key, *[json.dumps({"org_id": f"o{i}", "url": f"http://127.0.0.{i + 2}:1/", "org_type": "school"}) for i in range(30)])
        spider.refill()
        assert [r.meta["sveden_target"].org_id for r in engine.crawled] == ["o0", "o1", "o2", "o3"]  # a batch (4) queued
        spider.refill()
        assert len(engine.crawled) == 4  # queued seeds count: nothing more
        for r in list(engine.crawled):  # each seed that reaches the downloader is replaced in the queue
            engine.start(r)
            spider.seed_started(r)
        assert len(engine.crawled) == 8 and client.zcard(queue) == 4
        # The downloader full (its sites' pages and a robots.txt): nothing is taken, whatever ends.
        engine.downloader.active.update(Request(f"http://127.0.0.2:1/p{i}") for i in range(9))
        seed = engine.crawled[0]
        engine.downloader.active.discard(seed)
        client.zrem(queue, *[r.url for r in engine.crawled[4:]])
        list(spider.site_failed(type("Failure", (), {"request": seed, "value": TimeoutError()})()))
        assert len(engine.crawled) == 8
        # Room again: a site that ends brings a batch.
        engine.downloader.active.clear()
        during = []

        async def walk_of_the_site(self, response):
            during.append(self.sites_running)
            yield {"org_id": "o1"}

        monkeypatch.setattr(SvedenSpider, "crawl_site", walk_of_the_site)

        async def walk():
            return [item async for item in spider.crawl_site(HtmlResponse(engine.crawled[1].url, body=b"<html></html>", request=engine.crawled[1]))]

        assert asyncio.run(walk()) == [{"org_id": "o1"}]
        assert during == [1] and spider.sites_running == 0
        assert len(engine.crawled) == 12 and client.llen(key) == 18
        # With SVEDEN_WORKER_SITES the worker holds no more than that: queued + downloading + walked.
        spider.max_sites = 5
        for r in engine.crawled[8:11]:
            engine.start(r)
        client.zrem(queue, engine.crawled[11].url)
        spider.refill()  # 3 downloading, none queued: 2 more
        assert len(engine.crawled) == 14
    finally:
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)
