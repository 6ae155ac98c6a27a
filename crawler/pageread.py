"""Reading fetched pages into facts (``crawler.extract``), out of the crawl's event loop.

A lone crawl of many sites is bound by its one reactor thread: Scrapy's downloads and the reading
of the pages (tree, what is hidden, microdata, the text scans) share it. With
``SVEDEN_PAGE_PROCESSES`` page readers (by default one, for a lone crawl of
``PAGE_PROCESS_FROM`` organizations or more) the reading runs on another core and the reactor
only downloads and walks. Each page is parsed once, in the reader (``begin_page``): it finds the
page's stylesheets and, when those it needs are ones the site has read already, reads the page in
that same call. Otherwise the tree waits in the reader (``_trees``) while the crawl fetches the
stylesheets, and ``finish_page`` reads it there; a tree gone by then (its reader died, or too many
pages waited) is parsed again from the bytes.

A stylesheet crosses as its bytes, handed to every reader as soon as it is read (``share_sheet``),
and is parsed once per reader (``_rules``): its parsed rules would cost more to send than its bytes,
and the site's pages that follow are then read in one call each.

A page that crashes a reader (a native parser's fault) is read again alone; if it crashes again,
it is an error page of the checker («не проверен из-за внутренней ошибки программы»), not the
end of the run. Few sites, or a worker of a shared run (every core has a worker), read in the
crawl process as before.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from typing import Any

from crawler.childprocs import helper_processes
from crawler.css import CssRule, parse_stylesheet
from artifacts.urls import same_site
from crawler.docread import Pin, Readers, ReaderCrashed, close_all, per_loop
from crawler.extract import extract_page, parse_body, stylesheet_urls
from crawler.pagefacts import compile_selectors

log = logging.getLogger(__name__)
# Below this many organizations the reader's start (a second of imports) costs more than it gives.
PAGE_PROCESS_FROM = 20
PAGES_IN_HAND = 32  # pages sent to the readers and not yet back: their bodies wait in memory
SHEETS_KEPT = 256  # parsed stylesheets a reader keeps (about two per open site)
TREES_KEPT = 64  # parsed pages a reader keeps waiting for their stylesheets (a site's first pages)
NO_RULES = 0  # a Sheet.key for a stylesheet read as empty (forbidden by robots.txt, 4xx): styles nothing
CRASHED = "страница не разобрана: её разбор аварийно завершился на стороне проверки"
_keys = itertools.count(1)
_readers: dict[int, Readers] = {}  # per event loop, as crawler.docfetch's
_sheet_rules: OrderedDict[int, tuple[CssRule, ...]] = OrderedDict()  # in a reader: by Sheet.key
_trees: OrderedDict[int, tuple[Any, bytes]] = OrderedDict()  # in a reader: (parse_body, body) by page token
_selectors: dict[tuple[str, ...], Any] = {}


class Sheet:
    """One fetched stylesheet of a site: its bytes, parsed where its pages are read."""

    __slots__ = ("key", "url", "body", "charset", "_rules")

    def __init__(self, url: str, body: bytes = b"", charset: str | None = None):
        self.key = next(_keys)  # unique in the crawl process: a reader's cache is keyed by it
        self.url = url
        self.body = body
        self.charset = charset
        self._rules: tuple[CssRule, ...] | None = None

    def rules(self) -> tuple[CssRule, ...]:
        if self._rules is None:
            self._rules = _parse(self.url, self.body, self.charset)
        return self._rules

    def wire(self) -> tuple[int, str, bytes, str | None]:
        return self.key, self.url, self.body, self.charset

    @property
    def ready_key(self) -> int:
        """The key a reader knows its rules by; NO_RULES when it styles nothing."""
        return self.key if self.body else NO_RULES


def _parse(url: str, body: bytes, charset: str | None) -> tuple[CssRule, ...]:
    if not body:
        return ()
    try:
        return parse_stylesheet(body, url, charset)
    except Exception as exc:  # tinycss2 does not raise on bad CSS; anything else is a bug, logged, never a crash
        log.warning("stylesheet %s not parsed: %s", url, exc)
        return ()


def _rules(key: int, url: str, body: bytes, charset: str | None) -> tuple[CssRule, ...]:
    rules = _sheet_rules.get(key)
    if rules is None:
        rules = _sheet_rules[key] = _parse(url, body, charset)
        if len(_sheet_rules) > SHEETS_KEPT:
            _sheet_rules.popitem(last=False)
    else:
        _sheet_rules.move_to_end(key)
    return rules


def learn_sheet(key: int, url: str, body: bytes, charset: str | None) -> None:
    """In a page reader: parse a stylesheet the crawl has just read, for the pages that will link it."""
    _rules(key, url, body, charset)


def _known_rules(key: int) -> tuple[CssRule, ...] | None:
    """The rules of a stylesheet this reader has parsed already (None when it has not)."""
    if key == NO_RULES:
        return ()
    rules = _sheet_rules.get(key)
    if rules is not None:
        _sheet_rules.move_to_end(key)
    return rules


def _compiled(selectors: tuple[str, ...]) -> Any:
    if selectors not in _selectors:
        _selectors[selectors] = compile_selectors(list(selectors))
    return _selectors[selectors]


def read_page(url: str, final_url: str, body: bytes, content_type: str | None,
              sheets: list[tuple[int, str, bytes, str | None]], selectors: tuple[str, ...], parsed: Any = None) -> dict[str, Any]:
    """In a page reader: ``extract_page`` from the page's bytes (or its tree, ``parsed``) and its stylesheets' bytes."""
    rules = {sheet_url: _rules(key, sheet_url, sheet_body, charset) for key, sheet_url, sheet_body, charset in sheets}
    return extract_page(url, final_url, body, content_type, rules, parsed, _compiled(selectors))


def begin_page(url: str, final_url: str, body: bytes, content_type: str | None, token: int, hosts: tuple[str, ...],
               ready: dict[str, int], unread: frozenset[str], wait: bool, selectors: tuple[str, ...]) -> tuple[list[str], dict[str, Any] | None]:
    """In a page reader: parse the page; its same-site stylesheets and, when it can be read now, its facts.

    ``ready``: the site's stylesheets read so far (address → Sheet.key), ``unread``: those that could
    not be. It can be read now when each stylesheet it links is ready and parsed here already, or
    unread, or (``wait`` false: pages whose markup is not judged) simply not arrived yet. Else the
    tree is kept under ``token`` for ``finish_page`` and the facts are None.
    """
    parsed = parse_body(body, content_type)
    if parsed[0] is None:
        return [], extract_page(url, final_url, body, content_type, {}, parsed, _compiled(selectors))
    urls = [u for u in stylesheet_urls(parsed[0], final_url) if any(same_site(u, h) for h in hosts)]
    rules: dict[str, tuple[CssRule, ...]] = {}
    for u in urls:
        known = _known_rules(ready[u]) if u in ready else None
        if known is not None:
            rules[u] = known
        elif (u in ready or wait) and u not in unread:  # to be fetched, or its bytes to be sent here
            _trees[token] = (parsed, body)
            if len(_trees) > TREES_KEPT:
                _trees.popitem(last=False)
            return urls, None
    return urls, extract_page(url, final_url, body, content_type, rules, parsed, _compiled(selectors))


def finish_page(url: str, final_url: str, body: bytes | None, content_type: str | None, token: int,
                sheets: list[tuple[int, str, bytes, str | None]], selectors: tuple[str, ...]) -> dict[str, Any] | None:
    """In a page reader: the facts of the page ``begin_page`` kept, with its stylesheets. None when
    its tree is not here and ``body`` was not sent (the caller sends it then)."""
    kept = _trees.pop(token, None)
    if kept is not None:
        return read_page(url, final_url, kept[1], content_type, sheets, selectors, kept[0])
    return read_page(url, final_url, body, content_type, sheets, selectors) if body is not None else None


def page_processes(settings) -> int:
    """``SVEDEN_PAGE_PROCESSES`` with auto (-1) resolved: one reader for a lone crawl of
    ``PAGE_PROCESS_FROM`` organizations or more, else none."""
    if settings.getint("SVEDEN_PAGE_PROCESSES") < 0 and settings.getint("SVEDEN_PROGRESS_TOTAL") < PAGE_PROCESS_FROM:
        return 0
    return helper_processes(settings, "SVEDEN_PAGE_PROCESSES")


def readers(processes: int) -> Readers:
    """The process's page readers (made on first use, closed with the last crawl)."""
    return per_loop(_readers, lambda: Readers(processes, PAGES_IN_HAND, read=read_page, warm=None))


async def read_remote(processes: int, url: str, final_url: str, body: bytes, content_type: str | None,
                      sheets: dict[str, Sheet], selectors: tuple[str, ...]) -> dict[str, Any]:
    """The page's facts from a page reader; a page that crashed it twice is an error page."""
    try:
        return await readers(processes).read(url, final_url, body, content_type, [s.wire() for s in sheets.values()], selectors)
    except ReaderCrashed:
        return _crashed(url)


async def begin_remote(processes: int, url: str, final_url: str, body: bytes, content_type: str | None,
                       hosts: tuple[str, ...], ready: dict[str, int], unread: frozenset[str], wait: bool,
                       selectors: tuple[str, ...]) -> tuple[list[str], dict[str, Any] | None, tuple[Pin, int]]:
    """``begin_page`` in a page reader: (the page's same-site stylesheets, its facts or None, what
    ``finish_remote`` needs to find the tree)."""
    begun = (Pin(), next(_keys))
    try:
        urls, facts = await readers(processes).call(begin_page, url, final_url, body, content_type, begun[1], hosts,
                                                    ready, unread, wait, selectors, pin=begun[0])
    except ReaderCrashed:
        return [], _crashed(url), begun
    return urls, facts, begun


async def finish_remote(processes: int, begun: tuple[Pin, int], url: str, final_url: str, body: bytes, content_type: str | None,
                        sheets: dict[str, Sheet], selectors: tuple[str, ...]) -> dict[str, Any]:
    """``finish_page`` in the reader holding the page's tree; from the bytes if that tree is gone."""
    pin, token = begun
    wire = [s.wire() for s in sheets.values()]
    try:
        facts = await readers(processes).call(finish_page, url, final_url, None, content_type, token, wire, selectors, pin=pin)
        if facts is None:
            facts = await readers(processes).call(finish_page, url, final_url, body, content_type, token, wire, selectors)
        return facts
    except ReaderCrashed:
        return _crashed(url)


def share_sheet(processes: int, sheet: Sheet) -> None:
    """Hand a stylesheet just read to the running page readers: the site's pages that come next
    are then read in one call."""
    if sheet.body:
        readers(processes).tell(learn_sheet, *sheet.wire())


def _crashed(url: str) -> dict[str, Any]:
    """A page that crashed the reader twice: an error page of the checker, not the end of the run."""
    log.error("page %s crashed the page reader twice", url)
    return {"microdata": [], "itemtypes": [], "links": [], "forms": [], "error_kind": "error", "error": CRASHED}


def close_readers() -> None:
    close_all(_readers)
