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
from sqlalchemy import select

from artifacts.schema import RegistryFacts
from crawler.childprocs import helper_processes
from crawler.helperpipe import Helpers
from sveden import doccache, judging

# Spawning a store process costs about a second of imports: below this many organizations judging
# them in the crawl process is cheaper (SVEDEN_STORE_PROCESS=-1 only).
STORE_PROCESS_FROM = 20


class StoreCrashed(RuntimeError):
    """The store process died with a site in its hands (the site is not stored)."""


class Store:
    """The database session and the registry facts of one run's judging."""

    def __init__(self, db_url: str, run_id: int):
        from storage import db
        from storage.models import Organization

        self.run_id = run_id
        self.session_factory = db.open_database(db_url)
        with self.session_factory() as session:
            self.registry: dict[str, RegistryFacts] = {o.id: judging.registry_facts(o) for o in session.scalars(select(Organization))}

    def store(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """Judge and store one artifact; the summary of a site (None for a bus.gov.ru card)."""
        org_id = data.get("org_id")
        registry = self.registry.get(org_id) if org_id is not None else None
        with self.session_factory() as session, session.begin():
            if data.get("kind") == "busgov":
                judging.store_busgov(session, self.run_id, data, registry)
                return None
            _, result = judging.store_site(session, self.run_id, org_id, data, registry, org_type=data.get("org_type") if registry is None else None)
            doccache.remember(session, data)  # next month asks for these documents conditionally
        return {"org_id": org_id, "outcome": result["outcome"], "counts": result["counts"]}

    def close(self) -> None:
        self.session_factory.kw["bind"].dispose()


_own: Store | None = None  # the store process's Store


def _open_store(db_url: str, run_id: int) -> None:
    global _own
    _own = Store(db_url, run_id)


def _store(data: dict[str, Any]) -> dict[str, Any] | None:
    assert _own is not None
    return _own.store(data)


def _close_store() -> None:
    if _own is not None:
        _own.close()


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
        return Helpers(1, _open_store, self.db_url, self.run_id, at_end=_close_store)

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
            summary = await pool.call(_store, data)
        except BrokenProcessPool:
            if self.pool is pool:  # the first of its sites to fail drops it: the next site spawns another
                pool.close(wait=False)
                self.pool = None
            raise StoreCrashed(f"процесс записи результатов аварийно завершился; организация {data.get('org_id')} не сохранена "
                               "(будет проверена при sveden crawl --resume)") from None
        return item if summary is None else summary
