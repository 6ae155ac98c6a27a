"""Pages are read in a page reader process (crawler.pageread) for a lone crawl of many sites: the same
facts as in the crawl process, stylesheets crossing as bytes, a page that crashes its reader costs
that page only. The crawl-level parity (every way of hiding, with and without a reader) is in
tests/test_visibility_crawl.py."""

from __future__ import annotations

import asyncio
import os

from scrapy.settings import Settings

from crawler import pageread
from crawler.docread import Pin, Readers
from crawler.extract import extract_page
from crawler.pagefacts import compile_selectors
from crawler.pageread import Sheet, page_processes, read_page, read_remote
from cikit import real_sites
from readerkit import crash_on_page

PAGE = """<html><head><title>Сведения</title><link rel="stylesheet" href="/css/site.css"></head><body>
<div class="for-inspectors"><table itemprop="rucovodstvo"><tr><td itemprop="fio">Иванова Мария Петровна</td></tr></table></div>
<div id="news"><p>Телефон 8 (812) 123-45-67, почта school@example.ru</p><a href="/sveden/common/">Основные сведения</a></div>
</body></html>""".encode()
CSS = b".for-inspectors { display: none }"
URL = "http://127.0.0.1/sveden/"


def test_a_page_reader_gives_the_facts_the_crawl_process_gives():
    sheet = Sheet("http://127.0.0.1/css/site.css", CSS, "utf-8")
    selectors = ("#news", "table.absent")
    here = extract_page(URL, URL, PAGE, "text/html; charset=utf-8", {sheet.url: sheet.rules()}, None, compile_selectors(list(selectors)))
    assert here["hiders"] and here["selectors"]["#news"] is not None  # the stylesheet and the selectors mattered

    async def scenario():
        try:
            facts = await read_remote(1, URL, URL, PAGE, "text/html; charset=utf-8", {sheet.url: sheet}, selectors)
            pool = pageread._readers[id(asyncio.get_running_loop())].pool
            return facts, pool.pids()
        finally:
            pageread.close_readers()

    there, pids = asyncio.run(scenario())
    assert there == here
    assert pids and os.getpid() not in pids  # read in another process
    assert not pageread._readers


def test_a_stylesheet_is_parsed_once_per_reader():
    sheet = Sheet("http://127.0.0.1/css/site.css", CSS)
    first = read_page(URL, URL, PAGE, "text/html", [sheet.wire()], ())
    # The same key again with other bytes: the reader's parsed copy stands (keys are unique per fetch).
    again = read_page(URL, URL, PAGE, "text/html", [(sheet.key, sheet.url, b"", None)], ())
    assert first["hiders"] and again == first
    assert Sheet(sheet.url).key != sheet.key
    assert Sheet("http://127.0.0.1/missing.css").rules() == ()  # a 404 or robots-closed sheet styles nothing


def test_a_page_that_crashes_its_reader_twice_is_an_error_page_and_the_next_is_read():
    async def scenario():
        loop = id(asyncio.get_running_loop())
        pageread._readers[loop] = Readers(1, 2, read=crash_on_page)
        try:
            crashed = await read_remote(1, "http://127.0.0.1/crash/", "http://127.0.0.1/crash/", b"<html></html>", "text/html", {}, ())
            after = await read_remote(1, URL, URL, b"<html></html>", "text/html", {}, ())
            return crashed, after
        finally:
            pageread.close_readers()

    crashed, after = asyncio.run(scenario())
    assert crashed["error_kind"] == "error" and "страница не разобрана" in crashed["error"]
    assert crashed["links"] == [] and crashed["microdata"] == []
    assert after[1] == URL and after[0] != os.getpid()


def test_page_readers_only_where_they_pay():
    def resolved(**values) -> int:
        return page_processes(Settings({"SVEDEN_PAGE_PROCESSES": -1, "SVEDEN_PROGRESS_TOTAL": 0, **values}))

    assert resolved(SVEDEN_PROGRESS_TOTAL=200) == 1  # a lone crawl of a region
    assert resolved(SVEDEN_PROGRESS_TOTAL=3) == 0  # a few sites, a self-check: a reader's start does not pay
    assert resolved(SVEDEN_PROGRESS_TOTAL=200, REDIS_URL="redis://127.0.0.1:6379/0") == 0  # a worker of a shared run
    assert resolved(SVEDEN_PAGE_PROCESSES=1) == 1 and resolved(SVEDEN_PAGE_PROCESSES=0, SVEDEN_PROGRESS_TOTAL=200) == 0


SHEET_URL = "http://127.0.0.1/css/site.css"
HOSTS = ("127.0.0.1",)


def test_a_page_is_read_in_one_call_when_its_stylesheets_are_known_to_the_reader():
    sheet = Sheet(SHEET_URL, CSS)
    here = extract_page(URL, URL, PAGE, "text/html", {sheet.url: sheet.rules()})
    pageread.read_page(URL, URL, PAGE, "text/html", [sheet.wire()], ())  # the reader has parsed the sheet (an earlier page)
    urls, facts = pageread.begin_page(URL, URL, PAGE, "text/html", 101, HOSTS, {sheet.url: sheet.key}, frozenset(), True, ())
    assert urls == [sheet.url] and facts == here and 101 not in pageread._trees


def test_a_page_waiting_for_its_stylesheets_keeps_its_tree_in_the_reader():
    here = extract_page(URL, URL, PAGE, "text/html", {SHEET_URL: Sheet(SHEET_URL, CSS).rules()})
    # Not arrived yet, or arrived but its bytes never sent to this reader: the tree waits.
    for token, arrived in ((102, False), (103, True)):
        sheet = Sheet(SHEET_URL, CSS)
        ready = {sheet.url: sheet.key} if arrived else {}
        urls, facts = pageread.begin_page(URL, URL, PAGE, "text/html", token, HOSTS, ready, frozenset(), True, ())
        assert urls == [sheet.url] and facts is None and token in pageread._trees
        assert pageread.finish_page(URL, URL, None, "text/html", token, [sheet.wire()], ()) == here
        assert token not in pageread._trees  # a tree is read once
    sheet = Sheet(SHEET_URL, CSS)
    # A tree gone (another reader, one that died, too many waiting): parsed again, from the bytes sent then.
    assert pageread.finish_page(URL, URL, None, "text/html", 104, [sheet.wire()], ()) is None
    assert pageread.finish_page(URL, URL, PAGE, "text/html", 104, [sheet.wire()], ()) == here


def test_what_needs_no_wait_is_read_in_one_call():
    sheet = Sheet(SHEET_URL, CSS)
    bare = extract_page(URL, URL, PAGE, "text/html", {})
    assert bare != extract_page(URL, URL, PAGE, "text/html", {sheet.url: sheet.rules()})
    # A home page does not wait for a stylesheet not arrived; one that could not be read, or another
    # site's, is not waited for by anyone.
    assert pageread.begin_page(URL, URL, PAGE, "text/html", 105, HOSTS, {}, frozenset(), False, ()) == ([sheet.url], bare)
    assert pageread.begin_page(URL, URL, PAGE, "text/html", 106, HOSTS, {}, frozenset({sheet.url}), True, ()) == ([sheet.url], bare)
    assert pageread.begin_page(URL, URL, PAGE, "text/html", 107, ("example.org",), {}, frozenset(), True, ()) == ([], bare)
    # Empty (robots.txt, 404): styles nothing, with no bytes to send.
    assert pageread.begin_page(URL, URL, PAGE, "text/html", 108, HOSTS, {sheet.url: Sheet(SHEET_URL).ready_key}, frozenset(), True, ()) == ([sheet.url], bare)
    assert not {105, 106, 107, 108} & set(pageread._trees)
    # A page that does not parse is read at once.
    urls, facts = pageread.begin_page(URL, URL, b"", "text/html", 109, HOSTS, {}, frozenset(), True, ())
    assert urls == [] and facts["parse_error"]


def test_the_waiting_trees_are_bounded():
    for token in range(1000, 1000 + pageread.TREES_KEPT + 10):
        pageread.begin_page(URL, URL, PAGE, "text/html", token, HOSTS, {}, frozenset(), True, ())
    assert len(pageread._trees) == pageread.TREES_KEPT and 1000 not in pageread._trees
    pageread._trees.clear()


def test_a_reader_dying_while_a_page_waits_costs_a_second_parse_only():
    sheet = Sheet(SHEET_URL, CSS)
    here = extract_page(URL, URL, PAGE, "text/html", {sheet.url: sheet.rules()})

    async def scenario():
        try:
            urls, facts, begun = await pageread.begin_remote(1, URL, URL, PAGE, "text/html", HOSTS, {}, frozenset(), True, ())
            assert urls == [sheet.url] and facts is None
            pool = pageread._readers[id(asyncio.get_running_loop())].pool
            (pid,) = pool.pids()
            assert begun[0].helper in pool.helpers  # the page's next call goes to the reader holding its tree
            os.kill(pid, 9)
            pool.helpers[0].process.join()
            after = await pageread.finish_remote(1, begun, URL, URL, PAGE, "text/html", {sheet.url: sheet}, ())
            return after, pageread._readers[id(asyncio.get_running_loop())].pool.pids(), pid
        finally:
            pageread.close_readers()

    after, pids, dead = asyncio.run(scenario())
    assert after == here and dead not in pids


def test_a_stylesheet_the_crawl_has_read_is_handed_to_the_readers_before_the_pages_linking_it():
    sheet = Sheet(SHEET_URL, CSS)
    here = extract_page(URL, URL, PAGE, "text/html", {sheet.url: sheet.rules()})

    async def scenario():
        try:
            readers = pageread.readers(2)
            readers.start()
            pageread.share_sheet(2, sheet)
            answers = []
            for token, helper in enumerate(readers.pool.helpers, start=200):  # each reader in turn
                pin = Pin()
                pin.helper = helper
                answers.append(await readers.call(pageread.begin_page, URL, URL, PAGE, "text/html", token, HOSTS,
                                                  {sheet.url: sheet.key}, frozenset(), True, (), pin=pin))
                assert pin.helper is helper
            return answers
        finally:
            pageread.close_readers()

    assert asyncio.run(scenario()) == [([sheet.url], here)] * 2  # each read the page in its one call


def test_real_pages_read_in_one_parse_give_the_facts_of_extract_page():
    """A real university's pages through the reader's two steps: the same facts as one ``extract_page``."""
    waited = 0
    for token, f in enumerate(sorted(real_sites().glob("*.html")), start=300):
        url, body = f"http://127.0.0.1/sveden/{f.stem}/", f.read_bytes()
        urls, facts = pageread.begin_page(url, url, body, "text/html", token, HOSTS, {}, frozenset(), True, ())
        sheets = {u: Sheet(u, b".menu, .hidden-block { display: none }") for u in urls}
        here = extract_page(url, url, body, "text/html", {u: sheet.rules() for u, sheet in sheets.items()})
        if facts is None:
            waited += 1
            facts = pageread.finish_page(url, url, None, "text/html", token, [sheet.wire() for sheet in sheets.values()], ())
        assert facts == here, f.name
    assert waited  # their stylesheets are on their own site: the tree waited for them
