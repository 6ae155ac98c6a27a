"""Reliability: one bad page never costs a month, errors never look compliant, every site within
a time budget. Hostile inputs served on loopback; crawls run as subprocesses."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cikit import REAL_SITES, real_sites
from crawlkit import crawl, item
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sitekit import Route, page, serve

from checks import catalogue
from checks.evaluate import evaluate
from crawler.extract import extract_page
from sveden.judging import judge_site

REPO = Path(__file__).resolve().parents[1]
REAL = REAL_SITES
CONTROL = "\x00\x01\x08\x0b\x0c\x0e\x1b\x1f\x7f\ud800\ufffe"


def artifact_of(pages: list[dict]) -> dict:
    """A site artifact over extracted pages (the first is the home page, the rest subsections)."""
    slugs = [s.slug for s in catalogue.sections()]
    sections = {slugs[i % len(slugs)]: {"url": p["url"], "found_by": "path", "page": i + 1, "addrefs": [], "status": 200} for i, p in enumerate(pages[1:])}
    return {"version": 2, "url": "http://127.0.0.1/", "host": "127.0.0.1", "hosts": ["127.0.0.1"], "outcome": {"status": "ok", "message": "", "http_status": 200},
            "index": None, "sections": sections, "pages": pages, "probes": {}, "stats": {}}


def extracted(body: bytes, role: str = "section") -> dict:
    page_ = extract_page("http://127.0.0.1/p/", "http://127.0.0.1/p/", body, "text/html; charset=utf-8")
    page_.update(url="http://127.0.0.1/p/", final_url="http://127.0.0.1/p/", status=200, role=role, section="common")
    return page_


# ---- fuzz: gathering and judging never raise ------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_extract_page_never_raises_on_arbitrary_bytes(body):
    extract_page("http://127.0.0.1/", "http://127.0.0.1/", body, "text/html")


_TAGS = ["</script>", "</style>", "</noscript>", "<script>", "<base href='http://[x'>", "<a href='http://[::1'>", "<p itemprop='fullName'>", "</p>", "<!--", "]]>", "<![CDATA["]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_TAGS), st.text(alphabet=st.sampled_from(list(CONTROL) + list("аб <>&;=\"'/")), max_size=20)), max_size=40))
def test_hostile_markup_is_gathered_and_judged_without_an_exception(parts):
    html = "<html><head><title>Школа</title>" + "".join(parts) + "</head><body>" + "".join(reversed(parts)) + "</body></html>"
    body = html.encode("utf-8", "surrogatepass")
    home = extracted(body, "home")
    result = evaluate(artifact_of([home, extracted(body)]), "school")
    assert len(result["items"]) == len(catalogue.rules())


def _real_pages() -> list[Path]:
    return sorted(REAL.glob("*.html"))[:6] if REAL.is_dir() else []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_real_pages_are_gathered_and_judged_without_an_exception(data):
    real_sites()
    source = data.draw(st.sampled_from(_real_pages()))
    body = bytearray(source.read_bytes())
    for _ in range(data.draw(st.integers(1, 20))):
        at = data.draw(st.integers(0, max(0, len(body) - 1)))
        op = data.draw(st.sampled_from(["insert", "delete", "flip"]))
        if op == "insert":
            body[at:at] = data.draw(st.sampled_from([b"\x0c", b"\x00", b"\x1b[31m", b"</script>\x0c", b"<base href='http://[x'>", b"\xff\xfe", b"<!--"]))
        elif op == "delete":
            del body[at:at + data.draw(st.integers(1, 200))]
        else:
            body[at] ^= 0xFF
    pages = [extracted(bytes(body), "home"), extracted(bytes(body))]
    result = judge_site(artifact_of(pages), None, org_type="university")
    assert result["outcome"] == "ok" and len(result["items"]) == len(catalogue.rules())


def test_control_character_after_script_no_longer_costs_the_site():
    body = "<html><head><script>var a=1;</script>\x0c</head><body><p itemprop='fullName'>Школа\x0c № 1</p></body></html>".encode()
    page_ = extract_page("http://127.0.0.1/", "http://127.0.0.1/", body, "text/html")
    assert page_["microdata"] == [{"p": "fullName", "tag": "p", "t": "Школа № 1"}]


# ---- one organization's exception never drops it ----------------------------------------------


def test_an_exception_while_gathering_ends_the_site_as_error_not_dropped(monkeypatch):
    from crawler.spiders import sveden as spider_module
    from crawler.sitecrawl import Target

    class Exploding:
        def __init__(self, *args, **kwargs):
            pass

        async def run(self, response):
            raise RuntimeError("boom")

    monkeypatch.setattr(spider_module, "SiteCrawl", Exploding)
    spider = spider_module.SvedenSpider(targets=[])
    spider.crawler = type("C", (), {"engine": None})()
    spider.settings = None

    class Response:
        meta = {"sveden_target": Target("http://127.0.0.1/", "org-1", "school")}

    async def collect():
        return [a async for a in spider.crawl_site(Response())]

    artifacts = asyncio.run(collect())
    assert len(artifacts) == 1 and artifacts[0]["org_id"] == "org-1"
    assert artifacts[0]["outcome"]["status"] == "error" and "boom" not in json.dumps(artifacts[0], ensure_ascii=False)
    result = judge_site(artifacts[0], None)
    assert result["outcome"] == "error" and not result["reachable"]
    assert "pass" not in result["counts"] and "fail" not in result["counts"]


def test_an_unjudgeable_artifact_is_stored_as_error_and_the_run_goes_on(tmp_path):
    from sqlalchemy import select

    from storage import db, repository
    from storage.models import Check, Organization
    from sveden.pipeline import JudgeAndStorePipeline

    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    factory = db.open_database(url)
    with factory() as s, s.begin():
        for i in (1, 2):
            s.add(Organization(id=f"o{i}", name=f"Школа {i}", org_type="school", municipality="М", site_url=f"http://127.0.0.{i}/"))
        run_id = repository.start_run(s, "monthly", "2026-11", catalogue.rules_version()).id
    pipeline = JudgeAndStorePipeline(url, run_id)
    pipeline.open_spider()
    try:
        pipeline.process_item({"org_id": "o1", "url": "http://127.0.0.1/", "outcome": {"status": "ok"}, "pages": "garbage", "sections": 7})
        pipeline.process_item({"org_id": "o2", "url": "http://127.0.0.2/", "outcome": {"status": "unreachable", "message": "сайт недоступен"}, "pages": [], "sections": {}})
    finally:
        pipeline.close_spider()
    with factory() as s:
        outcomes = dict(s.execute(select(Check.org_id, Check.outcome).where(Check.run_id == run_id)).all())
    factory.kw["bind"].dispose()
    assert outcomes == {"o1": "error", "o2": "unreachable"}


# ---- errors never look compliant --------------------------------------------------------------


def _check_row(counts: dict[str, int], outcome: str = "ok"):
    from reports.data import CheckRow

    return CheckRow(id=1, run_id=1, org_id="o", outcome=outcome, reachable=outcome in ("ok", "no_sveden_section"), error="", counts=counts, p1_1=None, p1_2=None, channels=None)


def test_compliant_needs_every_applicable_item_judged():
    assert _check_row({"pass": 100, "not_applicable": 20}).compliant
    partly = _check_row({"pass": 80, "error": 20})
    assert not partly.compliant and partly.incomplete
    assert not _check_row({"pass": 80, "fail": 1, "error": 20}).compliant
    assert not _check_row({}, "http_error").compliant
    from reports.summary import indicators

    ind = indicators(["a", "b"], {"a": _check_row({"pass": 10}), "b": _check_row({"pass": 5, "error": 5})})
    assert (ind.compliant, ind.incomplete, ind.compliant_share) == (1, 1, 50.0)


def gzip_bomb() -> Route:
    return Route(gzip.compress(b"<html><body>" + b" " * (40 * 1024 * 1024)), headers={"Content-Encoding": "gzip"})


def test_subsections_that_cannot_be_read_are_not_checked_never_no_section_or_compliant(tmp_path):
    broken = {"/": page('<a href="/sveden/">Сведения об образовательной организации</a>'), "/sveden/": Route("упало", status=500)}
    for s in catalogue.sections():
        broken[f"/sveden/{s.slug}/"] = Route("упало", status=503)
    bombs = {"/": page('<a href="/sveden/">Сведения об образовательной организации</a>'), "/sveden/": gzip_bomb()}
    for s in catalogue.sections():
        bombs[f"/sveden/{s.slug}/"] = gzip_bomb()
    home_bomb = {"/": gzip_bomb()}
    one_bomb = {"/": page('<a href="/sveden/">Сведения об образовательной организации</a>'), "/sveden/": page('<a href="/sveden/common/">Основные сведения</a>'),
                "/sveden/common/": gzip_bomb(), "/sveden/document/": page("<p>Документы</p>")}
    arts, _ = crawl({"all500": broken, "bombs": bombs, "home_bomb": home_bomb, "one_bomb": one_bomb}, tmp_path)
    assert arts["all500"]["outcome"]["status"] == "http_error"
    assert arts["bombs"]["outcome"]["status"] == "too_large"
    assert arts["home_bomb"]["outcome"]["status"] == "too_large"
    assert arts["one_bomb"]["outcome"]["status"] == "ok"
    for name in ("all500", "bombs", "home_bomb"):
        result = evaluate(arts[name], "school")
        assert not result["reachable"] and "fail" not in result["counts"] and "pass" not in result["counts"], name
    one = evaluate(arts["one_bomb"], "school")
    full_name = item(one, "common", "fullName")
    assert full_name["status"] == "error" and "не найден" not in full_name["message"]
    assert one["sections"][0]["found"] is False and one["sections"][0]["status"] == "error"


def test_sveden_check_of_a_site_with_unreadable_subsections_exits_2(tmp_path):
    routes = {"/": page('<a href="/sveden/">Сведения об образовательной организации</a>'), "/sveden/": Route("упало", status=500)}
    for s in catalogue.sections():
        routes[f"/sveden/{s.slug}/"] = Route("упало", status=500)
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite'}"}
    with serve(routes) as srv:
        proc = subprocess.run([sys.executable, "-m", "sveden.cli", "check", srv.url + "/", "--format", "json", "--set", "DOWNLOAD_DELAY=0",
                               "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["outcome"] == "http_error" and "не удалось прочитать" in result["error"]


# ---- a time budget per site ---------------------------------------------------------------------


def test_tarpit_documents_and_drip_pages_stay_within_the_budgets(tmp_path):
    docs = "".join(f'<p><a itemprop="ustavDocLink" href="/docs/{i}.pdf">Устав {i}</a></p>' for i in range(40))
    tarpit = {"/": page('<a href="/sveden/">Сведения об образовательной организации</a>'), "/sveden/": page('<a href="/sveden/document/">Документы</a>'),
              "/sveden/document/": page(docs)}
    for i in range(40):
        tarpit[f"/docs/{i}.pdf"] = Route(b"%PDF", content_type="application/pdf", delay=30)
    drip = {"/": page('<a href="/sveden/">Сведения об образовательной организации</a>'), "/sveden/": page("".join(f'<a href="/sveden/{s.slug}/">{s.title}</a>' for s in catalogue.sections()))}
    for s in catalogue.sections():
        drip[f"/sveden/{s.slug}/"] = Route(page(f"<h1>{s.title}</h1>").body, delay=3)
    started = time.monotonic()
    arts, _ = crawl({"tarpit": tarpit, "drip": drip}, tmp_path, extra=["--set", "SVEDEN_PROBE_TIME_BUDGET=3", "--set", "SVEDEN_SITE_TIME_BUDGET=8", "--set", "DOWNLOAD_TIMEOUT=20"])
    wall = time.monotonic() - started
    assert wall < 40, wall  # without the budgets: 40 documents × 15 s, 15 pages × 3 s at 2 per host
    assert arts["tarpit"]["stats"]["seconds"] < 12 and arts["drip"]["stats"]["seconds"] < 12
    tarpit_result = evaluate(arts["tarpit"], "school")
    ustav = item(tarpit_result, "document", "ustavDocLink")
    assert ustav["status"] == "error" and "лимит времени" in ustav["message"]
    drip_result = evaluate(arts["drip"], "school")
    unread = [s for s in arts["drip"]["sections"].values() if s.get("error_kind") == "time_budget"]
    assert unread, arts["drip"]["sections"]
    assert any(i["status"] == "error" and "лимит времени" in i["message"] for i in drip_result["items"])
    assert not _check_row(drip_result["counts"]).compliant
