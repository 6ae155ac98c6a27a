"""``sveden report``: the month's reports as one static folder, ready to publish and to open offline.

    DIR/index.html                    regional report
    DIR/departments/<slug>.html|pdf   one per municipality (МОУО)
    DIR/schools/<org id>.html|pdf     one per organization with a result in the month
    DIR/export/sveden-YYYY-MM.xlsx    «Сводка», «Организации × подразделы», «Нарушения», «Параметры»
    DIR/export/*.csv, sveden-YYYY-MM.json   the same tables

Every page is self-contained (inline CSS, inline SVG charts, one small inline script for
sorting tables, no external resources).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from reports import data, exports, monthly, summary, template_defects
from reports import review_view
from reports.decisions import applied_decisions
from reports.assets import org_filename, unique_slugs
from reports.personal import previous_hashes as personal_previous_hashes
from reports.school import render_html as render_school

FORMATS = ("html", "xlsx", "csv", "json", "pdf")
DEFAULT_FORMATS = ("html", "xlsx", "csv", "json")
PARTS = ("regional", "departments", "schools")
FORK_MIN_SCHOOLS = 200  # below it a build takes seconds: forking would not pay for itself




@dataclass
class BuildResult:
    month: str
    out_dir: Path
    regional: Path | None = None
    departments: list[Path] = field(default_factory=list)
    schools: list[Path] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    organizations: int = 0
    checked: int = 0


def default_parts(municipalities: Sequence[str], org_ids: Sequence[str]) -> tuple[str, ...]:
    if org_ids:
        return ("schools",)
    if municipalities:
        return ("departments", "schools")
    return PARTS


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_reports(
    db_url: str | None,
    out_dir: Path | str,
    month: str | None = None,
    municipalities: Sequence[str] = (),
    org_ids: Sequence[str] = (),
    formats: Sequence[str] = DEFAULT_FORMATS,
    parts: Sequence[str] | None = None,
    generated_at: datetime | None = None,
    progress: TextIO | None = None,
) -> BuildResult:
    """Load the month from the database and write the reports; raises :class:`data.ReportError`.

    ``progress``: a stream (the CLI's stderr) where PDF rendering reports how far it is.
    """
    from storage import db  # noqa: PLC0415

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise data.ReportError(f"неизвестный формат: {', '.join(unknown)}; есть: {', '.join(FORMATS)}")
    formats = tuple(dict.fromkeys(formats))
    parts = tuple(parts) if parts is not None else default_parts(municipalities, org_ids)
    out = Path(out_dir)
    generated_at = generated_at or datetime.now(UTC)
    if "pdf" in formats:
        from reports import pdf  # noqa: PLC0415

        try:
            pdf.check_available()
        except pdf.PdfUnavailable as exc:
            raise data.ReportError(str(exc)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise data.ReportError(f"не удалось создать каталог {out}: {exc.strerror or exc}") from None

    session_factory = db.open_database(db_url)
    try:
        with session_factory() as session:
            return _build(session, out, month, municipalities, org_ids, formats, parts, generated_at, progress, db_url)
    except OSError as exc:
        raise data.ReportError(f"не удалось записать отчёт в {out}: {exc.strerror or exc}") from None
    finally:
        session_factory.kw["bind"].dispose()


def _build(session, out: Path, month, municipalities, org_ids, formats, parts, generated_at, progress=None, db_url=None) -> BuildResult:  # noqa: ANN001
    t0 = time.perf_counter()
    template_defects.settings()  # a bad SVEDEN_TEMPLATE_DEFECT_* is a Russian error before anything is written
    ds = data.load_dataset(session, month, municipalities, org_ids)
    trend = summary.trend(ds)
    result = BuildResult(ds.month, out, organizations=len(ds.scope), checked=trend.region[ds.month].checked)
    result.timings["load"] = time.perf_counter() - t0

    slugs = unique_slugs(sorted({o.municipality for o in ds.orgs.values()}))
    files = {o: org_filename(o) for o in ds.scope}
    html = "html" in formats
    links = monthly.Links(regional="regional" in parts and html, departments="departments" in parts and html, schools="schools" in parts and html)
    no_links = monthly.Links(False, False, False)
    pdf_jobs: list[tuple[str, Path]] = []
    pdf_progress = None
    if "pdf" in formats and progress is not None:
        from reports import pdf  # noqa: PLC0415

        total = (len(ds.municipalities) if "departments" in parts else 0) + (sum(o in ds.current for o in ds.scope) if "schools" in parts else 0)
        if total:
            pdf_progress = pdf.Progress(total, progress, workers=min(pdf.default_workers(), total))
            pdf_progress.start()

    wanted = [f for f in formats if f in ("xlsx", "csv", "json")]
    forked, own = _fork(db_url, ds, trend, out, files, slugs, formats, parts, links, wanted, generated_at)
    with forked or contextlib.nullcontext():  # an error here stops the children
        # The life of each finding and the reviewers' decisions, for the regional and department reports.
        view = review_view.load(session, ds) if {"regional", "departments"} & set(parts) else None
        if "regional" in parts and html:
            t = time.perf_counter()
            result.regional = _write(out / "index.html", monthly.render_regional(ds, trend, files, slugs, links, generated_at, template_defects.find(session, ds),
                                                                                  review=review_view.regional(ds, view, slugs)))
            result.timings["regional"] = time.perf_counter() - t

        if "departments" in parts and ("html" in formats or "pdf" in formats):
            t = time.perf_counter()
            changes = data.item_changes(session, ds)
            for muni in ds.municipalities:
                name = slugs[muni]
                review = review_view.department(ds, view, muni, files)  # leads with what changed, overdue included
                if html:
                    result.departments.append(_write(out / "departments" / f"{name}.html", monthly.render_department(ds, trend, muni, changes, files, links, generated_at, review=review)))
                if "pdf" in formats:
                    pdf_jobs.append((monthly.render_department(ds, trend, muni, changes, files, no_links, generated_at, interactive=False, review=review), out / "departments" / f"{name}.pdf"))
            result.timings["departments"] = time.perf_counter() - t

        if "schools" in parts and ("html" in formats or "pdf" in formats):
            t = time.perf_counter()
            school_pdfs = _schools(session, ds, out, files, slugs, formats, links, result, only=own)
            if "pdf" in formats:
                from reports import pdf  # noqa: PLC0415

                result.pdfs += pdf.write_many(itertools.chain(pdf_jobs, school_pdfs), progress=pdf_progress)
                pdf_jobs = []
            else:
                collections.deque(school_pdfs, maxlen=0)  # run the generator: it writes the HTML pages
            if forked is not None:  # the other chunks, in the order of the scope; the exports beside them
                done = forked.results()
                result.schools += [Path(p) for name, paths in done.items() if name != "exports" for p in paths]
                result.exports = [Path(p) for p in done.get("exports", [])]
            result.timings["schools"] = time.perf_counter() - t
        if pdf_jobs:
            from reports import pdf  # noqa: PLC0415

            result.pdfs += pdf.write_many(pdf_jobs, progress=pdf_progress)

        if wanted and forked is None:
            t = time.perf_counter()
            result.exports = exports.write_exports(session, ds, trend, out, wanted, generated_at)
            result.timings["exports"] = time.perf_counter() - t
        result.timings["total"] = time.perf_counter() - t0
        return result


def _fork(db_url, ds, trend, out, files, slugs, formats, parts, links, wanted, generated_at):  # noqa: ANN001, ANN202
    """Chunks of the school pages, and the exports, in forked processes (reports.parallel) when the
    build is big enough to gain from it; returns (the children or None, the schools left to this process)."""
    from reports import parallel  # noqa: PLC0415

    schools = [o for o in ds.scope if o in ds.current] if "schools" in parts and "html" in formats else []
    workers = parallel.report_workers()
    if "pdf" in formats or workers < 2 or len(schools) < FORK_MIN_SCHOOLS or not parallel.can_fork():
        return None, None
    size = -(-len(schools) // workers)
    chunks = [schools[i:i + size] for i in range(0, len(schools), size)]
    tasks = {f"schools {i}": lambda chunk=chunk: _school_chunk(db_url, ds, out, files, slugs, formats, links, chunk) for i, chunk in enumerate(chunks[1:])}
    if wanted:
        tasks["exports"] = lambda: _in_own_session(db_url, lambda session: exports.write_exports(session, ds, trend, out, wanted, generated_at))
    return parallel.Forked(tasks), chunks[0]


def _in_own_session(db_url, work):  # noqa: ANN001, ANN202
    """``work(session)`` on a connection of its own (in a forked child: never the parent's); paths as text."""
    from storage import db  # noqa: PLC0415

    session_factory = db.open_database(db_url)
    with session_factory() as session:
        return [str(p) for p in work(session)]


def _school_chunk(db_url, ds, out, files, slugs, formats, links, orgs) -> list[str]:  # noqa: ANN001
    def write(session):  # noqa: ANN001, ANN202
        part = BuildResult(ds.month, out)
        collections.deque(_schools(session, ds, out, files, slugs, formats, links, part, only=orgs), maxlen=0)
        return part.schools

    return _in_own_session(db_url, write)


def _schools(session, ds: data.Dataset, out: Path, files: dict[str, str], slugs: dict[str, str], formats, links: monthly.Links,  # noqa: ANN001
             result: BuildResult, only: Sequence[str] | None = None) -> Iterator[tuple[str, Path]]:
    """Write the school pages (HTML) of the scope (or of ``only``); yields the (page, path) of each PDF
    to make, one at a time."""
    from storage import repository  # noqa: PLC0415

    with_result = [o for o in (ds.scope if only is None else only) if o in ds.current]
    prev_ids = {ds.previous[o].id: o for o in with_result if o in ds.previous and ds.previous[o].checked}
    prev_fails = data.previous_fails(session, prev_ids)
    prev_by_org = {o: prev_fails.get(cid, []) for cid, o in prev_ids.items()}
    seen = personal_previous_hashes(session, prev_ids)  # «Возможно, лишнее»: still there since last month?
    docs = repository.load_check_jsons(session, [ds.current[o].id for o in with_result])
    applied = applied_decisions(session, ds, with_result)
    for o, (_, doc) in zip(with_result, docs, strict=True):
        previous = {"items": [{"rule": code, "status": "fail"} for code in prev_by_org[o]]} if o in prev_by_org else None
        org = ds.orgs[o]
        decided = review_view.school_decisions(applied, o)  # the reviewers' decisions beside the verdicts
        if "html" in formats:
            href = f"../departments/{slugs[org.municipality]}.html" if links.departments else ""
            page = render_school(doc, previous, {**monthly.org_dict(org, href), "decisions": decided, "personal_seen": seen.get(o)})
            result.schools.append(_write(out / "schools" / f"{files[o]}.html", page))
        if "pdf" in formats:
            yield render_school(doc, previous, {**monthly.org_dict(org), "decisions": decided, "personal_seen": seen.get(o)}, for_pdf=True), out / "schools" / f"{files[o]}.pdf"
