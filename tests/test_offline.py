"""Offline by default: a crawl reaches nothing but the sites it checks (here: loopback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from crawlkit import FAST
from sitekit import page, serve

REPO = Path(__file__).resolve().parents[1]

# Loaded by every Python process of the crawl (PYTHONPATH): refuses and records any DNS lookup or
# connection that is not to loopback, so a library fetching data at run time is caught.
GUARD = '''
import ipaddress, os, socket
_LOG = os.environ["SVEDEN_TEST_OUTBOUND_LOG"]
def _loopback(host):
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return str(host) in ("localhost",)
def _record(what):
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(what + "\\n")
_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host is not None and not _loopback(host):
        _record(f"dns {host}")
        raise socket.gaierror(socket.EAI_NONAME, "blocked by the offline test")
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
_connect = socket.socket.connect
def connect(self, address):
    if isinstance(address, tuple) and not _loopback(address[0]):
        _record(f"connect {address[0]}")
        raise OSError("blocked by the offline test")
    return _connect(self, address)
socket.socket.connect = connect
'''


def test_a_first_crawl_on_a_fresh_machine_reaches_nothing_but_the_site(tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    fresh = tmp_path / "home"  # a fresh machine: no caches (tldextract keeps its list under ~/.cache)
    fresh.mkdir()
    log = tmp_path / "outbound.log"
    log.write_text("", encoding="utf-8")
    env = {**os.environ, "HOME": str(fresh), "XDG_CACHE_HOME": str(fresh / ".cache"), "PYTHONPATH": os.pathsep.join([str(guard), str(REPO)]),
           "SVEDEN_TEST_OUTBOUND_LOG": str(log)}
    home = page('<a href="/sveden/">Сведения об образовательной организации</a><a href="https://vk.com/school">ВКонтакте</a>')
    home.headers["Set-Cookie"] = "PHPSESSID=abc; Path=/"  # the cookie middleware consults the Public Suffix List
    routes = {"/": home,
              "/sveden/": page('<a href="/sveden/common/">Основные сведения</a>'),
              "/sveden/common/": page('<p itemprop="fullName">Школа № 1</p>', title="Основные сведения")}
    with serve(routes) as srv:
        (tmp_path / "t.json").write_text(json.dumps([{"org_id": "o", "url": srv.url + "/", "org_type": "school"}]), encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "sveden.gather", "--targets", str(tmp_path / "t.json"), "--out", str(tmp_path / "a.jsonl"), *FAST],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert log.read_text(encoding="utf-8") == "", "outbound attempts: " + log.read_text(encoding="utf-8")
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    artifact = json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8"))
    assert artifact["outcome"]["status"] == "ok"
