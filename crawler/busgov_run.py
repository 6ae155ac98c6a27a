"""Fetch bus.gov.ru cards and НОК results for many organizations; write the items as JSON lines.

    python -m crawler.busgov_run --targets TARGETS.json --out OUT.jsonl [--base-url URL]
        [--delay SECONDS] [--year YYYY] [--set KEY=VALUE ...]

TARGETS.json: ``[{"org_id", "agency_id" | null, "inn" | null, "site_url"}]``. OUT.jsonl gets
exactly one line per organization (``crawler.busgov.make_item``); an organization the crawl
ended without (it should not happen) gets an ``unreachable`` line saying so. Item pipelines
are off: this entry only writes the file. Twisted's reactor cannot be restarted, so tests run
this as a subprocess.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections import Counter
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler import busgov
from crawler.runner import parse_sets
from crawler.spiders.busgov import BusGovSpider


def build_settings(overrides: dict[str, object]) -> Settings:
    if importlib.util.find_spec("crawler.settings") is not None:
        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
        settings = get_project_settings()
    else:  # pragma: no cover - the project settings module is always there in the repo
        settings = Settings()
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def run(targets: list[dict[str, Any]], out_path: str, overrides: dict[str, object]) -> Counter:
    """Crawl (blocking, once per process) and write OUT.jsonl; returns the count per status."""
    process = CrawlerProcess(build_settings(overrides))
    crawler = process.create_crawler(BusGovSpider)
    seen: set[str] = set()
    counts: Counter = Counter()
    with open(out_path, "w", encoding="utf-8") as out:

        def write(item: dict[str, Any]) -> None:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            out.flush()
            seen.add(json.dumps(item.get("org_id")))
            counts[item["status"]] += 1

        def scraped(item, response, spider):
            if isinstance(item, dict) and item.get("kind") == busgov.ITEM_KIND:
                write(item)

        crawler.signals.connect(scraped, signal=signals.item_scraped)
        process.crawl(crawler, targets=targets)
        process.start()
        for target in targets:
            if json.dumps(target.get("org_id")) not in seen:
                write(busgov.make_item(target.get("org_id"), busgov.Status.UNREACHABLE, "обход bus.gov.ru завершился без результата по этой организации"))
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", required=True, help="JSON list of {org_id, agency_id, inn, site_url}")
    ap.add_argument("--out", required=True, help="JSON lines, one item per organization")
    ap.add_argument("--base-url", help=f"bus.gov.ru or a stand-in (default {busgov.DEFAULT_BASE_URL})")
    ap.add_argument("--delay", type=float, help="seconds between requests to bus.gov.ru (default 1)")
    ap.add_argument("--year", type=int, help="selectedYear of the card request (default: this year)")
    ap.add_argument("--log-level", default="WARNING")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="any Scrapy/sveden setting")
    args = ap.parse_args(argv)
    with open(args.targets, encoding="utf-8") as fh:
        targets = json.load(fh)
    if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
        print("targets: нужен JSON-массив объектов {org_id, agency_id, inn, site_url}", file=sys.stderr)
        return 2
    overrides: dict[str, object] = {"LOG_LEVEL": args.log_level}
    if args.base_url:
        overrides["SVEDEN_BUSGOV_BASE_URL"] = args.base_url
    if args.delay is not None:
        overrides["SVEDEN_BUSGOV_DOWNLOAD_DELAY"] = args.delay
    if args.year:
        overrides["SVEDEN_BUSGOV_YEAR"] = args.year
    overrides.update(parse_sets(args.set))
    counts = run(targets, args.out, overrides)
    summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    print(f"bus.gov.ru: организаций {sum(counts.values())} ({summary})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
