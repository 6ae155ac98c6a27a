"""The latency pass before a run with new organizations (crawler.latency, sveden.monitoring.first_month_order)."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from sitekit import Route, redirect, serve

from crawler import latency
from sveden import monitoring


def test_robots_url_is_the_sites_origin():
    assert latency.robots_url("https://школа.рф/sveden/?x=1") == "https://школа.рф/robots.txt"
    assert latency.robots_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/robots.txt"
    assert latency.robots_url("ftp://example.ru/") is None
    assert latency.robots_url("школа.рф") is None


def test_expected_seconds_scales_the_answer_and_puts_silence_first():
    fast = latency.expected_seconds({"seconds": 0.1, "status": 200}, timeout=8)
    slow = latency.expected_seconds({"seconds": 3.0, "status": 404}, timeout=8)
    silent = latency.expected_seconds({"seconds": 7.9, "error": "timeout"}, timeout=8)
    refused = latency.expected_seconds({"seconds": 0.01, "error": "unreachable"}, timeout=8)
    assert fast == pytest.approx(0.1 * latency.ANSWERS_IN_SERIES)
    assert refused < fast < slow < silent == pytest.approx(8 * latency.ANSWERS_IN_SERIES)


@contextmanager
def silent_server():
    """Accepts connections (the kernel does) and never answers: a download timeout."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_new_sites_are_timed_and_the_slowest_start_first(monkeypatch):
    with serve({"/robots.txt": Route("User-agent: *\n", content_type="text/plain")}) as fast, \
            serve({"/robots.txt": Route("User-agent: *\n", content_type="text/plain", delay=1.0)}) as slow, \
            serve({}) as missing, serve({"/robots.txt": redirect("/elsewhere.txt")}) as moved, silent_server() as silent:
        targets = [
            {"org_id": "a-fast", "url": fast.url + "/", "expected_seconds": 0.0},
            {"org_id": "b-known", "url": fast.url + "/", "expected_seconds": 55.0},  # last month's time is kept
            {"org_id": "c-silent", "url": silent + "/", "expected_seconds": 0.0},
            {"org_id": "d-slow", "url": slow.url + "/", "expected_seconds": 0.0},
            {"org_id": "e-404", "url": missing.url + "/", "expected_seconds": 0.0},
            {"org_id": "f-same-site", "url": fast.url + "/sveden/", "expected_seconds": 0.0},  # a-fast's site: one request for both
            {"org_id": "g-moved", "url": moved.url + "/", "expected_seconds": 0.0},  # a redirect is an answer, not followed
        ]
        ordered = monitoring.first_month_order(targets, {"SVEDEN_LATENCY_PASS": 1, "SVEDEN_LATENCY_PASS_TIMEOUT": 2.5})
        asked = {tuple(r) for srv in (fast, slow, missing, moved) for r in srv.log}
        moved_log = list(moved.log)
    order = [t["org_id"] for t in ordered]
    assert order[:3] == ["c-silent", "b-known", "d-slow"]  # 2.5 s × 40, 55 s, ≥ 1 s × 40
    assert set(order[3:]) == {"a-fast", "e-404", "f-same-site", "g-moved"}
    assert moved_log == [("GET", "/robots.txt")]
    seconds = {t["org_id"]: t["expected_seconds"] for t in ordered}
    assert seconds["b-known"] == 55.0
    assert seconds["c-silent"] == pytest.approx(2.5 * latency.ANSWERS_IN_SERIES, rel=0.05)
    assert seconds["d-slow"] >= 1.0 * latency.ANSWERS_IN_SERIES
    assert 0 < seconds["a-fast"] < seconds["d-slow"]
    assert asked == {("GET", "/robots.txt")}  # one request per site, and only robots.txt
    assert len(fast.log) == 1  # one request for the two new organizations of that site
    assert seconds["f-same-site"] == seconds["a-fast"]


def test_without_the_pass_the_order_is_unchanged(monkeypatch):
    called = []
    monkeypatch.setattr(latency, "measure", lambda *a, **k: called.append(a) or {})
    few = [{"org_id": f"o{i}", "url": f"http://127.0.0.1:9/{i}", "expected_seconds": 0.0} for i in range(latency.LATENCY_PASS_FROM - 1)]
    assert monitoring.first_month_order(few, {}) == few  # auto: too few new organizations to pay for a pass
    many = few + [{"org_id": "z", "url": "http://127.0.0.1:9/", "expected_seconds": 0.0}]
    assert monitoring.first_month_order(many, {"SVEDEN_LATENCY_PASS": 0}) == many
    known = [{**t, "expected_seconds": 3.0} for t in many]
    assert monitoring.first_month_order(known, {"SVEDEN_LATENCY_PASS": 1}) == known  # nothing new: nothing to time
    assert not called
    monitoring.first_month_order(many, {})
    assert len(called) == 1  # auto, enough new organizations


def test_a_failed_pass_leaves_the_order_and_says_why(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("процесс замера завершился с кодом 1")

    monkeypatch.setattr(latency, "measure", broken)
    targets = [{"org_id": "b", "url": "http://127.0.0.1:9/", "expected_seconds": 0.0},
               {"org_id": "a", "url": "http://127.0.0.1:9/", "expected_seconds": 0.0}]
    with caplog.at_level("WARNING"):
        assert monitoring.first_month_order(targets, {"SVEDEN_LATENCY_PASS": 1}) == targets
    assert "Время ответа сайтов не измерено (процесс замера завершился с кодом 1)" in caplog.text


def _registry(tmp_path, ids=("a", "b", "c")) -> str:
    from storage import db
    from storage.models import Organization

    url = f"sqlite:///{tmp_path}/m.sqlite"
    factory = db.open_database(url)
    try:
        with factory() as s, s.begin():
            for oid in ids:
                s.add(Organization(id=oid, name=f"Школа {oid}", org_type="school", municipality="Город", site_url=f"http://{oid}.example.ru/"))
    finally:
        factory.kw["bind"].dispose()
    return url


def _runs(url: str) -> list[tuple[int, str]]:
    from sqlalchemy import select

    from storage import db
    from storage.models import Run

    factory = db.open_database(url)
    try:
        with factory() as s:
            return [tuple(r) for r in s.execute(select(Run.id, Run.status).order_by(Run.id)).all()]
    finally:
        factory.kw["bind"].dispose()


def test_the_run_is_running_only_once_its_order_is_known(tmp_path):
    """A worker of the run (sveden worker --run ID) must not find its queue empty during the pass and leave."""
    url = _registry(tmp_path)
    seen = []

    def order(targets):
        seen.append(_runs(url))
        return sorted(targets, key=lambda t: t["org_id"], reverse=True)

    plan = monitoring.plan_run(url, "2026-02", [], [], False, {}, order=order)
    assert seen == [[]]  # no run yet while the targets were ordered
    assert [t["org_id"] for t in plan.targets] == ["c", "b", "a"]
    assert _runs(url) == [(plan.run_id, "running")]

    from storage import db, repository

    factory = db.open_database(url)
    with factory() as s, s.begin():
        repository.finish_run(s, plan.run_id, "interrupted")
    factory.kw["bind"].dispose()
    resumed = monitoring.plan_run(url, "2026-02", [], [], True, {}, order=order)
    assert resumed.run_id == plan.run_id
    assert seen[1] == [(plan.run_id, "interrupted")]  # resumed only after the ordering
    assert _runs(url) == [(plan.run_id, "running")]


def test_a_lone_crawl_starts_its_first_sites_at_once_and_times_the_rest_meanwhile(tmp_path):
    """`sveden crawl` without Redis: the first SVEDEN_SITES_IN_FLIGHT sites start with no pass before them;
    the new sites past them are timed while those are crawled, and start slowest first."""
    import os
    import subprocess
    import sys
    from contextlib import ExitStack
    from pathlib import Path

    from sitekit import page

    def school(robots_delay: float = 0.0) -> dict[str, Route]:
        return {"/robots.txt": Route("User-agent: *\n", content_type="text/plain", delay=robots_delay),
                "/": page('<a href="/sveden/">Сведения об образовательной организации</a>')}

    repo = Path(__file__).resolve().parents[1]
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
    with ExitStack() as stack:
        # A host each (the pass leaves alone the hosts the crawl is on: politeness is per host, not per port).
        servers = {name: stack.enter_context(serve(school(delay), host=f"127.0.0.{i + 2}"))
                   for i, (name, delay) in enumerate((("a-first", 0.0), ("b-fast", 0.0), ("c-slow", 1.0), ("d-fast", 0.0)))}
        rows = "\n".join(f"{name};Школа {name};школа;Город;{srv.url}/" for name, srv in servers.items())
        (tmp_path / "r.csv").write_text("Код;Полное наименование;Тип;Муниципалитет;Адрес сайта\n" + rows + "\n", encoding="utf-8")
        sets = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "RETRY_TIMES=0", "DOWNLOAD_TIMEOUT=5",
                "SVEDEN_SITES_IN_FLIGHT=1", "SVEDEN_LATENCY_PASS=1", "SVEDEN_LATENCY_PASS_TIMEOUT=3"]
        for args in (["registry", "import", str(tmp_path / "r.csv")],
                     ["crawl", "--month", "2026-03", "--no-busgov", *[a for s in sets for a in ("--set", s)]]):
            proc = subprocess.run([sys.executable, "-m", "sveden.cli", *args], capture_output=True, text=True, env=env, cwd=repo, timeout=300)
            assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
        home_asked = {name: next(t for (method, path), t in zip(srv.log, srv.times) if path == "/") for name, srv in servers.items()}
        robots = {name: sum(1 for _, path in srv.log if path == "/robots.txt") for name, srv in servers.items()}
    started = sorted(home_asked, key=home_asked.get)
    assert started[:2] == ["a-first", "c-slow"]  # the first site at once; then the slowest of the timed ones
    assert robots == {"a-first": 1, "b-fast": 2, "c-slow": 2, "d-fast": 2}  # the pass asked only the sites past the first
    assert "Время ответа новых сайтов (3) измерено" in proc.stderr


def test_the_pass_beside_a_crawl_leaves_the_sites_being_crawled_alone(monkeypatch):
    from crawler.runner import project_settings
    from crawler.spiders.sveden import SvedenSpider

    asked = []
    monkeypatch.setattr(latency, "PendingPass", lambda targets, overrides, timeout: asked.append(targets) or "pending")
    spider = SvedenSpider(targets=[{"org_id": f"o{i}", "url": url} for i, url in enumerate(
        ["http://a.example/", "http://b.example/", "http://a.example/school2/", "http://c.example/", "https://b.example/x/"])],
        latency_overrides={})
    spider.settings = project_settings({"SVEDEN_LATENCY_PASS": 1})
    first, rest = spider.targets[:2], spider.targets[2:]
    assert spider.start_latency_pass(rest, first) == "pending"
    # a.example and b.example are being crawled (o0, o1): their other schools wait unordered rather than ask them again
    assert asked == [[{"org_id": "o3", "url": "http://c.example/"}]]
    asked.clear()
    assert spider.start_latency_pass([rest[0], rest[2]], first) is None and asked == []  # nothing left to time
