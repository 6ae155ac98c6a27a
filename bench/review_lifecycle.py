"""Benchmark: what the life of findings and the review decisions add to a month's reports.

    .venv/bin/python bench/review_lifecycle.py [--orgs 2000] [--months 3]

Fills a temporary SQLite database with synthetic stored checks (``bench/report_render.py``'s
generator: statuses drawn afresh each month, so nearly every failure is new, fixed or regressed —
the worst case for the lifecycle) and times, in the same run, loading the month (the baseline every
report pays), then ``reports.lifecycle`` with the decisions, then the department and regional views.
Prints seconds and each step's ratio to the loading.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import report_render  # noqa: E402

from reports import data, review_view  # noqa: E402
from storage import db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--months", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sveden-bench-") as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        report_render.fill(url, args.orgs, report_render.months_list(args.months))
        factory = db.open_database(url)
        try:
            with factory() as session:
                t = time.perf_counter()
                ds = data.load_dataset(session)
                load = time.perf_counter() - t
                t = time.perf_counter()
                view = review_view.load(session, ds)
                life = time.perf_counter() - t
                t = time.perf_counter()
                for muni in ds.municipalities:
                    review_view.department(ds, view, muni, {})
                review_view.regional(ds, view, {})
                views = time.perf_counter() - t
        finally:
            factory.kw["bind"].dispose()
    print(f"organizations {len(ds.scope)}, months {len(ds.months)}, failed pairs with a state {len(view.life.pairs)}, fixes {len(view.life.fixes)}")
    print(f"load_dataset (baseline) {load:.2f} s")
    print(f"lifecycle + decisions   {life:.2f} s  ({life / load:.2f}× the loading)")
    print(f"department + regional   {views:.2f} s  ({views / load:.2f}× the loading)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
