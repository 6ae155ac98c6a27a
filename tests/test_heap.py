"""The crawl process's garbage collector (crawler.heap): frozen startup objects, rarer collections."""

from __future__ import annotations

import asyncio
import gc
import logging
from types import SimpleNamespace

import pytest
import readerkit

from crawler import heap
from crawler.helperpipe import Helper
from crawler.runner import project_settings


@pytest.fixture
def restored_collector():
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.parametrize("bad", [[], [0], [-5, 10], [1, 2, 3, 4], ["10000"], [True], [1.5]])
def test_bad_thresholds_change_nothing(restored_collector, bad):
    before = gc.get_threshold(), gc.get_freeze_count()
    assert heap.tune(bad) is False
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_tune_freezes_what_exists_and_sets_the_thresholds(restored_collector):
    assert heap.tune([12_345, 7]) is True
    assert gc.get_threshold()[:2] == (12_345, 7)
    assert gc.get_freeze_count() > 1000  # this test process's modules, classes, functions…


def test_the_extension_tunes_at_engine_start_and_warns_in_russian(restored_collector, caplog):
    ext = heap.LongLivedHeap.from_crawler(SimpleNamespace(settings=project_settings(), signals=SimpleNamespace(connect=lambda *a, **k: None)))
    ext.engine_started()
    assert gc.get_threshold() == tuple(project_settings().getlist("SVEDEN_GC_THRESHOLDS"))
    with caplog.at_level(logging.WARNING, logger="crawler.heap"):
        heap.LongLivedHeap(["много"]).engine_started()
    assert "SVEDEN_GC_THRESHOLDS" in caplog.text and "оставлены пороги Python" in caplog.text


def test_the_crawls_of_every_kind_have_it():
    from sveden.monitoring import redis_settings, worker_settings

    for settings in (project_settings(), worker_settings(7, "sqlite:///x.sqlite", 0, {}),
                     worker_settings(7, "sqlite:///x.sqlite", 0, redis_settings("redis://127.0.0.1:6379/0", 7, 5))):
        extensions = settings.getdict("EXTENSIONS")
        assert "crawler.heap.LongLivedHeap" in extensions
        # A monthly run obeys robots.txt Crawl-delay like any other crawl (its extensions once left it out).
        assert "crawler.crawldelay.CrawlDelay" in extensions


def _helpers_collector() -> tuple[tuple[int, ...], int]:
    """A freshly spawned helper's collector: its thresholds and how many objects it froze."""
    async def run():
        helper = Helper()
        try:
            return await helper.call(readerkit.collector_state)
        finally:
            helper.close()

    return asyncio.run(run())


def test_helpers_tune_their_collector_too():
    thresholds, frozen = _helpers_collector()
    assert list(thresholds) == project_settings().getlist("SVEDEN_GC_THRESHOLDS")
    assert frozen > 1000


def test_helpers_take_the_crawls_own_thresholds(monkeypatch):
    # --set or the environment changes SVEDEN_GC_THRESHOLDS for the helpers as for the crawl process.
    from scrapy.utils.test import get_crawler

    monkeypatch.setattr(heap, "_for_helpers", heap.THRESHOLDS)
    heap.LongLivedHeap.from_crawler(get_crawler(settings_dict={"SVEDEN_GC_THRESHOLDS": [5000, 7, 7]}))

    thresholds, _ = _helpers_collector()
    assert thresholds == (5000, 7, 7)
