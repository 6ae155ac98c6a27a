"""The school-site spider fed from Redis: many workers share one monitoring run (scrapy-redis).

The coordinator (``sveden crawl --redis URL``) pushes each organization of the run as a JSON
message onto ``<namespace>:run:<id>:targets`` (``sveden.monitoring.redis_key``); every worker (``sveden worker --redis URL --run ID``)
pops from it with scrapy-redis, crawls the site in-process and commits the result to the shared
database. A site is the unit of distribution: its own requests never leave the worker that holds
its state, so only seed requests go through the shared scrapy-redis scheduler queue.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from scrapy_redis.spiders import RedisMixin

from crawler.sitecrawl import Target
from crawler.spiders.sveden import SvedenSpider, validate_url


class SvedenRedisSpider(RedisMixin, SvedenSpider):
    name = "sveden_redis"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        return spider

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
