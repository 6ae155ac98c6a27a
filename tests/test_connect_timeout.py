"""A dead host is given up at the connect timeout and not retried; a slow answer is still waited for
(crawler/connect.py)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time

from crawlkit import REPO
from sitekit import Route, page, serve
from testbed.farm.server import never_accepting


@contextlib.contextmanager
def dead_host():
    """The address of a server that never accepts a connection."""
    held = never_accepting("127.0.0.1")
    try:
        yield f"http://127.0.0.1:{held[0].getsockname()[1]}/"
    finally:
        for sock in held:
            sock.close()


def test_a_dead_host_costs_the_connect_timeout_once_and_a_slow_answer_is_waited_for(tmp_path):
    slow = {"/": Route(page('<a href="/sveden/">Сведения об образовательной организации</a>', "МБОУ СОШ").body, delay=2.5),
            "/sveden/": page('<a href="/sveden/common/">Основные сведения</a>'),
            "/sveden/common/": page('<span itemprop="fullName">МБОУ СОШ</span>')}
    with dead_host() as dead_url, serve(slow) as server:
        targets = [{"org_id": "dead", "url": dead_url}, {"org_id": "slow", "url": server.url + "/"}]
        (tmp_path / "targets.json").write_text(json.dumps(targets), encoding="utf-8")
        out = tmp_path / "artifacts.jsonl"
        # The download timeout is long and retried twice: a dead host would cost ≥ 2 × 3 × 20 s that way.
        sets = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=20", "RETRY_TIMES=2",
                "SVEDEN_CONNECT_TIMEOUT=1", "SVEDEN_PROBE_OFFSITE=false"]
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "sveden.gather", "--targets", str(tmp_path / "targets.json"), "--out", str(out),
                               *[a for s in sets for a in ("--set", s)]],
                              capture_output=True, text=True, cwd=REPO, timeout=300,
                              env={**os.environ, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"})
        took = time.monotonic() - started
        assert proc.returncode == 0, proc.stderr[-3000:]
        artifacts = {a["org_id"]: a for a in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert artifacts["dead"]["outcome"]["status"] == "timeout"
    assert artifacts["dead"]["outcome"]["message"] == "сайт не ответил вовремя"
    # Connected, the slow server has the whole download timeout for its 2.5-s answer.
    assert artifacts["slow"]["outcome"]["status"] == "ok"
    assert artifacts["slow"]["pages"][0]["status"] == 200
    # robots.txt and the home page, a second each, not retried: far below one 20-s download timeout.
    assert took < 20, took
