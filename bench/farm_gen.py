"""Streamed generation speed of the farm: pages rendered per second, no server, no disk.

    .venv/bin/python bench/farm_gen.py [--sites 2000] [--pages 100000] [--seed 1] [--bind]

Renders every finite page and document of the farm's sites (home, section index, subsections,
addRef pages, feedback pages, news, documents) until ``--pages`` are done, as the server would
on request, and prints pages/s and MB/s. ``--bind`` also times binding one socket per site.
"""

from __future__ import annotations

import argparse
import time

from testbed.farm import generate
from testbed.farm.render import crawlable_paths, respond
from testbed.farm.server import FarmServer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bind", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    farm = generate(args.sites, args.seed, faults={}, port=8080)
    t_gen = time.perf_counter() - t0
    print(f"generate({args.sites}): {t_gen * 1000:.0f} ms")

    pages = nbytes = sites_done = 0
    html_pages = 0
    t0 = time.perf_counter()
    t_models = 0.0
    for site in farm.sites:
        tm = time.perf_counter()
        site.content  # noqa: B018 - build (and cache) the site's content model
        t_models += time.perf_counter() - tm
        for path in crawlable_paths(site):
            reply = respond(site, "GET", path)
            pages += 1
            nbytes += len(reply.body)
            html_pages += reply.headers[0][1].startswith("text/html") if reply.headers else 0
            if pages >= args.pages:
                break
        sites_done += 1
        if pages >= args.pages:
            break
    dt = time.perf_counter() - t0
    print(f"rendered {pages} responses ({html_pages} HTML pages) of {sites_done} sites in {dt:.1f} s: "
          f"{pages / dt:,.0f} responses/s, {html_pages / dt:,.0f} HTML pages/s, {nbytes / dt / 1e6:.1f} MB/s "
          f"({nbytes / 1e6:.0f} MB; site models {t_models:.2f} s)")

    t0 = time.perf_counter()
    truth = farm.truth(range(min(sites_done, len(farm.sites))))
    print(f"ground truth of {len(truth['sites'])} sites: {time.perf_counter() - t0:.1f} s")

    if args.bind:
        server = FarmServer(generate(args.sites, args.seed, faults={}), port=0)
        t0 = time.perf_counter()
        socks = server.bind_sockets()
        print(f"bound {len(socks)} loopback addresses on port {server.port} in {(time.perf_counter() - t0) * 1000:.0f} ms")
        for s in socks:
            s.close()


if __name__ == "__main__":
    main()
