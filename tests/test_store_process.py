"""Judging and storing in a store process (sveden.pipeline, SVEDEN_STORE_PROCESS): the same rows as
in the crawl process, on by default only where it pays, and a dead store process costs the sites in
its hands (not stored, so resumable), never the run or half a site."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from checks import catalogue
from sveden.pipeline import JudgeAndStorePipeline, StoreCrashed


def _database(tmp_path, n: int = 3):
    from storage import db, repository
    from storage.models import Organization

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    factory = db.open_database(url)
    with factory() as s, s.begin():
        for i in range(1, n + 1):
            s.add(Organization(id=f"o{i}", name=f"Школа {i}", org_type="school", municipality="М", site_url=f"http://127.0.0.{i}/"))
        run_id = repository.start_run(s, "monthly", "2026-11", catalogue.rules_version()).id
    return url, factory, run_id


def _site(i: int, status: str = "unreachable") -> dict:
    return {"org_id": f"o{i}", "url": f"http://127.0.0.{i}/", "outcome": {"status": status, "message": "сайт недоступен"}, "pages": [], "sections": {}}


def _stored(factory, run_id) -> dict[str, str]:
    from storage.models import Check

    with factory() as s:
        return dict(s.execute(select(Check.org_id, Check.outcome).where(Check.run_id == run_id)).all())


async def _process(pipeline, item):
    result = pipeline.process_item(item)
    return await result if asyncio.iscoroutine(result) else result


@pytest.mark.parametrize("processes", [0, 1])
def test_the_store_process_stores_what_the_crawl_process_stores(tmp_path, processes):
    url, factory, run_id = _database(tmp_path)
    pipeline = JudgeAndStorePipeline(url, run_id, processes)
    unjudgeable = {"org_id": "o1", "url": "http://127.0.0.1/", "outcome": {"status": "ok"}, "pages": "garbage", "sections": 7}

    async def scenario():
        pipeline.open_spider()  # in the crawl's event loop, as Scrapy opens it
        # The store process starts with the crawl: the first site to end does not wait for its imports.
        assert (pipeline.pool is not None and len(pipeline.pool.pids()) == 1) == bool(processes)
        return [await _process(pipeline, item) for item in (unjudgeable, _site(2))]

    try:
        summaries = asyncio.run(scenario())
    finally:
        pipeline.close_spider()
    assert [(s["org_id"], s["outcome"]) for s in summaries] == [("o1", "error"), ("o2", "unreachable")]
    assert _stored(factory, run_id) == {"o1": "error", "o2": "unreachable"}
    assert pipeline.pool is None  # closed with the spider
    factory.kw["bind"].dispose()


def test_a_dead_store_process_costs_the_site_in_hand_and_the_next_sites_are_stored(tmp_path):
    url, factory, run_id = _database(tmp_path)
    pipeline = JudgeAndStorePipeline(url, run_id, 1)

    async def scenario():
        pipeline.open_spider()
        await _process(pipeline, _site(1))
        victim = next(iter(pipeline.pool.pids()))  # the store process of o1
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not pipeline.pool.helpers[0].broken and time.monotonic() < deadline:  # the crawl process has seen it
            await asyncio.sleep(0.05)
        with pytest.raises(StoreCrashed, match="o2 не сохранена"):
            await _process(pipeline, _site(2))
        return await _process(pipeline, _site(3))

    try:
        third = asyncio.run(scenario())
    finally:
        pipeline.close_spider()
    assert third["org_id"] == "o3"
    assert _stored(factory, run_id) == {"o1": "unreachable", "o3": "unreachable"}  # o2 waits for --resume
    factory.kw["bind"].dispose()


def _crawler(**settings):
    from sveden.monitoring import worker_settings

    return SimpleNamespace(settings=worker_settings(7, "sqlite:///unused.sqlite", settings.pop("total"), settings))


def test_the_store_process_is_on_by_default_only_for_a_lone_crawl_of_many_sites():
    from sveden.monitoring import redis_settings

    shared = redis_settings("redis://127.0.0.1:6379/15", 7, 3)
    assert JudgeAndStorePipeline.from_crawler(_crawler(total=500)).processes == 1
    assert JudgeAndStorePipeline.from_crawler(_crawler(total=5)).processes == 0  # a second of imports would not pay
    assert JudgeAndStorePipeline.from_crawler(_crawler(total=500, **shared)).processes == 0  # a worker per core
    assert JudgeAndStorePipeline.from_crawler(_crawler(total=5, SVEDEN_STORE_PROCESS=1)).processes == 1
    assert JudgeAndStorePipeline.from_crawler(_crawler(total=500, SVEDEN_STORE_PROCESS=0)).processes == 0

