"""A monthly run starts the sites that took longest last month first (issue 19): a slow site
started at the end would hold the whole run up."""

from __future__ import annotations

from checks.evaluate import evaluate
from crawler.spiders.sveden import SvedenSpider
from storage import db, repository
from storage.models import Organization
from sveden.monitoring import _artifact_seconds, plan_run


def artifact(url: str, seconds: float | None) -> dict:
    art = {"url": url, "outcome": {"status": "timeout", "message": ""}, "pages": [{"text": 'a page quoting "stats": {"seconds": 999}'}]}
    if seconds is not None:
        art["stats"] = {"pages": 3, "seconds": seconds}
    return art


def test_targets_ordered_by_last_months_duration(tmp_path):
    url = f"sqlite:///{tmp_path}/m.sqlite"
    factory = db.open_database(url)
    try:
        with factory() as s, s.begin():
            for oid in ("a", "b", "c", "d"):
                s.add(Organization(id=oid, name=f"Школа {oid}", org_type="school", municipality="Город", site_url=f"http://{oid}.example.ru/"))
        with factory() as s, s.begin():
            old = repository.start_run(s, "monthly", "2026-01", "r")
            # b was slow, a fast, c has no stats (an old artifact), d was not crawled.
            for oid, seconds in (("a", 12.5), ("b", 240.0), ("c", None)):
                art = artifact(f"http://{oid}.example.ru/", seconds)
                repository.save_check(s, old.id, oid, evaluate(art, "school"), art)
            repository.finish_run(s, old.id)
            later = repository.start_run(s, "monthly", "2026-03", "r")  # a later month is not «previous»
            art = artifact("http://a.example.ru/", 900.0)
            repository.save_check(s, later.id, "a", evaluate(art, "school"), art)
    finally:
        factory.kw["bind"].dispose()
    plan = plan_run(url, "2026-02", [], [], False, {})
    assert [t["org_id"] for t in plan.targets] == ["b", "a", "c", "d"]
    assert [t["expected_seconds"] for t in plan.targets] == [240.0, 12.5, 0.0, 0.0]
    # The spider keeps that order (and, without an estimate, the organizations' order).
    spider = SvedenSpider(targets=list(reversed(plan.targets)))
    assert [t.org_id for t in spider.targets] == ["b", "a", "c", "d"]


def test_artifact_seconds_reads_the_stats_only():
    import json
    import zlib

    def packed(obj) -> bytes:
        return zlib.compress(json.dumps(obj, ensure_ascii=False).encode())

    assert _artifact_seconds(packed(artifact("http://x.ru/", 31.5))) == 31.5
    assert _artifact_seconds(packed({"url": "http://x.ru/", "stats": {"seconds": 2}, "later": {"k": 1}})) == 2.0
    assert _artifact_seconds(packed({"url": "http://x.ru/"})) == 0.0
    assert _artifact_seconds(b"not zlib") == 0.0


def test_a_dead_site_keeps_the_time_its_timeouts_took():
    """A site whose home page never answers took its timeouts: stored as 0 s it would start last next
    month. Its time runs from its first request reaching the downloader, across the http:// fallback."""
    import time

    from scrapy import signals
    from scrapy.utils.test import get_crawler

    from sveden.gather import gather_settings

    crawler = get_crawler(SvedenSpider, gather_settings())
    spider = SvedenSpider.from_crawler(crawler, targets=[{"org_id": "x", "url": "https://dead.example.ru/", "org_type": "school", "http_fallback": True}])
    seed = spider.seed_request(spider.targets[0])
    crawler.signals.send_catch_log(signal=signals.request_reached_downloader, request=seed, spider=spider)
    seed.meta["sveden_started"] -= 40.0  # as if its connect timeouts took 40 s
    failure = type("Failure", (), {"request": seed, "value": TimeoutError()})()
    retry = list(spider.site_failed(failure))
    assert [r.url for r in retry] == ["http://dead.example.ru/"] and retry[0].meta["sveden_started"] == seed.meta["sveden_started"]
    crawler.signals.send_catch_log(signal=signals.request_reached_downloader, request=retry[0], spider=spider)
    spider.sites_open = 1
    [artifact] = list(spider.site_failed(type("Failure", (), {"request": retry[0], "value": TimeoutError()})()))
    assert artifact["outcome"]["status"] == "timeout" and artifact["stats"]["seconds"] >= 40.0
    # The stored seconds are rounded to the millisecond: up to half of one above the time measured here.
    assert time.monotonic() - retry[0].meta["sveden_started"] >= artifact["stats"]["seconds"] - 0.0005
