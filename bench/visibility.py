"""What telling hidden markup costs (order 1493 п.27): page extraction with and without the CSS
cascade and the visibility facts, and a farm crawl with and without fetching the sites' stylesheets,
as ratios measured in the same run on the same machine.

    .venv/bin/python bench/visibility.py [--sites 60] [--crawl-sites 120] [--no-crawl]

1. Extraction: every subsection page of ``--sites`` farm sites (rendered in-process) and the real
   pages of ../shared/real-sites/ (when present), parsed by ``crawler.extract.extract_page`` with
   the site stylesheet, then again with the visibility step replaced by a no-op; CPU seconds.
2. Crawl: ``python -m sveden.gather`` over a farm of ``--crawl-sites`` sites with
   ``SVEDEN_STYLESHEETS=0`` (no stylesheet requests; the pages' own styles are still read) and
   with the default (each site's /css/style.css fetched once); wall-clock seconds, alternated.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REAL = REPO.parent / "shared" / "real-sites" / "spbgasu-2019"
SETTINGS = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=8", "RETRY_TIMES=0", "CONCURRENT_REQUESTS=96"]


def pages(n_sites: int) -> list[bytes]:
    from testbed.farm import generate
    from testbed.farm.render import section_page, site_paths

    farm = generate(n_sites, seed=7)
    out = []
    for spec in farm.sites:
        content = spec.content
        for sec in content.sections.values():
            if sec.state == "ok":
                for k in range(sec.n_pages):
                    out.append(section_page(spec, content, sec, k, site_paths(spec)).encode("utf-8"))
    if REAL.is_dir():
        out += [f.read_bytes() for f in sorted(REAL.glob("*.html"))]
    return out


class _Shown:
    """The visibility step as a no-op: every element shown."""

    hiders: list = []

    def __init__(self, doc, sheets):
        pass

    def hider(self, el):
        return None


def extraction(bodies: list[bytes], rounds: int = 3) -> tuple[float, float]:
    from crawler import extract
    from crawler.css import parse_stylesheet
    from testbed.farm.render import STYLESHEET

    sheets = {"http://127.0.0.1/css/style.css": parse_stylesheet(STYLESHEET, "http://127.0.0.1/css/style.css")}
    real = (extract.Visibility, extract.content_balance)

    def run() -> float:
        started = time.process_time()
        for body in bodies:
            extract.extract_page("http://127.0.0.1/sveden/x/", "http://127.0.0.1/sveden/x/", body, "text/html; charset=utf-8", sheets)
        return time.process_time() - started

    with_vis = without = 0.0
    try:
        for _ in range(rounds):  # alternated, so a busy neighbour weighs on both
            extract.Visibility, extract.content_balance = real
            with_vis += run()
            extract.Visibility, extract.content_balance = _Shown, lambda doc, vis: {}
            without += run()
    finally:
        extract.Visibility, extract.content_balance = real
    return with_vis, without


def crawl(n_sites: int, stylesheets: int) -> tuple[float, int]:
    from testbed.farm import generate, serve

    with tempfile.TemporaryDirectory() as tmp, serve(generate(n_sites, seed=11)) as farm:
        (Path(tmp) / "t.json").write_text(json.dumps(farm.targets()), encoding="utf-8")
        cmd = [sys.executable, "-m", "sveden.gather", "--targets", f"{tmp}/t.json", "--out", f"{tmp}/a.jsonl",
               *[a for s in [*SETTINGS, f"SVEDEN_STYLESHEETS={stylesheets}"] for a in ("--set", s)]]
        env = {**os.environ, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
        started = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
        elapsed = time.perf_counter() - started
        fetched = sum(json.loads(line)["stats"].get("stylesheets", 0) for line in Path(f"{tmp}/a.jsonl").read_text(encoding="utf-8").splitlines())
    return elapsed, fetched


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=60)
    ap.add_argument("--crawl-sites", type=int, default=120)
    ap.add_argument("--no-crawl", action="store_true")
    args = ap.parse_args()
    bodies = pages(args.sites)
    with_vis, without = extraction(bodies)
    print(f"extraction of {len(bodies)} pages ({sum(map(len, bodies)) / 1e6:.1f} MB), 3 rounds: "
          f"{with_vis:.2f} s CPU with visibility, {without:.2f} s without — ratio {with_vis / without:.3f}")
    if args.no_crawl:
        return
    runs = {0: [], 8: []}
    for stylesheets in (0, 8, 0, 8):
        runs[stylesheets].append(crawl(args.crawl_sites, stylesheets))
    off = sum(t for t, _ in runs[0]) / 2
    on = sum(t for t, _ in runs[8]) / 2
    print(f"crawl of {args.crawl_sites} farm sites (mean of 2): {off:.1f} s without stylesheets, {on:.1f} s with "
          f"({runs[8][0][1]} stylesheets fetched) — ratio {on / off:.3f}")


if __name__ == "__main__":
    main()
