"""The physical limit of a crawl: replay a recorded request list with a raw Scrapy spider.

    .venv/bin/python bench/replay_spider.py REQUESTS.json [--set KEY=VALUE ...]

REQUESTS.json: [[method, url, recorded_status], ...]. Every request is fetched once, in the
recorded order (cookies kept, redirects not followed: the list already holds what was followed),
and every HTML body is parsed with lxml; nothing is judged or stored. Prints one JSON line:
requests, responses, parsed pages, statuses matching the recording, wall seconds, CPU seconds
and peak RSS of this process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import lxml.html
import scrapy
from scrapy.crawler import CrawlerProcess


class Replay(scrapy.Spider):
    name = "replay"

    def __init__(self, requests, **kwargs):
        super().__init__(**kwargs)
        self.recorded = requests
        self.responses = self.parsed = self.matched = self.failed = 0

    async def start(self):
        for i, (method, url, _status) in enumerate(self.recorded):
            yield scrapy.Request(url, method=method, dont_filter=True, callback=self.parse, errback=self.error, cb_kwargs={"i": i},
                                 meta={"handle_httpstatus_all": True, "dont_redirect": True})

    def parse(self, response, i):
        self.responses += 1
        self.matched += response.status == self.recorded[i][2]
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if response.body and ("html" in ctype or not ctype) and response.request.method != "HEAD":
            lxml.html.fromstring(response.body)
            self.parsed += 1

    def error(self, failure):
        self.failed += 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("requests")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    with open(args.requests, encoding="utf-8") as fh:
        recorded = json.load(fh)
    settings = {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor", "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": True, "REDIRECT_ENABLED": False, "USER_AGENT": "sveden-bench-replay",
        "DOWNLOAD_MAXSIZE": 8 * 1024 * 1024, "SCHEDULER_START_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
    }
    for pair in args.set:
        key, _, value = pair.partition("=")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Replay)
    started = time.perf_counter()
    process.crawl(crawler, requests=recorded)
    process.start()
    seconds = time.perf_counter() - started
    spider = crawler.spider
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"requests": len(recorded), "responses": spider.responses, "failed": spider.failed, "parsed": spider.parsed,
                      "status_match": spider.matched, "seconds": seconds, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
