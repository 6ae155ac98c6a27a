"""``sveden report`` over a database filled by real monthly runs of loopback sites.

Two months are crawled (``sveden registry import`` + ``sveden crawl`` in subprocesses); between
them one site fixes two items, another breaks two, a third gains the «opinion» channel. Every
figure of the reports is compared with what the stored results give, computed here
independently from ``storage.repository.load_check_json``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from collections import Counter
from datetime import UTC, datetime
from contextlib import ExitStack
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from compliant import compliant_site
from openpyxl.utils import get_column_letter
from lxml import html as lxml_html
from cikit import needed
from sitekit import Route, serve
from sqlalchemy import select

from checks.model import OrgType


def catalogue_basis(code: str) -> str:
    from checks import catalogue

    return catalogue.by_code()[code].basis

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--no-busgov", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0",
        "--set", "DOWNLOAD_TIMEOUT=3", "--set", "SVEDEN_PROBE_OFFSITE=false"]
SEP, OCT = "2026-09", "2026-10"
EVIL_NAME = '=HYPERLINK("http://evil.example/") <script>alert(1)</script> Школа № 13'
EVIL_TEXT = "<script>alert(2)</script>"
CITY, DISTRICT, NORTH = "Город", "Район", "Северный район"
BUS_NOK = {"year": 2025, "group": "Общеобразовательные организации", "openness": 97.4, "comfort": 96.0, "accessibility": 68.0,
           "goodwill": 99.1, "contentment": 98.6, "place": 57}


def _replace(routes: dict[str, Route], path: str, *pairs: tuple[str, str]) -> dict[str, Route]:
    out = dict(routes)
    body = out[path].payload().decode("utf-8")
    for old, new in pairs:
        assert old in body, (path, old)
        body = body.replace(old, new)
    out[path] = Route(body)
    return out


def sites() -> dict[str, tuple[dict[str, Route], dict[str, Route]]]:
    """Each site's routes in September and in October."""
    school = compliant_site(OrgType.school)
    kinder = compliant_site(OrgType.kindergarten, "МБДОУ «Детский сад № 7»")
    half = _replace(school, "/sveden/common/", ('itemprop="regDate"', 'itemprop="RegDate"'), ('itemprop="workTime"', 'itemprop="work_time"'))
    opinion = _replace(school, "/", ("</body>", '<a href="https://bus.gov.ru/qrcode/rate/411231">Оцените качество условий</a></body>'))
    broken = _replace(school, "/sveden/common/", ('itemprop="email"', 'itemprop="Email"'),
                      ('itemprop="licenseDocLink" href="/docs/doc.pdf"', 'itemprop="licenseDocLink" href="/docs/missing.pdf"'))
    evil = _replace(school, "/sveden/common/", ('<span itemprop="fullName">Сведения: О полном наименовании образовательной ор</span>',
                                                 '<span itemprop="fullName">&lt;script&gt;alert(2)&lt;/script&gt; МБОУ СОШ № 13</span>'),
                    ('<span itemprop="regDate">Сведения: О дате создания образовательной организа</span>',
                     '<span itemprop="RegDate">&lt;script&gt;alert(2)&lt;/script&gt;<img src=x onerror=alert(3)></span>'))
    # a link text the feedback evidence quotes in the school report
    evil = _replace(evil, "/", ("</body>", '<a href="/anketa/">Анкета &lt;script&gt;alert(2)&lt;/script&gt;</a></body>'))
    evil["/anketa/"] = Route("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Анкета</title></head><body>"
                             "<h1>Анкета &lt;script&gt;alert(2)&lt;/script&gt;</h1><form action='/anketa/send' method='post'>"
                             "<label>Ваше мнение о качестве условий <textarea name='opinion'></textarea></label>"
                             "<button type='submit'>Отправить</button></form></body></html>")
    nosection = {"/": Route("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Школа</title></head><body><p>Сайт школы</p></body></html>")}
    blocked = {"/": Route("Forbidden", status=403)}
    return {
        "good": (school, school),
        "fixing": (half, opinion),
        "breaking": (school, broken),
        "evil": (evil, evil),
        "nosection": (nosection, nosection),
        "blocked": (blocked, blocked),
        "kinder": (kinder, kinder),
    }


REGISTRY = {  # id: (name, type, municipality)
    "good": ("МБОУ «Гимназия № 1»", "школа", CITY),
    "fixing": ("МБОУ «СОШ № 2»", "школа", CITY),
    "nosection": ("МБОУ «СОШ № 3»", "школа", CITY),
    "breaking": ("МБОУ «СОШ № 4»", "школа", DISTRICT),
    "evil": (EVIL_NAME, "школа", DISTRICT),
    "refused": ("МБОУ «СОШ № 6»", "школа", DISTRICT),
    "blocked": ("МБОУ «СОШ № 7»", "школа", NORTH),
    "kinder": ("МБДОУ «Детский сад № 7»", "детский сад", NORTH),
}
LATE = {"late": ("МБОУ «Новая школа»", "школа", NORTH)}  # added to the registry after the October run


def write_registry(path: Path, rows: dict[str, tuple[str, str, str]], urls: dict[str, str]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(["Код", "Полное наименование", "Тип", "Муниципалитет", "Адрес сайта"])
    for org_id, (name, kind, muni) in rows.items():
        writer.writerow([org_id, name, kind, muni, urls[org_id]])
    path.write_text(buf.getvalue(), encoding="utf-8")


def sveden(args: list[str], env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)


def pdf_available() -> str | None:
    """None when WeasyPrint renders here, else why not."""
    from reports import pdf

    try:
        pdf.check_available()
    except pdf.PdfUnavailable as exc:
        return str(exc)
    return None


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    db_url = f"sqlite:///{tmp / 'reports.sqlite'}"
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url}
    by_site = sites()
    with ExitStack() as stack:
        live = {name: dict(sep) for name, (sep, _) in by_site.items()}
        servers = {name: stack.enter_context(serve(routes)) for name, routes in live.items()}
        urls = {name: srv.url + "/" for name, srv in servers.items()}
        urls["refused"] = "http://127.0.0.1:9/"
        write_registry(tmp / "registry.csv", REGISTRY, urls)
        imported = sveden(["registry", "import", str(tmp / "registry.csv")], env)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        first = sveden(["crawl", "--month", SEP, *FAST], env)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        for name, (_, october) in by_site.items():  # the handlers read the same dicts: change the sites in place
            live[name].clear()
            live[name].update(october)
        second = sveden(["crawl", "--month", OCT, *FAST], env)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    write_registry(tmp / "late.csv", LATE, {"late": "http://127.0.0.1:9/late/"})
    assert sveden(["registry", "import", str(tmp / "late.csv")], env).returncode == 0

    from storage import db, repository
    from storage.models import Check, Organization, Run

    session_factory = db.open_database(db_url)
    stored: dict[str, dict[str, dict]] = {SEP: {}, OCT: {}}
    with session_factory() as session, session.begin():
        runs = {r.month: r for r in session.scalars(select(Run).where(Run.kind == "monthly"))}
        for month, run in runs.items():
            for check in session.scalars(select(Check).where(Check.run_id == run.id)):
                stored[month][check.org_id] = repository.load_check_json(session, check.id)
        # bus.gov.ru results as the crawler's pipeline stores them: one with НОК, one not found.
        repository.save_busgov(session, runs[OCT].id, "good", "ok", agency_id=411231, card={"name": "МБОУ «Гимназия № 1»"}, nok=BUS_NOK)
        repository.save_busgov(session, runs[OCT].id, "fixing", "not_found", message="ИНН не найден")
        orgs = {o.id: {"name": o.name, "municipality": o.municipality} for o in session.scalars(select(Organization))}
        rules_version = runs[OCT].rules_version
    session_factory.kw["bind"].dispose()

    out = tmp / "out"
    formats = ("html", "xlsx", "csv", "json", "pdf") if pdf_available() is None else ("html", "xlsx", "csv", "json")
    report = sveden(["report", "--month", OCT, "-o", str(out), *[a for f in formats for a in ("--format", f)]], env)
    return {"env": env, "db_url": db_url, "tmp": tmp, "out": out, "report": report, "stored": stored, "orgs": orgs, "rules_version": rules_version}


# --- expected values, computed from the stored check JSON ------------------------------------


def r1(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def pct(part: int, whole: int) -> float:
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def avg(values: list[float]) -> float:
    return float((sum(Decimal(repr(v)) for v in values) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def checked(doc: dict) -> bool:
    return doc["outcome"] in ("ok", "no_sveden_section")


def has_fail(doc: dict) -> bool:
    return any(i["status"] == "fail" for i in doc["items"])


def expected(world: dict, org_ids: list[str], month: str = OCT) -> dict:
    docs = {o: world["stored"][month][o] for o in org_ids if o in world["stored"][month]}
    ok = [d for d in docs.values() if checked(d)]
    reasons = Counter(d["outcome"] for d in docs.values() if not checked(d))
    if len(org_ids) - len(docs):
        reasons["no_result"] = len(org_ids) - len(docs)
    fails = Counter(i["rule"] for d in ok for i in d["items"] if i["status"] == "fail")
    # The other audits (feedback channels, НОКО…) count in «most failed» alongside the items.
    audit_fails = Counter(a["rule"] for d in ok for a in d.get("audits", []) if a["status"] == "fail")
    return {
        "total": len(org_ids),
        "checked": len(ok),
        "not_checked": len(org_ids) - len(ok),
        "reasons": dict(reasons),
        "compliant": sum(1 for d in ok if not has_fail(d)),
        "compliant_share": pct(sum(1 for d in ok if not has_fail(d)), len(ok)),
        "p11": avg([d["scores"]["p1_1_site"] for d in ok]),
        "p12": avg([d["scores"]["p1_2"] for d in ok]),
        "opinion": pct(sum(1 for d in ok if d["feedback"]["channels"]["opinion"]), len(ok)),
        "channels": {ch: pct(sum(1 for d in ok if d["feedback"]["channels"][ch]), len(ok)) for ch in ("phone", "email", "e_service", "faq", "opinion")},
        "fails": fails,
        "audit_fails": audit_fails,
        "fails_total": sum(fails.values()),
    }


def changes(world: dict, org_id: str) -> tuple[list[str], list[str]]:
    before, now = world["stored"][SEP].get(org_id), world["stored"][OCT].get(org_id)
    if not before or not now or not checked(before) or not checked(now):
        return [], []
    was = {i["rule"]: i["status"] for i in before["items"]}
    fixed = [i["rule"] for i in now["items"] if i["status"] == "pass" and was.get(i["rule"]) == "fail"]
    broken = [i["rule"] for i in now["items"] if i["status"] == "fail" and was.get(i["rule"]) == "pass"]
    return fixed, broken


def num(text: str) -> float | None:
    """A number as the reports print it: «1 234,5», «85,3 %», «—»."""
    text = text.strip().replace("\u202f", "").replace("\u00a0", "").replace("%", "").replace(" ", "").replace(",", ".")
    return None if text in ("—", "") else float(text)


def page(path: Path):
    return lxml_html.fromstring(path.read_text(encoding="utf-8"))


def first_text(doc, css: str) -> str:
    found = doc.cssselect(css)
    assert found, css
    return found[0].text_content()


ALL = list(REGISTRY) + list(LATE)
MUNIS = {CITY: ["good", "fixing", "nosection"], DISTRICT: ["breaking", "evil", "refused"], NORTH: ["blocked", "kinder", "late"]}


# --- the runs the reports rest on ------------------------------------------------------------


def test_the_runs_produced_what_the_reports_need(world):
    oct_, sep = world["stored"][OCT], world["stored"][SEP]
    assert set(oct_) == set(sep) == set(REGISTRY)
    assert {o: d["outcome"] for o, d in oct_.items()} == {
        "good": "ok", "fixing": "ok", "breaking": "ok", "evil": "ok", "kinder": "ok",
        "nosection": "no_sveden_section", "refused": "unreachable", "blocked": "blocked",
    }
    fixed, broken = changes(world, "fixing")
    assert len(fixed) == 2 and not broken, (fixed, broken)
    fixed, broken = changes(world, "breaking")
    assert len(broken) == 2 and not fixed, (fixed, broken)
    assert not has_fail(oct_["good"])
    assert oct_["fixing"]["feedback"]["channels"]["opinion"] and not sep["fixing"]["feedback"]["channels"]["opinion"]


def test_cli_reports_where_everything_is(world):
    proc, out = world["report"], world["out"]
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert f"Отчёты за октябрь 2026 ({OCT})" in proc.stdout
    assert str(out / "index.html") in proc.stdout and str(out / "departments") in proc.stdout and str(out / "schools") in proc.stdout
    assert str(out / "export" / f"sveden-{OCT}.xlsx") in proc.stdout
    assert (out / "index.html").exists()
    assert sorted(p.name for p in (out / "departments").glob("*.html")) == ["gorod.html", "rayon.html", "severnyy-rayon.html"]
    assert sorted(p.stem for p in (out / "schools").glob("*.html")) == sorted(REGISTRY)  # «late» has no result


# --- regional report -------------------------------------------------------------------------


def test_regional_summary_equals_the_stored_results(world):
    doc = page(world["out"] / "index.html")
    exp = expected(world, ALL)
    assert first_text(doc, "#report-month") == "октябрь 2026"
    assert world["rules_version"] and first_text(doc, "#rules-version") == world["rules_version"]
    assert num(first_text(doc, "#kpi-total b")) == exp["total"] == 9
    assert num(first_text(doc, "#kpi-checked b")) == exp["checked"] == 6
    assert num(first_text(doc, "#kpi-not-checked b")) == exp["not_checked"] == 3
    assert num(first_text(doc, "#kpi-compliant b")) == exp["compliant_share"]
    assert f"({exp['compliant']})" in first_text(doc, "#kpi-compliant")
    assert num(first_text(doc, "#kpi-p11 b")) == exp["p11"]
    assert num(first_text(doc, "#kpi-p12 b")) == exp["p12"]
    assert num(first_text(doc, "#kpi-opinion b")) == exp["opinion"]
    reasons = {tr.get("data-outcome"): num(tr.cssselect("td")[1].text_content()) for tr in doc.cssselect("#reasons tbody tr")}
    assert reasons == exp["reasons"] == {"unreachable": 1, "blocked": 1, "no_result": 1}
    channels = {tr.get("data-channel"): num(tr.cssselect("td")[2].text_content()) for tr in doc.cssselect("#channels tbody tr")}
    assert channels == exp["channels"]
    assert "только часть «сайт»" in doc.text_content()


def test_regional_most_failed_items_and_sections(world):
    doc = page(world["out"] / "index.html")
    exp = expected(world, ALL)
    rows = {tr.get("data-rule"): int(num(tr.cssselect("td")[3].text_content())) for tr in doc.cssselect("#top-table tbody tr")}
    top = sorted((exp["fails"] + exp["audit_fails"]).items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    assert rows == dict(top)
    basis = {tr.get("data-rule"): tr.cssselect("td")[5].text_content() for tr in doc.cssselect("#top-table tbody tr")}
    assert all(basis[code] == catalogue_basis(code) and basis[code] for code in basis)
    from checks import catalogue

    titles = {tr.get("data-rule"): tr.cssselect("td")[1].text_content() for tr in doc.cssselect("#top-table tbody tr")}
    assert all(titles[code] == catalogue.by_code()[code].title for code in titles)
    ok = [d for d in world["stored"][OCT].values() if checked(d)]
    for tr in doc.cssselect("#section-table tbody tr"):
        slug = tr.get("data-section")
        items = [i for d in ok for i in d["items"] if i["section"] == slug and i["status"] != "not_applicable"]
        passed = sum(1 for i in items if i["status"] == "pass")
        assert num(tr.cssselect("td")[5].text_content()) == (pct(passed, len(items)) if items else None), slug


def test_regional_municipalities_and_trends(world):
    doc = page(world["out"] / "index.html")
    for tr in doc.cssselect("#muni-table tbody tr"):
        muni = tr.get("data-municipality")
        exp = expected(world, MUNIS[muni])
        cells = tr.cssselect("td")
        assert num(cells[1].text_content()) == exp["total"]
        assert num(cells[2].text_content()) == exp["checked"]
        assert num(cells[3].text_content()) == exp["not_checked"]
        assert num(cells[5].get("data-v")) == exp["p11"]
        assert num(cells[4].get("data-v")) == exp["compliant_share"]
        link = cells[0].cssselect("a")[0].get("href")
        assert (world["out"] / link).exists()
    assert {tr.get("data-municipality") for tr in doc.cssselect("#muni-table tbody tr")} == set(MUNIS)
    # trends: both months, September's figures from September's checks
    head = [th.text_content() for th in doc.cssselect("#trend-table thead th")]
    assert head[1:3] == ["сен 2026", "окт 2026"]
    trend = {tr.get("data-indicator"): [num(td.text_content()) for td in tr.cssselect("td")[1:3]] for tr in doc.cssselect("#trend-table tbody tr")}
    sep, oct_ = expected(world, list(REGISTRY), SEP), expected(world, ALL)
    assert trend["p1_1_mean"] == [sep["p11"], oct_["p11"]]
    assert trend["compliant_share"] == [sep["compliant_share"], oct_["compliant_share"]]
    assert trend["opinion_share"] == [sep["opinion"], oct_["opinion"]]
    change = doc.cssselect('#trend-table tr[data-indicator="opinion_share"] .delta')[0]
    assert float(change.get("data-delta")) == r1(oct_["opinion"] - sep["opinion"]) and "▲" in change.text_content()
    city = [num(td.text_content()) for td in doc.cssselect(f'#muni-trend tr[data-municipality="{CITY}"] td')[1:3]]
    assert city == [expected(world, MUNIS[CITY], SEP)["p11"], expected(world, MUNIS[CITY])["p11"]]
    assert len(doc.cssselect("svg.chart")) >= 5


def test_regional_rating_lists_every_organization(world):
    doc = page(world["out"] / "index.html")
    rows = doc.cssselect("#rating-table tbody tr")
    assert [tr.get("data-org") for tr in rows if tr.cssselect("td")[0].get("data-v")] == sorted(
        (o for o, d in world["stored"][OCT].items() if checked(d)),
        key=lambda o: (-world["stored"][OCT][o]["scores"]["p1_1_site"], -world["stored"][OCT][o]["scores"]["p1_2"],
                       world["stored"][OCT][o]["counts"].get("fail", 0), world["orgs"][o]["name"]),
    )
    assert {tr.get("data-org") for tr in rows} == set(ALL)
    for tr in rows:
        o = tr.get("data-org")
        d = world["stored"][OCT].get(o)
        p11 = tr.cssselect("td")[5].get("data-v")
        assert (num(p11) if p11 else None) == (d["scores"]["p1_1_site"] if d and checked(d) else None), o
        links = tr.cssselect("td")[1].cssselect("a")
        assert bool(links) == (d is not None)
    details = doc.cssselect("#not-checked ~ details")[0]
    assert {tr.cssselect("td")[0].text_content() for tr in details.cssselect("tbody tr")} == {
        world["orgs"][o]["name"] for o in ("refused", "blocked", "late")}
    assert "сервер отклонил соединение" in details.text_content() and "не входила в обход" in details.text_content()


# --- department reports ----------------------------------------------------------------------


def test_department_reports_list_their_schools_with_changes(world):
    out = world["out"]
    for muni, slug in ((CITY, "gorod"), (DISTRICT, "rayon"), (NORTH, "severnyy-rayon")):
        doc = page(out / "departments" / f"{slug}.html")
        exp = expected(world, MUNIS[muni])
        assert first_text(doc, "h1") == muni
        assert {tr.get("data-org") for tr in doc.cssselect("#schools-table tbody tr")} == set(MUNIS[muni])
        assert num(first_text(doc, "#kpi-checked b")) == exp["checked"]
        assert num(first_text(doc, "#kpi-p11 b")) == exp["p11"]
        assert num(first_text(doc, "#kpi-compliant b")) == exp["compliant_share"]
        fixed_total = broken_total = 0
        for o in MUNIS[muni]:
            fixed, broken = changes(world, o)
            fixed_total, broken_total = fixed_total + len(fixed), broken_total + len(broken)
            row = doc.cssselect(f'#schools-table tr[data-org="{o}"]')[0]
            cells = row.cssselect("td")
            d = world["stored"][OCT].get(o)
            if d and checked(d) and checked(world["stored"][SEP][o]):
                assert num(cells[5].text_content()) == len(fixed) and num(cells[6].text_content()) == len(broken), o
            heading = doc.cssselect(f'#changes ~ h3[data-org="{o}"]')
            if fixed or broken:
                block = heading[0].getnext()
                listed = []
                while block is not None and block.tag not in ("h2", "h3"):
                    if block.tag == "ul":
                        listed.append((block.get("class").split()[-1], [li.text_content().split(" — ")[0] for li in block.cssselect("li")]))
                    block = block.getnext()
                assert dict(listed) == {k: v for k, v in (("fixed", fixed), ("broken", broken)) if v}, o
        assert num(first_text(doc, "#kpi-fixed b")) == fixed_total
        assert num(first_text(doc, "#kpi-broken b")) == broken_total
    city = page(out / "departments" / "gorod.html")
    assert sum(len(changes(world, o)[0]) for o in MUNIS[CITY]) == 2
    assert "← Региональный отчёт" in city.text_content()


def test_department_shows_busgov_results_or_no_data(world):
    doc = page(world["out"] / "departments" / "gorod.html")
    good = [td.text_content() for td in doc.cssselect('#busgov-table tr[data-org="good"] td')]
    assert good[0] == "МБОУ «Гимназия № 1»"
    assert num(good[1]) == world["stored"][OCT]["good"]["scores"]["p1_1_site"]
    assert [num(v) for v in good[3:10]] == [2025, 97.4, 96.0, 68.0, 99.1, 98.6, 57]
    fixing = first_text(doc, '#busgov-table tr[data-org="fixing"] td.busgov-none')
    assert fixing.startswith("нет данных") and "не найдена на bus.gov.ru" in fixing
    nosection = first_text(doc, '#busgov-table tr[data-org="nosection"] td.busgov-none')
    assert nosection.startswith("нет данных")


# --- school reports --------------------------------------------------------------------------


def test_school_reports_show_failures_and_fixed_items(world):
    out = world["out"]
    fixing = page(out / "schools" / "fixing.html")
    fixed, _ = changes(world, "fixing")
    section = [h for h in fixing.cssselect("h2") if h.text_content() == "Исправлено с прошлого месяца"]
    assert section, "the school report lists the items fixed since September"
    h2 = [h.text_content() for h in fixing.cssselect("h2")]
    assert h2.index("Что исправить") < h2.index("Исправлено с прошлого месяца"), "what to fix comes first"
    listed = [li.text_content().split()[0] for li in section[0].getnext().cssselect("li")]
    assert listed == fixed
    assert fixing.cssselect("nav.crumbs a")[0].get("href") == "../departments/gorod.html"
    breaking = page(out / "schools" / "breaking.html")
    doc = world["stored"][OCT]["breaking"]
    failing = [i for i in doc["items"] if i["status"] == "fail"]
    text = breaking.text_content()
    for item in failing:
        assert item["rule"] in text and item["message"] in text
    evidence = {a.get("href") for a in breaking.cssselect("td a")}
    assert {i["evidence_url"] for i in failing if i["evidence_url"]} <= evidence
    blocked = page(out / "schools" / "blocked.html")
    assert "Сайт не проверен" in blocked.text_content()


# --- exports ---------------------------------------------------------------------------------


def _xlsx(world):
    from openpyxl import load_workbook

    return load_workbook(world["out"] / "export" / f"sveden-{OCT}.xlsx")


def test_xlsx_has_the_sheets_and_the_totals(world):
    wb = _xlsx(world)
    assert wb.sheetnames == ["Сводка", "Организации × подразделы", "Нарушения", "Правила", "По группам реестра", "Дефекты шаблонов", "Сайт и bus.gov.ru", "Параметры"]
    summary = wb["Сводка"]
    header = [c.value for c in summary[1]]
    assert header[:3] == ["Муниципалитет", "Организаций", "Проверено"]
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref.startswith("A1:")
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in summary.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {*MUNIS, "Всего"}
    exp = expected(world, ALL)
    total = rows["Всего"]
    assert (total["Организаций"], total["Проверено"], total["Не проверено"], total["Полностью соответствуют"]) == (
        exp["total"], exp["checked"], exp["not_checked"], exp["compliant"])
    assert total["Средний П1.1 (сайт)"] == exp["p11"] and total["Средний П1.2"] == exp["p12"]
    assert total["Возможность выразить мнение о качестве, %"] == exp["opinion"]
    assert total["Нарушений (пунктов)"] == exp["fails_total"]
    sep = expected(world, list(REGISTRY), SEP)
    assert total["Изменение среднего П1.1 к прошлому месяцу"] == r1(exp["p11"] - sep["p11"])
    for muni, ids in MUNIS.items():
        assert rows[muni]["Средний П1.1 (сайт)"] == expected(world, ids)["p11"]

    orgs = wb["Организации × подразделы"]
    oheader = [c.value for c in orgs[1]]
    orows = {r[0]: dict(zip(oheader, r, strict=True)) for r in orgs.iter_rows(min_row=2, values_only=True)}
    assert set(orows) == set(ALL) and orgs.freeze_panes == "C2"
    assert orows["good"]["П1.1 (сайт)"] == world["stored"][OCT]["good"]["scores"]["p1_1_site"]
    assert orows["late"]["Результат обхода"].startswith("нет результата")
    common = world["stored"][OCT]["breaking"]["items"]
    applicable = [i for i in common if i["section"] == "common" and i["status"] != "not_applicable"]
    assert orows["breaking"]["Основные сведения, %"] == pct(sum(i["status"] == "pass" for i in applicable), len(applicable))

    findings = wb["Нарушения"]
    fheader = [c.value for c in findings[1]]
    frows = [dict(zip(fheader, r, strict=True)) for r in findings.iter_rows(min_row=2, values_only=True)]
    want = [(o, i["rule"]) for o in world["stored"][OCT] for i in [*world["stored"][OCT][o]["items"], *world["stored"][OCT][o].get("audits", [])]
            if checked(world["stored"][OCT][o]) and i["status"] in ("fail", "needs_review", "error")]
    assert sorted((r["Код организации"], r["Код правила"]) for r in frows) == sorted(want)
    assert any(r["Код правила"].startswith("FBK") for r in frows), "the other audits' findings are listed too"
    assert all(r["Основание"] for r in frows), "every finding names its legal basis"
    assert findings.freeze_panes == "A2" and findings.auto_filter.ref == f"A1:{get_column_letter(len(fheader))}{len(frows) + 1}"


def test_csv_and_json_hold_the_same_tables(world):
    wb = _xlsx(world)
    export = world["out"] / "export"
    doc = json.loads((export / f"sveden-{OCT}.json").read_text(encoding="utf-8"))
    assert doc["meta"]["month"] == OCT and doc["meta"]["previous_month"] == SEP
    assert doc["meta"]["rules_versions"] == [world["rules_version"]]
    for key, sheet in (("summary", "Сводка"), ("organizations_sections", "Организации × подразделы"), ("findings", "Нарушения"), ("rules", "Правила")):
        raw = (export / f"{key}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), key
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        xrows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
        table = doc["tables"][key]
        assert rows[0] == xrows[0] == [c["title"] for c in table["columns"]], key
        assert len(rows) == len(xrows) == len(table["rows"]) + 1, key
        for crow, xrow, jrow in zip(rows[1:], xrows[1:], table["rows"], strict=True):
            for col, cval, xval in zip(table["columns"], crow, xrow, strict=True):
                jval = jrow[col["key"]]
                if col["kind"] in ("int", "num", "pct"):
                    assert (num(cval) if cval else None) == xval == jval, (key, col["key"])
                else:
                    shown = cval[1:] if cval[:1] == "'" and cval[1:2] in ("=", "+", "-", "@") else cval
                    assert (xval or "") == (jval or "") == shown, (key, col["key"])


# --- PDF -------------------------------------------------------------------------------------


def pdf_info(path: Path) -> tuple[int, list[str]]:
    """Page count and bookmark titles of a PDF (object streams inflated with zlib)."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    parts = [data]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    text = b"\n".join(parts)
    pages = len(re.findall(rb"/Type\s*/Page\b", text))
    titles = []
    for raw in re.findall(rb"/Title\s*(<[0-9A-Fa-f]+>)", text):
        b = bytes.fromhex(raw[1:-1].decode())
        titles.append(b[2:].decode("utf-16-be") if b.startswith(b"\xfe\xff") else b.decode("latin-1"))
    return pages, titles


def test_pdf_of_department_and_school_reports(world):
    needed(pdf_available(), "PDF rendering (WeasyPrint, a dependency of sveden)")
    out = world["out"]
    pages, titles = pdf_info(out / "departments" / "gorod.pdf")
    assert pages >= 1
    assert {CITY, "Итоги", "Организации", "Что изменилось с прошлого месяца"} <= set(titles)
    assert "МБОУ «СОШ № 2»" in titles  # the school that fixed items, under «Что изменилось»
    assert sorted(p.stem for p in (out / "schools").glob("*.pdf")) == sorted(REGISTRY)
    pages, titles = pdf_info(out / "schools" / "breaking.pdf")
    assert pages >= 1 and {"МБОУ «СОШ № 4»", "Что исправить", "Основные сведения"} <= set(titles)
    pages, titles = pdf_info(out / "schools" / "blocked.pdf")
    assert pages == 1 and "МБОУ «СОШ № 7»" in titles


# --- nothing a site or the registry contains becomes markup or a formula ----------------------


def test_names_and_page_text_are_escaped_everywhere(world):
    out = world["out"]
    pages = [out / "index.html", out / "departments" / "rayon.html", out / "schools" / "evil.html"]
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "onerror=alert" not in text.replace("&#34;", '"'), path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    evil = (out / "schools" / "evil.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in evil
    # one inline script per interactive page, and the policy allows only that one
    index = (out / "index.html").read_text(encoding="utf-8")
    policy = lxml_html.fromstring(index).cssselect('meta[http-equiv="Content-Security-Policy"]')[0].get("content")
    assert index.count("<script>") == 1 and "script-src 'sha256-" in policy and "default-src 'none'" in policy
    wb = _xlsx(world)
    cells = [c for row in wb["Организации × подразделы"].iter_rows() for c in row if c.value == EVIL_NAME]
    assert cells and all(c.data_type == "s" for c in cells)
    rows = (out / "export" / "organizations_sections.csv").read_text(encoding="utf-8-sig")
    assert "'" + EVIL_NAME.replace('"', '""') in rows


# --- errors ----------------------------------------------------------------------------------


def test_clear_errors_never_a_traceback(world, tmp_path):
    env = world["env"]
    cases = [
        (["report", "--month", "2026-01", "-o", str(tmp_path)], "нет завершённого ежемесячного обхода за 2026-01"),
        (["report", "--month", "2026-13", "-o", str(tmp_path)], "ГГГГ-ММ"),
        (["report", "--municipality", "Марс", "-o", str(tmp_path)], "неизвестный муниципалитет «Марс»"),
        (["report", "--org", "nope", "-o", str(tmp_path)], "нет организаций с кодами: nope"),
    ]
    for args, message in cases:
        proc = sveden(args, env)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
    empty = {**env, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"}
    proc = sveden(["report", "-o", str(tmp_path / "x")], empty)
    assert proc.returncode == 2 and "нет ни одного завершённого" in proc.stderr and "Traceback" not in proc.stderr


def test_filters_write_only_what_was_asked(world, tmp_path):
    env = world["env"]
    proc = sveden(["report", "--month", OCT, "--municipality", DISTRICT, "--format", "html", "-o", str(tmp_path / "d")], env)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "d" / "index.html").exists()
    assert [p.name for p in (tmp_path / "d" / "departments").iterdir()] == ["rayon.html"]
    assert sorted(p.stem for p in (tmp_path / "d" / "schools").iterdir()) == sorted(o for o in MUNIS[DISTRICT] if o in world["stored"][OCT])
    proc = sveden(["report", "--org", "good", "--format", "json", "--format", "html", "-o", str(tmp_path / "o")], env)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (tmp_path / "o" / "schools").iterdir()] == ["good.html"]
    doc = json.loads((tmp_path / "o" / "export" / f"sveden-{OCT}.json").read_text(encoding="utf-8"))
    assert [r["org_id"] for r in doc["tables"]["organizations_sections"]["rows"]] == ["good"]


def test_a_filtered_report_compares_with_the_whole_region(world, tmp_path):
    """«по региону» in a department report is the region's figure, whatever --municipality says."""
    from reports import data, monthly, summary
    from storage import db

    proc = sveden(["report", "--month", OCT, "--municipality", DISTRICT, "--format", "html", "-o", str(tmp_path / "d")], world["env"])
    assert proc.returncode == 0, proc.stderr
    filtered, full = page(tmp_path / "d" / "departments" / "rayon.html"), page(world["out"] / "departments" / "rayon.html")
    cards = [c.get("id") for c in full.cssselect(".card[id^=kpi-]")]
    assert {"kpi-compliant", "kpi-p11", "kpi-p12"} <= set(cards)
    for card in cards:  # the same cards, comparisons included, as in the full report's page of the municipality
        assert " ".join(first_text(filtered, f"#{card}").split()) == " ".join(first_text(full, f"#{card}").split()), card

    session_factory = db.open_database(world["db_url"])
    try:
        with session_factory() as session:
            whole = {}
            for munis in ([], [DISTRICT], [CITY, NORTH]):
                ds = data.load_dataset(session, OCT, munis)
                trend = summary.trend(ds)
                ctx = monthly.department_context(ds, trend, ds.municipalities[0], {}, {})
                whole[tuple(munis)] = ctx["region"].as_json()
    finally:
        session_factory.kw["bind"].dispose()
    assert whole[(DISTRICT,)] == whole[()] == whole[(CITY, NORTH)]
    exp = expected(world, ALL)
    assert (whole[()]["compliant_share"], whole[()]["p1_1_site_mean"], whole[()]["p1_2_mean"]) == (exp["compliant_share"], exp["p11"], exp["p12"])
    assert whole[()]["organizations"] == exp["total"] and whole[()]["checked"] == exp["checked"]


def test_changes_by_rule_code_equal_changes_by_position(world):
    """The fast self-join (by position, same rules version) and the general one (by rule code) agree."""
    from reports import data
    from storage import db

    session_factory = db.open_database(world["db_url"])
    try:
        with session_factory() as session:
            ds = data.load_dataset(session, OCT)
            fast = data.item_changes(session, ds, by_position=True)
            slow = data.item_changes(session, ds, by_position=False)
    finally:
        session_factory.kw["bind"].dispose()
    assert {o: (c.fixed, c.broken) for o, c in fast.items()} == {o: (c.fixed, c.broken) for o, c in slow.items()}
    assert {o: (c.fixed, c.broken) for o, c in fast.items() if c.fixed or c.broken} == {
        o: changes(world, o) for o in REGISTRY if any(changes(world, o))
    }


# --- in a browser ----------------------------------------------------------------------------


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    binary = chromium()
    needed(None if binary else "not installed here", "headless Chromium (Debian package «chromium», installed by .ci/run)")
    return binary


def run_chromium(binary: str, url: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-extensions", f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--v=0",
            *extra, url]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_regional_report_in_headless_chromium(world, tmp_path):
    binary = require_chromium()
    index = world["out"] / "index.html"
    # Opened sorted by П1.1 ascending through the link form «#sort=table:column:direction».
    dom = run_chromium(binary, index.as_uri() + "#sort=rating-table:p11:asc", tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert not console, console  # no script error, no CSP violation, nothing logged
    doc = lxml_html.fromstring(dom.stdout)
    assert doc.get("data-sortable") == "2"  # the script ran to its end over both sortable tables
    assert len(doc.cssselect("svg.chart")) >= 5 and doc.cssselect("svg.line-chart polyline")
    values = [td.get("data-v") for td in doc.cssselect("#rating-table tbody tr td:nth-child(6)")]
    numbers = [float(v) for v in values if v]
    assert numbers == sorted(numbers) and values[len(numbers):] == [""] * (len(values) - len(numbers))
    assert doc.cssselect('#rating-table th[data-key="p11"]')[0].get("aria-sort") == "ascending"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-index.png"
    shot.unlink(missing_ok=True)
    proc = run_chromium(binary, index.as_uri(), tmp_path, "--hide-scrollbars", "--window-size=1280,2400", f"--screenshot={shot}")
    assert proc.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, proc.stderr[-2000:]


LAYOUT_PROBE = """<script>
(() => {
  const table = document.getElementById("muni-table"), box = table.parentElement;
  const style = (css) => { const a = document.querySelector(css); return a ? getComputedStyle(a).overflowWrap : ""; };
  document.body.setAttribute("data-probe", JSON.stringify({
    box: box.className, box_width: box.clientWidth, table_width: table.scrollWidth, window: innerWidth,
    name_link: style('#muni-table a[href^="departments/"]'), url_link: style('#not-checked a[href^="http"], a[href^="http"]'),
  }));
})();
</script>"""


def test_wide_tables_fit_a_1400_px_window_and_only_addresses_break_anywhere(world, tmp_path):
    """At 1400 px the municipalities table shows its last column; names break between words, addresses anywhere."""
    binary = require_chromium()
    html = (world["out"] / "index.html").read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html).replace("</body>", LAYOUT_PROBE + "</body>")
    probe_page = tmp_path / "index.html"
    probe_page.write_text(html, encoding="utf-8")
    dom = run_chromium(binary, probe_page.as_uri(), tmp_path, "--window-size=1400,900", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    probe = json.loads(lxml_html.fromstring(dom.stdout).cssselect("body")[0].get("data-probe"))
    assert probe["window"] == 1400 and probe["box"] == "scroll", probe
    assert probe["table_width"] <= probe["box_width"], probe  # nothing to scroll to: the last column is in view
    assert probe["name_link"] == "normal" and probe["url_link"] == "anywhere", probe


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_same_reports_from_postgresql(world, pg_url, tmp_path):
    """The queries (JSON paths, GROUP BY, the self-join) give the same tables on PostgreSQL."""
    from reports.build import build_reports
    from storage import db, repository
    from storage.models import BusGovResult, Check, Organization, Run

    src, dst = db.open_database(world["db_url"]), db.open_database(pg_url)
    try:
        with src() as s, dst() as d, d.begin():
            for o in s.scalars(select(Organization)):
                d.add(Organization(id=o.id, inn=o.inn, name=o.name, short_name=o.short_name, org_type=o.org_type, municipality=o.municipality,
                                   site_url=o.site_url, busgov_agency_id=o.busgov_agency_id, extra=o.extra, active=o.active))
            d.flush()
            for run in s.scalars(select(Run).where(Run.kind == "monthly").order_by(Run.id)):
                copy = repository.start_run(d, "monthly", run.month, run.rules_version)
                for check in s.scalars(select(Check).where(Check.run_id == run.id).order_by(Check.id)):
                    repository.save_check(d, copy.id, check.org_id, repository.load_check_json(s, check.id))
                for b in s.scalars(select(BusGovResult).where(BusGovResult.run_id == run.id)):
                    repository.save_busgov(d, copy.id, b.org_id, b.status, agency_id=b.agency_id, card=b.card, nok=b.nok, message=b.message)
                repository.finish_run(d, copy.id)
    finally:
        src.kw["bind"].dispose()
        dst.kw["bind"].dispose()
    build_reports(pg_url, tmp_path / "pg", OCT, formats=("json", "html"))
    build_reports(world["db_url"], tmp_path / "lite", OCT, formats=("json", "html"))
    pg = json.loads((tmp_path / "pg" / "export" / f"sveden-{OCT}.json").read_text(encoding="utf-8"))
    lite = json.loads((tmp_path / "lite" / "export" / f"sveden-{OCT}.json").read_text(encoding="utf-8"))
    assert pg["tables"] == lite["tables"]
    def shown(doc) -> list[str]:
        return [el.text_content() for el in doc.cssselect("#schools-table tbody tr, #busgov-table tbody tr, ul.fixed li, ul.broken li, #top-table tr")]

    for slug in ("gorod", "rayon", "severnyy-rayon"):
        a, b = (page(tmp_path / side / "departments" / f"{slug}.html") for side in ("pg", "lite"))
        assert shown(a) == shown(b) and shown(a)


def test_a_build_in_forked_processes_writes_what_the_sequential_one_writes(world, tmp_path, monkeypatch):
    """The school pages in chunks and the exports in forked children (reports.parallel): the same
    files, byte for byte (CSV, JSON, HTML), listed in the same order."""
    from reports import build

    at = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    formats = ("html", "xlsx", "csv", "json")
    monkeypatch.setenv("SVEDEN_REPORT_WORKERS", "1")
    one = build.build_reports(world["db_url"], tmp_path / "one", OCT, formats=formats, generated_at=at)
    monkeypatch.setenv("SVEDEN_REPORT_WORKERS", "3")
    monkeypatch.setattr(build, "FORK_MIN_SCHOOLS", 1)
    from reports import parallel

    started, real = [], parallel.Forked.__init__
    monkeypatch.setattr(parallel.Forked, "__init__", lambda self, tasks: (started.append(len(tasks)), real(self, tasks))[1])
    many = build.build_reports(world["db_url"], tmp_path / "many", OCT, formats=formats, generated_at=at)
    assert started and started[0] >= 2  # school chunks beside this process's own, and the exports, were forked
    assert [p.name for p in many.schools] == [p.name for p in one.schools] and len(one.schools) >= 3
    assert [p.name for p in many.exports] == [p.name for p in one.exports]
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "many") for p in (tmp_path / "many").rglob("*") if p.is_file())
    for rel in files:
        if rel.suffix != ".xlsx":  # the workbook records the moment it was saved
            assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "many" / rel).read_bytes(), rel


def _fails_as_a_report_error():
    from reports.data import ReportError

    raise ReportError("нет данных за месяц")


def _fails_on_disk():
    raise OSError(28, "No space left on device", "/out/x.html")


def test_a_failure_in_a_forked_part_is_raised_in_the_parent_as_in_a_sequential_build():
    from reports.data import ReportError
    from reports.parallel import Forked

    assert Forked({"a": lambda: 1, "b": lambda: [2]}).results() == {"a": 1, "b": [2]}
    with pytest.raises(ReportError, match="нет данных за месяц"):
        Forked({"a": lambda: 1, "b": _fails_as_a_report_error}).results()
    with pytest.raises(OSError) as info:
        Forked({"a": _fails_on_disk}).results()
    assert info.value.strerror == "No space left on device" and info.value.filename == "/out/x.html"
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        Forked({"a": lambda: 1 / 0}).results()
