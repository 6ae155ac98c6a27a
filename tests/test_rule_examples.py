"""Every rule's documented good/bad examples are its tests (ruff-style)."""

from __future__ import annotations

import pytest

from checks import catalogue
from checks.views import SiteView
from checks.items import judge
from crawler.extract import extract_page

EXAMPLES = [(r, ex) for r in catalogue.rules() for ex in r.examples]


def site_with(section: str, html: str, probes: dict[str, int]) -> SiteView:
    url = f"http://127.0.0.1/sveden/{section}/"
    page = extract_page(url, url, f"<html><body>{html}</body></html>".encode(), "text/html; charset=utf-8")
    page.update(url=url, final_url=url, status=200, role="section", section=section)
    return SiteView(
        {
            "url": "http://127.0.0.1/",
            "outcome": {"status": "ok"},
            "pages": [page],
            "sections": {section: {"url": url, "page": 0, "addrefs": [], "status": 200}},
            "probes": {u: {"status": s} for u, s in probes.items()},
        }
    )


@pytest.mark.parametrize(("rule", "example"), EXAMPLES, ids=[f"{r.code}-{i}" for r, ex in EXAMPLES for i in [r.examples.index(ex)]])
def test_rule_example(rule, example):
    result = judge(rule, site_with(rule.section, example.html, example.probes), example.org_type)
    assert result.status == example.expect, f"{rule.code} {example.title}: {result.message}"


def test_every_applicable_rule_has_a_passing_and_a_failing_example():
    for rule in catalogue.rules():
        if rule.repealed or rule.superseded_by:
            continue
        expects = {ex.expect for ex in rule.examples}
        assert "pass" in expects and "fail" in expects, rule.code


def test_codes_are_unique_and_stable_in_shape():
    codes = [r.code for r in catalogue.rules()]
    assert len(codes) == len(set(codes)) == 218
    prefixes = {s.slug: s.code for s in catalogue.sections()}
    for r in catalogue.rules():
        assert r.code[:3] == prefixes[r.section] and r.code[3:].isdigit() and len(r.code) == 6


def test_rule_error_becomes_error_result_not_a_crash(monkeypatch):
    from checks import evaluate as ev

    def boom(rule, site, org_type):
        if rule.code == "CMN002":
            raise RuntimeError("broken rule")
        return judge(rule, site, org_type)

    monkeypatch.setattr(ev, "judge", boom)
    site = site_with("common", '<span itemprop="fullName">Школа</span>', {})
    results = ev.judge_items(site, ev.OrgType.school)
    by_code = {r.rule: r for r in results}
    assert by_code["CMN002"].status == "error" and "broken rule" in by_code["CMN002"].message
    assert len(results) == 218
