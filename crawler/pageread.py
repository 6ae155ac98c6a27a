"""Reading fetched pages into facts (``crawler.extract``), out of the crawl's event loop.

A lone crawl of many sites is bound by its one reactor thread: Scrapy's downloads and the reading
of the pages (tree, what is hidden, microdata, the text scans) share it. With
``SVEDEN_PAGE_PROCESSES`` page readers (by default one, for a lone crawl of
``PAGE_PROCESS_FROM`` organizations or more) the reading runs on another core and the reactor
only downloads and walks. The reactor still parses each page once, to find its stylesheets;
the reader parses its own copy, since a tree cannot cross processes.

A stylesheet crosses as its bytes, and is parsed once per reader (``_rules``): its parsed rules
would cost more to send with every page that links it than its bytes.

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
from crawler.docread import Readers, ReaderCrashed, close_all, per_loop
from crawler.extract import extract_page
from crawler.pagefacts import compile_selectors

log = logging.getLogger(__name__)
# Below this many organizations the reader's start (a second of imports) costs more than it gives.
PAGE_PROCESS_FROM = 20
PAGES_IN_HAND = 32  # pages sent to the readers and not yet back: their bodies wait in memory
SHEETS_KEPT = 256  # parsed stylesheets a reader keeps (about two per open site)
CRASHED = {"error_kind": "error", "error": "страница не разобрана: её разбор аварийно завершился на стороне проверки"}
_keys = itertools.count(1)
_readers: dict[int, Readers] = {}  # per event loop, as crawler.docfetch's
_sheet_rules: OrderedDict[int, tuple[CssRule, ...]] = OrderedDict()  # in a reader: by Sheet.key
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


def read_page(url: str, final_url: str, body: bytes, content_type: str | None,
              sheets: list[tuple[int, str, bytes, str | None]], selectors: tuple[str, ...]) -> dict[str, Any]:
    """In a page reader: ``extract_page`` from the page's bytes and its stylesheets' bytes."""
    if selectors not in _selectors:
        _selectors[selectors] = compile_selectors(list(selectors))
    rules = {sheet_url: _rules(key, sheet_url, sheet_body, charset) for key, sheet_url, sheet_body, charset in sheets}
    return extract_page(url, final_url, body, content_type, rules, None, _selectors[selectors])


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
        log.error("page %s crashed the page reader twice", url)
        return {"microdata": [], "itemtypes": [], "links": [], "forms": [], **CRASHED}


def close_readers() -> None:
    close_all(_readers)
