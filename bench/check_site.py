"""`sveden check` of a 16-page site on loopback, against the bare start-up of the same command.

    .venv/bin/python bench/check_site.py [--repeat 5]

Prints the median wall time of `sveden check URL` (site served from this process, 14 subsection
pages + home + index + documents) and of `sveden rules --format json` (imports, no crawl), and
their ratio: what the crawl and the checks add to starting Python, Scrapy and the rule catalogue.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    # The site is served on 127.0.0.1: the check must be allowed to reach loopback (SSRF protection).
    env = {**os.environ, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
    subprocess.run([sys.executable, "-m", "sveden.cli", *args], capture_output=True, check=False, cwd=REPO, env=env)
    return time.perf_counter() - started


def main() -> None:
    from compliant import compliant_site
    from sitekit import serve

    from checks.model import OrgType

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(), serve(compliant_site(OrgType.school)) as srv:
        polite = [timed(["check", srv.url + "/", "--no-store", "--format", "json"]) for _ in range(args.repeat)]
        fast = [timed(["check", srv.url + "/", "--no-store", "--format", "json", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false"])
                for _ in range(args.repeat)]
        pages = len({path for method, path in srv.log if method == "GET" and not path.endswith(".pdf")})
    startup = [timed(["rules", "--format", "json"]) for _ in range(args.repeat)]
    s = statistics.median(startup)
    print(f"start-up baseline (sveden rules): median {s:.2f} s")
    for name, runs in (("default polite settings", polite), ("no delay", fast)):
        c = statistics.median(runs)
        print(f"sveden check, {pages} HTML pages + documents, {name}: median {c:.2f} s, ratio to start-up {c / s:.2f}")


if __name__ == "__main__":
    main()
