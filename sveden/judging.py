"""The one path from artifacts to stored results.

``sveden check``, ``sveden crawl``, ``sveden worker`` and ``sveden recheck`` all judge and store
through these functions: the site's audits with :func:`store_site`, the bus.gov.ru audits with
:func:`store_busgov`. Neither the crawler nor storage judges anything.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artifacts.schema import RegistryFacts, upgrade_busgov
from checks.context import MISSING
from checks.evaluate import evaluate, judge_busgov
from storage import repository
from storage.models import ORG_TYPES, BusGovResult, Check, Organization
from storage.registry import grouping_values

log = logging.getLogger(__name__)


def registry_facts(org: Organization | None) -> RegistryFacts | None:
    """What the registry says about an organization, as the audits' ``registry`` artifact."""
    if org is None:
        return None
    return {
        "org_id": org.id,
        "name": org.name,
        "org_type": org.org_type,
        "inn": org.inn,
        "site_url": org.site_url,
        "busgov_agency_id": org.busgov_agency_id,
        "groups": grouping_values(org.extra),
    }


def judge_site(
    artifact: dict[str, Any], registry: RegistryFacts | None, *, org_type: str | None = None, checked_at: datetime | None = None,
) -> dict[str, Any]:
    """The check JSON of a site artifact: every audit that reads the site (and the registry)."""
    otype = org_type or (registry or {}).get("org_type") or artifact.get("org_type")
    try:
        return evaluate(artifact, otype, checked_at=checked_at, registry=registry)
    except Exception:  # an unreadable artifact still gives the organization a result: «не проверен», logged
        log.exception("judging %s failed", artifact.get("url"))
        failed = {"url": str(artifact.get("url") or ""), "outcome": {"status": "error", "message": "внутренняя ошибка при проверке сайта (подробности в журнале)"}}
        return evaluate(failed, otype if otype in ORG_TYPES else None, checked_at=checked_at, registry=registry)


def store_site(
    session: Session,
    run_id: int,
    org_id: str | None,
    artifact: dict[str, Any],
    registry: RegistryFacts | None,
    *,
    org_type: str | None = None,
    checked_at: datetime | None = None,
) -> tuple[Check, dict[str, Any]]:
    """Judge a site artifact and store the check with the artifact (flushes, never commits).

    When the organization's bus.gov.ru artifact of the run is already stored, its audits are
    judged again with the site: the cross-checks need both, whichever arrived first.
    """
    result = judge_site(artifact, registry, org_type=org_type, checked_at=checked_at)
    check = repository.save_check(session, run_id, org_id, result, artifact)
    if org_id is not None:
        stored = repository.busgov_result(session, run_id, org_id)
        if stored is not None:
            _store_busgov(session, run_id, repository.load_busgov_artifact(stored), registry, artifact)
    return check, result


def store_busgov(session: Session, run_id: int, item: dict[str, Any], registry: RegistryFacts | None) -> BusGovResult:
    """Judge an organization's bus.gov.ru artifact and store it (in the current format) with its
    verdicts; the organization's site artifact of the run, when stored, joins the cross-checks."""
    check = repository.find_check(session, run_id, str(item["org_id"])) if item.get("org_id") is not None else None
    site = repository.load_artifact(session, check.id) if check is not None else None
    return _store_busgov(session, run_id, item, registry, site)


def complete_cross_checks(session: Session, run_id: int) -> int:
    """Judge again the bus.gov.ru rows of the run judged without the site that is stored now: two
    workers that stored an organization's site and its card at the same moment each saw nothing of
    the other. Returns how many rows were judged again."""
    checks = dict(session.execute(select(Check.org_id, Check.id).where(Check.run_id == run_id, Check.org_id.is_not(None))).all())
    done = 0
    for row in list(session.scalars(select(BusGovResult).where(BusGovResult.run_id == run_id, BusGovResult.org_id.in_(list(checks))))):
        if not any(a.get("group") == "crosscheck" and a.get("message") == MISSING["site"] for a in row.audits or []):
            continue
        site = repository.load_artifact(session, checks[row.org_id])
        if site is not None:
            _store_busgov(session, run_id, repository.load_busgov_artifact(row), registry_facts(session.get(Organization, row.org_id)), site)
            done += 1
    return done


def _store_busgov(session: Session, run_id: int, item: dict[str, Any], registry: RegistryFacts | None, site: dict[str, Any] | None) -> BusGovResult:
    item = upgrade_busgov(item)
    verdict = judge_busgov(item, registry, site)
    fetched = item.get("fetched_at")
    return repository.save_busgov(
        session, run_id, item["org_id"], item["status"],
        agency_id=item.get("agency_id"), card=verdict["card"], nok=item.get("nok"), message=verdict["message"],
        fetched_at=datetime.fromisoformat(fetched) if fetched else None,
        artifact=item, audits=verdict["audits"],
    )
