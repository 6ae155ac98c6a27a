"""The Scrapy item pipeline of monitoring runs: each organization's artifacts judged and stored
through ``sveden.judging``, one transaction per organization.

Committing per organization is what makes a killed run resumable without losing or
duplicating results (``sveden crawl --resume`` skips organizations already stored).

Judging and storing run in a store process of their own (``SVEDEN_STORE_PROCESS``, by default for a
lone crawl of more than a few organizations, crawler.childprocs): the reactor walks sites on one
core while finished sites are judged and committed on another, and no commit stalls the sites in
flight. A store process that dies loses only the sites in its hands, never half of one: they are not
stored, so the run ends «прерван» and ``--resume`` crawls them again.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.childprocs import helper_processes
from crawler.helperpipe import Helpers
from sveden.store import Store, close_store, open_store, store_artifact

# Spawning a store process costs about a second of imports: below this many organizations judging
# them in the crawl process is cheaper (SVEDEN_STORE_PROCESS=-1 only).
STORE_PROCESS_FROM = 20


class StoreCrashed(RuntimeError):
    """The store process died with a site in its hands (the site is not stored)."""


class JudgeAndStorePipeline:
    """Owns its store (a session in this process, or a store process) for the crawl: opened with
    the spider, closed with it."""

    def __init__(self, db_url: str, run_id: int, processes: int = 0):
        self.db_url = db_url
        self.run_id = run_id
        self.processes = processes
        self.store: Store | None = None
        self.pool: Helpers | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        run_id = settings.getint("SVEDEN_RUN_ID")
        if not run_id:
            raise NotConfigured("SVEDEN_RUN_ID is not set")
        few = settings.getint("SVEDEN_STORE_PROCESS") < 0 and settings.getint("SVEDEN_PROGRESS_TOTAL") < STORE_PROCESS_FROM
        processes = 0 if few else min(helper_processes(settings, "SVEDEN_STORE_PROCESS"), 1)
        return cls(settings.get("SVEDEN_DATABASE_URL"), run_id, processes)

    def open_spider(self, spider=None):
        if self.processes:  # started with the crawl: the first sites to end need not wait for its imports
            self.pool = self._spawn()
        else:
            self.store = Store(self.db_url, self.run_id)

    def _spawn(self) -> Helpers:
        """A store process: it opens its store as it starts and closes it when its socket closes."""
        return Helpers(1, open_store, self.db_url, self.run_id, at_end=close_store)

    def close_spider(self, spider=None):
        if self.pool is not None:  # the store process closes its store (at_end) and is waited for
            self.pool.close(wait=True)
            self.pool = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_item(self, item, spider=None):
        # A site artifact is a plain dict of thousands of nested values: ItemAdapter.asdict() would
        # walk every one of them (4 % of a crawl's CPU); a dict needs only a shallow copy.
        data = dict(item) if isinstance(item, dict) else ItemAdapter(item).asdict()
        if self.processes:
            if self.pool is None:  # the last one died with the sites in its hands
                self.pool = self._spawn()
            return self._store_elsewhere(data, item)
        assert self.store is not None
        summary = self.store.store(data)
        # Keep only a summary in the item: the engine and the stats need no megabyte artifact.
        return item if summary is None else summary

    async def _store_elsewhere(self, data: dict[str, Any], item):
        pool = self.pool
        assert pool is not None
        try:
            summary = await pool.call(store_artifact, data)
        except BrokenProcessPool:
            if self.pool is pool:  # the first of its sites to fail drops it: the next site spawns another
                pool.close(wait=False)
                self.pool = None
            raise StoreCrashed(f"процесс записи результатов аварийно завершился; организация {data.get('org_id')} не сохранена "
                               "(будет проверена при sveden crawl --resume)") from None
        return item if summary is None else summary
