"""PDF reports that fit the page and say what to fix.

Farm sites that together show every kind of defect the farm makes (subsections answering 500, in
a redirect loop, missing or without markup; documents answering 404 or 500; missing, empty,
misnamed, misplaced items…), one without the section and one that is not checked, are crawled
by a real monthly run (``sveden crawl`` in a subprocess) and rendered by ``sveden report
--format pdf``. The PDFs are read back with pdfplumber: every character — the column headers and
the fix texts among them — lies within the page on every page, a school PDF has at most five
pages and lists what to fix (not the passed items), the department report fills its first page.
The school report of the site with a 500 subsection is photographed (HTML in headless Chromium,
PDF page 2 with pdftoppm) into ``test-artifacts/`` for CI to keep.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from cikit import needed
from test_reports import pdf_available, require_chromium, run_chromium

from testbed.farm import generate
from testbed.farm import serve as serve_farm

try:
    import pdfplumber
except ImportError:  # a test dependency (pip install -e '.[test]'); CI has it
    pdfplumber = None

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
MONTH = "2026-10"
CITY = "Город"
SETTINGS = ["--no-busgov", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0",
            "--set", "DOWNLOAD_TIMEOUT=4", "--set", "SVEDEN_SITE_TIME_BUDGET=60", "--set", "SVEDEN_PROBE_OFFSITE=false"]
# Every content defect of the farm (docs/farm.md) must be among the sites rendered.
DEFECT_KINDS = {"missing", "empty", "legacy", "legacy_itemtype", "no_parent_markup", "outside", "elsewhere", "doc_404", "doc_500",
                "statement", "section_missing", "section_500", "section_loop", "section_unmarked"}
FARM_SIZE, SEED = 120, 3
FORCED = {FARM_SIZE - 2: ["no_sveden"], FARM_SIZE - 1: ["http_5xx"]}
MAX_SCHOOL_PAGES = 5

pytestmark = [pytest.mark.slow]


def need(tool: str | None, what: str) -> str:
    """The tool's path; a skip off CI when it is missing, a failure in CI (.ci/run installs it)."""
    needed(None if tool else "not installed here", what)
    return tool


def kinds(site) -> set[str]:
    return {d["kind"] for d in site.defects}


def cover(farm) -> list[int]:
    """Few sites that together have every defect kind (greedy set cover, deterministic)."""
    left, chosen = set(DEFECT_KINDS), []
    candidates = [s for s in farm.sites if s.index not in FORCED]
    while left:
        best = max(candidates, key=lambda s: (len(kinds(s) & left), -s.index))
        assert kinds(best) & left, f"the farm (seed {SEED}, {FARM_SIZE} sites) makes no site with {sorted(left)}"
        chosen.append(best.index)
        left -= kinds(best)
    return chosen


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    problem = pdf_available()
    if problem:
        need(None, f"WeasyPrint for PDF ({problem})")
    if pdfplumber is None:
        need(None, "pdfplumber (a test dependency: pip install -e '.[test]')")
    tmp = tmp_path_factory.mktemp("report_pdf")
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp / 'pdf.sqlite'}"}
    farm = generate(FARM_SIZE, SEED, types=["school"], faults=None, site_faults=FORCED, hang_seconds=10)
    chosen = [*cover(farm), *FORCED]
    with serve_farm(farm):
        rows = [{**farm.sites[i].registry_row(), "municipality": CITY} for i in chosen]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        (tmp / "registry.csv").write_text(buf.getvalue(), encoding="utf-8")
        cli = [sys.executable, "-m", "sveden.cli"]
        imported = subprocess.run([*cli, "registry", "import", str(tmp / "registry.csv")], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        crawl = subprocess.run([*cli, "crawl", "--month", MONTH, *SETTINGS], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
        assert crawl.returncode == 0, crawl.stdout + crawl.stderr[-3000:]
    out = tmp / "out"
    report = subprocess.run([*cli, "report", "--month", MONTH, "--format", "pdf", "--format", "html", "-o", str(out)],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert report.returncode == 0, report.stdout + report.stderr[-3000:]

    from storage import db, repository
    from storage.models import Check, Run

    session_factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    with session_factory() as session:
        run = session.scalars(select(Run).where(Run.kind == "monthly", Run.month == MONTH)).one()
        docs = {c.org_id: repository.load_check_json(session, c.id) for c in session.scalars(select(Check).where(Check.run_id == run.id))}
    session_factory.kw["bind"].dispose()
    sites = {farm.sites[i].org_id: farm.sites[i] for i in chosen}
    return {"out": out, "report": report, "docs": docs, "sites": sites, "kinds": {o: kinds(s) for o, s in sites.items()}}


def squeeze(text: str) -> str:
    """Text compared across line breaks and hyphenation: no whitespace, no hyphens."""
    return re.sub(r"[\s\-\u00ad\u2010]+", "", text)


FIX_HEADER = ["Основание", "и", "как", "исправить"]


def pdf_pages(path: Path) -> list[dict]:
    """Each page's size, characters, words and text; ``fix_column``: the text under the header
    «Основание и как исправить» (the table's last column), read on its own."""
    pages = []
    with pdfplumber.open(path) as doc:
        for p in doc.pages:
            words = p.extract_words()
            starts = [w["x0"] for i, w in enumerate(words) if [x["text"] for x in words[i:i + 4]] == FIX_HEADER]
            column = p.crop((min(starts) - 1, 0, p.width, p.height)).extract_text() if starts else ""
            pages.append({"width": p.width, "height": p.height, "chars": p.chars, "words": words, "text": p.extract_text() or "",
                          "fix_column": column or ""})
    return pages


def test_the_sites_show_every_defect_and_outcome(world):
    assert set().union(*world["kinds"].values()) >= DEFECT_KINDS
    outcomes = {doc["outcome"] for doc in world["docs"].values()}
    assert {"ok", "no_sveden_section", "http_error"} <= outcomes, outcomes
    assert set(world["docs"]) == set(world["sites"])


def test_every_pdf_keeps_its_text_within_the_page(world):
    pdfs = sorted(world["out"].glob("**/*.pdf"))
    assert len(pdfs) == len(world["docs"]) + 1  # the schools and one department
    for path in pdfs:
        for n, page in enumerate(pdf_pages(path), 1):
            outside = [c for c in page["chars"] if c["x0"] < -0.5 or c["x1"] > page["width"] + 0.5 or c["bottom"] > page["height"] + 0.5]
            assert not outside, f"{path.name} page {n}: «{''.join(c['text'] for c in outside[:40])}» beyond the page (x1 up to {max(c['x1'] for c in outside):.0f} > {page['width']:.0f})"


def test_column_headers_and_fix_texts_are_on_the_page(world):
    from reports.render import rule_fix

    for org, doc in world["docs"].items():
        pages = pdf_pages(world["out"] / "schools" / f"{org}.pdf")
        text = squeeze("".join(p["text"] for p in pages))
        fixes = squeeze("".join(p["fix_column"] for p in pages))
        shown = [i for i in doc["items"] if i["status"] == "fail" and any(s["slug"] == i["section"] and s["found"] for s in doc["sections"])]
        for item in shown:  # every failed item of a subsection that exists: its code, and how to fix it in its column
            assert item["rule"] in text and squeeze(rule_fix(item["rule"])) in fixes, (org, item["rule"])
        if not shown:
            continue
        headers = 0
        for page in pages:
            words = page["words"]
            for i, w in enumerate(words):
                if [x["text"] for x in words[i:i + 4]] == FIX_HEADER:
                    headers += 1
                    assert words[i + 3]["x1"] <= page["width"] and w["x0"] >= 0, (org, w)
                    header_line = [x for x in words if abs(x["top"] - w["top"]) < 2]
                    assert [x["text"] for x in header_line][:1] == ["Код"], (org, [x["text"] for x in header_line])
                    assert max(x["x1"] for x in header_line) <= page["width"]
        assert headers >= 1, org


def test_school_pdfs_are_short_and_list_only_what_to_fix(world):
    for org, doc in world["docs"].items():
        pages = pdf_pages(world["out"] / "schools" / f"{org}.pdf")
        assert len(pages) <= MAX_SCHOOL_PAGES, f"{org} ({sorted(world['kinds'][org])}): {len(pages)} pages"
        text = "\n".join(p["text"] for p in pages)
        codes = set(re.findall(r"\b[A-Z]{3}\d{3}\b", text))
        quiet = {i["rule"] for i in doc["items"] if i["status"] in ("pass", "not_applicable")}
        assert not codes & quiet, (org, sorted(codes & quiet))  # passed and not applicable items are counts, not rows
        if doc["reachable"]:
            counts = doc["counts"]
            assert f"Выполнено {counts.get('pass', 0)} " in text.replace("\n", " ")
    unchecked = next(o for o, d in world["docs"].items() if not d["reachable"])
    assert len(pdf_pages(world["out"] / "schools" / f"{unchecked}.pdf")) == 1


def test_department_pdf_fills_its_first_page(world):
    pages = pdf_pages(world["out"] / "departments" / "gorod.pdf")
    first = pages[0]
    words = {w["text"] for w in first["words"]}
    assert "Организации" in first["text"] and {"Организация", "Результат"} <= words  # the schools table begins on page 1
    if len(pages) > 1:  # the schools table starts on page 1 and the page is used to its end
        assert max(c["bottom"] for c in first["chars"]) > first["height"] * 0.8


def test_pdf_rendering_reports_progress(world):
    lines = [line for line in world["report"].stderr.splitlines() if line.startswith("PDF:")]
    n = len(world["docs"]) + 1
    assert lines and "\r" not in world["report"].stderr  # plain lines when stderr is not a terminal
    assert lines[-1].startswith(f"PDF: {n} из {n} (100 %), страниц ") and "готово за" in lines[-1], lines


def test_screenshots_of_the_school_report_with_a_500_subsection(world, tmp_path):
    """HTML in headless Chromium and page 2 of the PDF, kept by CI as artifacts."""
    org = max((o for o, k in world["kinds"].items() if "section_500" in k), key=lambda o: len(world["sites"][o].defects))
    html, pdf = world["out"] / "schools" / f"{org}.html", world["out"] / "schools" / f"{org}.pdf"
    assert len(pdf_pages(pdf)) >= 2
    chromium = require_chromium()
    pdftoppm = need(shutil.which("pdftoppm"), "pdftoppm (Debian package «poppler-utils»)")
    ARTIFACTS.mkdir(exist_ok=True)
    shot, page2 = ARTIFACTS / "school-report-500.png", ARTIFACTS / "school-report-500-pdf-page2.png"
    for path in (shot, page2):
        path.unlink(missing_ok=True)
    proc = run_chromium(chromium, html.as_uri(), tmp_path, "--hide-scrollbars", "--window-size=1100,1800", f"--screenshot={shot}")
    assert proc.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, proc.stderr[-2000:]
    proc = subprocess.run([pdftoppm, "-f", "2", "-l", "2", "-r", "80", "-png", "-singlefile", str(pdf), str(page2.with_suffix(""))],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and page2.exists() and page2.stat().st_size > 10_000, proc.stderr[-2000:]


# --- the pieces ------------------------------------------------------------------------------


def test_short_url_keeps_both_ends():
    from reports.render import short_url

    assert short_url("http://school.example/sveden/common/") == "school.example/sveden/common/"
    long = "https://school.example/upload/iblock/64d/" + "a" * 80 + "/vypiska_licenzia.docx"
    shown = short_url(long)
    assert len(shown) == 64 and shown.startswith("school.example/upload/") and shown.endswith("licenzia.docx") and "…" in shown


def test_plural():
    from reports.render import plural

    forms = ("пункт", "пункта", "пунктов")
    assert [plural(n, *forms) for n in (1, 2, 5, 11, 12, 21, 22, 25, 111, 0)] == [
        "пункт", "пункта", "пунктов", "пунктов", "пунктов", "пункт", "пункта", "пунктов", "пунктов", "пунктов"]


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_updates_one_line_on_a_terminal_and_writes_lines_otherwise():
    from reports.pdf import Progress

    term = _Stream(True)
    p = Progress(3, term, workers=2)
    p.start()
    for done in (1, 2, 3):
        p(done, 2)
    text = term.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "PDF: 3 из 3 (100 %), страниц 6" in text.rsplit("\r", 1)[1]
    log = _Stream(False)
    p = Progress(3, log, every=3600)
    p.start()
    for done in (1, 2, 3):
        p(done, 1)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 2  # the start and the end; nothing in between within the hour
    assert lines[0] == "PDF: рисую 3…" and lines[1].startswith("PDF: 3 из 3 (100 %), страниц 3")
