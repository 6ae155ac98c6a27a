"""Item pipelines: judge each site artifact and store it, one transaction per organization."""

from __future__ import annotations

import logging
from datetime import datetime

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from checks.evaluate import evaluate

log = logging.getLogger(__name__)


class StoreCheckPipeline:
    """Owns its database session for the crawl: opened with the spider, closed with it.

    Committing per organization is what makes a killed run resumable without losing or
    duplicating results (``sveden crawl --resume`` skips organizations already stored).
    """

    def __init__(self, db_url: str, run_id: int, org_types: dict[str, str], agency_ids: dict[str, int] | None = None):
        self.db_url = db_url
        self.run_id = run_id
        self.org_types = org_types
        self.agency_ids = agency_ids or {}
        self.session_factory = None

    @classmethod
    def from_crawler(cls, crawler):
        run_id = crawler.settings.getint("SVEDEN_RUN_ID")
        if not run_id:
            raise NotConfigured("SVEDEN_RUN_ID is not set")
        settings = crawler.settings
        return cls(settings.get("SVEDEN_DATABASE_URL"), run_id, settings.getdict("SVEDEN_ORG_TYPES"), settings.getdict("SVEDEN_ORG_AGENCY_IDS"))

    def open_spider(self, spider=None):
        from storage import db

        self.session_factory = db.open_database(self.db_url)

    def close_spider(self, spider=None):
        if self.session_factory is not None:
            self.session_factory.kw["bind"].dispose()

    def process_item(self, item, spider=None):
        from storage import repository

        data = ItemAdapter(item).asdict()
        if data.get("kind") == "busgov":
            fetched = data.get("fetched_at")
            with self.session_factory() as session, session.begin():
                repository.save_busgov(
                    session, self.run_id, data["org_id"], data["status"],
                    agency_id=data.get("agency_id"), card=data.get("card"), nok=data.get("nok"),
                    message=data.get("message", ""), fetched_at=datetime.fromisoformat(fetched) if fetched else None,
                )
            return item
        org_id = data.get("org_id")
        result = evaluate(data, self.org_types.get(org_id) or data.get("org_type"))
        link_busgov_card(result, self.agency_ids.get(org_id))
        with self.session_factory() as session, session.begin():
            repository.save_check(session, self.run_id, org_id, result, data)
        # Keep only a summary in the item: the engine and the stats need no megabyte artifact.
        return {"org_id": org_id, "outcome": result["outcome"], "counts": result["counts"]}


def link_busgov_card(result: dict, registry_agency_id: int | None) -> None:
    """Does the site's bus.gov.ru link point at the organization's own card (the registry's id)?"""
    bus = (result.get("feedback") or {}).get("bus_gov")
    if bus is None:
        return
    bus["registry_agency_id"] = registry_agency_id
    found = {int(a) for a in (bus.get("agency_ids") or ([bus["agency_id"]] if bus.get("agency_id") else []))}
    bus["matches_registry"] = None if not registry_agency_id or not found else int(registry_agency_id) in found
