"""The cost curve of a monthly run end to end (issue 19, part 2).

    .venv/bin/python bench/cost_curve.py [--sizes 250,500,1000,2000] [--db sqlite,postgres] [--seed 11]
                                         [--workers N [--redis URL]] [--json]

For each size and database, on a farm served from this process, politeness off (bench/limit.py's
settings; the farm's default faults, timeouts included): registry import, ``sveden crawl``
(crawl, judge, store), ``sveden report`` (regional, department and school HTML, XLSX). Printed:
seconds of each step, peak RSS of the crawl, seconds per site and its ratio to the smallest size
(linear: ≈ 1.0), and whether the largest size is within the 10-minute target.

``--workers N``: the crawl is ``sveden crawl --redis URL --workers N`` — the run's organizations go
through Redis to the coordinator and N local ``sveden worker`` processes (a Scrapy process is one
core; this machine has two). Their CPU and the largest one's peak RSS are printed as well.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import farmkit  # noqa: E402
from limit import FAST, MONTH, crawl_args  # noqa: E402

TARGET_SECONDS = 600


def end_to_end(n: int, seed: int, db: str, workers: int = 0, redis_url: str = "") -> dict:
    import os
    import time
    import uuid

    from testbed.farm import generate, serve

    args = crawl_args(FAST)
    if workers:
        namespace = os.environ["SVEDEN_REDIS_NAMESPACE"] = f"sveden-bench-{uuid.uuid4().hex[:8]}"
        args += ["--redis", redis_url, "--workers", str(workers), "--idle-close", "3"]

    with serve(generate(n, seed=seed)) as farm, farmkit.database(db) as url, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        farmkit.import_registry(farm, url)
        registry = time.perf_counter() - t0
        farm.server.hits.clear()
        crawl = farmkit.run_sveden(args, url)
        pages = sum(farm.server.hits.values())
        report = farmkit.run_sveden(["report", "-o", tmp, "--month", MONTH, "--format", "html", "--format", "xlsx"], url)
    if workers:
        import redis

        client = redis.Redis.from_url(redis_url)
        client.delete(*client.keys(f"{namespace}:*") or ["-"])
    total = registry + crawl["seconds"] + report["seconds"]
    return {"sites": n, "db": db, "workers": workers, "requests": pages, "registry_s": registry, "crawl_s": crawl["seconds"], "crawl_cpu": crawl["cpu"],
            "crawl_rss_mb": crawl["rss_mb"], "workers_cpu": crawl["children_cpu"], "workers_rss_mb": crawl["children_rss_mb"], "report_s": report["seconds"], "report_cpu": report["cpu"], "report_rss_mb": report["rss_mb"],
            "total_s": total, "per_site_s": total / n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="250,500,1000,2000")
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=0, help="local sveden worker processes beside the coordinator (Redis)")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    rows = []
    for db in args.db.split(","):
        base = None
        for n in sizes:
            r = end_to_end(n, args.seed, db, args.workers, args.redis)
            base = base or r["per_site_s"]
            r["per_site_ratio"] = r["per_site_s"] / base
            rows.append(r)
            if not args.json:
                print(f"{db:>8} {n:>5} sites: registry {r['registry_s']:5.1f} s, crawl {r['crawl_s']:6.1f} s ({r['requests']} requests, "
                      f"CPU {r['crawl_cpu']:.0f} s, peak RSS {r['crawl_rss_mb']:.0f} MB"
                      + (f"; {args.workers} local workers: CPU {r['workers_cpu']:.0f} s, peak RSS {r['workers_rss_mb']:.0f} MB" if args.workers else "")
                      + f"), reports {r['report_s']:5.1f} s "
                      f"(peak RSS {r['report_rss_mb']:.0f} MB) = {r['total_s']:6.1f} s, {r['per_site_s'] * 1000:.0f} ms/site "
                      f"(×{r['per_site_ratio']:.2f} of the smallest)", flush=True)
    largest = max(rows, key=lambda r: r["sites"])
    summary = {"settings": FAST, "workers": args.workers, "rows": rows, "target_seconds": TARGET_SECONDS,
               "largest_within_target": all(r["total_s"] <= TARGET_SECONDS for r in rows if r["sites"] == largest["sites"])}
    if args.json:
        farmkit.emit(summary, True)
    else:
        print(f"{largest['sites']} sites within {TARGET_SECONDS // 60} min: {'yes' if summary['largest_within_target'] else 'no'}")


if __name__ == "__main__":
    main()
