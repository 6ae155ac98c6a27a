"""Crawl many sites in one process and write their artifacts as JSON lines.

    python -m crawler.runner --targets TARGETS.json --out ARTIFACTS.jsonl [--set KEY=VALUE ...]

TARGETS.json is a list of {"org_id", "url", "org_type"}. Twisted's reactor cannot be restarted,
so tests and tools run this as a subprocess; the monitoring run uses the same spider with the
storage pipeline instead.
"""

from __future__ import annotations

import argparse
import json
import sys

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.spiders.sveden import SvedenSpider


def parse_sets(pairs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def make_process(overrides: dict[str, object] | None = None) -> CrawlerProcess:
    import os

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    for k, v in (overrides or {}).items():
        settings.set(k, v, priority="cmdline")
    return CrawlerProcess(settings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--targets", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    overrides = {"LOG_LEVEL": "WARNING", **parse_sets(args.set)}
    process = make_process(overrides)
    count = 0
    with open(args.out, "w", encoding="utf-8") as out:

        def on_item(item, response, spider):
            nonlocal count
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            out.flush()
            count += 1

        crawler = process.create_crawler(SvedenSpider)
        crawler.signals.connect(on_item, signal=signals.item_scraped)
        process.crawl(crawler, targets_file=args.targets)
        process.start()
    print(f"{count} sites", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
