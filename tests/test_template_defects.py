"""A farm month through the one path (sveden crawl with the bus.gov.ru stand-in, sveden report):
platforms fingerprinted as the farm built them, the Госвеб template defect reported once in the
regional report and the XLSX, and the cards' deliberate mismatches found with both values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import lxml.html
import openpyxl
import pytest
from sqlalchemy import select

from reports.template_defects import ReportError, settings
from testbed.busgov_standin import StandIn
from testbed.farm import generate, platforms, serve
from testbed.farm.cards import card_truth, farm_agencies

REPO = Path(__file__).resolve().parents[1]
SEED, N_SITES, MONTH = 5, 20, "2026-11"
CRAWL = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0", "--set", "DOWNLOAD_TIMEOUT=10",
         "--set", "SVEDEN_BUSGOV_DOWNLOAD_DELAY=0"]
# The card's fact, the audit comparing it, and the item rule that says the site publishes it correctly.
FACTS = {"name": ("CRD001", "CMN002"), "address": ("CRD003", "CMN011"), "phone": ("CRD004", "CMN013"), "email": ("CRD005", "CMN014")}

pytestmark = [pytest.mark.slow]


def sveden(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sveden.cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("template-defects")
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp / 'farm.sqlite'}", "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1",
           "SVEDEN_TEMPLATE_DEFECT_MIN_SITES": "3"}
    farm = generate(N_SITES, SEED, faults=None, hang_seconds=20)
    with serve(farm) as farm, StandIn(farm_agencies(farm)) as busgov:
        registry = tmp / "registry.csv"
        registry.write_text(farm.registry_csv(), encoding="utf-8")
        proc = sveden(["registry", "import", str(registry)], env)
        assert proc.returncode == 0, proc.stderr[-2000:]
        proc = sveden(["crawl", "--month", MONTH, *CRAWL, "--set", f"SVEDEN_BUSGOV_BASE_URL={busgov.base_url}"], env)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        truth = {s["id"]: s for s in farm.truth()["sites"]}
        cards = card_truth(farm)
    out = tmp / "reports"
    proc = sveden(["report", "-o", str(out), "--month", MONTH, "--format", "html", "--format", "xlsx"], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"env": env, "farm": farm, "truth": truth, "cards": cards, "out": out}


def _gosweb_failing(m) -> list[str]:
    return sorted(org for org, st in m["truth"].items() if st["platform"] == "gosweb" and any(i["rule"] == "CMN012" and i["expect"] != "pass" for i in st["items"]))


def test_the_farm_has_the_template_defect_it_is_meant_to_have(month):
    templated = [s for s in month["farm"].sites if platforms.template_defects(s)]
    assert len(templated) >= 4 and {s.style for s in templated} == {"gosweb"}
    assert len(_gosweb_failing(month)) >= 4


def test_platforms_are_fingerprinted_as_the_farm_built_them(month):
    from storage import db, repository
    from storage.models import Check

    session_factory = db.open_database(month["env"]["SVEDEN_DATABASE_URL"])
    try:
        with session_factory() as session:
            found = {c.org_id: repository.load_check_json(session, c.id).get("platform") for c in session.scalars(select(Check))}
    finally:
        session_factory.kw["bind"].dispose()
    assert found.keys() == month["truth"].keys()
    wrong = {org: ((p or {}).get("key"), month["truth"][org]["platform"]) for org, p in found.items() if (p or {}).get("key") != month["truth"][org]["platform"]}
    assert not wrong
    assert {p["key"] for p in found.values() if p} >= {"bitrix", "joomla", "wordpress", "gosweb"}


def test_the_regional_report_names_the_template_defect_once_for_the_vendor(month):
    doc = lxml.html.parse(str(month["out"] / "index.html")).getroot()
    rows = doc.xpath('//table[@id="template-defects-table"]//tr[@data-rule]')
    by_key = {(r.get("data-platform"), r.get("data-rule")): r.text_content() for r in rows}
    assert ("gosweb", "CMN012") in by_key, by_key
    text = by_key[("gosweb", "CMN012")]
    failing = len(_gosweb_failing(month))
    assert f"на {failing} из " in text and "Госвеб" in text and 'itemprop="workTime"' in text
    assert "оператор платформы «Госвеб»" in text
    # Reported once: one row per platform and rule, never one per school.
    assert len(by_key) == len(rows)


def test_the_xlsx_has_the_template_defects_sheet(month):
    wb = openpyxl.load_workbook(next((month["out"] / "export").glob("*.xlsx")))
    ws = wb["Дефекты шаблонов"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    row = next(r for r in rows if r["Платформа"] == "Госвеб" and r["Код правила"] == "CMN012")
    assert row["Сайтов с нарушением"] == len(_gosweb_failing(month))
    assert sorted(row["Коды организаций"].split(", ")) == _gosweb_failing(month)


def test_card_mismatches_need_review_with_both_values_and_the_same_facts_pass(month):
    from storage import db, repository
    from storage.models import Run

    session_factory = db.open_database(month["env"]["SVEDEN_DATABASE_URL"])
    try:
        with session_factory() as session:
            run = session.scalar(select(Run).where(Run.month == MONTH))
            stored = {org: {a["rule"]: a for a in (r.audits or [])} for org, r in repository.busgov_results(session, run.id).items()}
    finally:
        session_factory.kw["bind"].dispose()
    compared = {"pass": 0, "needs_review": 0}
    for org, card in month["cards"].items():
        if not card["found"]:
            assert stored[org]["CRD001"]["status"] == "not_applicable"
            continue
        items = {i["rule"]: i for i in month["truth"][org]["items"]}
        for fact, (code, item) in FACTS.items():
            if items[item]["status"] != "pass":
                continue  # the site does not publish it correctly: nothing certain to compare
            got = stored[org][code]
            if fact in card["mismatch"]:
                on_site, on_card = card["mismatch"][fact]
                assert got["status"] == "needs_review", (org, code, got["message"])
                assert on_site in got["message"] and on_card in got["message"], (org, code, got["message"])
            else:
                assert got["status"] == "pass", (org, code, got["message"])
            compared[got["status"]] += 1
        want_site = "needs_review" if "site_url" in card["mismatch"] else "pass"
        assert stored[org]["CRD006"]["status"] == want_site, (org, stored[org]["CRD006"]["message"])
        want_nok = "pass" if card["nok_year"] == 2024 else "needs_review"
        assert stored[org]["CRD007"]["status"] == want_nok, (org, stored[org]["CRD007"]["message"])
    assert compared["pass"] >= 20 and compared["needs_review"] >= 2, compared


def test_the_xlsx_lists_the_card_mismatches_with_both_values(month):
    wb = openpyxl.load_workbook(next((month["out"] / "export").glob("*.xlsx")))
    ws = wb["Сайт и bus.gov.ru"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    shown = {(r["Код организации"], r["Код правила"]): r for r in rows}
    expected = 0
    for org, card in month["cards"].items():
        items = {i["rule"]: i for i in month["truth"][org]["items"]}
        for fact, (code, item) in FACTS.items():
            if fact in card["mismatch"] and items[item]["status"] == "pass":
                on_site, on_card = card["mismatch"][fact]
                row = shown[(org, code)]
                assert row["Статус"] == "требует проверки" and on_site in row["На сайте"] and row["На bus.gov.ru"] == on_card
                expected += 1
    assert expected >= 2


def test_template_defect_settings_are_checked():
    assert settings({}) == (0.6, 5)
    assert settings({"SVEDEN_TEMPLATE_DEFECT_SHARE": "0,75", "SVEDEN_TEMPLATE_DEFECT_MIN_SITES": "10"}) == (0.75, 10)
    for bad in ({"SVEDEN_TEMPLATE_DEFECT_SHARE": "0.3"}, {"SVEDEN_TEMPLATE_DEFECT_SHARE": "много"}, {"SVEDEN_TEMPLATE_DEFECT_MIN_SITES": "1"}):
        with pytest.raises(ReportError, match="SVEDEN_TEMPLATE_DEFECT"):
            settings(bad)


# ---- the rule itself, on stored checks (no crawl) -------------------------------------------------


def _month_of(tmp_path, sites: list[tuple[str, str | None, list[str]]]):
    """A finished month of checks: (org id, platform key or None, failed rule codes) per site."""
    from checks import catalogue
    from reports import data
    from storage import db, repository
    from storage.models import Organization

    session_factory = db.open_database(f"sqlite:///{tmp_path / 'td.sqlite'}")
    session = session_factory()
    with session.begin():
        run = repository.start_run(session, "monthly", MONTH, catalogue.rules_version())
        for org_id, platform, failed in sites:
            session.add(Organization(id=org_id, name=f"Школа {org_id}", org_type="school", municipality="Город", site_url=f"http://{org_id}.example.ru/"))
            session.flush()
            items = [{"section": "common", "parent": "", "itemprop": code, "rule": code, "status": "fail" if code in failed else "pass",
                      "evidence_url": "", "message": "не найден элемент"} for code in ("CMN012", "CMN013", "CMN014")]
            check = {"url": f"http://{org_id}.example.ru/", "org_type": "school", "outcome": "ok", "reachable": True, "items": items,
                     "platform": {"key": platform, "title": {"gosweb": "Госвеб", "bitrix": "1С-Битрикс"}[platform], "vendor": "владелец", "module": ""} if platform else None}
            repository.save_check(session, run.id, org_id, check)
        repository.finish_run(session, run.id)
    return session_factory, session, data.load_dataset(session, MONTH)


def test_a_failure_of_most_sites_of_one_platform_is_a_defect_but_not_one_as_common_elsewhere(tmp_path):
    from reports.template_defects import find

    sites = [(f"g{i}", "gosweb", ["CMN012", "CMN014"] if i < 5 else ["CMN014"]) for i in range(6)]  # CMN012: 5 of 6 Госвеб sites
    sites += [(f"b{i}", "bitrix", ["CMN014"] if i < 5 else []) for i in range(6)]  # CMN014 fails almost everywhere: the region's
    sites += [(f"h{i}", None, ["CMN013"]) for i in range(3)]  # hand-made sites: no platform, never a template
    session_factory, session, ds = _month_of(tmp_path, sites)
    try:
        found = {(d.platform, d.rule): d for d in find(session, ds, share=0.6, min_sites=3)}
        assert set(found) == {("gosweb", "CMN012")}
        d = found[("gosweb", "CMN012")]
        assert (d.failing, d.sites) == (5, 6) and d.text.startswith("на 5 из 6 сайтов Госвеб") and d.org_ids == [f"g{i}" for i in range(5)]
        assert not find(session, ds, share=0.9, min_sites=3)  # 5 of 6 is not 90 %
        assert not find(session, ds, share=0.6, min_sites=6)  # fewer failing sites than the minimum
    finally:
        session.close()
        session_factory.kw["bind"].dispose()
