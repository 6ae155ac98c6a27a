"""The registry organization a checked site belongs to, and its results from the monthly runs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_CACHE_SECONDS = 60.0


def site_key(url: str) -> str:
    """Host and path without scheme, ``www.`` or a trailing slash: ``school1.ru`` for ``https://www.school1.ru/``."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".").lower()
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{port}{path}"


@dataclass
class OrgRef:
    id: str
    name: str
    municipality: str


class Registry:
    """Which registry organization has a site; the lookup is cached for a minute."""

    def __init__(self) -> None:
        self.loaded = 0.0
        self.by_site: dict[str, OrgRef] = {}

    def _load(self) -> None:
        from sqlalchemy import select

        from storage import db
        from storage.models import Organization

        factory = db.open_database()
        try:
            with factory() as session:
                rows = session.execute(select(Organization.id, Organization.name, Organization.municipality, Organization.site_url)
                                       .where(Organization.active.is_(True))).all()
        finally:
            factory.kw["bind"].dispose()
        self.by_site = {site_key(url): OrgRef(oid, name, mun) for oid, name, mun, url in rows if url}
        self.loaded = time.monotonic()

    def find(self, url: str) -> OrgRef | None:
        if time.monotonic() - self.loaded > _CACHE_SECONDS:
            self._load()
        key = site_key(url)
        while key:
            if key in self.by_site:
                return self.by_site[key]
            key = key.rpartition("/")[0] if "/" in key else ""
        return None


def org_history(org_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(organization, its monthly results, newest first) or None when it is not in the registry."""
    from sqlalchemy import select

    from storage import db
    from storage.models import Check, Organization, Run

    factory = db.open_database()
    try:
        with factory() as session:
            org = session.get(Organization, org_id)
            if org is None:
                return None
            rows = session.execute(
                select(Run.month, Check.outcome, Check.reachable, Check.error, Check.counts, Check.p1_1_site, Check.p1_2, Check.checked_at)
                .join(Run, Run.id == Check.run_id)
                .where(Check.org_id == org_id, Run.kind == "monthly")
                .order_by(Run.month.desc(), Check.checked_at.desc())
            ).all()
    finally:
        factory.kw["bind"].dispose()
    seen: set[str] = set()
    months = []
    for month, outcome, reachable, error, counts, p11, p12, checked_at in rows:
        if month in seen:  # a resumed or repeated run of a month: the newest check counts
            continue
        seen.add(month)
        months.append({"month": month, "outcome": outcome, "reachable": reachable, "error": error, "counts": counts or {},
                       "p1_1_site": p11, "p1_2": p12, "checked_at": checked_at})
    info = {"id": org.id, "name": org.name, "municipality": org.municipality, "site_url": org.site_url, "org_type": org.org_type}
    return info, months
