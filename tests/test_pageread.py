"""Pages are read in a page reader process (crawler.pageread) for a lone crawl of many sites: the same
facts as in the crawl process, stylesheets crossing as bytes, a page that crashes its reader costs
that page only. The crawl-level parity (every way of hiding, with and without a reader) is in
tests/test_visibility_crawl.py."""

from __future__ import annotations

import asyncio
import os

from scrapy.settings import Settings

from crawler import pageread
from crawler.docread import Readers
from crawler.extract import extract_page
from crawler.pagefacts import compile_selectors
from crawler.pageread import Sheet, page_processes, read_page, read_remote
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
