"""A monthly run on a network like the real one, with the polite defaults (issue 19, part 3).

    .venv/bin/python bench/network.py [--sites 300] [--seed 11] [--set KEY=VALUE ...] [--latency-median 0.15] [--json]

The farm gets the real network model (testbed.farm.spec.REAL_NETWORK: per-response latency with
a median of 150 ms and a long tail, 3 % slow sites answering in 2–6 s, 2 % dead sites whose
connections time out, document bandwidth) and its default faults; ``sveden crawl`` runs with the
product's defaults (politeness on) plus the ``--set`` overrides given. Printed: wall time, crawl
CPU (CPU/wall: near 1.0 means CPU-bound on one core), organizations in flight on average (sum of
the sites' own durations / wall), the farm server's own CPU (it shares the machine: on a busy
machine a starved farm is what bounds the run), per-site durations (median, p95, max, dead sites), and the
share of the sites' time that the politeness delay alone explains (requests × DOWNLOAD_DELAY).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import farmkit  # noqa: E402
from limit import MONTH  # noqa: E402


def site_durations(db_url: str, month: str | None = None) -> list[dict]:
    from sqlalchemy import select

    from storage import db, repository
    from storage.models import Check

    factory = db.open_database(db_url)
    out = []
    try:
        with factory() as session:
            query = select(Check.id, Check.org_id, Check.outcome)
            if month:  # a database holding earlier months too (bench/workers.py --history)
                from storage.models import Run

                query = query.join(Run, Run.id == Check.run_id).where(Run.month == month)
            for check_id, org_id, outcome in session.execute(query):
                art = repository.load_artifact(session, check_id) or {}
                stats = art.get("stats") or {}
                out.append({"org_id": org_id, "outcome": outcome, "seconds": float(stats.get("seconds") or 0), "pages": int(stats.get("pages") or 0),
                            "probes": int(stats.get("probes") or 0), "worker": stats.get("worker")})
    finally:
        factory.kw["bind"].dispose()
    return out


def run(n: int, seed: int, sets: list[str], latency: float, db: str) -> dict:
    from crawler.runner import parse_sets, project_settings
    from testbed.farm import generate, serve
    from testbed.farm.spec import REAL_NETWORK

    settings = project_settings(parse_sets(sets))
    delay = settings.getfloat("DOWNLOAD_DELAY")
    farm = generate(n, seed=seed, network=REAL_NETWORK, latency_median=latency)
    nets = {k: sum(s.network == k for s in farm.sites) for k in ("typical", "slow", "dead")}
    with serve(farm) as farm, farmkit.database(db) as url:
        farmkit.import_registry(farm, url)
        farm.server.hits.clear()
        farm_cpu = farmkit.own_cpu()
        crawl = farmkit.run_sveden(["crawl", "--month", MONTH, "--no-busgov", *[a for s in sets for a in ("--set", s)]], url)
        farm_cpu = farmkit.own_cpu() - farm_cpu
        by_host_requests = dict(farm.server.hits)
        requests = sum(by_host_requests.values())
        print(f"crawl: {crawl['seconds']:.1f} s wall, CPU {crawl['cpu']:.1f} s, {requests} requests", file=sys.stderr, flush=True)
        sites = site_durations(url)
    secs = sorted(s["seconds"] for s in sites)
    floor = sum(max(0, c - 1) * delay for c in by_host_requests.values())
    dead = [s["seconds"] for s, spec in zip(sorted(sites, key=lambda x: x["org_id"]), farm.sites, strict=True) if spec.network == "dead"]
    return {
        "sites": n, "seed": seed, "db": db, "sets": sets, "networks": nets, "latency_median": latency, "requests": requests,
        "wall_s": crawl["seconds"], "crawl_cpu": crawl["cpu"], "farm_cpu": farm_cpu, "cpu_per_wall": crawl["cpu"] / crawl["seconds"], "rss_mb": crawl["rss_mb"],
        "concurrent_requests": settings.getint("CONCURRENT_REQUESTS"), "site_concurrency": settings.getint("SVEDEN_SITE_CONCURRENCY"),
        "download_delay": delay, "download_timeout": settings.getfloat("DOWNLOAD_TIMEOUT"),
        "sites_in_flight": sum(secs) / crawl["seconds"], "site_median_s": statistics.median(secs), "site_p95_s": secs[int(0.95 * (len(secs) - 1))],
        "site_max_s": secs[-1], "dead_site_s": statistics.mean(dead) if dead else None,
        "politeness_share": floor / max(1e-9, sum(secs)), "per_site_wall_s": crawl["seconds"] / n,
    }


def describe(r: dict) -> str:
    lines = [
        f"{r['sites']} sites on the real network ({r['networks']}, median latency {r['latency_median']} s), {r['requests']} requests; "
        f"settings: defaults{' + ' + ' '.join(r['sets']) if r['sets'] else ''}",
        f"  wall {r['wall_s']:.0f} s ({r['per_site_wall_s']:.2f} s/site → 2,000 sites ≈ {r['per_site_wall_s'] * 2000 / 60:.0f} min, extrapolated), "
        f"crawl CPU {r['crawl_cpu']:.0f} s (CPU/wall {r['cpu_per_wall']:.2f}), peak RSS {r['rss_mb']:.0f} MB; the farm's own CPU {r['farm_cpu']:.0f} s",
        f"  organizations in flight {r['sites_in_flight']:.1f} (CONCURRENT_REQUESTS {r['concurrent_requests']} / SVEDEN_SITE_CONCURRENCY "
        f"{r['site_concurrency']} = {r['concurrent_requests'] / r['site_concurrency']:.0f}); per site: median {r['site_median_s']:.0f} s, "
        f"p95 {r['site_p95_s']:.0f} s, max {r['site_max_s']:.0f} s, dead {r['dead_site_s'] or 0:.0f} s",
        f"  politeness delay ({r['download_delay']} s × requests) explains {r['politeness_share']:.0%} of the sites' time",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--latency-median", type=float, default=0.15)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = run(args.sites, args.seed, args.set, args.latency_median, args.db)
    if args.json:
        farmkit.emit(r, True)
    else:
        print(describe(r))


if __name__ == "__main__":
    main()
