"""The crawl process's memory over time (issue 19, part 1: peak RSS flat, not growing with the sites).

    .venv/bin/python bench/crawl_memory.py [--sites 250] [--seed 11] [--every 5] [--set KEY=VALUE ...] [--json]

``sveden crawl`` of N farm sites (politeness off, as bench/limit.py; documents downloaded and read)
with a sampling thread inside the crawl process: every ``--every`` seconds its RSS, the live
Python memory blocks and the C allocator's heap (glibc ``mallinfo2``). Printed: the samples (a
dozen of them), the peak, and the RSS at a quarter, half and three quarters of the run — flat
means the last three close together. ``--set SVEDEN_SITES_IN_FLIGHT=0`` shows the run without
the bound on open sites.
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
from limit import FAST, crawl_args  # noqa: E402

SAMPLER = r'''
import ctypes, json, os, runpy, sys, threading, time
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
try:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
except (OSError, AttributeError):
    libc = None
out = open(os.environ["BENCH_MEMORY_OUT"], "w")
def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
def sample():
    t0 = time.monotonic()
    while True:
        rec = {"t": round(time.monotonic() - t0, 1), "rss_mb": round(rss_mb(), 1), "py_blocks": sys.getallocatedblocks()}
        if libc is not None:
            mi = libc.mallinfo2()
            rec.update(heap_mb=round((mi.arena + mi.hblkhd) / 2**20, 1), heap_used_mb=round(mi.uordblks / 2**20, 1))
        out.write(json.dumps(rec) + "\n")
        out.flush()
        time.sleep(float(os.environ["BENCH_MEMORY_EVERY"]))
threading.Thread(target=sample, daemon=True).start()
sys.argv = ["sveden"] + sys.argv[1:]
code = 0
try:
    runpy.run_module("sveden.cli", run_name="__main__")
except SystemExit as exc:
    code = exc.code
sys.exit(code)
'''


def measure(n: int, seed: int, every: float, sets: list[str]) -> dict:
    from testbed.farm import generate, serve

    with serve(generate(n, seed=seed)) as farm, farmkit.database("sqlite") as url, tempfile.NamedTemporaryFile(suffix=".jsonl") as samples:
        farmkit.import_registry(farm, url)
        env = {**farmkit.bench_env(url), "BENCH_MEMORY_OUT": samples.name, "BENCH_MEMORY_EVERY": str(every)}
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", SAMPLER, *crawl_args([*FAST, *sets])], env=env, capture_output=True, text=True, cwd=farmkit.REPO)
        wall = time.perf_counter() - started
        if proc.returncode:
            raise SystemExit(f"sveden crawl exited {proc.returncode}:\n{proc.stderr[-3000:]}")
        rows = [json.loads(line) for line in Path(samples.name).read_text().splitlines() if line.strip()]
    rss = [r["rss_mb"] for r in rows]
    at = {f"rss_at_{q}": rss[min(len(rss) - 1, int(len(rss) * q / 4))] for q in (1, 2, 3)}
    return {"sites": n, "sets": sets, "wall_s": wall, "peak_rss_mb": max(rss), **at, "samples": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=250)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = measure(args.sites, args.seed, args.every, args.set)
    if args.json:
        farmkit.emit(r, True)
        return
    rows = r["samples"]
    for row in rows[:: max(1, len(rows) // 12)]:
        print(f"  {row['t']:7.1f} s  RSS {row['rss_mb']:6.0f} MB  python blocks {row['py_blocks']:>9,}  C heap {row.get('heap_mb', 0):6.0f} MB")
    print(f"{r['sites']} sites{' ' + ' '.join(r['sets']) if r['sets'] else ''}: wall {r['wall_s']:.0f} s, peak RSS {r['peak_rss_mb']:.0f} MB; "
          f"RSS at ¼, ½, ¾ of the run: {r['rss_at_1']:.0f}, {r['rss_at_2']:.0f}, {r['rss_at_3']:.0f} MB")


if __name__ == "__main__":
    main()
