"""The school-site spider fed from Redis: many workers share one monitoring run (scrapy-redis).

The coordinator (``sveden crawl --redis URL``) pushes each organization of the run as a JSON
message onto ``<namespace>:run:<id>:targets`` (``sveden.monitoring.redis_key``); every worker (``sveden worker --redis URL --run ID``)
pops from it with scrapy-redis, crawls the site in-process and commits the result to the shared
database. A site is the unit of distribution: its own requests never leave the worker that holds
its state, so only seed requests go through the shared scrapy-redis scheduler queue.

scrapy-redis takes a new batch of organizations only when the spider is idle, i.e. when every
site in hand is finished: one slow site would hold a worker's whole batch back, and a worker
would crawl a few sites at a time. So the worker takes more as each seed request reaches its
downloader and as each site ends, by the rule a plain ``sveden crawl`` follows for its own
scheduler: while its downloader has room (fewer than CONCURRENT_REQUESTS requests in it), a
batch (REDIS_START_URLS_BATCH_SIZE) of seeds waits in the shared scheduler queue. Seeds waiting
there count whichever worker will take them, so workers never drain the targets into it ahead of
need. ``SVEDEN_WORKER_SITES`` (0: ``SVEDEN_SITES_IN_FLIGHT``, as a plain crawl) caps the organizations a worker holds.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from scrapy import signals
from scrapy_redis.spiders import RedisMixin

from crawler.sitecrawl import Target
from crawler.spiders.sveden import SvedenSpider, validate_url


class SvedenRedisSpider(RedisMixin, SvedenSpider):
    name = "sveden_redis"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        spider.max_sites = crawler.settings.getint("SVEDEN_WORKER_SITES") or spider.sites_limit()
        # scrapy-redis 0.9 sizes its batches by CONCURRENT_REQUESTS and ignores this setting.
        spider.redis_batch_size = crawler.settings.getint("REDIS_START_URLS_BATCH_SIZE") or spider.redis_batch_size
        spider.sites_running = 0  # crawl_site callbacks in progress
        crawler.signals.connect(spider.seed_started, signal=signals.request_reached_downloader)
        return spider

    def seed_started(self, request, spider=None) -> None:
        if "sveden_target" in request.meta:
            self.refill()

    def in_hand(self) -> int:
        """Organizations this worker holds: seeds in its downloader (robots.txt, retries and
        redirects included), sites being walked, and seeds waiting in the shared scheduler queue."""
        downloading = sum(1 for r in self.crawler.engine.downloader.active if "sveden_target" in r.meta)
        return downloading + self.sites_running + self.queued_seeds()

    def queued_seeds(self) -> int:
        key = self.crawler.settings.get("SCHEDULER_QUEUE_KEY", "")
        kind = self.server.type(key) if key else b"none"
        kind = kind.decode() if isinstance(kind, bytes) else kind
        return {"zset": self.server.zcard, "list": self.server.llen}.get(kind, lambda _: 0)(key)

    def refill(self) -> None:
        """Take organizations from the run's queue while the downloader has room."""
        if self.crawler.engine.downloader.needs_backout():
            return
        want = self.redis_batch_size - self.queued_seeds()
        if self.max_sites:
            want = min(want, self.max_sites - self.in_hand())
        if want <= 0:
            return
        for data in self.fetch_data(self.redis_key, want):
            request = self.make_request_from_data(data)
            if request:
                self.crawler.engine.crawl(request)

    async def crawl_site(self, response):
        self.sites_running += 1
        try:
            async for item in super().crawl_site(response):
                yield item
        finally:
            self.sites_running -= 1
            self.refill()

    def site_failed(self, failure):
        try:
            yield from super().site_failed(failure)
        finally:
            self.refill()

    async def start(self) -> AsyncIterator[Any]:
        for request in self.next_requests():
            yield request

    def make_request_from_data(self, data: bytes):
        try:
            target = Target.from_dict(json.loads(data.decode("utf-8")))
        except (ValueError, KeyError) as exc:
            self.logger.error("bad target message in Redis: %r (%s)", data[:200], exc)
            return []
        problem = validate_url(target.url)
        if problem:  # the registry import rejects such URLs; say so if one slipped through
            self.logger.error("organization %s: %s", target.org_id, problem)
            return []
        return self.seed_request(target)
