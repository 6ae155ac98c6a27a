"""The school-site spider: one seed request per organization, one site artifact item per organization."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from artifacts.urls import url_host_key
from crawler import latency
from crawler.errors import classify_exception
from crawler.sitecrawl import SiteCrawl, Target, failed_site

ERROR_CODES = list(range(400, 600))
HTTP_FALLBACK_KINDS = ("unreachable", "tls_error", "timeout")  # https could not connect: http is worth a try


def _slowest_first(t: Target) -> tuple:
    return (-t.expected_seconds, t.org_id or "", t.url)


def validate_url(url: str) -> str | None:
    """A Russian explanation of what is wrong with a site URL, or None when it is usable."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return f"адрес «{url}» не разбирается (неверные скобки, символы или порт)"
    if parts.scheme not in ("http", "https"):
        return f"адрес должен начинаться с http:// или https:// (получено «{url}»)"
    # An IPv6 literal ([::1]) is an address too: whether it may be crawled is the AddressGuard's call.
    if not parts.hostname or "." not in parts.hostname and ":" not in parts.hostname and parts.hostname != "localhost":
        return f"в адресе нет имени сайта (получено «{url}»)"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in 0..65535
    except ValueError:
        return f"неверный порт в адресе «{url}»"
    return None


class SvedenSpider(scrapy.Spider):
    name = "sveden"

    def __init__(self, targets: list[dict[str, Any]] | str | None = None, targets_file: str | None = None,
                 latency_overrides: dict[str, Any] | None = None, **kwargs):
        """``latency_overrides``: the run's settings for a latency pass (crawler.latency) over the new
        organizations past the first sites in flight, timed while those are crawled; None: no pass here."""
        super().__init__(**kwargs)
        if targets_file:
            with open(targets_file, encoding="utf-8") as fh:
                targets = json.load(fh)
        if isinstance(targets, str):
            targets = json.loads(targets)
        # Sorted work: the same registry gives the same crawl order (determinism); the sites that took
        # longest last month first, so that none of them starts at the end and holds the run up.
        self.targets = sorted((Target.from_dict(t) for t in targets or []), key=_slowest_first)
        self.latency_overrides = latency_overrides
        self.latency_pass: latency.PendingPass | None = None
        self.sites_open = 0  # seeds handed to the engine whose site has not ended yet
        self.site_ended = asyncio.Event()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        if not crawler.settings.getlist("SVEDEN_PROBE_ITEMPROPS"):
            # Without it no document would be probed and every link item would need review.
            raise ValueError("SVEDEN_PROBE_ITEMPROPS is empty: crawl through sveden.gather, which sets it from the audits")
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.seed_reached_downloader, signal=signals.request_reached_downloader)
        return spider

    def seed_reached_downloader(self, request, spider=None) -> None:
        # A site's time starts with its first request (retries, redirects and the http:// fallback keep
        # it): a site whose home page never answers still took its timeouts, and next month starts the
        # slowest sites first by that time (stats.seconds).
        if "sveden_target" in request.meta:
            request.meta.setdefault("sveden_started", time.monotonic())

    def seed_request(self, target: Target, started: float | None = None) -> scrapy.Request:
        return scrapy.Request(
            safe_url_string(target.url),
            callback=self.crawl_site,
            errback=self.site_failed,
            dont_filter=True,
            # Redirects must still be followed: list the error codes rather than handle_httpstatus_all.
            meta={"sveden_target": target, "handle_httpstatus_list": ERROR_CODES, "sveden_role": "home",
                  **({"sveden_started": started} if started is not None else {})},
        )

    def sites_limit(self) -> int:
        return max(0, self.settings.getint("SVEDEN_SITES_IN_FLIGHT"))

    def stall_patience(self) -> float:
        """Seconds with no site ending after which one more is started anyway (a site's time budget
        and its last downloads: every site ends well within it)."""
        budget = self.settings.getfloat("SVEDEN_SITE_TIME_BUDGET")
        return (budget if budget > 0 else 600.0) + 60.0

    def end_site(self) -> None:
        self.sites_open = max(0, self.sites_open - 1)
        self.site_ended.set()

    async def room_for_a_site(self) -> None:
        """Wait while SVEDEN_SITES_IN_FLIGHT sites are open.

        Scrapy hands a seed to the downloader whenever it has room, and a site's own requests bypass
        the scheduler: without this bound every site of the registry would be open at once when the
        work is CPU-bound (documents being read), each holding its pages and files, and the memory
        would grow with the size of the region. A site that never reported its end (a lost seed)
        must not stall the run: past the site time budget with no site ending, one more is let in.
        """
        limit = self.sites_limit()
        while limit and self.sites_open >= limit:
            self.site_ended.clear()
            waited = time.monotonic()
            try:
                await asyncio.wait_for(self.site_ended.wait(), self.stall_patience())
            except TimeoutError:
                self.logger.warning("no site ended for %.0f s with %d open: starting one more", time.monotonic() - waited, self.sites_open)
                return

    async def start(self) -> AsyncIterator[Any]:
        first, rest = self.targets, []
        if self.latency_overrides is not None:
            # The first sites start at once, unordered by any pass; the new ones among the rest are timed meanwhile.
            n = self.sites_limit() or len(self.targets)
            first, rest = self.targets[:n], self.targets[n:]
            self.latency_pass = self.start_latency_pass(rest, first)
        async for item in self.seeds(first):
            yield item
        if self.latency_pass is not None:
            rest = await self.timed(rest, self.latency_pass)
        async for item in self.seeds(rest):
            yield item

    def start_latency_pass(self, targets: list[Target], started: list[Target]) -> latency.PendingPass | None:
        """The pass over the new ones of ``targets``, but for those on a host one of ``started`` is on: the
        crawl is asking that host already, and the pass must not add a request to its politeness (per host)."""
        busy = {url_host_key(t.url) for t in started}
        new = [{"org_id": t.org_id, "url": t.url} for t in targets if not t.expected_seconds and t.org_id and url_host_key(t.url) not in busy]
        if not latency.wanted(self.settings.getint("SVEDEN_LATENCY_PASS"), len(new)):
            return None
        return latency.PendingPass(new, self.latency_overrides or {}, self.settings.getfloat("SVEDEN_LATENCY_PASS_TIMEOUT"))

    async def timed(self, targets: list[Target], pending: latency.PendingPass) -> list[Target]:
        """``targets`` slowest first by the pass's answers; as they were when it failed (said in the log)."""
        from crawler.progress import progress_log

        while not pending.done():
            await asyncio.sleep(0.1)
        try:
            answers = pending.answers()
        except (RuntimeError, OSError, ValueError) as exc:
            progress_log().warning(latency.not_measured(exc))
            return targets
        finally:
            pending.close()
        timed = latency.expected_by_org(answers, pending.timeout)
        progress_log().info(latency.report(pending.count, time.monotonic() - pending.started, pending.timeout, answers))
        return sorted((replace(t, expected_seconds=timed.get(t.org_id, t.expected_seconds)) for t in targets), key=_slowest_first)

    def closed(self, reason: str) -> None:
        if self.latency_pass is not None:  # the crawl ended before its pass did
            self.latency_pass.close()

    async def seeds(self, targets: list[Target]) -> AsyncIterator[Any]:
        for target in targets:
            problem = validate_url(target.url)
            if problem is None:
                try:
                    request = self.seed_request(target)
                except ValueError as exc:  # one bad address must not stop the other organizations
                    self.logger.info("bad URL %r of org %s: %s", target.url, target.org_id, exc)
                    problem = f"адрес «{target.url}» не разбирается (неверные символы или порт)"
            if problem:
                yield failed_site(target, None, "bad_url", problem)
                continue
            await self.room_for_a_site()
            self.sites_open += 1
            yield request

    async def crawl_site(self, response: Response):
        target: Target = response.meta["sveden_target"]
        try:
            artifact = await SiteCrawl(target, self.crawler.engine, self.settings).run(response)
        except Exception:  # one site's bug must not drop it from the run: it ends «error», logged
            self.logger.exception("gathering %s (%s) failed", target.url, target.org_id)
            artifact = failed_site(target, None, "error", "внутренняя ошибка при обходе сайта (подробности в журнале)")
        finally:
            self.end_site()
        yield artifact

    def site_failed(self, failure: Failure):
        target: Target = failure.request.meta["sveden_target"]
        started = failure.request.meta.get("sveden_started")
        retry = self.over_http(target, failure.value, started)
        if retry is not None:
            yield retry
            return
        self.end_site()
        yield failed_site(target, failure.value, started=started)

    def over_http(self, target: Target, exc: BaseException, started: float | None = None) -> scrapy.Request | None:
        """The seed request over http:// when https:// could not connect to an address given without a scheme."""
        if not target.http_fallback or not target.url.startswith("https://"):
            return None
        kind, _ = classify_exception(exc)
        if kind not in HTTP_FALLBACK_KINDS:
            return None
        self.logger.info("%s: https failed (%s), trying http", target.url, kind)
        return self.seed_request(replace(target, url="http://" + target.url.removeprefix("https://"), http_fallback=False), started)
