"""One run's judging and storing of artifacts (``sveden.judging``), one transaction per organization:
in the crawl process, or in its store process (sveden.pipeline).

Nothing here imports Scrapy: a store process imports only what it judges and stores with, so it
starts in a fraction of the time, beside a crawl process that is starting too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from artifacts.schema import RegistryFacts
from sveden import doccache, judging


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


def open_store(db_url: str, run_id: int) -> None:
    global _own
    _own = Store(db_url, run_id)


def store_artifact(data: dict[str, Any]) -> dict[str, Any] | None:
    assert _own is not None
    return _own.store(data)


def close_store() -> None:
    if _own is not None:
        _own.close()
