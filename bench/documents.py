"""What reading the documents costs the monthly run (issue 13): `sveden crawl` on the farm with the
document facts off (HEAD probes only, ``SVEDEN_DOCUMENTS=false``) and on (each linked document
downloaded, sniffed and read), alternated in the same run on the same machine; target ≤ 1.3×.
The next month of the «on» database is measured too: unchanged documents answer 304 or keep their hash.

    .venv/bin/python bench/documents.py [--sites 120] [--rounds 2] [--json]

Each run: a fresh SQLite database, the farm's registry imported, one monthly run (no bus.gov.ru)
in a child process; wall seconds, CPU seconds and peak RSS of the crawl process, the documents
read (artifact stats) and the farm's requests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from farmkit import database, emit, import_registry, run_sveden  # noqa: E402

SETTINGS = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=8", "RETRY_TIMES=1", "CONCURRENT_REQUESTS=96"]


def crawl(farm, db_url: str, month: str, documents: bool) -> dict:
    hits_before = sum(farm.server.hits.values())
    sets = [*SETTINGS, f"SVEDEN_DOCUMENTS={'true' if documents else 'false'}"]
    out = run_sveden(["crawl", "--month", month, "--no-busgov", *[a for s in sets for a in ("--set", s)]], db_url, timeout=3600)
    if "Проверено организаций" not in out["stdout"]:
        raise SystemExit(out["stdout"])
    return {"seconds": round(out["seconds"], 2), "cpu": round(out["cpu"], 2), "rss_mb": round(out["rss_mb"]), "requests": sum(farm.server.hits.values()) - hits_before}


def documents_read(db_url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from storage import db
    from storage.models import DocumentFact

    session_factory = db.open_database(db_url)
    try:
        with session_factory() as session:
            return {"documents_kept": session.scalar(select(func.count()).select_from(DocumentFact)) or 0}
    finally:
        session_factory.kw["bind"].dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from testbed.farm import generate, serve

    runs: dict[str, list[dict]] = {"off": [], "on": [], "next_month": []}
    with serve(generate(args.sites, seed=args.seed)) as farm:
        for _ in range(args.rounds):  # alternated, so a busy neighbour weighs on both
            for mode in ("off", "on"):
                with database("sqlite") as db_url:
                    import_registry(farm, db_url)
                    runs[mode].append(crawl(farm, db_url, "2026-01", mode == "on"))
                    if mode == "on":
                        runs[mode][-1].update(documents_read(db_url))
                        runs["next_month"].append(crawl(farm, db_url, "2026-02", True))

    def mean(mode: str, key: str) -> float:
        return sum(r[key] for r in runs[mode]) / len(runs[mode])

    result = {
        "sites": args.sites,
        "runs": runs,
        "ratio_on_off": round(mean("on", "seconds") / mean("off", "seconds"), 3),
        "ratio_next_month_off": round(mean("next_month", "seconds") / mean("off", "seconds"), 3),
        "cpu_ratio_on_off": round(mean("on", "cpu") / mean("off", "cpu"), 3),
    }
    if args.json:
        emit(result, True)
        return
    for mode in ("off", "on", "next_month"):
        print(f"{mode:>10}: {mean(mode, 'seconds'):.1f} s wall, {mean(mode, 'cpu'):.1f} s CPU, peak RSS {mean(mode, 'rss_mb'):.0f} MB, {mean(mode, 'requests'):.0f} requests")
    print(f"documents on/off: {result['ratio_on_off']:.2f}× wall, {result['cpu_ratio_on_off']:.2f}× CPU (target ≤ 1.3×); "
          f"next month with the kept facts: {result['ratio_next_month_off']:.2f}× of off; documents kept: {runs['on'][0].get('documents_kept', 0)}")


if __name__ == "__main__":
    main()
