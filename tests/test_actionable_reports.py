"""Reports and messages a person can act on (issue 12).

One monthly run over farm sites of every fault and a school whose subsection pages fail in every
way (5xx, a redirect loop, a timeout, too large, robots.txt, 403, missing) and whose documents
robots.txt keeps from being checked; all reports and exports rendered; ``sveden check`` of that
school in every format. Asserted: one line per cause with its fix, most important first; the
organization named; no exception text and no internal key anywhere a person reads.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from compliant import compliant_site
from lxml import html as lxml_html
from cikit import needed
from sitekit import Route, redirect, serve
from sqlalchemy import select, update

from checks.model import OrgType
from test_reports import pdf_available
from testbed.farm import ALL_FAULTS, generate
from testbed.farm import serve as serve_farm

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
MONTH = "2026-12"
SETTINGS = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0", "--set", "DOWNLOAD_TIMEOUT=3",
            "--set", "SVEDEN_SITE_TIME_BUDGET=40", "--set", "SVEDEN_PROBE_TIME_BUDGET=10", "--set", "SVEDEN_PROBE_OFFSITE=false"]
SCHOOL_NAME = "МБОУ «Средняя общеобразовательная школа № 12»"
FULL_NAME = "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 12»"
LEGACY_ERROR = ("сайт недоступен: [<twisted.python.failure.Failure twisted.internet.error.ConnectionLost: "
                "Connection to the other side was lost in a non-clean fashion.>]")

# The instruction for each subsection page that could not be read, as the school reads it.
UNREADABLE = {
    "struct": "Страница подраздела отвечает ошибкой 500 — исправьте страницу",
    "managers": "Страница подраздела переадресует по кругу — исправьте переадресацию",
    "employees": "Страница подраздела не ответила вовремя",
    "objects": "Страница подраздела слишком большая",
    "budget": "robots.txt запрещает проверку страницы подраздела",
    "vacant": "Страница подраздела закрыта для проверки (ответ 403)",
}

# Exception text and internals: none of it may reach a report, an export or a message.
TECHNICAL = re.compile(
    r"Traceback|twisted|Failure|Error:|Exception|<class|errno|\[Errno|Connection was refused|Connection to the other side"
    r"|\b[A-Z][A-Za-z]+(?:Error|Exception|Lost|Done|Refused)\b|OpenSSL|lookup failed|took longer than"
)
INTERNAL = re.compile(
    r"\b(?:p1_1_site|p1_2|no_sveden_section|needs_review|not_applicable|robots_disallowed|robots_documents|section_unreadable"
    r"|section_missing|probe_budget|time_budget|http_error|redirect_loop|too_large|tls_error|forbidden_address|error_kind"
    r"|agencyId|agency_id|agency\.json|compare|changed_shape|not_found|busgov)\b"
)
CYRILLIC = re.compile(r"[А-Яа-яЁё]")

pytestmark = [pytest.mark.slow]

try:
    import pdfplumber
except ImportError:  # a test dependency; without it the PDFs are checked through their HTML only
    pdfplumber = None


def troubled_school() -> dict[str, Route]:
    routes = compliant_site(OrgType.school, SCHOOL_NAME)
    common = routes["/sveden/common/"].payload().decode("utf-8")
    routes["/sveden/common/"] = Route(re.sub(r'(<span itemprop="fullName">)[^<]*', rf"\g<1>{FULL_NAME}", common))
    routes["/robots.txt"] = Route("User-agent: *\nDisallow: /docs/\nDisallow: /sveden/budget/\n", content_type="text/plain")
    routes["/sveden/struct/"] = Route("<html><body>Internal Server Error</body></html>", status=500)
    routes["/sveden/managers/"] = redirect("/sveden/managers/loop/")
    routes["/sveden/managers/loop/"] = redirect("/sveden/managers/")
    routes["/sveden/employees/"] = Route(routes["/sveden/employees/"].payload(), delay=6)
    routes["/sveden/objects/"] = Route(gzip.compress(b"<html><body>" + b" " * (30 * 1024 * 1024)), headers={"Content-Encoding": "gzip"})
    routes["/sveden/vacant/"] = Route("Forbidden", status=403)
    del routes["/sveden/catering/"]
    return routes


def run(args: list[str], env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("actionable")
    db_url = f"sqlite:///{tmp / 'actionable.sqlite'}"
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url}
    farm = generate(len(ALL_FAULTS) + 2, 4242, slow_delay=0.2, hang_seconds=20, site_faults={2 + i: [f] for i, f in enumerate(ALL_FAULTS)})
    check: dict[str, subprocess.CompletedProcess] = {}
    with ExitStack() as stack:
        farm = stack.enter_context(serve_farm(farm))
        school = stack.enter_context(serve(troubled_school()))
        rows = [s.registry_row() for s in farm.sites]
        rows.append({"id": "troubled", "inn": "", "name": SCHOOL_NAME, "type": "school", "municipality": rows[0]["municipality"],
                     "url": school.url + "/", "busgov_agency_id": ""})
        with open(tmp / "registry.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        imported = run(["registry", "import", str(tmp / "registry.csv")], env)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        crawl = run(["crawl", "--month", MONTH, "--no-busgov", *SETTINGS], env)
        assert crawl.returncode == 0, crawl.stdout[-3000:] + crawl.stderr[-3000:]
        for fmt in ("text", "json", "html"):
            check[fmt] = run(["check", school.url + "/", "--type", "school", "--format", fmt, "--no-store", *SETTINGS], env)
        down = next(s for s in farm.sites if "down" in s.faults)
        check["down"] = run(["check", down.url, "--no-store", *SETTINGS], env)
        truth = {s.org_id: s.faults for s in farm.sites}

    from storage import db, repository
    from storage.models import Check, ItemResult, Run

    factory = db.open_database(db_url)
    with factory() as session, session.begin():
        month_run = session.scalar(select(Run).where(Run.month == MONTH))
        checks = {c.org_id: c for c in session.scalars(select(Check).where(Check.run_id == month_run.id))}
        stored = {o: repository.load_check_json(session, c.id) for o, c in checks.items()}
        # A result stored by an earlier version: the exception's text in its error and an item message.
        reset = next(o for o, f in truth.items() if "reset" in f)
        session.execute(update(Check).where(Check.id == checks[reset].id).values(error=LEGACY_ERROR))
        session.execute(update(ItemResult).where(ItemResult.check_id == checks[reset].id).values(message=f"не проверено: {LEGACY_ERROR}"))
        # bus.gov.ru results whose crawl messages name endpoints and identifiers.
        ok_orgs = [o for o, d in stored.items() if d["reachable"]]
        repository.save_busgov(session, month_run.id, ok_orgs[0], "not_found", agency_id=987654,
                               message="карточка учреждения (compare): bus.gov.ru ответил 404 — учреждения с таким agencyId нет")
        repository.save_busgov(session, month_run.id, ok_orgs[1], "changed_shape", agency_id=876543,
                               message="карточка учреждения (agency.json): в ответе нет ключа «agencies[0].agency» (есть: id, inn)")
    factory.kw["bind"].dispose()

    out = tmp / "out"
    formats = ["html", "xlsx", "csv", "json", *(["pdf"] if pdf_available() is None and pdfplumber is not None else [])]
    report = run(["report", "--month", MONTH, "-o", str(out), *[a for f in formats for a in ("--format", f)]], env)
    assert report.returncode == 0, report.stdout + report.stderr
    return {"out": out, "stored": stored, "check": check, "truth": truth, "reset": reset, "env": env, "pdf": "pdf" in formats}


# --- what people read -------------------------------------------------------------------------


def visible_text(path: Path) -> str:
    doc = lxml_html.fromstring(path.read_bytes())
    for bad in doc.xpath("//style|//script"):
        bad.drop_tree()
    return doc.text_content()


def export_texts(out: Path) -> dict[str, list[str]]:
    """Every string a person sees in the exports, by where it is."""
    from openpyxl import load_workbook

    texts: dict[str, list[str]] = {}
    wb = load_workbook(next((out / "export").glob("*.xlsx")))
    for ws in wb.worksheets:
        texts[f"xlsx:{ws.title}"] = [str(v) for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
        texts[f"xlsx-labels:{ws.title}"] = [str(c.value) for c in ws[1]] if ws.title != "Параметры" else [str(r[0].value) for r in ws.iter_rows()]
    for path in (out / "export").glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
        texts[f"csv:{path.name}"] = [v for row in rows for v in row]
        texts[f"csv-labels:{path.name}"] = rows[0]
    doc = json.loads(next((out / "export").glob("*.json")).read_text(encoding="utf-8"))
    values: list[str] = []

    def walk(value):
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, dict):
            for v in value.values():  # keys are the machine contract; their values are read by people
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(doc["tables"])
    walk(doc["meta"]["notes"])
    texts["json"] = values
    texts["json-labels"] = [t["title"] for t in doc["tables"].values()] + [c["title"] for t in doc["tables"].values() for c in t["columns"]]
    return texts


def test_no_exception_text_reaches_a_report_an_export_or_a_message(world):
    out = world["out"]
    pages = [out / "index.html", *sorted((out / "departments").glob("*.html")), *sorted((out / "schools").glob("*.html"))]
    assert len(pages) > 10
    for path in pages:
        text = visible_text(path)
        found = TECHNICAL.search(text)
        assert not found, (path.name, text[max(0, found.start() - 200): found.end() + 200])
    for where, values in export_texts(out).items():
        for value in values:
            assert not TECHNICAL.search(value), (where, value)
    for fmt, proc in world["check"].items():
        assert not TECHNICAL.search(proc.stdout + proc.stderr), (fmt, proc.stdout[-2000:], proc.stderr[-2000:])
    # What the stored results say, too: a dropped connection is not a DNS failure.
    reasons = {o: d["error"] for o, d in world["stored"].items() if not d["reachable"]}
    for org, faults in world["truth"].items():
        if "down" in faults:
            assert reasons[org] == "сервер отклонил соединение", reasons[org]
        if "reset" in faults:
            assert reasons[org] == "соединение оборвалось", reasons[org]
    for org, error in reasons.items():
        assert not TECHNICAL.search(error), (org, error)
    # The result stored with exception text is shown without it, by its cause.
    regional = visible_text(out / "index.html")
    assert "соединение оборвалось" in regional and "DNS" not in regional
    assert "сервер отклонил соединение" in world["check"]["down"].stdout


def test_no_internal_key_is_a_label(world):
    out = world["out"]
    for where, labels in export_texts(out).items():
        if "labels" not in where:
            continue
        for label in labels:
            assert CYRILLIC.search(label) and not re.search(r"\b[a-z]+_[a-z0-9_]+\b", label), (where, label)
    params = dict((r[0], r[1]) for r in __import__("openpyxl").load_workbook(next((out / "export").glob("*.xlsx")))["Параметры"].iter_rows(values_only=True))
    assert {"Проверенные организации", "Полностью соответствует", "П1.1 (сайт)", "Соответствие подраздела"} <= set(params)
    assert re.match(r"\d\d\.\d\d\.\d{4} ", params["Сформировано"])
    for path in [out / "index.html", *(out / "departments").glob("*.html"), *(out / "schools").glob("*.html")]:
        text = visible_text(path)
        found = INTERNAL.search(text)
        assert not found, (path.name, text[max(0, found.start() - 150): found.end() + 150])


def test_the_department_report_keeps_bus_gov_internals_out(world):
    out = world["out"]
    text = " ".join(visible_text(p) for p in (out / "departments").glob("*.html"))
    assert "организация не найдена на bus.gov.ru — проверьте ИНН организации в реестре" in text
    assert "bus.gov.ru изменил формат ответа" in text
    for internal in ("compare", "agencyId", "agency.json", "agencies[", "987654", "876543", "карточка учреждения ("):
        assert internal not in text, internal


# --- the school: one line per cause, most important first ----------------------------------------


def _school(world) -> lxml_html.HtmlElement:
    return lxml_html.fromstring((world["out"] / "schools" / "troubled.html").read_bytes())


def test_the_school_report_says_each_cause_once_with_its_fix(world):
    doc = _school(world)
    assert doc.cssselect("h1")[0].text_content() == SCHOOL_NAME
    todo = [li.text_content() for li in doc.cssselect("ol.todo li")]
    text = doc.text_content()
    for slug, line in UNREADABLE.items():
        in_todo = [t for t in todo if line[:1].lower() + line[1:] in t]  # after «its title»: from a small letter
        assert len(in_todo) == 1, (slug, todo)
        # the subsection says it once, not per item, and never «не найден»
        h3 = doc.cssselect(f"h3#s-{slug}")[0]
        block = []
        for el in h3.itersiblings():
            if el.tag in ("h3", "h2"):
                break
            block.append(el)
        shown = " ".join(el.text_content() for el in block if el.tag != "details")
        assert shown.count(line) == 1, (slug, shown)
        assert "не найден" not in shown and "Разметьте" not in shown, (slug, shown)
        assert not [el for el in block if el.tag == "table"], slug  # its items are folded away
    assert [t for t in todo if "«Организация питания" in t and "подраздел не найден — создайте страницу /sveden/catering/" in t]
    robots = [t for t in todo if t.startswith("robots.txt запрещает проверку документов")]
    assert len(robots) == 1 and "Allow: /docs/" in robots[0] and "агенту sveden" in robots[0], todo
    assert text.count("robots.txt запрещает проверку документов") == 1
    # nothing about those documents is a row of its own outside the folded lists
    for table in doc.cssselect("table.items"):
        if any(parent.tag == "details" for parent in table.iterancestors()):
            continue
        assert "robots.txt" not in table.text_content()
    # the order: pages that could not be read, missing subsections, failures, documents, review
    kinds = [li.get("class") for li in doc.cssselect("ol.todo li")]
    order = ["todo-unreadable", "todo-no_section", "todo-missing", "todo-fail", "todo-documents", "todo-needs_review", "todo-error"]
    assert kinds == sorted(kinds, key=order.index), kinds
    assert kinds[: len(UNREADABLE)] == ["todo-unreadable"] * len(UNREADABLE)
    h2 = [h.text_content() for h in doc.cssselect("h2")]
    assert h2.index("Что исправить") < h2.index("Подробно по подразделам")


def test_the_pdf_page_says_each_cause_once(world):
    from reports.school import render_html

    doc = lxml_html.fromstring(render_html(world["stored"]["troubled"], org={"name": SCHOOL_NAME}, for_pdf=True))
    text = doc.text_content()
    for line in UNREADABLE.values():
        assert text.lower().count(line.lower()) == 2, line  # in «Что исправить» and in its subsection
    assert text.count("robots.txt запрещает проверку документов") == 1
    assert not TECHNICAL.search(text)


def test_sveden_check_names_the_site_and_folds_by_cause(world):
    text, js, page = (world["check"][f] for f in ("text", "json", "html"))
    assert text.returncode == 1 and js.returncode == 1, text.stderr
    result = json.loads(js.stdout)
    assert result["org_name"] == FULL_NAME
    sections = {s["slug"]: s for s in result["sections"]}
    assert (sections["struct"]["error_kind"], sections["struct"]["http_status"]) == ("http_error", 500)
    assert sections["managers"]["error_kind"] == "redirect_loop" and sections["employees"]["error_kind"] == "timeout"
    assert sections["objects"]["error_kind"] == "too_large" and sections["budget"]["error_kind"] == "robots_disallowed"
    assert {i.get("cause") for i in result["items"] if i["section"] == "document" and i["status"] == "needs_review"} == {"robots_documents"}
    out = text.stdout
    assert f"Организация: {FULL_NAME}" in out
    assert out.index("Что исправить (по порядку важности):") < out.index("Основные сведения —")
    for line in UNREADABLE.values():
        assert out.lower().count(line.lower()) == 2, line  # the list and the subsection, never per item
    assert out.count("robots.txt запрещает проверку документов") == 1
    assert "Разметьте" not in out
    doc = lxml_html.fromstring(page.stdout)
    assert doc.cssselect("h1")[0].text_content() == FULL_NAME
    assert [li for li in doc.cssselect("ol.todo li") if UNREADABLE["struct"].lower() in li.text_content().lower()]


def test_the_pdfs_say_each_cause_once_without_technical_text(world):
    needed(None if world["pdf"] else "WeasyPrint or pdfplumber missing", "PDF rendering and reading")
    out = world["out"]
    pdfs = [*sorted((out / "departments").glob("*.pdf")), *sorted((out / "schools").glob("*.pdf"))]
    assert pdfs
    for path in pdfs:
        with pdfplumber.open(path) as doc:
            text = "\n".join(p.extract_text() or "" for p in doc.pages)
        flat = " ".join(text.split())
        assert not TECHNICAL.search(flat), (path.name, TECHNICAL.search(flat))
        assert not INTERNAL.search(flat), (path.name, INTERNAL.search(flat))
        if path.stem == "troubled":
            squeezed = re.sub(r"[\s\-\u00ad\u2010]+", "", text).lower()
            for line in UNREADABLE.values():
                assert squeezed.count(re.sub(r"[\s\-]+", "", line).lower()) == 2, line
            assert squeezed.count("robots.txtзапрещаетпроверкудокументов") == 1
