"""The self-check page over HTTP: CSRF, limits, headers, escaping (in process, the pool not started:
checks wait in its queue), and in a real server (``sveden serve``) the SSRF refusals — direct, by a
DNS name resolving to loopback, by redirect — and the queue under three times more checks than workers."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from compliant import compliant_site
from sitekit import Route, page, redirect, serve
from webkit import names_path, wait_for, web_server

from checks.model import OrgType
from sveden.web.app import create_app
from sveden.web.config import WebConfig


def client(**config: object) -> TestClient:
    """The app without its lifespan: the pool's workers are not started, accepted checks stay queued."""
    return TestClient(create_app(WebConfig(**{"store": False, **config})), follow_redirects=False)


def form_token(c: TestClient) -> str:
    r = c.get("/")
    assert r.status_code == 200
    return re.search(r'name="csrf" value="([0-9a-f]+)"', r.text).group(1)


def test_the_form_needs_its_csrf_token(tmp_path):
    c = client(folder=tmp_path)
    token = form_token(c)
    ok = c.post("/checks", data={"url": "http://127.0.0.1:9/", "csrf": token})
    assert ok.status_code == 303 and ok.headers["location"].startswith("/checks/")
    missing = c.post("/checks", data={"url": "http://127.0.0.1:9/"})
    assert missing.status_code == 403 and "Форма устарела" in missing.text
    forged = c.post("/checks", data={"url": "http://127.0.0.1:9/", "csrf": "0" * 64})
    assert forged.status_code == 403
    # A token is bound to the browser's cookie: another browser's token does not pass.
    other = client(folder=tmp_path / "other")
    assert other.post("/checks", data={"url": "http://127.0.0.1:9/", "csrf": token}).status_code == 403
    assert c.app.state.pool.jobs and len(c.app.state.pool.jobs) == 1


def test_security_headers_and_the_report_csp(tmp_path):
    c = client(folder=tmp_path)
    r = c.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert c.get("/api/openapi.json").json()["paths"].keys() >= {"/api/checks", "/api/checks/{job_id}"}


def test_request_size_is_limited(tmp_path):
    c = client(folder=tmp_path, max_body=2048)
    big = c.post("/api/checks", content=b'{"url": "' + b"a" * 5000 + b'"}', headers={"content-type": "application/json"})
    assert big.status_code == 413
    long_url = client(folder=tmp_path / "b").post("/api/checks", json={"url": "http://127.0.0.1:9/" + "a" * 3000})
    assert long_url.status_code == 422  # within the body limit, over the address's own (2048)


def test_nothing_typed_is_rendered_unescaped(tmp_path):
    c = client(folder=tmp_path)
    hostile = '"><script>alert(1)</script>'
    r = c.post("/checks", data={"url": hostile, "csrf": form_token(c)})
    assert r.status_code == 400
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text


def test_per_client_and_per_host_limits(tmp_path):
    c = client(folder=tmp_path, client_checks_per_hour=3, host_checks_per_hour=2)
    first = c.post("/api/checks", json={"url": "http://127.0.0.1:9/"})
    assert first.status_code == 202, first.text
    assert c.post("/api/checks", json={"url": "http://127.0.0.1:9/news/"}).status_code == 202
    again = c.post("/api/checks", json={"url": "http://127.0.0.1:9/"})  # the same site a third time within the hour
    assert again.status_code == 429 and again.json()["error"] == "host_limit"
    assert "127.0.0.1:9" in again.json()["message"] and int(again.headers["retry-after"]) > 0
    assert c.post("/api/checks", json={"url": "http://127.0.0.1:10/"}).status_code == 202  # another site is fine
    over = c.post("/api/checks", json={"url": "http://127.0.0.1:11/"})  # the client's fourth check
    assert over.status_code == 429 and over.json()["error"] == "client_limit"
    assert "3 проверок за час" in over.json()["message"]


def test_request_rate_per_client(tmp_path):
    c = client(folder=tmp_path, client_requests_per_minute=5)
    answers = [c.get("/rules/CMN002") for _ in range(7)]
    assert [r.status_code for r in answers] == [200] * 5 + [429, 429]
    assert "default-src 'none'" in answers[-1].headers["content-security-policy"]  # refusals carry the headers too
    assert "Слишком много запросов" in answers[-1].text


def test_a_full_queue_refuses_more_checks(tmp_path):
    c = client(folder=tmp_path, max_queue=2)
    assert [c.post("/api/checks", json={"url": f"http://127.0.0.1:{p}/"}).status_code for p in (9, 10)] == [202, 202]
    full = c.post("/api/checks", json={"url": "http://127.0.0.1:11/"})
    assert full.status_code == 503 and full.json()["error"] == "queue_full"
    positions = [s["position"] for s in (c.get(f"/api/checks/{j}").json() for j in c.app.state.pool.jobs)]
    assert positions == [1, 2]


def test_rule_pages_and_a_missing_check(tmp_path):
    c = client(folder=tmp_path)
    rules = c.get("/rules")
    assert rules.status_code == 200 and 'href="/rules/CMN002"' in rules.text and "FBK001" in rules.text
    rule = c.get("/rules/cmn002")
    assert rule.status_code == 200 and 'itemprop="fullName"' in rule.text.replace("&#34;", '"')
    assert c.get("/rules/NOPE999").status_code == 404
    missing = c.get("/api/checks/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


# --- a real server: SSRF refusals and the queue -------------------------------------------------------


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory):
    """A server with the SSRF protection on (as in production): one loopback site is allowlisted as
    the «public» one, another is internal; ``school-site.ru`` resolves to 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("guarded")
    with serve({"/": page("<p>Внутренний сервис</p>")}) as internal:
        internal_port = internal.server_address[1]
        public_routes = {"/": page("<a href='/sveden/'>Сведения</a>"), "/go/": redirect(f"http://127.0.0.1:{internal_port}/")}
        with serve(public_routes) as public:
            env = {**names_path(tmp, {"school-site.ru": "127.0.0.1"}),
                   "SVEDEN_PRIVATE_ALLOWLIST": f'["127.0.0.1:{public.server_address[1]}"]'}
            with web_server(tmp, "--workers", "1", env=env, drop=("SVEDEN_ALLOW_PRIVATE_ADDRESSES",)) as base:
                yield {"base": base, "internal": internal, "internal_port": internal_port, "public": public}


@pytest.mark.parametrize("address", ["http://127.0.0.1:{port}/", "10.0.0.5", "http://localhost:{port}/", "http://[::1]:{port}/",
                                     "http://169.254.169.254/latest/meta-data/", "http://school-site.ru:{port}/"])
def test_internal_addresses_are_refused_before_queueing(guarded_server, address):
    url = address.format(port=guarded_server["internal_port"])
    with httpx.Client(base_url=guarded_server["base"]) as c:
        r = c.post("/api/checks", json={"url": url})
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["error"] == "forbidden_address"
    assert "ведёт во внутреннюю сеть" in body["message"] and "такие адреса не проверяются" in body["message"]
    if "school-site.ru" in url:  # refused after resolution, the address named
        assert "school-site.ru → 127.0.0.1" in body["message"]
    assert guarded_server["internal"].log == []


def test_the_form_shows_the_refusal(guarded_server):
    with httpx.Client(base_url=guarded_server["base"]) as c:
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get("/").text).group(1)
        r = c.post("/checks", data={"url": f"http://school-site.ru:{guarded_server['internal_port']}/", "csrf": token})
    assert r.status_code == 403
    assert "Сайт не проверен: адрес сайта ведёт во внутреннюю сеть (school-site.ru → 127.0.0.1)" in r.text


def test_a_redirect_into_the_internal_network_is_refused(guarded_server):
    public = guarded_server["public"]
    with httpx.Client(base_url=guarded_server["base"]) as c:
        r = c.post("/api/checks", json={"url": f"http://127.0.0.1:{public.server_address[1]}/go/"})
        assert r.status_code == 202, r.text
        status = wait_for(c, r.json()["id"])
    assert status["state"] == "done" and status["reachable"] is False
    result = status["result"]
    assert "переадресация ведёт во внутреннюю сеть (127.0.0.1)" in result["error"]
    assert ("GET", "/go/") in public.log
    assert guarded_server["internal"].log == []  # the redirect was refused before connecting


def test_the_queue_under_three_times_more_checks_than_workers(tmp_path):
    sites = [serve({"/": page(f"<h1>Школа {n}</h1><a href='/sveden/common/'>Основные сведения</a>"),
                    "/sveden/common/": page(f"<span itemprop='fullName'>Школа {n}</span>")}) for n in range(3)]
    servers = [s.__enter__() for s in sites]
    try:
        with web_server(tmp_path, "--workers", "1", env={"SVEDEN_WEB_STORE": "0"}) as base, httpx.Client(base_url=base) as c:
            ids = []
            for srv in servers:
                r = c.post("/api/checks", json={"url": srv.url + "/"})
                assert r.status_code == 202, r.text
                ids.append(r.json()["id"])
            seen_running: set[int] = set()
            positions: dict[str, set[int]] = {i: set() for i in ids}
            started: dict[str, float] = {}
            deadline = time.monotonic() + 240
            while True:
                states = [c.get(f"/api/checks/{i}").json() for i in ids]
                seen_running.add(sum(s["state"] == "running" for s in states))
                for s in states:
                    positions[s["id"]].add(s["position"])
                    if s["state"] != "queued":
                        started.setdefault(s["id"], time.monotonic())
                if all(s["state"] in ("done", "failed") for s in states):
                    break
                assert time.monotonic() < deadline, states
                time.sleep(0.05)
            health = c.get("/healthz").json()
    finally:
        for s in sites:
            s.__exit__(None, None, None)
    assert [s["state"] for s in states] == ["done"] * 3, states
    assert max(seen_running) <= 1  # never more checks at once than workers
    assert 2 in positions[ids[2]] and 0 in positions[ids[2]]  # the third waited behind the second, then ran
    assert sorted(started, key=started.get) == ids  # first come, first served
    assert [s["result"]["reachable"] for s in states] == [True] * 3
    assert health == {"workers": 1, "ready": 1, "running": 0, "waiting": 0}


def test_the_server_answers_while_a_check_runs_and_escapes_the_sites_text(tmp_path):
    """A check runs in a worker process, not the request thread; what the site says is shown escaped."""
    hostile = compliant_site(OrgType.school)
    common = hostile["/sveden/common/"]
    common.body = re.sub(r'(itemprop="fullName">)[^<]*', r"\1Школа &lt;script&gt;alert(1)&lt;/script&gt;", common.body)
    with serve(hostile) as site, web_server(tmp_path, "--workers", "1", env={"SVEDEN_WEB_STORE": "0"}) as base:
        with httpx.Client(base_url=base) as c:
            check_id = c.post("/api/checks", json={"url": site.url + "/"}).json()["id"]
            answered = []
            t = threading.Thread(target=lambda: answered.append(c.get("/rules").status_code))
            t.start()
            t.join(10)
            status = wait_for(c, check_id)
            page_html = c.get(f"/checks/{check_id}").text
            report = c.get(f"/checks/{check_id}/report.html")
    assert answered == [200]
    assert status["state"] == "done" and status["result"]["org_name"] == "Школа <script>alert(1)</script>"
    assert "<script>alert(1)" not in report.text and "Школа &lt;script&gt;alert(1)&lt;/script&gt;" in report.text
    assert "script-src 'none'" in report.headers["content-security-policy"]
    assert "<script>alert" not in page_html and 'sandbox="' in page_html  # the report is framed without scripts


def test_a_check_over_its_time_is_stopped_with_a_named_reason(tmp_path):
    """A site that never answers: the worker stops the check at SVEDEN_WEB_CHECK_TIMEOUT and takes the next one."""
    with serve({"/": Route(page("<p>Школа</p>").body, delay=60)}) as tarpit, serve({"/": page("<p>Школа</p>")}) as fine:
        env = {"SVEDEN_WEB_STORE": "0", "SVEDEN_WEB_CHECK_TIMEOUT": "10"}
        with web_server(tmp_path, "--workers", "1", env=env) as base, httpx.Client(base_url=base) as c:
            slow = c.post("/api/checks", json={"url": tarpit.url + "/"}).json()["id"]
            after = c.post("/api/checks", json={"url": fine.url + "/"}).json()["id"]
            stopped = wait_for(c, slow)
            next_one = wait_for(c, after)
            shown = c.get(f"/checks/{slow}").text
    assert stopped["state"] == "failed" and stopped["message"] == "проверка не уложилась в отведённое время"
    assert "Сайт не проверен: проверка не уложилась в отведённое время" in shown
    assert next_one["state"] == "done"  # the worker took the next check


def test_serve_on_a_busy_port_is_a_russian_error():
    import socket
    import subprocess
    import sys

    from webkit import REPO

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "sveden.cli", "serve", "--port", str(port)], capture_output=True, text=True,
                              cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert f"не удалось слушать 127.0.0.1:{port} — порт занят другой программой" in proc.stderr and "Traceback" not in proc.stderr
