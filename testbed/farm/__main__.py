"""``python -m testbed.farm``: serve a farm, or write its registry, targets and ground truth."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time

from testbed.farm.server import FarmServer
from testbed.farm.spec import DEFAULT_FAULTS, REAL_NETWORK, TYPES, generate


def _farm(args: argparse.Namespace):
    types = args.types.split(",") if args.types else None
    faults = {} if args.no_faults else DEFAULT_FAULTS
    network = REAL_NETWORK if args.network == "real" else None
    return generate(args.sites, args.seed, types=types, faults=faults, port=args.port, slow_delay=args.slow_delay, defect_rate=args.defect_rate,
                    network=network, latency_median=args.latency_median)


def _write_outputs(farm, args: argparse.Namespace) -> None:
    if args.registry_out:
        farm.write_registry(args.registry_out)
    if args.targets_out:
        with open(args.targets_out, "w", encoding="utf-8") as fh:
            json.dump(farm.targets(), fh, ensure_ascii=False)
    if args.truth_out:
        farm.write_truth(args.truth_out)


async def _serve(farm, args: argparse.Namespace) -> None:
    server = FarmServer(farm, args.port)
    t0 = time.monotonic()
    await server.start()
    print(f"farm: {len(farm)} sites (seed {farm.seed}) on port {farm.port}, bound in {time.monotonic() - t0:.2f}s; "
          f"first {farm.sites[0].url if farm.sites else '-'}", file=sys.stderr, flush=True)
    print("farm: crawl it with SVEDEN_ALLOW_PRIVATE_ADDRESSES=1 (loopback addresses are refused by default)", file=sys.stderr, flush=True)
    _write_outputs(farm, args)
    if args.ready_file:
        with open(args.ready_file, "w", encoding="utf-8") as fh:
            fh.write(str(farm.port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m testbed.farm", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("serve", "describe"):
        p = sub.add_parser(name, help="serve the farm until interrupted" if name == "serve" else "write the registry/targets/truth and exit")
        p.add_argument("--sites", type=int, default=200)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--port", type=int, default=0 if name == "serve" else 8080, help="0: any free port")
        p.add_argument("--types", default="", help=f"comma-separated subset of {','.join(TYPES)}")
        p.add_argument("--no-faults", action="store_true", help="no faulty sites")
        p.add_argument("--defect-rate", type=float, default=1.0, help="scale of content defects (0: flawless sites)")
        p.add_argument("--slow-delay", type=float, default=0.5, help="seconds each answer of a «slow» site waits")
        p.add_argument("--network", choices=("loopback", "real"), default="loopback",
                       help="real: latency (lognormal, median --latency-median), 3%% slow and 2%% dead sites, document bandwidth")
        p.add_argument("--latency-median", type=float, default=0.15, help="median seconds per response of the real network")
        p.add_argument("--registry-out", help="registry CSV: id, inn, name, type, municipality, url, busgov_agency_id")
        p.add_argument("--targets-out", help="crawler targets JSON: [{org_id, url, org_type}]")
        p.add_argument("--truth-out", help="ground truth JSON")
        if name == "serve":
            p.add_argument("--ready-file", help="write the port here once listening")
    args = ap.parse_args(argv)
    farm = _farm(args)
    if args.cmd == "describe":
        _write_outputs(farm, args)
        return 0
    try:
        asyncio.run(_serve(farm, args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
