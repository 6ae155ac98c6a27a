"""Re-judge a stored run with the current audits, without crawling again (Lighthouse: audits on saved artifacts).

Everything is judged again through ``sveden.judging``: the items, the feedback channels and the
bus.gov.ru comparisons, with the registry as it is now.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from checks import catalogue


class RecheckError(Exception):
    pass


def recheck_month(db_url: str, month: str) -> dict[str, Any]:
    """A new monthly run of ``month`` judged from the artifacts of its latest finished run."""
    from storage import db, repository
    from storage.models import AuditResultRow, BusGovResult, Check, ItemResult, Organization, Run
    from sveden import judging

    session_factory = db.open_database(db_url)
    try:
        with session_factory() as session, session.begin():
            source = session.scalar(
                select(Run).where(Run.kind == "monthly", Run.month == month, Run.status == "finished").order_by(Run.id.desc())
            )
            if source is None:
                raise RecheckError(f"нет завершённого обхода за {month}")
            run = repository.start_run(
                session, "monthly", month, catalogue.rules_version(),
                {**(source.settings or {}), "recheck_of": source.id}, source.filters,
            )
            changed = 0
            checks = list(session.scalars(select(Check).where(Check.run_id == source.id).order_by(Check.id)))
            registry = {o.id: judging.registry_facts(o) for o in session.scalars(select(Organization))}
            # A rule added since is a new result, not a change: compare the rules judged before.
            before: dict[int, dict[str, str]] = {}
            rows = select(ItemResult.check_id, ItemResult.rule, ItemResult.status).join(Check).where(Check.run_id == source.id)
            audit_rows = select(AuditResultRow.check_id, AuditResultRow.rule, AuditResultRow.status).join(Check).where(Check.run_id == source.id)
            for query in (rows, audit_rows):
                for check_id, rule, status in session.execute(query):
                    before.setdefault(check_id, {})[rule] = status
            # Rules that need what the stored crawl did not gather (a new path, link text, selector).
            needs_crawl: dict[str, int] = {}
            for check in checks:
                artifact = repository.load_artifact(session, check.id)
                if artifact is None:
                    raise RecheckError(f"у проверки № {check.id} ({check.org_id}) нет сохранённых данных обхода")
                # The type the check was judged by is kept; checked_at stays the crawl's time.
                facts = registry.get(check.org_id) if check.org_id else None
                _, result = judging.store_site(session, run.id, check.org_id, artifact, facts, org_type=check.org_type or None, checked_at=check.checked_at)
                now = {i["rule"]: i["status"] for i in [*result["items"], *(result.get("audits") or [])]}
                for a in result.get("audits") or []:
                    if a.get("cause") == "needs_crawl":
                        needs_crawl[a["rule"]] = needs_crawl.get(a["rule"], 0) + 1
                changed += any(now.get(rule) != status for rule, status in before.get(check.id, {}).items())
            for bg in list(session.scalars(select(BusGovResult).where(BusGovResult.run_id == source.id))):
                judging.store_busgov(session, run.id, repository.load_busgov_artifact(bg), registry.get(bg.org_id))
            repository.finish_run(session, run.id)
            return {"run_id": run.id, "source_run_id": source.id, "checks": len(checks), "changed": changed, "rules_version": run.rules_version,
                    "needs_crawl": dict(sorted(needs_crawl.items()))}
    finally:
        session_factory.kw["bind"].dispose()
