"""Gathering as the orchestration asks for it: the crawler's settings that come from the audits.

The crawler never imports the checks; what it must gather for them (which itemprops link
documents to probe, which link texts name documents to probe — the НОКО plan and report,
regional document rules — and which paths regional rules ask to be reachable) is passed in its
settings here. Tests and tools crawl through
``python -m sveden.gather --targets T.json --out A.jsonl [--set KEY=VALUE …]``: one process
per crawl, since Twisted's reactor cannot be restarted.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from checks import catalogue
from checks.audits.documents import SIGNED_ITEMPROPS


def gather_settings() -> dict[str, Any]:
    return {
        "SVEDEN_PROBE_ITEMPROPS": list(catalogue.link_itemprops()),
        "SVEDEN_PROBE_LINK_TEXTS": list(catalogue.probe_link_texts()),
        "SVEDEN_PROBE_PATHS": list(catalogue.probe_paths()),
        "SVEDEN_PROBE_SELECTORS": list(catalogue.probe_selectors()),
        # Documents whose electronic signature the audits look for (a .sig/.p7s beside them, FIL005).
        "SVEDEN_SIGNED_ITEMPROPS": list(SIGNED_ITEMPROPS),
    }


def collect(targets: list[dict[str, Any]], overrides: dict[str, object] | None = None, on_item=None) -> list[dict]:
    """Crawl ``targets`` (blocking; once per process) and return their site artifacts."""
    from crawler.runner import collect as crawl

    return crawl(targets, {**gather_settings(), **(overrides or {})}, on_item)


def main(argv: list[str] | None = None) -> int:
    from crawler.runner import parse_sets

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--targets", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    with open(args.targets, encoding="utf-8") as fh:
        targets = json.load(fh)
    with open(args.out, "w", encoding="utf-8") as out:

        def write(item: dict) -> None:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            out.flush()

        items = collect(targets, {"LOG_LEVEL": "WARNING", **parse_sets(args.set)}, write)
    print(f"{len(items)} sites", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
