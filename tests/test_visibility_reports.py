"""Hidden markup and pages of pictures in the month's reports: the school report, the XLSX
«Нарушения» and the regional «most failed» table show VIS001/VIS002 with their legal basis.

Two compliant schools whose «Руководство» is marked only in a hidden copy (one by a style
attribute, one by a rule of the site's stylesheet) and whose «Международное сотрудничество»
is a page of scans; crawled by ``sveden crawl`` and reported by ``sveden report``.
"""

from __future__ import annotations

import pytest
from compliant import compliant_site
from lxml import html as lxml_html
from monthkit import crawl_and_report
from sitekit import Route

from checks.model import OrgType

MONTH = "2026-10"
SCANS = '<h1>Международное сотрудничество</h1><img src="/upload/inter-1.jpg" width="1240" height="1754" alt="">'


def school(hide_by: str) -> dict[str, Route]:
    routes = compliant_site(OrgType.school)
    managers = routes["/sveden/managers/"].payload().decode("utf-8")
    if hide_by == "style":
        managers = managers.replace("<body>", '<body><div style="display:none">').replace("</body>", "</div></body>")
    else:
        managers = managers.replace("</head>", '<link rel="stylesheet" href="/css/site.css"></head>').replace("<body>", '<body><div class="seo-copy">')
        managers = managers.replace("</body>", "</div></body>")
        routes["/css/site.css"] = Route(".seo-copy { display: none }", content_type="text/css")
    routes["/sveden/managers/"] = Route(managers)
    inter = routes["/sveden/inter/"].payload().decode("utf-8")
    routes["/sveden/inter/"] = Route(inter[: inter.index("<body>") + 6] + SCANS + "</body></html>")
    return routes


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return crawl_and_report({name: school(name) for name in ("style", "stylesheet")}, tmp_path_factory.mktemp("visreports"), MONTH)[0]


@pytest.mark.parametrize("org", ["style", "stylesheet"])
def test_the_school_report_names_the_hidden_markup_and_its_basis(out, org):
    text = lxml_html.parse(str(out / "schools" / f"{org}.html")).getroot().text_content()
    assert "VIS001" in text and "Размеченные сведения скрыты от посетителей" in text and "п.27" in text
    assert "VIS002" in text and "п.23" in text and "п.25 «б»" in text
    assert "размечено, но скрыто от посетителей" in text


def test_the_regional_most_failed_table_lists_vis001_with_its_basis(out):
    doc = lxml_html.parse(str(out / "index.html")).getroot()
    rows = {tr.get("data-rule"): tr for tr in doc.cssselect("#top-table tbody tr")}
    assert "VIS001" in rows, sorted(rows)
    cells = [td.text_content() for td in rows["VIS001"].cssselect("td")]
    assert cells[3].strip() == "2" and "п.27" in cells[5], cells


def test_the_xlsx_findings_carry_the_visibility_audits(out):
    from openpyxl import load_workbook

    sheet = load_workbook(out / "export" / f"sveden-{MONTH}.xlsx")["Нарушения"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    vis = {(r["Код организации"], r["Код правила"]): r for r in rows if r["Код правила"].startswith("VIS")}
    assert set(vis) == {("style", "VIS001"), ("stylesheet", "VIS001"), ("style", "VIS002"), ("stylesheet", "VIS002")}
    assert all("п.27" in vis[(o, "VIS001")]["Основание"] for o in ("style", "stylesheet"))
    assert all("п.23" in vis[(o, "VIS002")]["Основание"] for o in ("style", "stylesheet"))
    assert vis[("stylesheet", "VIS001")]["Подраздел"] == "Сведения видны посетителям и размещены текстом"
    assert ".seo-copy" in vis[("stylesheet", "VIS001")]["Что найдено"]
    hidden_items = [r for r in rows if r["Код организации"] == "style" and r["Код правила"].startswith("MNG") and "скрыто от посетителей" in (r["Что найдено"] or "")]
    assert hidden_items, "the items marked only in the hidden copy are findings too"


def test_the_fix_plan_folds_hidden_markup_into_one_instruction():
    from reports.fixplan import HIDDEN_MARKUP, fix_plan

    items = [{"section": "managers", "parent": p, "itemprop": i, "rule": r, "status": "fail", "evidence_url": "", "message": "размечено, но скрыто", "cause": "hidden_markup"}
             for p, i, r in (("", "rucovodstvo", "MNG002"), ("rucovodstvo", "fio", "MNG003"))]
    items.append({"section": "managers", "parent": "rucovodstvo", "itemprop": "email", "rule": "MNG006", "status": "fail", "evidence_url": "", "message": "пусто"})
    result = {"reachable": True, "outcome": "ok", "items": items, "sections": [{"slug": "managers", "title": "Руководство", "found": True, "url": "http://127.0.0.1/sveden/managers/"}]}
    lines = [t.line for t in fix_plan(result).todo]
    assert lines == ["«Руководство»: нарушений: 1 — Адрес эл. почты",
                     f"«Руководство»: {HIDDEN_MARKUP[:1].lower()}{HIDDEN_MARKUP[1:]} (пунктов: 2 — Главный тег. Руководитель образовательной организации, ФИО)"], lines
