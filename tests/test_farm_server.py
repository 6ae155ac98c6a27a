"""The farm server: one port, many loopback hosts, faults that behave as real servers do."""

from __future__ import annotations

import gzip
import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testbed.farm import ALL_FAULTS, generate, serve
from testbed.farm.render import CHALLENGE_PAGE, GATE_COOKIE, crawlable_paths, section_path

REPO = Path(__file__).resolve().parents[1]
FAULT_SITES = {i: [f] for i, f in enumerate(ALL_FAULTS)}  # site i has fault ALL_FAULTS[i]


@pytest.fixture(scope="module")
def farm():
    f = generate(40, seed=21, faults={}, site_faults=FAULT_SITES, cover_types=False, slow_delay=0.3, hang_seconds=30)
    with serve(f) as served:
        yield served


def site_with(farm, fault):
    return farm.sites[ALL_FAULTS.index(fault)]


def get(site_or_host, port: int, path: str = "/", method: str = "GET", headers: dict | None = None, timeout: float = 5.0):
    host = site_or_host if isinstance(site_or_host, str) else site_or_host.host
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_every_site_is_its_own_host_on_one_port(farm):
    ok = [s for s in farm.sites if s.outcome == "ok" and not s.faults and not s.content.features["cookie_gate"]]
    assert len(ok) >= 10 and len({s.host for s in ok}) == len(ok)
    for s in ok:
        status, headers, body = get(s, farm.port, "/")
        if status in (301, 302):  # a home page redirect (/index.php, /ru/)
            status, headers, body = get(s, farm.port, headers["location"])
        assert status == 200
        text = (gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body).decode(s.encoding)
        assert s.name in text and s.url.startswith(f"http://{s.host}:{farm.port}/")


def test_head_keepalive_gzip_and_documents(farm):
    s = next(x for x in farm.sites if x.outcome == "ok" and not x.faults and x.content.features["gzip"] and not x.content.features["cookie_gate"]
             and not x.content.features["redirect_home"])
    conn = http.client.HTTPConnection(s.host, farm.port, timeout=5)
    conn.request("GET", "/", headers={"Accept-Encoding": "gzip"})
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200 and r.getheader("Content-Encoding") == "gzip" and s.short_name in gzip.decompress(body).decode(s.encoding)
    doc = sorted(s.content.docs)[0]
    conn.request("HEAD", doc)  # the same connection: keep-alive
    r = conn.getresponse()
    assert r.status == s.content.docs[doc] and r.read() == b"" and int(r.getheader("Content-Length")) > 0
    conn.request("GET", "/no/such/page/")
    r = conn.getresponse()
    assert r.status == 404 and r.read()
    conn.close()


def test_chunked_php_sites(farm):
    s = next((x for x in farm.sites if x.outcome == "ok" and x.content.features["chunked"] and not x.content.features["cookie_gate"]
              and not x.content.features["redirect_home"]), None)
    assert s is not None, "the fixture farm must contain a chunked (PHP-style) site"
    conn = http.client.HTTPConnection(s.host, farm.port, timeout=5)
    conn.request("GET", "/")
    r = conn.getresponse()
    assert r.getheader("Transfer-Encoding") == "chunked" and s.short_name in r.read().decode(s.encoding)
    conn.close()


def test_faults(farm):
    port = farm.port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((site_with(farm, "down").host, port), timeout=2)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(site_with(farm, "reset"), port)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        get(site_with(farm, "timeout"), port, timeout=1.0)
    assert time.monotonic() - t0 < 3
    assert get(site_with(farm, "http_5xx"), port)[0] in (500, 502, 503)
    assert get(site_with(farm, "blocked_403"), port)[0] == 403
    status, headers, _ = get(site_with(farm, "blocked_429"), port)
    assert status == 429 and headers["retry-after"]
    status, _, body = get(site_with(farm, "challenge"), port, "/sveden/")
    assert status == 200 and body == CHALLENGE_PAGE.encode()
    assert get(site_with(farm, "robots_all"), port, "/robots.txt")[2] == b"User-agent: *\nDisallow: /\n"
    loop = site_with(farm, "redirect_loop")
    status, headers, _ = get(loop, port, "/")
    assert status == 302
    status, headers2, _ = get(loop, port, headers["location"])
    assert status == 302 and headers2["location"] == "/"
    status, headers, _ = get(site_with(farm, "too_large"), port, "/", method="HEAD")
    assert status == 200 and int(headers["content-length"]) == 64 * 1024 * 1024
    nosv = site_with(farm, "no_sveden")
    assert get(nosv, port, section_path(nosv, "common"))[0] == 404
    assert "Сведения об" not in get(nosv, port, "/")[2].decode(nosv.encoding, "replace").split("<main>")[0]
    slow = site_with(farm, "slow")
    t0 = time.monotonic()
    get(slow, port, "/robots.txt")
    assert time.monotonic() - t0 >= 0.3
    bad = site_with(farm, "wrong_charset")
    status, headers, body = get(bad, port, section_path(bad, "common"))
    if status == 200:
        assert headers["content-type"].endswith("charset=utf-8") and "windows-1251" in body[:400].decode("ascii", "replace")


def test_cookie_gate_and_cdn(farm):
    big = generate(400, seed=21, faults={})
    gated = next(s for s in big.sites if s.content.features["cookie_gate"])
    cdn = next(s for s in big.sites if s.content.features["cdn_docs"])
    with serve(big) as big:
        status, headers, _ = get(gated, big.port, "/")
        assert status == 302 and GATE_COOKIE in headers["set-cookie"]
        status, _, _ = get(gated, big.port, "/", headers={"Cookie": GATE_COOKIE})
        assert status in (200, 302)
        doc = next(p for p, st in sorted(cdn.content.docs.items()) if st == 200)
        assert get(big.cdn_host, big.port, f"/s{cdn.index}{doc}", method="HEAD")[0] == 200
        assert get(big.cdn_host, big.port, f"/s{cdn.index}/no/such.pdf")[0] == 404


def test_calendar_never_ends(farm):
    s = next(x for x in farm.sites if x.outcome == "ok" and not x.faults and not x.content.features["cookie_gate"])
    path = [p for p in crawlable_paths(s) if "month=" in p][0]
    seen = set()
    for _ in range(30):
        status, _, body = get(s, farm.port, path)
        assert status == 200
        text = body.decode(s.encoding, "replace")
        nxt = text.split("Следующий месяц")[0].rsplit('href="', 1)[1].split('"', 1)[0]
        assert nxt not in seen
        seen.add(nxt)
        path = nxt
    assert len(seen) == 30


def test_clean_shutdown_and_many_addresses():
    farm = generate(600, seed=2, faults={})
    t0 = time.monotonic()
    with serve(farm) as served:
        bound = time.monotonic() - t0
        last = served.sites[-1]
        assert last.host == "127.0.2.93"  # .0 and .255 skipped
        assert get(last, served.port, "/robots.txt")[0] in (200, 404)
        port = served.port
    assert bound < 5
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((last.host, port), timeout=2)


def test_cli_serve_writes_registry_and_truth(tmp_path):
    ready = tmp_path / "port"
    proc = subprocess.Popen(
        [sys.executable, "-m", "testbed.farm", "serve", "--sites", "12", "--seed", "4", "--port", "0", "--registry-out", str(tmp_path / "reg.csv"),
         "--truth-out", str(tmp_path / "truth.json"), "--targets-out", str(tmp_path / "targets.json"), "--ready-file", str(ready)],
        cwd=REPO, stderr=subprocess.PIPE, text=True,
    )
    try:
        for _ in range(200):
            if ready.exists() and ready.read_text():
                break
            time.sleep(0.05)
        port = int(ready.read_text())
        assert (tmp_path / "reg.csv").read_text(encoding="utf-8").startswith("id,inn,name,type,municipality,url,busgov_agency_id")
        assert f":{port}/" in (tmp_path / "truth.json").read_text(encoding="utf-8")
        assert get("127.0.0.2", port, "/robots.txt")[0] in (200, 404)
    finally:
        proc.terminate()
        assert proc.wait(10) == 0, proc.stderr.read()
