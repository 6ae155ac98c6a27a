"""Judge a site artifact against the whole rule set: the ``check`` JSON document.

Lighthouse-style: every rule runs on the saved artifacts; a rule that raises becomes an
``error`` result for that item and never crashes the run.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from checks import catalogue, feedback, scores
from checks.artifacts import CHECKED_OUTCOMES, OUTCOMES, SiteView
from checks.items import judge
from checks.model import ItemResult, OrgType, Status
from checks.orgtype import infer_org_type

log = logging.getLogger(__name__)


def resolve_org_type(artifact: dict[str, Any], given: str | None) -> tuple[OrgType, str]:
    """The type to judge by, and how it was chosen (given, inferred from the site, default)."""
    if given:
        return OrgType(given), "given"
    names = []
    for page in artifact.get("pages", []):
        names += [n.get("t", "") for n in page.get("microdata", []) if n.get("p") in ("fullName", "shortName")]
    home = next((p for p in artifact.get("pages", []) if p.get("role") == "home"), None)
    if home:
        names.append(home.get("title", ""))
    inferred = infer_org_type(*names)
    return (inferred, "inferred") if inferred else (OrgType.school, "default")


def _unchecked(rule, org_type: OrgType, reason: str) -> ItemResult:
    # Repealed and superseded items are never judged, checked site or not.
    status = Status.not_applicable if not rule.applies(org_type) or rule.repealed or rule.superseded_by else Status.error
    return ItemResult(rule.section, rule.parent, rule.itemprop, rule.code, status, "", reason)


def judge_items(site: SiteView, org_type: OrgType) -> list[ItemResult]:
    outcome = site.outcome.get("status", "ok")
    if outcome not in CHECKED_OUTCOMES:
        reason = f"не проверено: {site.outcome.get('message') or OUTCOMES.get(outcome, outcome)}"
        return [_unchecked(r, org_type, reason) for r in catalogue.rules()]
    results = []
    for rule in catalogue.rules():
        try:
            results.append(judge(rule, site, org_type))
        except Exception as exc:  # one failing rule is an error result, never a crashed run
            log.exception("rule %s failed", rule.code)
            results.append(ItemResult(rule.section, rule.parent, rule.itemprop, rule.code, Status.error, "", f"ошибка проверки: {exc!r}"))
    return results


def _section_summary(site: SiteView, items: list[ItemResult]) -> list[dict[str, Any]]:
    by_section: dict[str, Counter] = {}
    for it in items:
        by_section.setdefault(it.section, Counter())[str(it.status)] += 1
    out = []
    for s in catalogue.sections():
        meta = site.sections_meta.get(s.slug, {})
        view = site.section(s.slug)
        counts = by_section.get(s.slug, Counter())
        if counts.get("error"):
            status = "error"
        elif counts.get("fail"):
            status = "fail"
        elif counts.get("needs_review"):
            status = "needs_review"
        elif counts.get("pass"):
            status = "pass"
        else:
            status = "not_applicable"
        vocab = catalogue.vocabulary()
        unknown = sorted({n.prop for nodes in view.by_prop.values() for n in nodes if n.prop not in vocab})
        out.append(
            {
                "slug": s.slug,
                "title": s.title,
                "url": view.url or meta.get("url", ""),
                "found": bool(view.pages),
                "status": status,
                "found_by": meta.get("found_by", ""),
                "http_status": meta.get("status"),
                "error": meta.get("error", ""),
                "addrefs": [site.pages[i].get("url") for i in meta.get("addrefs", []) if 0 <= i < len(site.pages)],
                "counts": dict(sorted(counts.items())),
                "unknown_itemprops": unknown[:50],
            }
        )
    return out


def evaluate(artifact: dict[str, Any], org_type: str | None = None, checked_at: datetime | None = None) -> dict[str, Any]:
    """The ``check`` JSON for one site (CLI contract of ``sveden check --format json``)."""
    site = SiteView(artifact)
    otype, how = resolve_org_type(artifact, org_type)
    items = judge_items(site, otype)
    outcome = site.outcome
    reachable = outcome.get("status", "ok") in CHECKED_OUTCOMES
    fb = feedback.evaluate_feedback(site) if reachable else None
    result: dict[str, Any] = {
        "url": artifact.get("url", ""),
        "checked_at": (checked_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "org_type": str(otype),
        "org_type_source": how,
        "reachable": reachable,
        "outcome": outcome.get("status", "ok"),
        "error": "" if outcome.get("status", "ok") == "ok" else (outcome.get("message") or OUTCOMES.get(outcome.get("status"), "")),
        "sections": _section_summary(site, items),
        "items": [i.as_json() for i in items],
        "feedback": fb,
        "scores": scores.compute(items, fb) if reachable else None,
        "rules_version": catalogue.rules_version(),
        "counts": dict(sorted(Counter(str(i.status) for i in items).items())),
    }
    return result
