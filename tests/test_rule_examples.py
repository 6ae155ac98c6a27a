"""Every audit's documented good/bad examples are its tests (ruff-style)."""

from __future__ import annotations

import pytest

from checks import catalogue
from checks.context import Context
from checks.evaluate import run_audit
from checks.model import Example, Rule
from checks.views import SiteView
from crawler.extract import extract_page
from crawler.pagefacts import compile_selectors

EXAMPLES = [(a, i, ex) for a in catalogue.audits() for i, ex in enumerate(a.examples)]
# Audits whose worst verdict is «требует проверки»: a picture may be infographics (VIS002).
NEEDS_A_PERSON_AT_WORST = ("VIS002",)


def page_of(url: str, html: str, role: str, section: str) -> dict:
    # As a crawl would: with the CSS selectors of the rules in force (regional «selector» rules).
    selectors = compile_selectors(catalogue.probe_selectors())
    page = extract_page(url, url, f"<html><body>{html}</body></html>".encode(), "text/html; charset=utf-8", selectors=selectors)
    page.update(url=url, final_url=url, status=200, role=role, section=section)
    return page


def site_with(section: str, html: str, probes: dict[str, int], documents: dict[str, dict] | None = None) -> SiteView:
    """A site whose subsection ``section`` is ``html`` (an item rule's example)."""
    url = f"http://127.0.0.1/sveden/{section}/"
    return SiteView(
        {
            "url": "http://127.0.0.1/",
            "outcome": {"status": "ok"},
            "pages": [page_of(url, html, "section", section)],
            "sections": {section: {"url": url, "page": 0, "addrefs": [], "status": 200}},
            "probes": {u: {"status": s} for u, s in probes.items()},
            **({"documents": documents} if documents else {}),
        }
    )


def context_for(audit, example: Example) -> Context:
    if example.page == "home":
        site = SiteView({"url": "http://127.0.0.1/", "host": "127.0.0.1", "outcome": {"status": "ok"},
                         "pages": [page_of("http://127.0.0.1/", example.html, "home", "")], "sections": {},
                         "stats": {"selectors": list(catalogue.probe_selectors()), "dates": True},
                         "probes": {u: {"status": s} for u, s in example.probes.items()},
                         **({"documents": example.documents} if example.documents else {})})
    elif isinstance(audit, Rule):
        site = site_with(audit.section, example.html, example.probes, example.documents)
    elif example.page == "section" and example.html:  # a site-wide audit of subsection pages (VIS)
        site = site_with("common", example.html, example.probes)
    else:
        site = None
    return Context(site=site, org_type=example.org_type, registry=example.registry, busgov=example.busgov)


@pytest.mark.parametrize(("audit", "index", "example"), EXAMPLES, ids=[f"{a.code}-{i}" for a, i, _ in EXAMPLES])
def test_audit_example(audit, index, example):
    result = run_audit(audit, context_for(audit, example))
    assert result.status == example.expect, f"{audit.code} {example.title}: {result.message}"


def test_every_audit_that_can_fail_has_a_passing_and_a_failing_example():
    for audit in catalogue.audits():
        if isinstance(audit, Rule) and (audit.repealed or audit.superseded_by):
            continue
        if audit.group == "personal":  # never «нарушение»: a person decides (checks/audits/personal.py)
            assert {"pass", "needs_review"} <= {ex.expect for ex in audit.examples}, audit.code
            continue
        expects = {ex.expect for ex in audit.examples}
        # A cross-check's worst verdict is «требует проверки»: which of two sources is out of date is a person's call.
        worst = "needs_review" if audit.group == "crosscheck" or audit.code in NEEDS_A_PERSON_AT_WORST else "fail"
        assert "pass" in expects and worst in expects, audit.code


def test_rules_with_a_meaning_of_their_own_have_hand_written_examples():
    """Repealed, superseded, documents instead of markup, dates, statements of absence: each
    has declared examples of a good and a bad page, beside the generated ones."""
    special = [r for r in catalogue.rules() if r.repealed or r.superseded_by or r.alt_documents or r.itemprop in ("regDate", "prescriptionDocLink")]
    assert len(special) >= 18
    for rule in special:
        declared = [ex for ex in rule.examples if ex.declared]
        assert len(declared) >= 2 and len({(ex.html, ex.expect) for ex in declared}) >= 2, rule.code
        if not rule.repealed and not rule.superseded_by:
            assert {"pass", "fail"} <= {str(ex.expect) for ex in declared} or (rule.alt_documents and "needs_review" in {str(ex.expect) for ex in declared}), rule.code
    for audit in catalogue.other_audits():
        assert all(ex.declared for ex in audit.examples), audit.code


def test_every_audit_declares_what_the_catalogue_shows():
    for a in catalogue.audits():
        assert a.title and a.failure_title and a.description and a.legal and a.requires, a.code
        assert a.group in ("items", "feedback", "busgov", "personal", "noko", "crosscheck", "visibility", "documents"), a.code
        assert all(ref.tag.count(":") == 1 for ref in a.legal), a.code


def test_codes_are_unique_and_stable_in_shape():
    codes = [a.code for a in catalogue.audits()]
    assert len(codes) == len(set(codes)) == len(catalogue.by_code())
    prefixes = {s.slug: s.code for s in catalogue.sections()}
    for a in catalogue.audits():
        assert a.code[3:].isdigit() and len(a.code) == 6, a.code
        if isinstance(a, Rule):
            assert a.code[:3] == prefixes[a.section], a.code
        else:
            assert a.code[:3] == {"feedback": "FBK", "busgov": "BUS", "personal": "PDN", "noko": "NOK", "crosscheck": "CRD", "visibility": "VIS", "documents": "FIL"}[a.group], a.code


def test_audit_error_becomes_error_result_not_a_crash(monkeypatch):
    from checks import evaluate as ev

    real = catalogue.by_code()["CMN002"]

    class Broken(Rule):
        def judge(self, ctx):
            raise RuntimeError("broken rule")

    broken = Broken(**{f: getattr(real, f) for f in real.__dataclass_fields__})
    monkeypatch.setattr(catalogue, "rules", lambda: tuple(broken if r.code == "CMN002" else r for r in catalogue.by_code().values() if isinstance(r, Rule)))
    results = ev.judge_items(site_with("common", '<span itemprop="fullName">Школа</span>', {}), ev.OrgType.school)
    by_code = {r.rule: r for r in results}
    assert by_code["CMN002"].status == "error" and "CMN002" in by_code["CMN002"].message
    assert "broken rule" not in by_code["CMN002"].message  # exception text stays in the log
    assert by_code["CMN003"].status != "error"
    assert len(results) == len(real_rules())


def real_rules():
    return [a for a in catalogue.by_code().values() if isinstance(a, Rule)]


def _identity(audit) -> str:
    if isinstance(audit, Rule):
        return f"{audit.section}/{audit.parent}/{audit.itemprop}"
    return f"{audit.group}:{type(audit).__name__}:{getattr(audit, 'channel', '') or getattr(audit, 'kind', '')}"


def test_codes_are_never_reused():
    """Every code ever issued (the snapshot) is still active with the same meaning, or retired;
    a retired code never comes back. New codes need no entry here."""
    import json
    from pathlib import Path

    from checks.retired import RETIRED

    issued = json.loads((Path(__file__).parent / "fixtures" / "issued_codes.json").read_text(encoding="utf-8"))
    active = {a.code: _identity(a) for a in catalogue.audits()}
    assert not set(active) & set(RETIRED), "a retired code is in use again"
    for code, identity in issued.items():
        assert code in active or code in RETIRED, f"{code} was removed without being retired (checks/retired.py)"
        if code in active:
            assert active[code] == identity, f"{code} now means {active[code]}, it meant {identity}: issue a new code"
    assert all(reason.strip() for reason in RETIRED.values())


def test_the_catalogue_refuses_a_retired_code(monkeypatch):
    from checks import retired

    monkeypatch.setitem(retired.RETIRED, "CMN002", "test")
    catalogue.by_code.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="retired"):
            catalogue.by_code()
    finally:
        catalogue.by_code.cache_clear()
