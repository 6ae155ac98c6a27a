"""What must not be published (issue 18), end to end: a loopback school site publishing synthetic
personal data on its pages and in a PDF and a DOCX it links; a monthly run, ``sveden check`` and
every report and export. Each kind is found with a masked snippet; the negatives are not; and no
unmasked value is in the database, the logs, the check JSON, the HTML, the PDF or the XLSX.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import personal_data as D
import pytest
from cikit import needed
from compliant import compliant_site
from sitekit import Route, serve

from checks.model import OrgType
from test_reports import pdf_available

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
MONTH, NEXT_MONTH = "2026-11", "2026-12"
NAME = "МБОУ «Средняя общеобразовательная школа № 7»"
SETTINGS = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0", "--set", "DOWNLOAD_TIMEOUT=20",
            "--set", "SVEDEN_PROBE_OFFSITE=false"]
# Where each page and document stands on the site.
STAFF_PAGE, ENROL_PAGE, NEGATIVE_PAGE = "/sveden/employees/", "/sveden/document/", "/sveden/managers/"
ENROL_PDF, STAFF_DOCX, DSP_DOCX = "/docs/prikaz-o-zachislenii.pdf", "/docs/spisok-sotrudnikov.docx", "/docs/polozhenie-ohrana.docx"
SAFETY, ACCESS = "/docs/pasport-bezopasnosti.pdf", "/docs/pasport-dostupnosti.pdf"
CHILD_3, BIRTH_3 = "Морозова Ксения Андреевна", "23.07.2016"
SECRETS = (*D.SECRETS, BIRTH_3, D.CHILD_1, D.CHILD_2, CHILD_3)

pytestmark = [pytest.mark.slow]


def enrolment_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string=(
        "<html><body><h1>Приказ о зачислении в 1 класс</h1><table><tr><th>ФИО</th><th>Дата рождения</th></tr>"
        f"<tr><td>{CHILD_3}</td><td>{BIRTH_3}</td></tr></table>"
        f"<p style='page-break-before: always'>Приложение: Кузнецова Мария Ивановна, СНИЛС {D.SNILS_2}</p></body></html>"
    )).write_pdf()


def school_site() -> dict[str, Route]:
    from testbed.documents import docx

    routes = compliant_site(OrgType.school, NAME)

    def append(path: str, html: str) -> None:
        routes[path] = Route(routes[path].payload().decode("utf-8").replace("</body>", html + "</body>"))

    # A value in a link's text: the crawler keeps link texts, masked.
    append(STAFF_PAGE, D.STAFF + f'<p><a href="/docs/doc.pdf">Справка: Кузнецова М.И., СНИЛС {D.SNILS}</a></p>')
    append(ENROL_PAGE, D.ENROLMENT
           + f'<p><a itemprop="localActStud" href="{ENROL_PDF}">Приказ о зачислении</a></p>'
           + f'<p><a itemprop="localActStud" href="{STAFF_DOCX}">Список</a></p>'
           + f'<p><a itemprop="localActStud" href="{DSP_DOCX}">Положение об охране</a></p>')
    append(NEGATIVE_PAGE, D.NEGATIVES)
    append("/sveden/objects/", f'<p><a href="{SAFETY}">Паспорт безопасности школы</a> <a href="{ACCESS}">Паспорт доступности объекта</a></p>')
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    routes[ENROL_PDF] = Route(enrolment_pdf(), content_type="application/pdf")
    routes[STAFF_DOCX] = Route(docx(["Список сотрудников", f"Кузнецова Мария Ивановна, паспорт {D.PASSPORT}"]), content_type=docx_type)
    routes[DSP_DOCX] = Route(docx(["Для служебного пользования", "Экз. № 2", "Положение о пропускном режиме"]), content_type=docx_type)
    routes[SAFETY] = Route(b"%PDF-1.4", content_type="application/pdf")
    routes[ACCESS] = Route(b"%PDF-1.4", content_type="application/pdf")
    return routes


def run(args: list[str], env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    needed(pdf_available(), "WeasyPrint (the PDF reports and the synthetic PDF document)")
    tmp = tmp_path_factory.mktemp("personal")
    db_url = f"sqlite:///{tmp / 'personal.sqlite'}"
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url, "SVEDEN_PERSONAL_SALT": "test-salt"}
    logs: dict[str, str] = {}
    with ExitStack() as stack:
        site = stack.enter_context(serve(school_site()))
        with open(tmp / "registry.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["id", "inn", "name", "type", "municipality", "url"])
            writer.writeheader()
            writer.writerow({"id": "s7", "inn": D.INN_SCHOOL, "name": NAME, "type": "school", "municipality": "Выборгский район", "url": site.url + "/"})
        imported = run(["registry", "import", str(tmp / "registry.csv")], env)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        # The crawl's log at DEBUG: every item Scrapy logs passes through it.
        crawl = run(["crawl", "--month", MONTH, "--no-busgov", *SETTINGS, "--set", "LOG_LEVEL=DEBUG"], env)
        assert crawl.returncode == 0, crawl.stdout[-3000:] + crawl.stderr[-3000:]
        logs["crawl"] = crawl.stdout + crawl.stderr
        check = run(["check", site.url + "/", "--type", "school", "--format", "json", "--progress", *SETTINGS], env)
        assert check.returncode in (0, 1), check.stderr[-3000:]
        logs["check"] = check.stderr
        html = run(["check", site.url + "/", "--type", "school", "--format", "html", "--no-store", *SETTINGS], env)
        off = run(["check", site.url + "/", "--type", "school", "--format", "json", "--no-store", *SETTINGS],
                  {**env, "SVEDEN_PERSONAL_DATA_AUDITS_OFF": "PDN003, pdn005"})
        base = site.url
    out = tmp / "out"
    report = run(["report", "--month", MONTH, "-o", str(out), *[a for f in ("html", "xlsx", "csv", "json", "pdf") for a in ("--format", f)]], env)
    assert report.returncode == 0, report.stdout + report.stderr
    logs["report"] = report.stdout + report.stderr
    # Next month: the same values, the same hashes — the school report says they are still there.
    with serve(school_site()) as site:
        from sqlalchemy import create_engine, text

        engine = create_engine(db_url)
        with engine.begin() as conn:  # the site answers on another port now
            conn.execute(text("UPDATE organizations SET site_url = :u"), {"u": site.url + "/"})
        engine.dispose()
        crawl = run(["crawl", "--month", NEXT_MONTH, "--no-busgov", *SETTINGS], env)
        assert crawl.returncode == 0, crawl.stdout[-3000:] + crawl.stderr[-3000:]
        logs["crawl next month"] = crawl.stdout + crawl.stderr
    report = run(["report", "--month", NEXT_MONTH, "-o", str(tmp / "next"), "--format", "html"], env)
    assert report.returncode == 0, report.stdout + report.stderr
    return {"tmp": tmp, "out": out, "base": base, "logs": logs, "result": json.loads(check.stdout), "html": html.stdout,
            "off": json.loads(off.stdout)}


def audits(result: dict) -> dict[str, dict]:
    return {a["rule"]: a for a in result["audits"] if a["group"] == "personal"}


def findings(world, code: str) -> list[dict]:
    return audits(world["result"])[code]["evidence"]


def test_each_kind_found_on_pages_and_in_documents_masked(world):
    got = audits(world["result"])
    assert {code: a["status"] for code, a in got.items()} == {f"PDN00{i}": "needs_review" for i in range(1, 8)}
    base = world["base"]
    where = {code: {(e["url"].removeprefix(base), e["where"]) for e in findings(world, code)} for code in got}
    assert any(u == STAFF_PAGE and re.fullmatch(r"строка \d+, p\[\d+\]", w) for u, w in where["PDN001"]), where
    assert any(u == ENROL_PDF and w.startswith("стр. 2") for u, w in where["PDN001"])  # the PDF's second page
    assert any(u == STAFF_DOCX for u, _ in where["PDN002"])  # the DOCX
    assert any(u == STAFF_PAGE for u, _ in where["PDN002"])
    assert {u for u, _ in where["PDN003"]} == {STAFF_PAGE}
    assert {w.split(", ")[-1] for u, w in where["PDN004"] if u == ENROL_PAGE} == {"table[1]/tr[2]", "table[1]/tr[3]"}, where
    assert any(u == ENROL_PDF and w.startswith("стр. 1") for u, w in where["PDN004"])
    assert {u for u, _ in where["PDN005"]} == {STAFF_PAGE}
    assert {u for u, _ in where["PDN006"]} == {STAFF_PAGE}
    assert {u for u, _ in where["PDN007"]} == {SAFETY, DSP_DOCX}
    masks = {e["match"] for code in got for e in findings(world, code)}
    assert {"112-***-*** **", "П****** А*** С********, **.**.****", "М******* К***** А********, **.**.****"} <= masks
    assert all(e["hash"] and len(e["hash"]) == 20 for code in got for e in findings(world, code))


def test_negatives_are_not_flagged(world):
    base = world["base"]
    for code, audit in audits(world["result"]).items():
        urls = {e["url"].removeprefix(base) for e in audit["evidence"]}
        assert NEGATIVE_PAGE not in urls and ACCESS not in urls, code
    # the director's name, the school's ИНН, the phone shaped like a СНИЛС: nowhere in a finding
    messages = " ".join(a["message"] for a in audits(world["result"]).values())
    assert "В******* О**** Н*********" not in messages and "812-***" not in messages


def test_the_same_value_keeps_its_hash_next_month(world):
    from storage import db, repository
    from storage.models import Check

    factory = db.open_database(f"sqlite:///{world['tmp'] / 'personal.sqlite'}")
    with factory() as session:
        stored = [repository.load_check_json(session, c.id) for c in session.query(Check).all()]
    factory.kw["bind"].dispose()
    # The monthly run and the stored check found the same values in the same places: with the same hashes.
    # (Next month's crawl served the site on another port: findings are keyed by path.)
    runs = [{(urlsplit(e["url"]).path, e["where"]): e["hash"] for code, a in audits(doc).items() for e in a["evidence"]} for doc in stored if audits(doc)]
    assert len(runs) == 3  # this month's run, the stored check, next month's run
    for other in runs[1:]:
        common = runs[0].keys() & other.keys()
        assert len(common) >= 8 and all(runs[0][k] == other[k] for k in common)


def test_switched_off_audits_are_not_judged(world):
    off = audits(world["off"])
    assert off["PDN003"]["status"] == off["PDN005"]["status"] == "not_applicable"
    assert "SVEDEN_PERSONAL_DATA_AUDITS_OFF" in off["PDN003"]["message"]
    assert off["PDN001"]["status"] == "needs_review"


def test_reports_have_their_own_section_and_counts(world):
    out = world["out"]
    school = next((out / "schools").glob("*.html")).read_text(encoding="utf-8")
    assert "Возможно, лишнее" in school and 'id="personal-note"' in school and "112-***-*** **" in school
    dept = next((out / "departments").glob("*.html")).read_text(encoding="utf-8")
    assert 'id="personal-table"' in dept
    from lxml import html as lxml_html

    rows = lxml_html.fromstring(dept).xpath('//table[@id="personal-table"]//tr[@data-rule]')
    assert {r.get("data-rule"): r.xpath("./td")[2].text_content().strip() for r in rows} == {f"PDN00{i}": "1" for i in range(1, 8)}
    assert "Возможно, лишнее" in world["html"]


def test_next_month_says_which_findings_are_still_there(world):
    from lxml import html as lxml_html

    school = lxml_html.fromstring(next((world["tmp"] / "next" / "schools").glob("*.html")).read_bytes())
    since = {row.get("data-rule"): " ".join(row.xpath(".//span[contains(@class, 'since')]/text()")) for row in school.xpath('//table[@data-group="personal"]//tr[@data-rule]')}
    assert re.fullmatch(r"были и в прошлом месяце: (\d+) из \1", since["PDN001"]), since
    assert all(text.startswith("были и в прошлом месяце") for text in since.values()), since
    first = lxml_html.fromstring(next((world["out"] / "schools").glob("*.html")).read_bytes())
    assert not first.xpath("//span[contains(@class, 'since')]")  # no month before the first


def _forms(secret: str) -> set[bytes]:
    """The ways a value may be written into a file: UTF-8, JSON-escaped, without separators."""
    forms = {secret.encode(), json.dumps(secret)[1:-1].encode()}
    digits = "".join(ch for ch in secret if ch.isdigit())
    if len(digits) >= 10 and digits == secret.replace("-", "").replace(" ", ""):
        forms.add(digits.encode())
    return forms


def database_contents(path: Path) -> dict[str, bytes]:
    """Every value of every table, compressed ones (the artifacts: zlib) uncompressed."""
    import sqlite3
    import zlib

    out: dict[str, bytes] = {}
    db = sqlite3.connect(path)
    try:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            values = []
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        try:
                            value = zlib.decompress(value)
                        except zlib.error:
                            pass
                        values.append(value)
                    elif value is not None:
                        values.append(str(value).encode())
            out[f"db:{table}"] = b"\n".join(values)
    finally:
        db.close()
    assert b"sveden/employees/" in out["db:artifacts"]  # the artifacts were read uncompressed
    return out


def test_no_unmasked_value_anywhere(world):
    import pdfplumber
    from openpyxl import load_workbook

    tmp, out = world["tmp"], world["out"]
    places: dict[str, bytes] = {}
    for path in tmp.glob("personal.sqlite*"):  # the database and its journal
        places[path.name] = path.read_bytes()
    places.update(database_contents(tmp / "personal.sqlite"))
    for name, text in world["logs"].items():
        places[f"log:{name}"] = text.encode()
    places["check.json"] = json.dumps(world["result"], ensure_ascii=False).encode()
    places["check.html"] = world["html"].encode()
    for path in out.rglob("*"):
        if path.suffix in (".html", ".csv", ".json"):
            places[str(path.relative_to(out))] = path.read_bytes()
        elif path.suffix == ".pdf":
            with pdfplumber.open(path) as pdf:
                places[str(path.relative_to(out))] = "\n".join(p.extract_text() or "" for p in pdf.pages).encode()
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                places[str(path.relative_to(out))] = b"".join(z.read(n) for n in z.namelist() if n.endswith(".xml"))
            wb = load_workbook(path)
            places[f"{path.name}:cells"] = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None).encode()
    assert any(p.endswith(".pdf") for p in places) and any(p.endswith(".xlsx") for p in places)
    assert any(b"112-***-*** **" in data for data in places.values())  # the masked form is there: the grep reads real text
    leaks = [(secret, place) for secret in SECRETS for place, data in places.items() for form in _forms(secret) if form in data]
    assert not leaks, leaks
