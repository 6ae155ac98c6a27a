"""robots.txt ``Crawl-delay``: the seconds a site asks between requests, obeyed in every profile.

Scrapy reads robots.txt (``ROBOTSTXT_OBEY``) but not its ``Crawl-delay``. This extension takes the
delay for the crawler's User-Agent when robots.txt is parsed and keeps the host's download slot
at least that slow, whatever ``DOWNLOAD_DELAY``, the interactive profile or AutoThrottle set
(AutoThrottle lowers a slot's delay after each response, so it is raised again per request).
``SVEDEN_CRAWL_DELAY_MAX`` caps an absurd value; the site's time budget still ends a slow check.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

log = logging.getLogger(__name__)


class CrawlDelay:
    def __init__(self, crawler, user_agent: str, cap: float):
        self.crawler = crawler
        self.user_agent = user_agent
        self.cap = cap
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY") or not settings.getbool("SVEDEN_OBEY_CRAWL_DELAY", True):
            raise NotConfigured
        ext = cls(crawler, settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or "*",
                  settings.getfloat("SVEDEN_CRAWL_DELAY_MAX", 30.0))
        crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        return ext

    def robots_parsed(self, robotparser, request):
        try:
            delay = robotparser.crawl_delay(self.user_agent)
        except (AttributeError, ValueError, TypeError):  # a parser without Crawl-delay support, or a bad value
            return
        host = urlparse_cached(request).hostname or ""
        if delay and delay > 0 and host:
            self.delays[host] = min(float(delay), self.cap)
            log.info("robots.txt of %s asks %.2f s between requests (Crawl-delay)", host, self.delays[host])

    def request_reached_downloader(self, request, spider=None):
        delay = self.delays.get(urlparse_cached(request).hostname or "")
        if not delay:
            return
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot"))
        if slot is not None and slot.delay < delay:
            slot.delay = delay
