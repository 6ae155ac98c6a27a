"""Helper processes of a crawl process: its document and page readers (crawler.docread,
crawler.pageread) and its store process (sveden.pipeline), called through crawler.helperpipe.

Scrapy's reactor is one thread, so a CPU-bound crawl gains a core only by handing work to other
processes. Each helper is spawned (the crawl process has threads), ignores Ctrl+C (its crawl process
stops it) and leaves when its crawl process is gone, so a kill -9 leaves no orphans.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any


def helper_processes(settings, name: str) -> int:
    """The setting ``name`` with its auto value (-1) resolved: one helper for a lone crawl process,
    none for a worker of a shared run (scrapy-redis reads REDIS_URL), where a machine's cores are
    taken by one worker each and a helper would only compete with them."""
    value = settings.getint(name)
    if value < 0:
        return 0 if settings.get("REDIS_URL") else 1
    return value


def helper_started(parent: int, gc_thresholds: list[int], then: Callable[..., Any] | None = None, *args: Any) -> None:
    """In each helper process: Ctrl+C is the crawl's to handle; leave when the crawl process is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="sveden-helper-watch", daemon=True).start()
    if then is not None:
        then(*args)
    # The collector as in the crawl process (crawler.heap, its thresholds; [] keeps Python's): a store
    # process keeps the rule catalogue, a page reader its stylesheets, for the whole crawl.
    from crawler import heap

    heap.tune(gc_thresholds)
