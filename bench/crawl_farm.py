"""Monitoring-run throughput and memory on the farm, as ratios against a smaller run (same machine, same run).

    .venv/bin/python bench/crawl_farm.py [--small 100] [--large 500]

Each size runs `sveden crawl` in a child process into a fresh SQLite database; the farm is served
from this process. Reported: organizations per minute, pages per second, peak RSS of the crawl
process, and the large/small ratios (memory should stay flat: nothing but the database grows).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# The crawl process reports its own peak RSS on exit (ru_maxrss of RUSAGE_SELF).
WRAPPER = (
    "import resource, runpy, sys\n"
    "sys.argv = ['sveden'] + sys.argv[1:]\n"
    "try:\n    runpy.run_module('sveden.cli', run_name='__main__')\n"
    "finally:\n    print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)
SETTINGS = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=8", "RETRY_TIMES=1", "CONCURRENT_REQUESTS=96"]


def measure(n: int, seed: int) -> dict:
    from testbed.farm import generate, serve

    with tempfile.TemporaryDirectory() as tmp, serve(generate(n, seed=seed)) as farm:
        # The farm is on 127.0.0.x: the crawl must be allowed to reach loopback (SSRF protection).
        env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite", "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
        (Path(tmp) / "r.csv").write_text(farm.registry_csv(), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "sveden.cli", "registry", "import", f"{tmp}/r.csv"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        crawl = ["crawl", "--month", "2026-01", "--no-busgov", *[a for s in SETTINGS for a in ("--set", s)]]
        proc = subprocess.run([sys.executable, "-c", WRAPPER, *crawl], env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        rss_kb = int(proc.stderr.rsplit("MAXRSS ", 1)[1].split()[0])
        pages = sum(farm.server.hits.values())
        if "Проверено организаций" not in proc.stdout:
            raise SystemExit(proc.stdout + proc.stderr[-3000:])
    return {"sites": n, "seconds": elapsed, "orgs_per_min": n / elapsed * 60, "pages": pages, "peak_rss_mb": rss_kb / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--large", type=int, default=500)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    small = measure(args.small, args.seed)
    large = measure(args.large, args.seed)
    for r in (small, large):
        pages = f", {r['pages'] / r['seconds']:.0f} requests/s" if r["pages"] else ""
        print(f"{r['sites']:>5} sites: {r['seconds']:.1f} s, {r['orgs_per_min']:.0f} orgs/min{pages}, peak RSS {r['peak_rss_mb']:.0f} MB")
    print(f"ratio large/small: time per site {large['seconds'] / large['sites'] / (small['seconds'] / small['sites']):.2f}, "
          f"peak RSS {large['peak_rss_mb'] / small['peak_rss_mb']:.2f} (sites ×{args.large / args.small:.0f})")


if __name__ == "__main__":
    main()
