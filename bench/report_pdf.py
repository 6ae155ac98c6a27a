"""Benchmark: school reports as PDF — serial against parallel, what to fix against everything.

    .venv/bin/python bench/report_pdf.py [--schools 24] [--seed 5] [--workers N] [--db URL --month YYYY-MM]

Without ``--db`` it serves a farm of ``--schools`` school sites (default faults and defects),
crawls one month of them with ``sveden crawl`` into a temporary SQLite database and takes the
stored checks from there; with ``--db`` it takes a month of an existing database (the demo's).
Then, in the same run, with the school reports already rendered to HTML:

- ``serial``: every school PDF in this process, one after another (``reports.pdf.write_many``
  with one worker) — the baseline;
- ``parallel``: the same PDFs in ``--workers`` processes (default: one per core, as
  ``sveden report --format pdf`` does);
- ``full``: the same schools, serially, with every finding listed (the page a browser prints,
  ``for_pdf=False``) — what the PDF cost before it showed only what to fix.

Printed: seconds per PDF, pages per PDF, the ratios to the serial baseline and the estimate for
2,000 schools. Nothing leaves the machine; the temporary files are deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETTINGS = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=4", "RETRY_TIMES=0", "CONCURRENT_REQUESTS=64",
            "SVEDEN_SITE_TIME_BUDGET=30"]
MONTH = "2026-01"


def crawl_farm(n: int, seed: int, db_url: str, tmp: Path) -> str:
    """One monthly run over a farm of ``n`` school sites into ``db_url``; returns the month."""
    from testbed.farm import generate, serve

    with serve(generate(n, seed=seed, types=["school"], hang_seconds=10)) as farm:
        env = {**os.environ, "SVEDEN_DATABASE_URL": db_url, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
        (tmp / "registry.csv").write_text(farm.registry_csv(), encoding="utf-8")
        cli = [sys.executable, "-m", "sveden.cli"]
        subprocess.run([*cli, "registry", "import", str(tmp / "registry.csv")], env=env, check=True, capture_output=True)
        crawl = [*cli, "crawl", "--month", MONTH, "--no-busgov", *[a for s in SETTINGS for a in ("--set", s)]]
        proc = subprocess.run(crawl, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(proc.stdout + proc.stderr[-3000:])
    return MONTH


def school_pages(db_url: str, month: str | None, for_pdf: bool) -> tuple[str, list[tuple[str, str]]]:
    """(month, [(org id, school report HTML)]) of every organization with a result in the month."""
    from reports import data, monthly
    from reports.school import render_html
    from storage import db, repository

    session_factory = db.open_database(db_url)
    try:
        with session_factory() as session:
            ds = data.load_dataset(session, month)
            ids = [o for o in ds.scope if o in ds.current]
            docs = repository.load_check_jsons(session, [ds.current[o].id for o in ids])
            pages = [(o, render_html(doc, None, monthly.org_dict(ds.orgs[o]), for_pdf=for_pdf)) for o, (_, doc) in zip(ids, docs, strict=True)]
            return ds.month, pages
    finally:
        session_factory.kw["bind"].dispose()


def measure(pages: list[tuple[str, str]], out: Path, workers: int) -> dict[str, Any]:
    from reports import pdf

    counts: list[int] = []
    t0 = time.perf_counter()
    pdf.write_many(((html, out / f"{o}.pdf") for o, html in pages), workers=workers, progress=lambda _done, n: counts.append(n))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "per_pdf": seconds / len(pages), "pages": sum(counts), "per_page": seconds / max(sum(counts), 1),
            "max_pages": max(counts), "over_5": sum(n > 5 for n in counts)}


def main() -> int:
    from reports import pdf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=24, help="farm sites to crawl (without --db)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0, help="processes of the parallel run (default: one per core)")
    parser.add_argument("--db", help="take the checks from this database instead of crawling a farm")
    parser.add_argument("--month", help="the month of --db (default: its last finished run)")
    args = parser.parse_args()
    workers = args.workers or pdf.default_workers()
    with tempfile.TemporaryDirectory(prefix="sveden-bench-pdf-") as tmp_name:
        tmp = Path(tmp_name)
        db_url, month = args.db, args.month
        if not db_url:
            db_url = f"sqlite:///{tmp / 'farm.sqlite'}"
            t0 = time.perf_counter()
            month = crawl_farm(args.schools, args.seed, db_url, tmp)
            print(f"ферма: {args.schools} школ обойдено за {time.perf_counter() - t0:.1f} с", flush=True)
        t0 = time.perf_counter()
        month, fix_pages = school_pages(db_url, month, for_pdf=True)
        html_seconds = time.perf_counter() - t0
        _, full_pages = school_pages(db_url, month, for_pdf=False)
        n = len(fix_pages)
        print(f"{month}: школьных отчётов {n}; HTML для PDF за {html_seconds:.1f} с ({html_seconds / n * 1000:.0f} мс на отчёт)", flush=True)
        runs = {
            "serial": measure(fix_pages, tmp / "serial", 1),
            "parallel": measure(fix_pages, tmp / "parallel", workers),
            "full": measure(full_pages, tmp / "full", 1),
        }
    base = runs["serial"]
    print(f"\n{'прогон':<10} {'процессов':>9} {'всего, с':>9} {'с на PDF':>9} {'стр./PDF':>9} {'макс. стр.':>10} {'> 5 стр.':>8} {'к serial':>9}")
    for name, r in runs.items():
        procs = workers if name == "parallel" else 1
        print(f"{name:<10} {procs:>9} {r['seconds']:>9.2f} {r['per_pdf']:>9.3f} {r['pages'] / n:>9.1f} {r['max_pages']:>10} {r['over_5']:>8} "
              f"{r['seconds'] / base['seconds']:>8.2f}×")
    par = runs["parallel"]
    print(f"\nускорение параллельного прогона: {base['seconds'] / par['seconds']:.2f}× на {workers} процессах (ядер: {os.cpu_count()})")
    print(f"PDF «что исправить» против PDF со всеми пунктами: {runs['full']['pages'] / base['pages']:.1f}× меньше страниц, "
          f"{runs['full']['seconds'] / base['seconds']:.1f}× быстрее")
    print(f"оценка для 2 000 школ: {2000 * par['per_pdf'] / 60:.1f} мин параллельно, {2000 * base['per_pdf'] / 60:.1f} мин последовательно, "
          f"{2000 * runs['full']['per_pdf'] / 60:.1f} мин со всеми пунктами")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
