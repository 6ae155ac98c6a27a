"""Gathering one site: home page → section → subsections → addRef pages → feedback pages → documents.

Every request of a site goes straight to the downloader (``engine.download_async``), so the
downloader middlewares (robots.txt, retries, redirects, timeouts, size limits) and per-host
slots apply, while the site's state stays in one coroutine. Only the organization's seed
request passes through the scheduler, which is what scrapy-redis distributes between workers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response, TextResponse

from artifacts import layout
from artifacts import patterns as fp
from artifacts.schema import OUTCOMES, SITE_VERSION
from crawler import discovery
from crawler.docfetch import DocumentFetcher
from crawler.errors import TimeBudgetExceeded, classify_exception, classify_status, dropped_connection
from artifacts.urls import same_site, url_host_key
from crawler.extract import extract_page, parse_body, stylesheet_urls
from crawler.feedback_links import select_feedback_links
from crawler.pagefacts import compile_selectors
from crawler.pageread import Sheet, begin_remote, finish_remote, page_processes, read_remote, share_sheet

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # which process crawled the site (distributed runs)
HEAD_REFUSED = (400, 403, 405, 406, 501)  # servers that answer HEAD wrongly but serve GET
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")
ERROR_PAGE = {"microdata": [], "itemtypes": [], "links": [], "forms": []}


@dataclass(frozen=True)
class Target:
    url: str
    org_id: str | None = None
    org_type: str | None = None
    # The address was given without a scheme and ``url`` is its https:// form: when https cannot
    # connect, the site is tried once more over http:// (the artifact's ``url`` says which one).
    http_fallback: bool = False
    # Seconds the site took last month (the orchestration's estimate): the slowest start first.
    expected_seconds: float = 0.0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Target:
        return cls(url=d["url"], org_id=d.get("org_id"), org_type=d.get("org_type"), http_fallback=bool(d.get("http_fallback")),
                   expected_seconds=float(d.get("expected_seconds") or 0.0))


class SiteCrawl:
    def __init__(self, target: Target, engine=None, settings=None):
        self.target = target
        self.engine = engine
        if settings is not None:
            self.page_budget = settings.getint("SVEDEN_PAGE_BUDGET")
            self.probe_budget = settings.getint("SVEDEN_PROBE_BUDGET")
            self.addref_limit = settings.getint("SVEDEN_ADDREF_LIMIT")
            self.feedback_limit = settings.getint("SVEDEN_FEEDBACK_PAGES")
            self.probe_offsite = settings.getbool("SVEDEN_PROBE_OFFSITE", True)
            self.sem = asyncio.Semaphore(settings.getint("SVEDEN_SITE_CONCURRENCY"))
            # Wall-clock budgets: one slow or tarpit site never holds up the end of a monthly run.
            self.time_budget = settings.getfloat("SVEDEN_SITE_TIME_BUDGET")
            self.probe_time_budget = settings.getfloat("SVEDEN_PROBE_TIME_BUDGET")
            # Which itemprops link documents is the audits' knowledge: orchestration passes it in.
            self.probe_itemprops = frozenset(settings.getlist("SVEDEN_PROBE_ITEMPROPS"))
            # So are the link texts of plain document links to probe (НОКО plans, regional rules).
            self.probe_link_texts = _compile_link_texts(settings.getlist("SVEDEN_PROBE_LINK_TEXTS"))
            self.probe_paths = [p for p in settings.getlist("SVEDEN_PROBE_PATHS") if isinstance(p, str) and p.startswith("/")]
            self.stylesheet_limit = settings.getint("SVEDEN_STYLESHEETS")
            self.stylesheet_maxsize = settings.getint("SVEDEN_STYLESHEET_MAXSIZE")
            self.docs: DocumentFetcher | None = DocumentFetcher(self, settings)
            self.selectors = compile_selectors(settings.getlist("SVEDEN_PROBE_SELECTORS"))
            self.page_processes = page_processes(settings)  # page readers (crawler.pageread); 0: read here
        else:
            self.docs = None
            self.probe_paths = []
            self.stylesheet_limit = self.stylesheet_maxsize = 0
            self.probe_itemprops = frozenset()
            self.probe_link_texts = None
            self.selectors = ()
            self.page_processes = 0
            self.time_budget = self.probe_time_budget = 0.0
        self.index: dict[str, str] | None = None
        self.pending: dict[str, asyncio.Future] = {}
        self.unprobed = 0
        self.pages: list[dict[str, Any]] = []
        self.page_index: dict[str, int] = {}
        self.probes: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, dict[str, Any]] = {}  # facts of the downloaded documents (crawler.docfetch)
        self.sections: dict[str, dict[str, Any]] = {}
        # The site's hosts in one form (artifacts.urls.host_key): a registry's «школа.рф» and the
        # «xn--80atdl2c.xn--p1ai» it answers from are one host.
        self.hosts = {url_host_key(target.url)}
        self.started = time.monotonic()
        self.deadline = self.started + self.time_budget if self.time_budget > 0 else float("inf")
        self.bytes = 0
        self.skipped_pages = 0
        # The site's stylesheets, each fetched and parsed once: pages wait for the ones they link.
        self.stylesheets: dict[str, asyncio.Future] = {}
        self.stylesheets_unread = 0
        self.stylesheets_forbidden: set[str] = set()

    # -- fetching -------------------------------------------------------------------------
    async def _download(self, request: Request, deadline: float | None = None) -> Response:
        """A download through the engine, cut off at the site's (or the caller's) deadline."""
        until = min(self.deadline, deadline or float("inf"))
        async with self.sem:
            left = until - time.monotonic()
            if left <= 0:
                raise TimeBudgetExceeded(request.url)
            try:  # no budget: no timeout beyond the downloader's own
                return await asyncio.wait_for(self.engine.download_async(request), None if left == float("inf") else left)
            except TimeoutError:
                raise TimeBudgetExceeded(request.url) from None

    @staticmethod
    def _readable(response: Response) -> bool:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        is_html = isinstance(response, TextResponse) or ctype.split(";")[0].strip().lower() in HTML_TYPES
        return 200 <= response.status < 300 and is_html

    async def page_from_response(
        self, url: str, response: Response, role: str, section: str,
        stylesheets: dict[str, Sheet] | None = None, parsed: tuple[Any, str] | None = None, facts: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        page: dict[str, Any] = {"url": url, "final_url": response.url, "status": response.status, "role": role, "section": section}
        self.bytes += len(response.body)
        if self._readable(response):
            if facts is not None:  # read already (read_in_reader)
                page.update(facts)
            elif self.page_processes:
                page.update(await read_remote(self.page_processes, url, response.url, response.body, ctype or None,
                                              stylesheets or {}, tuple(sel for sel, _ in self.selectors)))
            else:
                rules = {u: sheet.rules() for u, sheet in (stylesheets or {}).items()}
                page.update(extract_page(url, response.url, response.body, ctype or None, rules, parsed, self.selectors))
            if modified := response.headers.get(b"Last-Modified", b"").decode("latin-1")[:100]:
                page["last_modified"] = modified
            head = response.body[:20000].decode("utf-8", "ignore") if len(page.get("links", [])) < 5 else ""
            verdict = classify_status(response.status, head)
        else:
            page.update(ERROR_PAGE)
            verdict = classify_status(response.status)
        if verdict:
            page["error_kind"], page["error"] = verdict
        return page

    async def fetch(self, url: str, role: str, section: str = "", response: Response | None = None) -> int:
        """Fetch an HTML page once per site; returns its index in ``pages``.

        Two subsections may link one URL and be crawled at once: the second waits for the
        first download instead of reading a half-filled page.
        """
        if url in self.page_index:
            pending = self.pending.get(url)
            if pending is not None:
                await asyncio.shield(pending)
            return self.page_index[url]
        if len(self.pages) >= self.page_budget:
            self.skipped_pages += 1
            return -1
        idx = self.page_index[url] = len(self.pages)
        self.pages.append({"url": url, "role": role, "section": section, "status": None, **ERROR_PAGE})
        done = self.pending[url] = asyncio.get_running_loop().create_future()
        try:
            if response is None:
                try:
                    response = await self._download(Request(url, dont_filter=True, meta={"sveden_role": role, "sveden_section": section}))
                except Exception as exc:  # every failure is an outcome, never a crash
                    kind, message = classify_exception(exc)
                    self.pages[idx].update(final_url=url, error_kind=kind, error=message)
                    return idx
            # Subsection pages wait for their stylesheets (their markup is judged); the others start them.
            wait = role in ("section", "addref")
            if self.page_processes and self.stylesheet_limit and self._readable(response):
                facts, sheets, unread = await self.read_in_reader(url, response, wait)
                self.pages[idx] = await self.page_from_response(url, response, role, section, facts=facts)
            else:
                sheets, parsed, unread = await self.page_stylesheets(response, wait)
                self.pages[idx] = await self.page_from_response(url, response, role, section, sheets, parsed)
            if unread and "microdata" in self.pages[idx]:
                self.pages[idx]["css_unread"] = unread[:5]
            forbidden = [u for u in sheets if u in self.stylesheets_forbidden]
            if forbidden and "microdata" in self.pages[idx]:
                self.pages[idx]["css_robots"] = forbidden[:5]
            self.page_index.setdefault(self.pages[idx].get("final_url", url), idx)
            return idx
        finally:
            done.set_result(None)
            del self.pending[url]

    async def page_stylesheets(self, response: Response, wait: bool = True) -> tuple[dict[str, Sheet], tuple[Any, str] | None, list[str]]:
        """The site's own stylesheets a page links, the page's parsed tree and the addresses of its
        stylesheets that could not be read (a crawl reading its pages itself)."""
        if not self.stylesheet_limit or not self._readable(response):
            return {}, None, []
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        parsed = parse_body(response.body, ctype or None)
        if parsed[0] is None:
            return {}, parsed, []
        urls = [u for u in stylesheet_urls(parsed[0], response.url) if any(same_site(u, h) for h in self.hosts)]
        sheets, unread = await self.linked_stylesheets(urls, wait)
        return sheets, parsed, unread

    async def read_in_reader(self, url: str, response: Response, wait: bool) -> tuple[dict[str, Any], dict[str, Sheet], list[str]]:
        """The page read by a page reader, which alone parses it: (its facts, the stylesheets they
        applied, those that could not be read). One call when the stylesheets it needs are ones the
        site has read already; else the reader keeps the tree while they are fetched."""
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        selectors = tuple(sel for sel, _ in self.selectors)
        arrived = {u: f.result() for u, f in self.stylesheets.items() if f.done() and not f.cancelled() and f.exception() is None}
        ready = {u: sheet.ready_key for u, sheet in arrived.items() if sheet is not None}
        unread = frozenset(u for u, sheet in arrived.items() if sheet is None)
        urls, facts, begun = await begin_remote(self.page_processes, url, response.url, response.body, ctype,
                                                tuple(self.hosts), ready, unread, wait, selectors)
        if facts is not None:
            self.start_stylesheets(urls)  # for the pages to come: this one did not wait for them
            return facts, {u: arrived[u] for u in urls if u in ready}, [u for u in urls if u in unread]
        sheets, missing = await self.linked_stylesheets(urls, wait)
        facts = await finish_remote(self.page_processes, begun, url, response.url, response.body, ctype, sheets, selectors)
        return facts, sheets, missing

    def start_stylesheets(self, urls: list[str]) -> None:
        """Fetch each of the site's stylesheets once, at most ``SVEDEN_STYLESHEETS`` per site
        (another site's, a CDN's, is not read: ``urls`` are the site's own)."""
        for u in urls:
            if u not in self.stylesheets:
                if len(self.stylesheets) >= self.stylesheet_limit:
                    continue  # over the per-site limit: not asked for, so not «unread»
                self.stylesheets[u] = asyncio.ensure_future(self._stylesheet(u))

    async def linked_stylesheets(self, urls: list[str], wait: bool) -> tuple[dict[str, Sheet], list[str]]:
        """The stylesheets of ``urls`` (started now if new), waited for or only those arrived; and
        the addresses of those that could not be read. A stylesheet is shared by every page linking it."""
        self.start_stylesheets(urls)
        wanted = [u for u in urls if u in self.stylesheets]
        if not wait:  # what has arrived already; the rest is not waited for, so not «unread» either
            wanted = [u for u in wanted if self.stylesheets[u].done()]
        rules = await asyncio.gather(*(asyncio.shield(self.stylesheets[u]) for u in wanted))
        return {u: r for u, r in zip(wanted, rules) if r is not None}, [u for u, r in zip(wanted, rules) if r is None]

    async def _stylesheet(self, url: str) -> Sheet | None:
        """The stylesheet (parsed where its pages are read); None when it could not be read (the
        pages linking it say so)."""
        meta = {"sveden_css": True, "max_retry_times": 0, "download_maxsize": self.stylesheet_maxsize, "download_warnsize": 0}
        try:
            response = await self._download(Request(url, dont_filter=True, meta=meta))
        except Exception as exc:  # an unread stylesheet is a fact of the pages that link it, never a crash
            log.debug("stylesheet %s not read: %s", url, exc)
            if classify_exception(exc)[0] == "robots_disallowed":
                self.stylesheets_forbidden.add(url)  # the owner's rule for robots (Bitrix: /bitrix/): said, not «unread»
                return Sheet(url)
            self.stylesheets_unread += 1
            return None
        if 400 <= response.status < 500:
            return Sheet(url)  # a missing stylesheet styles nothing, for a visitor too: known, not unread
        if not 200 <= response.status < 300:
            self.stylesheets_unread += 1
            return None
        self.bytes += len(response.body)
        charset = response.headers.get(b"Content-Type", b"").decode("latin-1").partition("charset=")[2].split(";")[0].strip() or None
        sheet = Sheet(url, response.body, charset)
        if self.page_processes:
            share_sheet(self.page_processes, sheet)
        return sheet

    async def probe(self, url: str, deadline: float | None = None) -> None:
        """Does the document exist? HEAD, falling back to a GET that stops after the headers.

        The GET is tried only where HEAD itself may be the problem (servers refusing HEAD or
        dropping the connection); a timeout or a dead host is not asked twice.
        """
        meta = {"sveden_probe": True, "download_timeout": 15, "max_retry_times": 0}
        try:
            resp = await self._download(Request(url, method="HEAD", dont_filter=True, meta=dict(meta)), deadline)
        except Exception as exc:
            kind, message = classify_exception(exc)
            if not dropped_connection(exc):
                self.probes[url] = {"method": "HEAD", "status": None, "error_kind": kind, "error": message}
                return
        else:
            if resp.status not in HEAD_REFUSED:
                self.probes[url] = {"method": "HEAD", "status": resp.status, **_modified(resp)}
                return
        try:
            resp = await self._download(Request(url, dont_filter=True, meta=dict(meta)), deadline)
            self.probes[url] = {"method": "GET", "status": resp.status, **_modified(resp)}
        except Exception as exc:
            kind, message = classify_exception(exc)
            self.probes[url] = {"method": "GET", "status": None, "error_kind": kind, "error": message}

    # -- the walk -------------------------------------------------------------------------
    async def run(self, home_response: Response) -> dict[str, Any]:
        home_idx = await self.fetch(self.target.url, "home", response=home_response)
        home = self.pages[home_idx]
        self.hosts.add(url_host_key(home.get("final_url") or self.target.url))
        if home.get("error_kind"):
            kind = "http_error" if home["error_kind"] == "not_found" else home["error_kind"]
            return self.finish(kind, home.get("error", ""), home.get("status"))

        index_url = discovery.find_index_link(home["links"], self.hosts)
        found_by = "link" if index_url else "path"
        index_url = index_url or discovery.guess_subsection_url(home["final_url"], "").rstrip("/") + "/"
        index_idx = await self.fetch(index_url, "index")
        index = self.pages[index_idx] if index_idx >= 0 else ERROR_PAGE
        index_ok = not index.get("error_kind") and bool(index.get("status"))
        link_sets = ([(index["links"], True)] if index_ok else []) + [(home["links"], not index_ok)]
        mapping = discovery.map_subsections(link_sets, self.hosts)
        for s in layout.SUBSECTIONS:
            if s.slug not in mapping:
                mapping[s.slug] = (discovery.guess_subsection_url(home["final_url"], s.slug), "path")
        await asyncio.gather(*(self.crawl_section(slug, url, how) for slug, (url, how) in mapping.items()))

        seen = set(self.page_index)
        home_host = url_host_key(home.get("final_url") or self.target.url)
        feedback_urls = [u for u in select_feedback_links(home, home_host, self.feedback_limit) if u not in seen]
        await asyncio.gather(*(self.fetch(u, "feedback") for u in feedback_urls))

        await self.probe_documents()
        any_section = any(m.get("page", -1) >= 0 and not m.get("error_kind") for m in self.sections.values())
        self.index = {"url": index.get("final_url", index_url) if index_ok else "", "found_by": found_by if index_ok else ""}
        if not index_ok and not any_section:
            unreadable = self.unreadable_section(index)
            if unreadable:
                return self.finish(*unreadable)
            return self.finish("no_sveden_section", "раздел «Сведения об образовательной организации» не найден ни по ссылкам, ни по адресу /sveden/", None)
        return self.finish("ok", "", home.get("status"))

    def unreadable_section(self, index: dict[str, Any]) -> tuple[str, str, int | None] | None:
        """Why the section could not be read, when its pages failed otherwise than «not found».

        All subsection pages answering 5xx, timing out or exceeding the size limit is «not
        checked», never «no section» (which would read as zero failures).
        """
        failures = [(m.get("error_kind"), m.get("error", ""), m.get("status")) for m in self.sections.values()]
        failures.append((index.get("error_kind"), index.get("error", ""), index.get("status")))
        real = [f for f in failures if f[0] and f[0] not in ("not_found", "budget")]
        if not real:
            return None
        kind = Counter(k for k, _, _ in real).most_common(1)[0][0]
        message, status = next((m, st) for k, m, st in real if k == kind)
        return kind, f"страницы раздела «Сведения об образовательной организации» не удалось прочитать ({len(real)} из {len(failures)}): {message}", status

    async def crawl_section(self, slug: str, url: str, how: str) -> None:
        idx = await self.fetch(url, "section", slug)
        meta: dict[str, Any] = {"url": url, "found_by": how, "page": idx, "addrefs": []}
        self.sections[slug] = meta
        if idx < 0:
            meta.update(error_kind="budget", error="превышен лимит страниц сайта")
            return
        page = self.pages[idx]
        meta.update(status=page.get("status"), final_url=page.get("final_url", url))
        if page.get("error_kind"):
            meta.update(error_kind=page["error_kind"], error=page.get("error", ""))
            if page["error_kind"] == "not_found":
                meta["page"] = -1
            return
        if page.get("role") != "section" or page.get("section") not in ("", slug):
            # The same URL serves another subsection (e.g. a menu pointing two titles at one page).
            meta["shared_with"] = page.get("section")
        addrefs = []
        for node in page["microdata"]:
            if "addRef" in node["p"].split():
                addrefs += [h for h in node.get("h", []) if any(same_site(h, host) for host in self.hosts)]
        addrefs = list(dict.fromkeys(addrefs))[: self.addref_limit]
        idxs = await asyncio.gather(*(self.fetch(u, "addref", slug) for u in addrefs))
        meta["addrefs"] = [i for i in idxs if i >= 0 and not self.pages[i].get("error_kind")]
        meta["addref_errors"] = [self.pages[i]["url"] for i in idxs if i >= 0 and self.pages[i].get("error_kind")]

    async def probe_documents(self) -> None:
        names = self.probe_itemprops
        urls: list[str] = []
        for meta in self.sections.values():
            for i in [meta.get("page", -1), *meta.get("addrefs", [])]:
                if i < 0:
                    continue
                for node in self.pages[i]["microdata"]:
                    if names.intersection(node["p"].split()):
                        urls += [h for h in node.get("h", []) if h.startswith(("http://", "https://"))]
        if self.probe_link_texts is not None:
            for page in self.pages:
                for link in page.get("links") or []:
                    href = link.get("href", "")
                    if href.startswith(("http://", "https://")) and self.probe_link_texts.search(fp.norm(link.get("text", ""))):
                        urls.append(href.split("#")[0])
        home = next((p for p in self.pages if p.get("role") == "home"), None)
        if home is not None and self.probe_paths:
            base = home.get("final_url") or home.get("url") or self.target.url
            urls += [urljoin(base, p) for p in self.probe_paths]
        urls = list(dict.fromkeys(urls))
        if not self.probe_offsite:
            urls = [u for u in urls if any(same_site(u, h) for h in self.hosts)]
        self.unprobed = max(0, len(urls) - self.probe_budget)
        # Probes have their own time budget too: a tarpit of never-answering documents fails fast.
        deadline = time.monotonic() + self.probe_time_budget if self.probe_time_budget > 0 else None
        if self.docs is not None:
            await self.docs.fetch_all(urls[: self.probe_budget], deadline)
        else:
            await asyncio.gather(*(self.probe(u, deadline) for u in urls[: self.probe_budget]))

    def finish(self, status: str, message: str, http_status: int | None) -> dict[str, Any]:
        for pending in self.stylesheets.values():  # started by a page nothing waited for (a home page without a section)
            if not pending.done():
                pending.cancel()
        if status not in ("ok",) and not message:
            message = OUTCOMES.get(status, status)
        return {
            "version": SITE_VERSION,
            "url": self.target.url,
            "host": urlsplit(self.target.url).hostname,
            "hosts": sorted(h for h in self.hosts if h),  # the registry's host and the one it redirected to
            "org_id": self.target.org_id,
            "org_type": self.target.org_type,
            "outcome": {"status": status, "message": message, "http_status": http_status},
            "index": self.index,
            "sections": self.sections,
            "pages": self.pages,
            "probes": self.probes,
            "documents": self.documents,
            "stats": {
                "pages": sum(1 for p in self.pages if p.get("status")),
                "probes": len(self.probes),
                "unprobed_links": self.unprobed,
                "documents": len(self.documents),
                "documents_over_budget": self.docs.skipped if self.docs is not None else 0,
                "skipped_pages": self.skipped_pages,
                "stylesheets": len(self.stylesheets),
                "stylesheets_unread": self.stylesheets_unread,
                "stylesheets_robots": len(self.stylesheets_forbidden),
                "bytes": self.bytes,
                "seconds": round(time.monotonic() - self.started, 3),
                "worker": WORKER,
                # What this crawl looked for beyond the defaults: a rule needing more asks for a new crawl.
                "selectors": [sel for sel, _ in self.selectors],
                "dates": True,  # pages keep Last-Modified and the update date they state; probes Last-Modified
            },
        }


def _modified(resp: Response) -> dict[str, str]:
    """A probe's Last-Modified, for the regional «updated within N days» rules."""
    value = resp.headers.get(b"Last-Modified", b"").decode("latin-1")[:100]
    return {"last_modified": value} if value else {}


def _compile_link_texts(patterns: list[str]) -> re.Pattern[str] | None:
    """One expression for the link-text patterns (normalized text, ``artifacts.patterns.norm``);
    a pattern that does not compile is left out (the orchestration validated them)."""
    valid = []
    for p in patterns:
        try:
            re.compile(p)
        except re.error:
            continue
        valid.append(f"(?:{p})")
    return re.compile("|".join(valid)) if valid else None


def failed_site(target: Target, exc: BaseException | None, kind: str | None = None, message: str = "",
                started: float | None = None) -> dict[str, Any]:
    """The artifact of a site whose home page could not be fetched at all; ``started``: when its first
    request reached the downloader (time.monotonic()), so that its seconds count the waits for it."""
    if exc is not None:
        kind, message = classify_exception(exc)
        log.info("site %s (%s) failed: %s (%s: %s)", target.url, target.org_id, kind, type(exc).__name__, exc)
    crawl = SiteCrawl(target)
    if started is not None:
        crawl.started = started
    return crawl.finish(kind or "unreachable", message, None)
