"""The crawl process's memory over time (issue 19, part 1: peak RSS flat, not growing with the sites).

    .venv/bin/python bench/crawl_memory.py [--sites 250] [--seed 11] [--every 5] [--set KEY=VALUE ...] [--json]

``sveden crawl`` of N farm sites (politeness off, as bench/limit.py; documents downloaded and read)
with a sampling thread inside the crawl process: every ``--every`` seconds its RSS, the RSS of its
helper processes (readers, store process) summed, the live Python memory blocks and the C
allocator's heap (glibc ``mallinfo2``). Printed: the samples (a
dozen of them), the peak, and the RSS at a quarter, half and three quarters of the run — flat
means the last three close together. ``--set SVEDEN_SITES_IN_FLIGHT=0`` shows the run without
the bound on open sites.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import farmkit  # noqa: E402
from limit import FAST, crawl_args  # noqa: E402

def start_sampler(path: str, every: float) -> None:
    """In the crawl process (farmkit's child): a daemon thread appending a JSON line every ``every`` s."""
    import ctypes
    import threading

    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
    except (OSError, AttributeError):  # not glibc, or older than 2.33
        libc = None
    out = open(path, "w")  # noqa: SIM115 - written until the process ends

    def rss_mb(pid: str = "self") -> float:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024

    def helpers_mb() -> float:
        """The RSS of the crawl process's helper processes (readers, store), summed."""
        total = 0.0
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children") as fh:
                    kids = fh.read().split()
            except OSError:
                continue
            for kid in kids:
                try:
                    total += rss_mb(kid)
                except (OSError, StopIteration):  # ended meanwhile
                    pass
        return total

    def sample() -> None:
        t0 = time.monotonic()
        while True:
            own = rss_mb()
            helpers = helpers_mb()
            rec = {"t": round(time.monotonic() - t0, 1), "rss_mb": round(own, 1), "helpers_mb": round(helpers, 1),
                   "with_helpers_mb": round(own + helpers, 1), "py_blocks": sys.getallocatedblocks()}
            if libc is not None:
                mi = libc.mallinfo2()
                rec.update(heap_mb=round((mi.arena + mi.hblkhd) / 2**20, 1), heap_used_mb=round(mi.uordblks / 2**20, 1))
            out.write(json.dumps(rec) + "\n")
            out.flush()
            time.sleep(every)

    threading.Thread(target=sample, daemon=True).start()


def measure(n: int, seed: int, every: float, sets: list[str]) -> dict:
    from testbed.farm import generate, serve

    with serve(generate(n, seed=seed)) as farm, farmkit.database("sqlite") as url, tempfile.NamedTemporaryFile(suffix=".jsonl") as samples:
        farmkit.import_registry(farm, url)
        crawl = farmkit.run_sveden(crawl_args([*FAST, *sets]), url, extra_env={"BENCH_MEMORY_OUT": samples.name, "BENCH_MEMORY_EVERY": str(every)})
        rows = [json.loads(line) for line in Path(samples.name).read_text().splitlines() if line.strip()]
    rss = [r["rss_mb"] for r in rows]
    at = {f"rss_at_{q}": rss[min(len(rss) - 1, int(len(rss) * q / 4))] for q in (1, 2, 3)}
    peak_all = max((r.get("with_helpers_mb", 0.0) for r in rows), default=0.0)
    return {"sites": n, "sets": sets, "wall_s": crawl["seconds"], "cpu_s": crawl["cpu"], "peak_rss_mb": crawl["rss_mb"],
            "peak_with_helpers_mb": peak_all, "helpers_cpu_s": crawl["children_cpu"], **at, "samples": rows}


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
        print(f"  {row['t']:7.1f} s  RSS {row['rss_mb']:6.0f} MB  with helpers {row.get('with_helpers_mb', 0):6.0f} MB  python blocks {row['py_blocks']:>9,}  C heap {row.get('heap_mb', 0):6.0f} MB")
    print(f"{r['sites']} sites{' ' + ' '.join(r['sets']) if r['sets'] else ''}: wall {r['wall_s']:.0f} s, peak RSS {r['peak_rss_mb']:.0f} MB "
          f"(with the helper processes, sampled: {r['peak_with_helpers_mb']:.0f} MB); "
          f"RSS at ¼, ½, ¾ of the run: {r['rss_at_1']:.0f}, {r['rss_at_2']:.0f}, {r['rss_at_3']:.0f} MB")


if __name__ == "__main__":
    main()
