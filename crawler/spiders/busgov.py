"""The bus.gov.ru spider: each organization's card and НОК results, one item per organization.

Targets: ``[{"org_id", "agency_id" | None, "inn" | None, "site_url"}]``. Per organization:

    [ИНН → agencyId: extendedSearchAgencyNew]  (only without agency_id)
    card: compare, falling back to agency.json (SVEDEN_BUSGOV_CARD_SOURCES)
    НОК: ratingCompare/commonInfo

and one item ``{"kind": "busgov", "org_id", "status", "agency_id", "card", "nok", "message",
"fetched_at"}`` (``crawler.busgov.make_item``), whatever happens: every request has an errback,
the spider stops sending once bus.gov.ru has blocked or failed several organizations in a row
(their items then say that nothing was sent), and an organization whose answer never comes is
ended after a long silence.

Politeness: all requests go to ONE shared state host, so this spider has its own low
concurrency and delay (``update_settings``), independent of the school-site settings.

Settings (all optional):
    SVEDEN_BUSGOV_BASE_URL        https://bus.gov.ru (tests and the demo: the local stand-in)
    SVEDEN_BUSGOV_DOWNLOAD_DELAY  1.0 s between requests (→ DOWNLOAD_DELAY, AutoThrottle's minimum)
    SVEDEN_BUSGOV_AUTOTHROTTLE    True
    SVEDEN_BUSGOV_TIMEOUT         30 s per request;  SVEDEN_BUSGOV_RETRY_TIMES  2 (5xx, timeouts)
    SVEDEN_BUSGOV_ROBOTSTXT_OBEY  True;  SVEDEN_BUSGOV_VERIFY_TLS  False (see TLS below)
    SVEDEN_BUSGOV_YEAR            selectedYear of the compare request (default: this year)
    SVEDEN_BUSGOV_CARD_SOURCES    ["compare", "agency_json"]: tried in order; the next one only
                                  after a changed shape or a 404 of the previous one
    SVEDEN_BUSGOV_GIVE_UP_AFTER   5 organizations in a row blocked/unreachable → send nothing more
                                  (0: never give up)
    SVEDEN_BUSGOV_ORGS_IN_FLIGHT  2 organizations handled at once
    SVEDEN_BUSGOV_LOST_AFTER      seconds of silence before an organization counts as lost
                                  (default: derived from the timeout, retries and delays)

TLS: bus.gov.ru may present a certificate chained to the Russian Trusted Root CA (Минцифры),
which default trust stores (certifi, many OS bundles) lack. Scrapy does not verify
certificates by default (DOWNLOAD_VERIFY_CERTIFICATES=False), so this works out of the box;
SVEDEN_BUSGOV_VERIFY_TLS=True turns verification on for this spider only, and then the
Russian root CA must be installed in the system store the TLS stack uses, or every request
ends as ``unreachable`` with a TLS message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import monotonic
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from artifacts.failures import connection_cause
from crawler import busgov
from crawler.busgov import Blocked, BusGovError, ChangedShape, NotFound, Status, Unreachable
from crawler.ssrf import ForbiddenAddress

log = logging.getLogger(__name__)

# Statuses handled by the callbacks rather than by HttpErrorMiddleware; 3xx stay with the
# redirect middleware (http → https, trailing slashes).
ERROR_CODES = list(range(400, 600))
JSON_HEADERS = {"Accept": "application/json, text/plain, */*"}
FOLLOW_UP_PRIORITY = 10  # finish organizations already started before starting new ones
GATE_PATH = "crawler.spiders.busgov.BusGovGate"


def _out(result: Any) -> list[Any]:
    return [] if result is None else [result]


class GaveUp(IgnoreRequest):
    """Raised by :class:`BusGovGate` for requests not sent after the spider gave up."""


class BusGovGate:
    """Downloader middleware: once the spider has given up on bus.gov.ru, send nothing more.

    start() already stops starting organizations; this catches the follow-up requests and
    retries of organizations in flight, which would otherwise still go out to a host that has
    just blocked us.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        spider = self.crawler.spider
        gave_up = getattr(spider, "gave_up", None)
        if gave_up and "busgov_step" in request.meta:
            raise GaveUp(gave_up[1])
        return None


@dataclass
class Job:
    """One organization's way through the endpoints."""

    org_id: Any
    site_url: str | None
    inn: str | None
    agency_id: int | None
    sources: list[str]  # card sources still to try
    notes: list[str] = field(default_factory=list)  # Russian remarks gathered on the way
    card: dict[str, Any] | None = None
    in_flight: bool = False  # counted in BusGovSpider._in_flight
    last_activity: float = 0.0  # monotonic time of the last request or answer
    done: bool = False


def describe_failure(exc: BaseException, step: str, timeout: float | None = None) -> BusGovError:
    """A download exception (DNS, refused, timeout, TLS, robots…) as a per-organization error.

    The message names the cause in Russian; the exception's text goes to the log only.
    """
    what = busgov.STEP_TITLES.get(step, step)
    name = type(exc).__name__
    text = str(exc).strip()
    if isinstance(exc, GaveUp):
        return exc.args[0] if exc.args and isinstance(exc.args[0], BusGovError) else Unreachable(f"{what}: запрос не отправлялся")
    if isinstance(exc, ForbiddenAddress):  # SSRF protection: refused before connecting; the message is Russian
        return Unreachable(f"{what}: {text}")
    log.info("bus.gov.ru %s failed: %s: %s", step, name, text)
    if isinstance(exc, IgnoreRequest):
        if "robots" in text.lower():
            return Blocked(f"{what}: запрос запрещён файлом robots.txt сайта bus.gov.ru")
        return Unreachable(f"{what}: запрос не выполнялся (отклонён при обходе)")
    cause = connection_cause(name, text)
    if cause == "dns":
        return Unreachable(f"{what}: имя сервера bus.gov.ru не найдено в DNS")
    if cause == "refused":
        return Unreachable(f"{what}: сервер bus.gov.ru отклонил соединение")
    if cause == "timeout":
        limit = f" ({timeout:g} с)" if timeout else ""
        return Unreachable(f"{what}: bus.gov.ru не ответил вовремя{limit}")
    if cause == "tls":
        return Unreachable(
            f"{what}: не удалось установить защищённое соединение с bus.gov.ru (ошибка TLS); "
            "если включена проверка сертификатов, нужен корневой сертификат Минцифры (Russian Trusted Root CA)"
        )
    if cause == "lost":
        return Unreachable(f"{what}: соединение с bus.gov.ru оборвалось")
    if cause == "no_route":
        return Unreachable(f"{what}: сервер bus.gov.ru недоступен по сети")
    return Unreachable(f"{what}: не удалось соединиться с bus.gov.ru")


class BusGovSpider(scrapy.Spider):
    name = "busgov"

    # Fixed politeness towards the one shared host; the tunable values are in update_settings.
    custom_settings = {
        "CONCURRENT_REQUESTS": 2,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DEPTH_LIMIT": 0,  # search → card → fallback card → НОК must never be cut short
        # 429 means «slow down»: it ends as `blocked` at once instead of being retried.
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
    }

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        delay = settings.getfloat("SVEDEN_BUSGOV_DOWNLOAD_DELAY", 1.0)
        settings.set("DOWNLOAD_DELAY", delay, priority="spider")
        settings.set("AUTOTHROTTLE_START_DELAY", delay, priority="spider")
        settings.set("AUTOTHROTTLE_ENABLED", settings.getbool("SVEDEN_BUSGOV_AUTOTHROTTLE", True), priority="spider")
        settings.set("DOWNLOAD_TIMEOUT", settings.getfloat("SVEDEN_BUSGOV_TIMEOUT", 30.0), priority="spider")
        settings.set("RETRY_TIMES", settings.getint("SVEDEN_BUSGOV_RETRY_TIMES", 2), priority="spider")
        settings.set("ROBOTSTXT_OBEY", settings.getbool("SVEDEN_BUSGOV_ROBOTSTXT_OBEY", True), priority="spider")
        settings.set("DOWNLOAD_VERIFY_CERTIFICATES", settings.getbool("SVEDEN_BUSGOV_VERIFY_TLS", False), priority="spider")
        # At spider priority: a CrawlerProcess merges its own (project-priority) settings into a
        # crawler passed to crawl(), which would otherwise drop this entry again.
        middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
        middlewares[GATE_PATH] = 50
        priority = max(SETTINGS_PRIORITIES["spider"], settings.getpriority("DOWNLOADER_MIDDLEWARES") or 0)
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority=priority)

    def __init__(self, targets: list[dict[str, Any]] | str | None = None, targets_file: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if targets_file:
            with open(targets_file, encoding="utf-8") as fh:
                targets = json.load(fh)
        elif isinstance(targets, str):  # `scrapy crawl busgov -a targets=T.json`
            if targets.lstrip().startswith("["):
                targets = json.loads(targets)
            else:
                with open(targets, encoding="utf-8") as fh:
                    targets = json.load(fh)
        # Sorted work: the same registry gives the same order (determinism).
        self.targets: list[dict[str, Any]] = sorted(targets or [], key=lambda t: str(t.get("org_id") or ""))
        self.gave_up: tuple[Status, BusGovError] | None = None
        self._bad_in_row = 0
        self._jobs: list[Job] = []
        self._in_flight = 0
        self._waiter: Deferred | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.base_url = (settings.get("SVEDEN_BUSGOV_BASE_URL") or busgov.DEFAULT_BASE_URL).rstrip("/")
        spider.year = settings.getint("SVEDEN_BUSGOV_YEAR") or datetime.now(UTC).year
        sources = settings.getlist("SVEDEN_BUSGOV_CARD_SOURCES", list(busgov.CARD_SOURCES))
        unknown = [s for s in sources if s not in busgov.CARD_SOURCES]
        if unknown or not sources:
            raise ValueError(f"SVEDEN_BUSGOV_CARD_SOURCES: unknown {unknown}; expected some of {busgov.CARD_SOURCES}")
        spider.card_sources = sources
        spider.give_up_after = settings.getint("SVEDEN_BUSGOV_GIVE_UP_AFTER", 5)
        spider.orgs_in_flight = max(1, settings.getint("SVEDEN_BUSGOV_ORGS_IN_FLIGHT", 2))
        spider.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        # Silence after which an organization in flight counts as lost: every attempt timing
        # out after the longest delay, twice over, plus a margin for robots.txt.
        attempts = settings.getint("RETRY_TIMES") + 1
        longest_delay = max(settings.getfloat("DOWNLOAD_DELAY"), settings.getfloat("AUTOTHROTTLE_MAX_DELAY") if settings.getbool("AUTOTHROTTLE_ENABLED") else 0)
        spider.lost_after = settings.getfloat("SVEDEN_BUSGOV_LOST_AFTER") or 2 * attempts * (spider.timeout + longest_delay) + 60
        return spider

    # -- the flow ------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        # Organizations are started a few at a time (SVEDEN_BUSGOV_ORGS_IN_FLIGHT), not all
        # queued at once: each start sees the outcomes so far, so giving up takes effect at
        # once instead of after the whole queue has been sent. start() ends only when every
        # organization has its item: one whose request got lost (dropped by some middleware)
        # is ended as `unreachable` after a long silence instead of hanging the crawl.
        for target in self.targets:
            while self._in_flight >= self.orgs_in_flight:
                for item in await self._wait():
                    yield item
            started = self._begin(target)
            if isinstance(started, scrapy.Request):
                self._in_flight += 1
                started.cb_kwargs["job"].in_flight = True
            yield started
        while self._in_flight:
            for item in await self._wait():
                yield item

    async def _wait(self) -> list[dict[str, Any]]:
        """Wait until an organization finishes (or a check interval passes); items of lost ones."""
        waiter: Deferred = Deferred()
        self._waiter = waiter

        def wake() -> None:
            if not waiter.called:
                waiter.callback(None)

        timer = call_later(min(30.0, self.lost_after), wake)
        try:
            await maybe_deferred_to_future(waiter)
        finally:
            timer.cancel()
            self._waiter = None
        now = monotonic()
        lost = [j for j in self._jobs if j.in_flight and not j.done and now - j.last_activity > self.lost_after]
        items = []
        for job in lost:
            self.logger.error("bus.gov.ru: org %s got no answer for %.0f s, ending it", job.org_id, now - job.last_activity)
            item = self._finish(job, Status.UNREACHABLE, f"ответ bus.gov.ru не получен за {self.lost_after:g} с (запрос потерян)")
            if item is not None:
                items.append(item)
        return items

    def _begin(self, target: dict[str, Any]) -> scrapy.Request | dict[str, Any]:
        job = Job(org_id=target.get("org_id"), site_url=target.get("site_url"), inn=None, agency_id=None, sources=list(self.card_sources))
        self._jobs.append(job)
        try:
            job.agency_id = busgov.normalize_agency_id(target.get("agency_id"))
        except ValueError as exc:
            job.notes.append(str(exc))
        try:
            job.inn = busgov.normalize_inn(target.get("inn"))
        except ValueError as exc:
            if job.agency_id is None:
                return self._finish(job, Status.NOT_FOUND, f"{exc}; поиск на bus.gov.ru не выполнялся")
            job.notes.append(str(exc))
        if self.gave_up:
            return self._finish(job, self.gave_up[0], self.gave_up[1].message, counted=False)
        if job.agency_id is not None:
            return self._card_request(job)
        if job.inn:
            return self._request(job, "search", busgov.search_url(self.base_url, job.inn), priority=0)
        return self._finish(job, Status.NOT_FOUND, "в реестре нет ни agencyId bus.gov.ru, ни ИНН — искать учреждение не по чему")

    def _request(self, job: Job, step: str, url: str, priority: int = FOLLOW_UP_PRIORITY) -> scrapy.Request:
        job.last_activity = monotonic()
        return scrapy.Request(
            url,
            callback=self._on_response,
            errback=self._on_error,
            headers=JSON_HEADERS,
            dont_filter=True,  # two organizations may share an agency
            priority=priority,
            cb_kwargs={"job": job, "step": step},
            meta={"busgov_step": step, "handle_httpstatus_list": ERROR_CODES},
        )

    def _card_request(self, job: Job) -> scrapy.Request:
        source = job.sources.pop(0)
        url = busgov.card_url(source, self.base_url, job.agency_id, self.year)
        return self._request(job, source, url)

    def _on_response(self, response: Response, job: Job, step: str):
        job.last_activity = monotonic()
        if job.done:  # ended meanwhile (e.g. as lost): never a second item
            self.logger.warning("bus.gov.ru: late answer for org %s ignored", job.org_id)
            return []
        try:
            data = busgov.decode_response(response.status, response.headers.get("Content-Type"), response.body, step=step)
            return _out(self._advance(job, step, data))
        except BusGovError as exc:
            return _out(self._failed(job, step, exc))
        except Exception as exc:  # noqa: BLE001 - a shape no check foresaw must still end the organization
            self.logger.exception("bus.gov.ru %s: unexpected parser error for org %s", step, job.org_id)
            what = busgov.STEP_TITLES.get(step, step)
            return _out(self._finish(job, Status.CHANGED_SHAPE, f"{what}: ответ не удалось разобрать (подробности в журнале)"))

    def _on_error(self, failure: Failure):
        request = failure.request
        job: Job = request.cb_kwargs["job"]
        step: str = request.cb_kwargs["step"]
        job.last_activity = monotonic()
        if job.done:
            return []
        response = getattr(failure.value, "response", None)
        if isinstance(response, Response):  # HttpError despite handle_httpstatus_list
            return self._on_response(response, job, step)
        exc = describe_failure(failure.value, step, self.timeout)
        if isinstance(failure.value, GaveUp):
            return _out(self._finish(job, exc.status, exc.message, counted=False))
        return _out(self._failed(job, step, exc))

    def _advance(self, job: Job, step: str, data: Any):
        if step == "search":
            found = busgov.parse_search(data, job.inn, job.site_url)
            job.agency_id = found.agency_id
            if found.note:
                job.notes.append(found.note)
            return self._card_request(job)
        if step in busgov.CARD_SOURCES:
            card = busgov.parse_card(step, data, job.agency_id)
            job.card = busgov.card_payload(card, base_url=self.base_url)
            job.notes.extend(busgov.card_notes(job.card))
            return self._request(job, "nok", busgov.nok_url(self.base_url, job.agency_id))
        if step == "nok":
            nok = busgov.parse_nok(data, job.agency_id)
            if nok is None:
                job.notes.append("результатов НОК на bus.gov.ru нет")
            head = "карточка и результаты НОК получены" if nok else "карточка получена"
            return self._finish(job, Status.OK, "; ".join([head, *job.notes]), nok=nok)
        raise ValueError(f"unknown step {step!r}")

    def _failed(self, job: Job, step: str, exc: BusGovError):
        fallback = step in busgov.CARD_SOURCES and job.sources and (
            isinstance(exc, ChangedShape) or (isinstance(exc, NotFound) and exc.http_status == 404 and step == "compare")
        )
        if fallback and not self.gave_up:
            job.notes.append(f"{exc.message} → запрошен запасной источник: {busgov.STEP_TITLES[job.sources[0]]}")
            self.logger.warning("bus.gov.ru %s failed for org %s, falling back: %s", step, job.org_id, exc.message)
            return self._card_request(job)
        if step == "nok" and job.card is not None:
            message = "; ".join(["карточка получена, результаты НОК — нет", exc.message, *job.notes])
        else:
            message = "; ".join([exc.message, *job.notes])
        return self._finish(job, exc.status, message)

    def _finish(self, job: Job, status: Status, message: str, *, nok: busgov.Nok | None = None, counted: bool = True) -> dict[str, Any] | None:
        if job.done:  # never two items for one organization
            self.logger.error("bus.gov.ru: org %s finished twice; the second result is dropped: %s", job.org_id, message)
            return None
        job.done = True
        if job.in_flight:
            job.in_flight = False
            self._in_flight -= 1
            if self._waiter is not None and not self._waiter.called:
                self._waiter.callback(None)
        if counted:
            self._count(status, message)
        return busgov.make_item(job.org_id, status, message, agency_id=job.agency_id, card=job.card, nok=nok)

    def _count(self, status: Status, message: str) -> None:
        """Give up after SVEDEN_BUSGOV_GIVE_UP_AFTER organizations in a row blocked or unreachable."""
        if status not in (Status.BLOCKED, Status.UNREACHABLE):
            self._bad_in_row = 0
            return
        self._bad_in_row += 1
        if self.give_up_after > 0 and self._bad_in_row >= self.give_up_after and not self.gave_up:
            reason = busgov.STATUS_TITLES[status]
            self.gave_up = (
                status,
                (Blocked if status == Status.BLOCKED else Unreachable)(
                    f"запрос не отправлялся: {reason} — {self._bad_in_row} организаций подряд "
                    f"завершились так же, обход bus.gov.ru остановлен; последняя ошибка: {message}"
                ),
            )
            self.logger.error("bus.gov.ru: giving up after %d organizations in a row (%s): %s", self._bad_in_row, status, message)

    def closed(self, reason: str) -> None:
        missing = [j.org_id for j in self._jobs if not j.done]
        if missing:
            self.logger.error("bus.gov.ru: %d organizations ended without an item: %s", len(missing), missing[:20])
