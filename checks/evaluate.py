"""Run the audits on an organization's artifacts: the ``check`` JSON and the bus.gov.ru verdicts.

Lighthouse-style: every audit runs on the saved artifacts; an audit whose required artifact
is missing gets its own «not checked» result, and one that raises becomes an ``error`` result
and never crashes the run.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from artifacts.failures import plain_message
from artifacts.schema import CHECKED_OUTCOMES, OUTCOMES, RegistryFacts
from checks import catalogue, feedback, platform, scores
from checks.context import Context
from checks.model import ORG_TYPE_TITLES, Audit, AuditResult, ItemResult, OrgType, Status
from checks.orgtype import infer_org_type
from checks.views import SiteView

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


def _clean_name(text: str) -> str:
    return " ".join((text or "").split())[:300]


def org_name(artifact: dict[str, Any]) -> str:
    """The organization's name as its site gives it: ``fullName`` microdata (in «Основные сведения»
    first), else ``shortName``, else the home page's ``<title>``; "" when the site gave none."""
    pages = artifact.get("pages", [])
    common = [p for p in pages if p.get("section") == "common"]
    for prop in ("fullName", "shortName"):
        for page in [*common, *pages]:
            for node in page.get("microdata") or []:
                if prop in str(node.get("p", "")).split() and _clean_name(node.get("t", "")):
                    return _clean_name(node["t"])
    home = next((p for p in pages if p.get("role") == "home"), None)
    return _clean_name(home.get("title", "")) if home else ""


def run_audit(audit: Audit, ctx: Context) -> ItemResult | AuditResult:
    """One audit's result; never raises."""
    for name in audit.requires:
        reason = ctx.missing(name)
        if reason:
            return audit.unavailable(ctx.org_type, name, reason)
    if not audit.applies(ctx.org_type):
        return audit.result(Status.not_applicable, f"не применяется: {ORG_TYPE_TITLES[ctx.org_type]}")
    try:
        return audit.judge(ctx)
    except Exception:  # one failing audit is an error result, never a crashed run
        log.exception("audit %s failed", audit.code)
        return audit.result(Status.error, f"не удалось проверить: внутренняя ошибка правила {audit.code} (подробности в журнале)")


def run_audits(audits: tuple[Audit, ...], ctx: Context) -> list[Any]:
    return [run_audit(a, ctx) for a in audits]


def judge_items(site: SiteView, org_type: OrgType) -> list[ItemResult]:
    return run_audits(catalogue.rules(), Context(site=site, org_type=org_type))


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
                "error_kind": meta.get("error_kind", ""),  # an outcome name, ``not_found`` or ``budget``
                "error": plain_message(meta.get("error", "")),
                "addrefs": [site.pages[i].get("url") for i in meta.get("addrefs", []) if 0 <= i < len(site.pages)],
                "counts": dict(sorted(counts.items())),
                "unknown_itemprops": unknown[:50],
            }
        )
    return out


def evaluate(
    artifact: dict[str, Any], org_type: str | None = None, checked_at: datetime | None = None, registry: RegistryFacts | None = None,
) -> dict[str, Any]:
    """The ``check`` JSON for one site (CLI contract of ``sveden check --format json``).

    ``registry`` is what the region's registry says about the organization (monthly runs);
    without it the audits that compare with the registry are ``not_applicable``.
    """
    site = SiteView(artifact)
    otype, how = resolve_org_type(site.artifact, org_type)
    ctx = Context(site=site, org_type=otype, registry=registry, checked_at=checked_at)
    items = run_audits(catalogue.rules(), ctx)
    # Every audit other than the item rules that reads the site (the card audits, and the cross-checks
    # of the site with the card, run with bus.gov.ru's artifact: ``judge_busgov``).
    audits = run_audits(tuple(a for a in catalogue.audits() if a.group != "items" and "site" in a.requires and "busgov" not in a.requires), ctx)
    outcome = site.outcome
    reachable = outcome.get("status", "ok") in CHECKED_OUTCOMES
    fb = _feedback(ctx, audits, registry) if reachable else None
    result: dict[str, Any] = {
        "url": artifact.get("url", ""),
        "checked_at": (checked_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "org_type": str(otype),
        "org_type_source": how,
        "reachable": reachable,
        "outcome": outcome.get("status", "ok"),
        "error": "" if outcome.get("status", "ok") == "ok" else (plain_message(outcome.get("message") or "") or OUTCOMES.get(outcome.get("status"), "")),
        "org_name": org_name(site.artifact),
        "sections": _section_summary(site, items),
        "items": [i.as_json() for i in items],
        "feedback": fb,
        "scores": {**scores.compute(items, fb), "regional": scores.regional(audits)} if reachable else None,
        "rules_version": catalogue.rules_version(),
        "counts": dict(sorted(Counter(str(i.status) for i in items).items())),
        "audits": [a.as_json() for a in audits],
        # The platform the site is built on (``checks.platform``), None when nothing names one.
        "platform": platform.fingerprint(site.artifact),
    }
    return result


def _feedback(ctx: Context, audits: list[AuditResult], registry: RegistryFacts | None) -> dict[str, Any]:
    """The ``feedback`` document from the scan and the FBK/BUS001 verdicts (keys kept for the JSON contract)."""
    from checks.audits.feedback import ChannelAudit, site_scan

    by_code = {a.rule: a for a in audits}
    channels = {a.channel: by_code[a.code].status is Status.passed for a in catalogue.other_audits() if isinstance(a, ChannelAudit)}
    fb = feedback.feedback_json(ctx.computed(site_scan), {c: channels.get(c, False) for c in feedback.CHANNELS})
    if registry is not None:
        link = by_code.get("BUS001")
        agency_id = registry.get("busgov_agency_id")
        fb["bus_gov"]["registry_agency_id"] = agency_id
        matches = {Status.passed: True, Status.fail: False}.get(link.status) if link is not None else None
        fb["bus_gov"]["matches_registry"] = matches
    return fb


# Back-compat keys of the stored bus.gov.ru card, derived from the audits (reports read them).
_CARD_FLAGS = {"BUS002": "site_url_differs", "BUS003": "inn_differs"}


def judge_busgov(item: dict[str, Any], registry: RegistryFacts | None, site: dict[str, Any] | None = None) -> dict[str, Any]:
    """The bus.gov.ru audits on one organization's card: ``{"audits", "card", "message"}``.

    ``site`` is the organization's site artifact of the same run, when it was crawled: the
    cross-checks (CRD) compare it with the card; without it they are ``not_applicable``.

    ``card`` is the artifact's card with ``site_url_differs``/``inn_differs`` (True on a failed
    comparison, False on a passed one, None when nothing was compared); ``message`` is the
    crawl's message followed by the failed comparisons.
    """
    otype = OrgType((registry or {}).get("org_type") or "school") if (registry or {}).get("org_type") in set(OrgType) else OrgType.school
    ctx = Context(site=SiteView(site) if site is not None else None, org_type=otype, registry=registry, busgov=item)
    results = run_audits(tuple(a for a in catalogue.other_audits() if "busgov" in a.requires), ctx)
    art = ctx.busgov or {}
    card = dict(art["card"]) if art.get("card") else None
    if card is not None:
        for r in results:
            if r.rule in _CARD_FLAGS:
                card[_CARD_FLAGS[r.rule]] = {Status.fail: True, Status.passed: False}.get(r.status)
    remarks = [r.message for r in results if r.status is Status.fail]
    message = "; ".join(p for p in [str(art.get("message") or ""), *remarks] if p)
    return {"audits": [r.as_json() for r in results], "card": card, "message": message}
