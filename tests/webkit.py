"""The web page (``sveden serve``) in a subprocess on a free loopback port, for HTTP and browser tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]

# Imported by every Python process started with this folder on PYTHONPATH (the server, its workers,
# their forked children): the names in SVEDEN_TEST_NAMES resolve to the given addresses, the way a
# public name of an attacker's would resolve to 127.0.0.1. Nothing reaches a real DNS server.
SITECUSTOMIZE = r'''
import json, os, socket
_NAMES = json.loads(os.environ.get("SVEDEN_TEST_NAMES", "{}"))
_getaddrinfo, _gethostbyname = socket.getaddrinfo, socket.gethostbyname

def getaddrinfo(host, port, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name in _NAMES:
        return _getaddrinfo(_NAMES[name], port, *args, **kwargs)
    return _getaddrinfo(host, port, *args, **kwargs)

def gethostbyname(name):
    return _NAMES.get(name) or _gethostbyname(name)

socket.getaddrinfo, socket.gethostbyname = getaddrinfo, gethostbyname
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def names_path(tmp: Path, names: dict[str, str]) -> dict[str, str]:
    """Environment making ``names`` resolve as given in the server and its workers."""
    folder = tmp / "names"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH", "")])),
            "SVEDEN_TEST_NAMES": json.dumps(names)}


@contextmanager
def web_server(tmp: Path, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
               ready_timeout: float = 120) -> Iterator[str]:
    """``sveden serve`` with its own database and data folder; yields its base URL once every worker is warm."""
    port = free_port()
    environ = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp / 'web.db'}", "SVEDEN_WEB_DATA": str(tmp / "web-data"),
               **(env or {})}
    for name in drop:
        environ.pop(name, None)
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "sveden.cli", "serve", "--port", str(port), *args],
                            cwd=REPO, env=environ, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            assert proc.poll() is None, (tmp / "server.log").read_text(errors="replace")[-3000:]
            try:
                health = httpx.get(base + "/healthz", timeout=2).json()
                if health["ready"] == health["workers"]:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the web page did not start: " + (tmp / "server.log").read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_for(client: httpx.Client, check_id: str, timeout: float = 180) -> dict:
    """Poll ``GET /api/checks/{id}`` until the check ends; returns its last status."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/api/checks/{check_id}").json()
        if status["state"] in ("done", "failed"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
