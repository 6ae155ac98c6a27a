"""How close `sveden crawl` comes to the physical limit of the same work (issue 19, part 1).

    .venv/bin/python bench/limit.py [--sites 200] [--seed 11] [--db sqlite|postgres] [--rounds 1] [--no-profile] [--set KEY=VALUE ...] [--json]

In one invocation, on one farm served from this process (politeness off, as crawl_farm.py):

1. ``sveden crawl`` (crawl, extract, judge, store) of N farm sites; the farm logs every request
   it answers (method, URL, status);
2. the same request list replayed by a raw Scrapy spider (bench/replay_spider.py) that only
   fetches and parses HTML with lxml;
3. ``sveden report`` (HTML and XLSX) on that database;
   With ``--rounds N`` steps 1-3 run N times in turn on the same farm (each crawl into a fresh
   database, each replay of that crawl's own requests) and the median round is printed with the
   spread: the machine's speed drifts by a quarter within minutes, and one pair measures the drift too.
4. (unless --no-profile) the crawl again into a fresh database, sampled by pyinstrument: the
   shares of crawl, extraction, judging and storage in its busy (not idle) samples, applied to
   the CPU seconds of the unprofiled crawl process (the profiler's own overhead left out); helpers
   is the CPU of its helper processes (crawler.childprocs: the document readers, and with more than
   a few sites the page reader, where most of the extraction then is, and the store process, where
   the judging and storing then are), reports that of step 3.

Printed: pages/s of both and their ratio (target ≥ 0.8), CPU seconds per page by stage, peak RSS.
The farm's «timeout» and «slow» faults (a server that never answers, one that waits 0.5 s per
answer) are left out: they add the same fixed wait to both runs (the tail of the run), which
would only push the ratio towards 1; this measures throughput, bench/network.py the waits.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import farmkit  # noqa: E402

FAST = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=8", "RETRY_TIMES=1", "CONCURRENT_REQUESTS=96"]
MONTH = "2026-01"


def crawl_args(settings: list[str]) -> list[str]:
    return ["crawl", "--month", MONTH, "--no-busgov", *[a for s in settings for a in ("--set", s)]]


def replay(requests: list[list], settings: list[str]) -> dict:
    from crawler.settings import CONCURRENT_REQUESTS_PER_DOMAIN

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(requests, fh)
    sets = [*settings, f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENT_REQUESTS_PER_DOMAIN}"]
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(farmkit.BENCH / "replay_spider.py"), fh.name, *[a for s in sets for a in ("--set", s)]],
                          capture_output=True, text=True, cwd=farmkit.REPO, env=farmkit.bench_env(""))
    wall = time.perf_counter() - started
    Path(fh.name).unlink()
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall": wall}


def measure(n: int, seed: int, db: str, profile: bool, sets: list[str] | None = None, rounds: int = 1) -> dict:
    """``sets``: more Scrapy/sveden settings for the crawl (``--set``; the replay takes the same).
    ``rounds``: crawl and replay in turn that many times on the one farm (a fresh database each
    time); the ratio is the median round's, so that a drifting machine shows as a spread."""
    from testbed.farm import DEFAULT_FAULTS, generate, serve

    settings = [*FAST, *(sets or [])]
    faults = {k: v for k, v in DEFAULT_FAULTS.items() if k not in ("timeout", "slow")}
    out: dict = {"sites": n, "seed": seed, "db": db, "settings": settings}
    with serve(generate(n, seed=seed, faults=faults)) as farm:
        results = [_round(farm, db, settings) for _ in range(max(1, rounds))]
        ratios = [r["ratio"] for r in results]
        out.update(sorted(results, key=lambda r: r["ratio"])[len(results) // 2])  # the median round (the upper one of an even count)
        if len(results) > 1:
            out["rounds"] = [{"ratio": r["ratio"], "pipeline_seconds": r["pipeline"]["seconds"], "replay_seconds": r["replay"]["seconds"]} for r in results]
            out["ratio_min"], out["ratio_max"] = min(ratios), max(ratios)
        if profile:
            with farmkit.database(db) as url:
                farmkit.import_registry(farm, url)
                prof = farmkit.run_sveden(crawl_args(settings), url, profile=True)
            crawl_cpu, helpers_cpu, report_cpu = out["pipeline"]["crawl_process_cpu"], out["pipeline"]["helpers_cpu"], out["reports"]["cpu"]
            pages = out["requests"]
            sampled = {k: v for k, v in prof["stages"].items() if k not in ("idle", "top")}
            busy = sum(sampled.values()) or 1.0
            cpu = {k: v / busy * crawl_cpu for k, v in sampled.items()}
            cpu["helpers"] = helpers_cpu  # the helper processes (not sampled)
            cpu["reports"] = cpu.get("reports", 0.0) + report_cpu
            out["profile"] = {"sampled_seconds": {k: v for k, v in prof["stages"].items() if k != "top"}, "top": prof["stages"].get("top", []), "profiled_wall": prof["seconds"], "profiled_cpu": prof["cpu"],
                              "cpu_seconds": cpu, "cpu_ms_per_page": {k: 1000 * v / pages for k, v in cpu.items()}}
    return out


def _round(farm, db: str, settings: list[str]) -> dict:
    """One crawl of the farm into a fresh database, its reports, then the replay of its requests."""
    out: dict = {}
    with farmkit.database(db) as url:
        farmkit.import_registry(farm, url)
        farmkit.record_requests(farm)
        farm_cpu = farmkit.own_cpu()
        crawl = farmkit.run_sveden(crawl_args(settings), url)
        farm_cpu = farmkit.own_cpu() - farm_cpu
        requests = [[m, u, st] for (m, u), (_, _, _, st) in zip(farmkit.logged_requests(farm), farm.server.log, strict=True)]
        with tempfile.TemporaryDirectory() as tmp:
            report = farmkit.run_sveden(["report", "-o", tmp, "--month", MONTH, "--format", "html", "--format", "xlsx"], url)
    replay_farm_cpu = farmkit.own_cpu()
    rep = replay(requests, settings)
    replay_farm_cpu = farmkit.own_cpu() - replay_farm_cpu
    pages = len(requests)
    # The crawl process and its helper processes (crawler.childprocs: the document readers, and the
    # page reader and store process when they are on).
    out["pipeline"] = {"seconds": crawl["seconds"], "pages_per_s": pages / crawl["seconds"], "cpu": crawl["cpu"] + crawl["children_cpu"],
                      "crawl_process_cpu": crawl["cpu"], "helpers_cpu": crawl["children_cpu"], "rss_mb": crawl["rss_mb"],
                      "helpers_rss_mb": crawl["children_rss_mb"], "farm_cpu": farm_cpu}
    out["replay"] = {"seconds": rep["wall"], "pages_per_s": pages / rep["wall"], "cpu": rep["cpu"], "rss_mb": rep["rss_mb"],
                     "responses": rep["responses"], "failed": rep["failed"], "parsed_html": rep["parsed"],
                     "status_match": rep["status_match"] / max(1, pages), "farm_cpu": replay_farm_cpu}
    out["requests"] = pages
    out["ratio"] = out["pipeline"]["pages_per_s"] / out["replay"]["pages_per_s"]
    out["reports"] = {"seconds": report["seconds"], "cpu": report["cpu"], "rss_mb": report["rss_mb"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="another setting for the crawl, e.g. SVEDEN_DOCUMENT_PROCESSES=0")
    ap.add_argument("--rounds", type=int, default=1, help="crawl and replay in turn this many times; the median round's ratio is printed")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = measure(args.sites, args.seed, args.db, not args.no_profile, args.set, args.rounds)
    if args.json:
        farmkit.emit(r, True)
        return
    p, q = r["pipeline"], r["replay"]
    print(f"{r['sites']} sites, {r['requests']} requests ({r['db']}; {' '.join(r['settings'])})")
    print(f"  sveden crawl : {p['seconds']:.1f} s, {p['pages_per_s']:.0f} pages/s, CPU {p['cpu']:.1f} s (the crawl process {p['crawl_process_cpu']:.1f} s, "
          f"helper processes {p['helpers_cpu']:.1f} s), peak RSS {p['rss_mb']:.0f} MB (a helper {p['helpers_rss_mb']:.0f} MB)")
    print(f"  raw replay   : {q['seconds']:.1f} s, {q['pages_per_s']:.0f} pages/s, CPU {q['cpu']:.1f} s, peak RSS {q['rss_mb']:.0f} MB"
          f" (statuses as recorded: {q['status_match']:.1%}, failed {q['failed']})")
    if "rounds" in r:
        print(f"  rounds (crawl, then replay, {len(r['rounds'])} times): ratios " + ", ".join(f"{x['ratio']:.3f}" for x in r["rounds"])
              + f"; the median round below")
    print(f"  ratio pipeline/replay pages/s: {r['ratio']:.2f} (target ≥ 0.80); CPU per page {1000 * p['cpu'] / r['requests']:.1f} ms "
          f"against {1000 * q['cpu'] / r['requests']:.1f} ms (CPU-bound limit on one core: {q['cpu'] / p['cpu']:.2f}); "
          f"the farm's own CPU {p['farm_cpu']:.0f} s / {q['farm_cpu']:.0f} s")
    if "profile" in r:
        pr = r["profile"]
        order = ["crawl", "extraction", "judging", "storage", "helpers", "reports", "startup"]
        print("  CPU ms per page: " + ", ".join(f"{k} {pr['cpu_ms_per_page'].get(k, 0):.2f}" for k in order)
              + f"  (reports: sveden report html+xlsx, {r['reports']['seconds']:.1f} s wall)")


if __name__ == "__main__":
    main()
