"""Documents that are not documents, and scans, in the month's reports: the school report, the
XLSX «Нарушения» and the regional «most failed» table show FIL001/FIL003 with their legal basis.

Two compliant schools whose documents are scans without a text layer; one has also lost its
charter, redirected to an error page answering 200. Crawled by ``sveden crawl`` (which also keeps
the document facts for next month) and reported by ``sveden report``.
"""

from __future__ import annotations

import pytest
from compliant import compliant_site
from lxml import html as lxml_html
from monthkit import crawl_and_report
from sitekit import Route, page, redirect

from checks.model import OrgType
from testbed.documents import scanned_pdf

MONTH = "2026-10"


def school(defect: str) -> dict[str, Route]:
    routes = compliant_site(OrgType.school)
    routes["/docs/doc.pdf"] = Route(scanned_pdf(2), content_type="application/pdf")
    if defect == "soft404":
        documents = routes["/sveden/document/"].payload().decode("utf-8")
        routes["/sveden/document/"] = Route(documents.replace('itemprop="ustavDocLink" href="/docs/doc.pdf"', 'itemprop="ustavDocLink" href="/docs/ustav.pdf"'))
        routes["/docs/ustav.pdf"] = redirect("/error-404")
        routes["/error-404"] = page("<h1>Страница не найдена</h1>", "404")
    return routes


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return crawl_and_report({name: school(name) for name in ("scans", "soft404")}, tmp_path_factory.mktemp("docreports"), MONTH)


def test_the_school_reports_name_the_document_findings_and_their_basis(out):
    text = lxml_html.parse(str(out[0] / "schools" / "scans.html")).getroot().text_content()
    assert "FIL003" in text and "Документ — скан без текстового слоя" in text and "п.25 «в»" in text
    text = lxml_html.parse(str(out[0] / "schools" / "soft404.html")).getroot().text_content()
    assert "FIL001" in text and "п.24" in text and "страница ошибки" in text


def test_the_regional_most_failed_table_lists_the_document_audits(out):
    doc = lxml_html.parse(str(out[0] / "index.html")).getroot()
    rows = {tr.get("data-rule"): tr for tr in doc.cssselect("#top-table tbody tr")}
    for code, basis, schools in (("FIL001", "п.24", "1"), ("FIL003", "п.25 «в»", "2")):
        assert code in rows, sorted(rows)
        cells = [td.text_content() for td in rows[code].cssselect("td")]
        assert cells[3].strip() == schools and basis in cells[5], cells


def test_the_xlsx_findings_carry_the_document_audits(out):
    from openpyxl import load_workbook

    sheet = load_workbook(out[0] / "export" / f"sveden-{MONTH}.xlsx")["Нарушения"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    fil = {(r["Код организации"], r["Код правила"]): r for r in rows if r["Код правила"].startswith("FIL")}
    assert ("scans", "FIL003") in fil and ("soft404", "FIL001") in fil, sorted(fil)
    assert "п.25 «в»" in fil[("scans", "FIL003")]["Основание"] and "п.24" in fil[("soft404", "FIL001")]["Основание"]
    assert fil[("scans", "FIL003")]["Подраздел"].startswith("Файлы документов")
    # The soft 404 also fails the items that link the document, saying what was found.
    items = [r for r in rows if r["Код организации"] == "soft404" and r["Код правила"].startswith("DOC") and "страница ошибки" in (r["Что найдено"] or "")]
    assert items


def test_the_monthly_run_keeps_the_document_facts(out):
    from sqlalchemy import func, select

    from storage import db
    from storage.models import DocumentFact

    session_factory = db.open_database(out[1])
    with session_factory() as session:
        kinds = dict(session.execute(select(DocumentFact.sha256, func.count()).group_by(DocumentFact.sha256)).all())
        facts = session.scalars(select(DocumentFact.facts)).all()
    session_factory.kw["bind"].dispose()
    assert len(facts) == 3 and len(kinds) == 2  # the scan of each school (one file) and the error page
    assert sorted(f["kind"] for f in facts) == ["html", "pdf", "pdf"]
