"""Back-pressure in one crawl process: a bounded number of open sites (SVEDEN_SITES_IN_FLIGHT) and a
bounded backlog of downloaded, unread documents (SVEDEN_DOCUMENT_BACKLOG), so that the memory and the
temporary files of a run do not grow with the size of the region."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.settings import Settings

from crawler.docfetch import Backlog, DocumentFetcher
from crawler.spiders.sveden import SvedenSpider
from crawlkit import FAST, REPO
from sitekit import Route, page, serve


def spider(limit: int, n: int = 4) -> SvedenSpider:
    s = SvedenSpider(targets=[{"org_id": f"o{i}", "url": f"https://s{i}.example.ru/"} for i in range(n)])
    settings = Settings()
    settings.setmodule("crawler.settings")
    settings.set("SVEDEN_SITES_IN_FLIGHT", limit)
    s.settings = settings
    return s


def test_a_seed_waits_while_the_limit_of_open_sites_is_reached():
    async def scenario():
        sp = spider(limit=2)
        gen = sp.start()
        first, second = await anext(gen), await anext(gen)
        assert sp.sites_open == 2 and {first.url, second.url} == {"https://s0.example.ru/", "https://s1.example.ru/"}
        third = asyncio.ensure_future(anext(gen))
        await asyncio.sleep(0.05)
        assert not third.done()  # two sites open: the third seed waits
        sp.end_site()
        assert (await asyncio.wait_for(third, 1)).url == "https://s2.example.ru/"
        assert sp.sites_open == 2

    asyncio.run(scenario())


def test_no_limit_hands_every_seed_at_once():
    async def scenario():
        sp = spider(limit=0)
        return [r.url async for r in sp.start()]

    assert len(asyncio.run(scenario())) == 4


def test_a_site_that_never_reports_its_end_does_not_stall_the_run(caplog):
    async def scenario():
        sp = spider(limit=1)
        sp.stall_patience = lambda: 0.05
        gen = sp.start()
        await anext(gen)
        return await asyncio.wait_for(anext(gen), 2)  # nothing ends: after the patience, one more

    assert asyncio.run(scenario()).url == "https://s1.example.ru/"
    assert "starting one more" in caplog.text


def test_the_backlog_lets_one_download_go_per_file_read():
    async def scenario():
        b = Backlog(2)
        b.add(), b.add()
        assert b.full()
        waiters = [asyncio.ensure_future(b.room()) for _ in range(3)]
        await asyncio.sleep(0.01)
        assert not any(w.done() for w in waiters)
        b.done()
        await asyncio.sleep(0.01)
        assert [w.done() for w in waiters] == [True, False, False]  # first come, first served
        waiters[1].cancel()
        b.add()  # the one let go downloaded its file
        b.done()
        await asyncio.sleep(0.01)
        assert waiters[2].done() and not waiters[2].cancelled()  # the cancelled one is passed over

    asyncio.run(scenario())


def test_a_wake_up_received_by_a_cancelled_waiter_goes_to_the_next():
    async def scenario():
        b = Backlog(1)
        b.add()
        first, second = asyncio.ensure_future(b.room()), asyncio.ensure_future(b.room())
        await asyncio.sleep(0.01)
        b.done()  # wakes «first»…
        first.cancel()  # …which is cancelled before it runs
        await asyncio.sleep(0.01)
        assert second.done() and not second.cancelled()

    asyncio.run(scenario())


def test_waiting_for_the_backlog_moves_the_sites_budgets_on_once():
    async def scenario():
        settings = Settings()
        settings.setmodule("crawler.settings")
        settings.set("SVEDEN_DOCUMENT_BACKLOG", 1)
        crawl = SimpleNamespace(deadline=1000.0, pages=[])
        fetcher = DocumentFetcher(crawl, settings)
        backlog = fetcher._backlog()
        backlog.add()
        # Three downloads of the site wait together: the site waited once, not three times.
        waits = [asyncio.ensure_future(fetcher.wait_for_reading()) for _ in range(3)]
        await asyncio.sleep(0.2)
        for _ in range(3):
            backlog.done()
            backlog.add()
        await asyncio.gather(*waits)
        return fetcher.paused, crawl.deadline

    paused, deadline = asyncio.run(scenario())
    assert 0.19 <= paused < 0.5
    assert deadline == pytest.approx(1000.0 + paused)


def open_sites(times: dict[str, list[float]]) -> int:
    """The most sites whose first and last requests enclose one moment (each site's server clock)."""
    spans = [(min(t), max(t)) for t in times.values()]
    return max(sum(a <= start <= b for a, b in spans) for start, _ in spans)


def crawl_sites(tmp: Path, limit: int) -> int:
    slow = Route(page("<a href='/sveden/struct/'>Структура</a>").body, delay=0.4)
    routes = {"/": page("<a href='/sveden/common/'>Сведения</a>"), "/sveden/common/": slow, "/sveden/struct/": Route(delay=0.4)}
    with ExitStack() as stack:
        servers = {f"s{i}": stack.enter_context(serve(routes)) for i in range(5)}
        targets = [{"org_id": name, "url": srv.url + "/"} for name, srv in servers.items()]
        (tmp / "targets.json").write_text(json.dumps(targets), encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "sveden.gather", "--targets", str(tmp / "targets.json"), "--out", str(tmp / "out.jsonl"), *FAST,
             "--set", f"SVEDEN_SITES_IN_FLIGHT={limit}", "--set", "CONCURRENT_REQUESTS=32"],
            capture_output=True, text=True, cwd=REPO, timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert len((tmp / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 5
        return open_sites({name: list(srv.times) for name, srv in servers.items()})


def test_a_crawl_keeps_no_more_sites_open_than_the_limit(tmp_path: Path):
    (tmp_path / "bounded").mkdir()
    (tmp_path / "free").mkdir()
    assert crawl_sites(tmp_path / "bounded", limit=2) <= 2
    # The same sites without the bound are all open at once: the bound is what kept them to two.
    assert crawl_sites(tmp_path / "free", limit=0) == 5
