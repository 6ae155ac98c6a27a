"""1 against 2 `sveden worker` processes over Redis and PostgreSQL, on the latency farm (issue 19, part 4).

    .venv/bin/python bench/workers.py [--sites 200] [--seed 11] [--history] [--redis redis://127.0.0.1:6379/0] [--set KEY=VALUE ...] [--json]

Both runs crawl the same farm (testbed.farm.spec.REAL_NETWORK: latency, slow and dead sites)
into a fresh PostgreSQL database each, with the product's polite defaults plus ``--set``:

- 1 worker: ``sveden crawl --redis`` alone (the coordinator is a worker too);
- 2 workers: the same, and one ``sveden worker --redis … --run ID`` started as soon as the run
  exists.

``--history``: a month the region runs every month after its first. The previous month is crawled
first (2 workers, not timed); both timed runs start from a copy of that database, so the slowest
sites of last month start first and unchanged documents answer 304 or keep their hash.

Printed: wall time of each (coordinator start → run finished), how many organizations each
process crawled, the speed-up (target ≥ 1.7×), and what bounds each run: the CPU seconds of the
crawl processes (with their helper processes) and of the farm against the machine's cores, and the longest
sites (a site stays with the worker that took it: no second worker shortens it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import farmkit  # noqa: E402
from network import site_durations  # noqa: E402
from limit import MONTH  # noqa: E402

IDLE_CLOSE = "3"
PREVIOUS_MONTH = "2025-12"


def wait_for_run_id(db_url: str, proc: subprocess.Popen, timeout: float = 120) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit("the coordinator ended before its run began")
            try:
                with engine.connect() as conn:
                    run_id = conn.execute(text("SELECT id FROM runs WHERE status = 'running' ORDER BY id DESC LIMIT 1")).scalar()
            except Exception:  # noqa: BLE001 - the schema is being created
                run_id = None
            if run_id:
                return int(run_id)
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise SystemExit("no run appeared")


def timed_run(url: str, n: int, redis_url: str, workers: int, sets: list[str], month: str) -> dict:
    """One monthly run of the registry in ``url`` on ``workers`` processes: wall time and shares."""
    namespace = f"sveden-bench-{uuid.uuid4().hex[:8]}"
    set_args = [a for s in sets for a in ("--set", s)]
    env = {**farmkit.bench_env(url), "SVEDEN_REDIS_NAMESPACE": namespace}
    children_cpu, farm_cpu = _children_cpu(), farmkit.own_cpu()
    started = time.perf_counter()
    coord = subprocess.Popen([sys.executable, "-m", "sveden.cli", "crawl", "--month", month, "--no-busgov", "--redis", redis_url,
                              "--idle-close", IDLE_CLOSE, *set_args], env=env, cwd=farmkit.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    others = []
    if workers > 1:
        run_id = wait_for_run_id(url, coord)
        others = [subprocess.Popen([sys.executable, "-m", "sveden.cli", "worker", "--redis", redis_url, "--run", str(run_id), "--idle-close", IDLE_CLOSE,
                                    *set_args], env=env, cwd=farmkit.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(workers - 1)]
    out, err = coord.communicate()
    wall = time.perf_counter() - started
    for w in others:
        w.communicate(timeout=120)
    children_cpu, farm_cpu = _children_cpu() - children_cpu, farmkit.own_cpu() - farm_cpu
    if coord.returncode:
        raise SystemExit(out + err[-3000:])
    sites = site_durations(url, month)
    per_worker = dict(Counter(s.get("worker") or "?" for s in sites))
    cleanup_redis(redis_url, namespace)
    # What bounds the wall: CPU (the crawl processes with their helpers, and the farm, against the
    # machine's cores) or the longest sites (a site stays with one worker, whatever the workers).
    longest = sorted((s["seconds"] for s in sites), reverse=True)[:3]
    return {"sites": n, "workers": workers, "month": month, "wall_s": wall, "per_worker": per_worker, "sets": sets,
            "crawl_cpu_s": children_cpu, "farm_cpu_s": farm_cpu, "cpu_share": (children_cpu + farm_cpu) / (wall * (os.cpu_count() or 1)),
            "longest_sites_s": longest}


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (and theirs: the readers, the store processes)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measure(n: int, seed: int, redis_url: str, sets: list[str], history: bool) -> tuple[dict | None, dict, dict]:
    """(the previous month or None, 1 worker, 2 workers) on one farm; each timed run in a copy of
    the database holding the registry (and, with ``history``, the previous month crawled by 2 workers)."""
    from testbed.farm import generate, serve
    from testbed.farm.spec import REAL_NETWORK

    with serve(generate(n, seed=seed, network=REAL_NETWORK)) as farm, farmkit.database("postgres") as base:
        farmkit.import_registry(farm, base)
        previous = timed_run(base, n, redis_url, 2, sets, PREVIOUS_MONTH) if history else None
        timed = []
        for workers in (1, 2):
            with farmkit.database("postgres", template=base) as url:
                timed.append(timed_run(url, n, redis_url, workers, sets, MONTH))
    return previous, timed[0], timed[1]


def cleanup_redis(redis_url: str, namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--redis", default=os.environ.get("SVEDEN_BENCH_REDIS", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--history", action="store_true", help="time the month after a crawled one (slowest sites first, documents cached)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    previous, one, two = measure(args.sites, args.seed, args.redis, args.set, args.history)
    result = {"one": one, "two": two, "speedup": one["wall_s"] / two["wall_s"], "target": 1.7, "previous": previous}
    if args.json:
        farmkit.emit(result, True)
        return
    if previous:
        print(f"previous month ({previous['month']}, 2 workers, not timed in the speed-up): {previous['wall_s']:.0f} s")
    for r in (one, two):
        print(f"{r['workers']} worker(s): {r['sites']} sites in {r['wall_s']:.0f} s; organizations per process: {sorted(r['per_worker'].values(), reverse=True)}; "
              f"CPU: crawl {r['crawl_cpu_s']:.0f} s, farm {r['farm_cpu_s']:.0f} s ({100 * r['cpu_share']:.0f} % of the cores); "
              f"longest sites: {', '.join(f'{x:.0f}' for x in r['longest_sites_s'])} s")
    print(f"speed-up 2/1: {result['speedup']:.2f}× (target ≥ 1.7×)")


if __name__ == "__main__":
    main()
