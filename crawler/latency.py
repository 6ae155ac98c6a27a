"""How long each new site takes to answer, measured in one pass before a run.

A monthly run starts the sites that took longest the month before first
(``sveden.monitoring.previous_durations``): a slow site started last holds the run's end up, and no
second worker can shorten it. An organization crawled for the first time has no such time, so a
region's first month started its slow sites anywhere (1,000 farm sites on the latency farm: 200-s
sites ended the run, and two workers were only 1.57× faster than one).

Before such a run, this pass asks each new site for its robots.txt (the request its crawl begins with
anyway) once, all sites at once, each for at most ``SVEDEN_LATENCY_PASS_TIMEOUT`` seconds, through the
crawl's own downloader settings (address guard, user agent, DNS cache). A site's time is then
estimated from its answer (:func:`expected_seconds`); one that does not answer in time is taken
for the slowest (slow or dead, its timeouts cost it either way). The pass runs in a child process
(``python -m crawler.latency IN OUT``): the run's own reactor cannot be started twice.

Politeness: one request per site (per origin: organizations sharing a site share its answer), and the
run's first request to a site comes at least ``DOWNLOAD_DELAY`` after its answer (the pass waits that
long after its last answer before it ends).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy import signals

from crawler.errors import classify_exception

# A site's crawl makes about 60 requests (pages, stylesheets, documents: 12,537 for 200 farm sites),
# 1.5 at a time (AutoThrottle's target concurrency): about 40 answers one after another.
ANSWERS_IN_SERIES = 40
STARTED = "sveden_latency_started"


def robots_url(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def expected_seconds(answer: dict[str, Any], timeout: float) -> float:
    """A site's estimated crawl time from its answer in the pass: ``{"seconds": s}`` when it answered
    (any HTTP status), ``{"error": kind, "seconds": s}`` when it did not."""
    # A timeout is the timeout, whatever waited before it (the host's download slot).
    seconds = timeout if answer.get("error") == "timeout" else float(answer.get("seconds") or 0.0)
    return round(seconds * ANSWERS_IN_SERIES, 3)


class LatencySpider(scrapy.Spider):
    """One robots.txt request per target; the answers by organization in ``self.answers``."""

    name = "sveden_latency"

    def __init__(self, targets: list[dict[str, Any]] | None = None, timeout: float = 8.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.targets = targets or []
        self.timeout = timeout
        self.answers: dict[str, dict[str, Any]] = {}
        self.last_answer = 0.0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.reached_downloader, signal=signals.request_reached_downloader)
        return spider

    def reached_downloader(self, request, spider=None) -> None:
        # A failure has no download_latency: its time counts from here (a timeout counts as the timeout).
        request.meta.setdefault(STARTED, time.monotonic())

    async def start(self):
        # One request per origin: organizations sharing a site (a municipal hosting) share its answer.
        origins: dict[str, list[str]] = {}
        for target in self.targets:
            url = robots_url(str(target.get("url") or ""))
            org_id = str(target.get("org_id") or "")
            if url is not None and org_id:
                origins.setdefault(url, []).append(org_id)
        for url, org_ids in origins.items():
            # Any answer is an answer: a redirect is not followed (one request per site), a 404 counts.
            yield scrapy.Request(url, callback=self.answered, errback=self.failed, dont_filter=True,
                                 meta={"org_ids": org_ids, "download_timeout": self.timeout, "dont_retry": True,
                                       "handle_httpstatus_all": True})

    def _record(self, meta: dict[str, Any], answer: dict[str, Any], seconds: float | None = None) -> None:
        now = time.monotonic()
        self.last_answer = max(self.last_answer, now)
        answer["seconds"] = round(seconds if seconds is not None else now - meta.get(STARTED, now), 3)
        for org_id in meta["org_ids"]:
            self.answers[org_id] = answer

    def answered(self, response):
        # Scrapy's download_latency: from the request leaving for the host to its answer's headers, without
        # the wait in the host's download slot (two origins on one host wait for each other's delay).
        self._record(response.meta, {"status": response.status}, response.meta.get("download_latency"))
        return None

    def failed(self, failure):
        kind, _ = classify_exception(failure.value)
        self._record(failure.request.meta, {"error": kind})


def run_pass(targets: list[dict[str, Any]], overrides: dict[str, Any], timeout: float) -> dict[str, dict[str, Any]]:
    """The pass in this process (once: it runs a reactor). Answers by organization."""
    from scrapy.crawler import CrawlerProcess

    from crawler.runner import project_settings, quiet_download_errors

    settings = project_settings({
        "SPIDER_MODULES": [],
        **overrides,
        # One request per site, all sites at once: no robots.txt of its own (it is the request), no
        # retries, none of the crawl's extensions. A host's delay stays (two origins on one host).
        "ROBOTSTXT_OBEY": False,
        "RETRY_ENABLED": False,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "DOWNLOAD_MAXSIZE": 512 * 1024,
        "LOG_LEVEL": "ERROR",
    })
    delay = settings.getfloat("DOWNLOAD_DELAY")
    process = CrawlerProcess(settings, install_root_handler=False)
    quiet_download_errors()
    crawler = process.create_crawler(LatencySpider)
    process.crawl(crawler, targets=targets, timeout=timeout)
    process.start()
    spider: LatencySpider = crawler.spider
    # The run's first request to the last site to answer must not follow its answer sooner than the
    # politeness delay (the run starts as soon as this pass ends).
    wait = spider.last_answer + delay - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    return spider.answers


LATENCY_PASS_FROM = 20  # new organizations from which SVEDEN_LATENCY_PASS=-1 (auto) times them


def wanted(mode: int, new: int) -> bool:
    """Is a pass worth it for ``new`` organizations without last month's time? (``SVEDEN_LATENCY_PASS``:
    0 never, 1 always, -1 from ``LATENCY_PASS_FROM`` of them.)"""
    return mode != 0 and new > 0 and (mode > 0 or new >= LATENCY_PASS_FROM)


class PendingPass:
    """The pass in a child process (``python -m crawler.latency IN OUT``), running while its caller
    goes on: a lone crawl starts its first sites meanwhile and orders the others by its answers."""

    def __init__(self, targets: list[dict[str, Any]], overrides: dict[str, Any], timeout: float):
        self.count = len(targets)
        self.timeout = timeout
        self.started = time.monotonic()
        self.deadline = self.started + timeout + 120 + len(targets) / 20
        self._tmp = tempfile.TemporaryDirectory(prefix="sveden-latency-")
        tmp = Path(self._tmp.name)
        src, self._out, self._err = tmp / "in.json", tmp / "out.json", tmp / "err.txt"
        src.write_text(json.dumps({"targets": targets, "settings": overrides, "timeout": timeout}, ensure_ascii=False), encoding="utf-8")
        with open(self._err, "w", encoding="utf-8") as err:  # a file, not a pipe: nobody reads while it runs
            self.proc = subprocess.Popen([sys.executable, "-m", "crawler.latency", str(src), str(self._out)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)

    def done(self) -> bool:
        return self.proc.poll() is not None or time.monotonic() > self.deadline

    def answers(self) -> dict[str, dict[str, Any]]:
        """The answers by organization once :meth:`done`; ``RuntimeError`` (its message for the log) when it failed."""
        if self.proc.poll() is None:
            self.close()
            raise RuntimeError("замер не завершился вовремя")
        if self.proc.returncode != 0 or not self._out.exists():
            raise RuntimeError(f"процесс замера завершился с кодом {self.proc.returncode}: {self._err.read_text(encoding='utf-8', errors='replace').strip()[-300:]}")
        return json.loads(self._out.read_text(encoding="utf-8"))

    def wait(self) -> dict[str, dict[str, Any]]:
        try:
            self.proc.wait(max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        return self.answers()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._tmp.cleanup()


def measure(targets: list[dict[str, Any]], overrides: dict[str, Any], timeout: float) -> dict[str, dict[str, Any]]:
    """The pass in a child process, waited for; raises ``RuntimeError`` (its message for the log) when it fails."""
    pending = PendingPass(targets, overrides, timeout)
    try:
        return pending.wait()
    finally:
        pending.close()


def expected_by_org(answers: dict[str, dict[str, Any]], timeout: float) -> dict[str, float]:
    """:func:`expected_seconds` of each organization the pass answered for."""
    return {org_id: expected_seconds(answer, timeout) for org_id, answer in answers.items()}


def report(count: int, seconds: float, timeout: float, answers: dict[str, dict[str, Any]]) -> str:
    """The progress line of a pass (Russian, for the run's log)."""
    silent = sum(1 for a in answers.values() if a.get("error") == "timeout")
    return (f"Время ответа новых сайтов ({count}) измерено за {seconds:.0f} с, не ответили за {timeout:g} с: {silent}; "
            "медленные сайты обходятся первыми")


def not_measured(exc: BaseException) -> str:
    """The log line of a pass that failed (the order stays the registry's)."""
    return f"Время ответа сайтов не измерено ({exc}): новые организации обходятся в порядке реестра"


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    answers = run_pass(job["targets"], job.get("settings") or {}, float(job.get("timeout") or 8.0))
    Path(argv[1]).write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
