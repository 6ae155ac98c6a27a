"""The crawl process's garbage collector, tuned for a heap of long-lived objects.

A crawl process holds the pages, links and microdata of every site in flight: about half a million
container objects. CPython's cyclic collector scans all of them in each full collection, and with
its default thresholds (700, 10, 10) a 200-site crawl ran 25 full collections of 0.3-0.55 s each:
9-10 s of a 28 s crawl process (gc.callbacks, bench/limit.py's farm). The objects of the startup
(modules, Scrapy's components, the registry's targets) never die, so they are frozen out of every
scan; and a collection only every ``SVEDEN_GC_THRESHOLDS[0]`` allocations makes full ones rare, while
short-lived cycles (Twisted failures, finished requests) still go at the next young collection.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)
THRESHOLDS = (10_000, 10, 10)  # the default of SVEDEN_GC_THRESHOLDS
# What a helper process spawned from now on tunes its collector with (crawler.helperpipe passes it): the
# crawl's own SVEDEN_GC_THRESHOLDS once its LongLivedHeap exists, --set and environment included.
_for_helpers: list[int] | tuple[int, ...] = THRESHOLDS


def for_helpers() -> list[int]:
    return list(_for_helpers)


def tune(thresholds: list[int] | tuple[int, ...]) -> bool:
    """Freeze what exists now and set the collector's thresholds; False (and no change) when
    ``thresholds`` is not one to three positive integers."""
    values = list(thresholds)
    if not 1 <= len(values) <= 3 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        return False
    gc.freeze()
    gc.set_threshold(*values)
    return True


class LongLivedHeap:
    """Scrapy extension: :func:`tune` once the crawl engine has started (its startup objects exist)."""

    def __init__(self, thresholds: list[int]):
        self.thresholds = thresholds

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        global _for_helpers
        ext = cls(crawler.settings.getlist("SVEDEN_GC_THRESHOLDS"))
        _for_helpers = ext.thresholds  # the helpers start after the extensions (at spider_opened, open_spider)
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        return ext

    def engine_started(self) -> None:
        if self.thresholds and not tune(self.thresholds):
            log.warning("SVEDEN_GC_THRESHOLDS=%r: нужно от одного до трёх целых положительных чисел; оставлены пороги Python", self.thresholds)
