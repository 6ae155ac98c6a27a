"""A tiny threaded HTTP server for tests: serves a dict of routes on a loopback address."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    head_status: int | None = None  # a different answer to HEAD (servers that refuse HEAD)

    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def page(body: str, title: str = "Сайт школы") -> Route:
    return Route(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>")


def redirect(location: str, status: int = 302) -> Route:
    return Route(b"", status=status, headers={"Location": location})


def _not_modified(sent: dict[str, str], asked) -> bool:
    """A conditional GET whose validator matches the route's ETag or Last-Modified."""
    etag, since = sent.get("ETag"), sent.get("Last-Modified")
    return bool((etag and asked.get("If-None-Match") == etag) or (since and asked.get("If-Modified-Since") == since))


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Route] = {}
    log: list[tuple[str, str]] = []
    times: list[float] = []  # time.monotonic() of each request of ``log``

    def log_message(self, *args):  # quiet
        pass

    def _route(self) -> Route:
        path = urlsplit(self.path).path
        r = self.routes.get(self.path) or self.routes.get(path)
        if r is None and not path.endswith("/"):
            r = self.routes.get(path + "/")
        if r is None and path == "/robots.txt":
            return Route("User-agent: *\nAllow: /\n", content_type="text/plain")
        return r or Route("<html><body>Not found</body></html>", status=404)

    def _serve(self, with_body: bool):
        self.log.append((self.command, self.path))
        self.times.append(time.monotonic())
        r = self._route()
        if r.delay:
            time.sleep(r.delay)
        body = r.payload()
        if r.status == 200 and _not_modified(r.headers, self.headers):
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(r.head_status if not with_body and r.head_status else r.status)
        if r.content_type:
            self.send_header("Content-Type", r.content_type)
        for k, v in r.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):
        self._serve(True)

    def do_HEAD(self):
        self._serve(False)


@contextmanager
def serve(routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0):
    handler = type("Handler", (_Handler,), {"routes": routes, "log": [], "times": []})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        server.log = handler.log  # type: ignore[attr-defined]
        server.times = handler.times  # type: ignore[attr-defined]
        server.url = f"http://{host}:{server.server_address[1]}"  # type: ignore[attr-defined]
        yield server
    finally:
        server.shutdown()
        server.server_close()
