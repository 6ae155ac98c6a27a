"""The Scrapy item pipeline of monitoring runs: each organization's artifacts judged and stored
through ``sveden.judging``, one transaction per organization.

Committing per organization is what makes a killed run resumable without losing or
duplicating results (``sveden crawl --resume`` skips organizations already stored).
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from artifacts.schema import RegistryFacts
from sveden import doccache, judging


class JudgeAndStorePipeline:
    """Owns its database session for the crawl: opened with the spider, closed with it."""

    def __init__(self, db_url: str, run_id: int):
        self.db_url = db_url
        self.run_id = run_id
        self.session_factory = None
        self.registry: dict[str, RegistryFacts] = {}

    @classmethod
    def from_crawler(cls, crawler):
        run_id = crawler.settings.getint("SVEDEN_RUN_ID")
        if not run_id:
            raise NotConfigured("SVEDEN_RUN_ID is not set")
        return cls(crawler.settings.get("SVEDEN_DATABASE_URL"), run_id)

    def open_spider(self, spider=None):
        from storage import db
        from storage.models import Organization

        self.session_factory = db.open_database(self.db_url)
        with self.session_factory() as session:
            self.registry = {o.id: judging.registry_facts(o) for o in session.scalars(select(Organization))}

    def close_spider(self, spider=None):
        if self.session_factory is not None:
            self.session_factory.kw["bind"].dispose()

    def process_item(self, item, spider=None):
        # A site artifact is a plain dict of thousands of nested values: ItemAdapter.asdict() would
        # walk every one of them (4 % of a crawl's CPU); a dict needs only a shallow copy.
        data = dict(item) if isinstance(item, dict) else ItemAdapter(item).asdict()
        org_id = data.get("org_id")
        registry = self.registry.get(org_id) if org_id is not None else None
        with self.session_factory() as session, session.begin():
            if data.get("kind") == "busgov":
                judging.store_busgov(session, self.run_id, data, registry)
                return item
            _, result = judging.store_site(session, self.run_id, org_id, data, registry, org_type=data.get("org_type") if registry is None else None)
            doccache.remember(session, data)  # next month asks for these documents conditionally
        # Keep only a summary in the item: the engine and the stats need no megabyte artifact.
        return {"org_id": org_id, "outcome": result["outcome"], "counts": result["counts"]}
