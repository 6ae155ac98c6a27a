"""One asyncio process serving every farm site, each on its own loopback address and one port.

A small HTTP/1.1 responder (keep-alive, HEAD, GET, no chunked uploads) on top of
``asyncio.start_server``: one listening socket per site address, so a crawler sees
separate hosts with their own politeness slots. Use :func:`serve` from tests (a context
manager running the server in a background thread) or ``python -m testbed.farm serve``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import gzip
import math
import random
import resource
import socket
import struct
import threading
from collections.abc import Iterator
from email.utils import formatdate

from testbed.farm.render import HANG, RESET, Reply, respond, respond_cdn, stream_chunks
from testbed.farm.spec import Farm, SiteSpec

REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
SERVER_HEADER = {"bitrix": "nginx", "joomla": "Apache/2.4.57 (Debian)", "wordpress": "nginx/1.24.0", "dl": "Apache", "gosweb": "nginx", "static": "Microsoft-IIS/8.5"}
MAX_HEAD = 64 * 1024
IDLE_TIMEOUT = 30.0
STREAM_BURST = 10 * 1024 * 1024  # more than any crawler size cap the tests set (8 MiB by default)
CDN = object()  # the shared document host


def raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def never_accepting(host: str, port: int = 0) -> list[socket.socket]:
    """A listener on (host, port) that never accepts, its accept queue filled: the kernel drops further
    SYNs, so a client's connect times out. The listener first, then the connections filling its queue."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(0)
    held = [s]
    for _ in range(2):  # a backlog of 0 still queues one connection: fill it
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            c.connect(s.getsockname())
        held.append(c)
    return held


class FarmServer:
    """Serves a :class:`Farm`; ``farm.port`` is set once the sockets are bound."""

    def __init__(self, farm: Farm, port: int | None = None, backlog: int = 128):
        self.farm = farm
        self.port = farm.port if port is None else port
        self.backlog = backlog
        self.by_host: dict[str, SiteSpec | object] = {**farm.by_host(), farm.cdn_host: CDN}
        self.servers: list[asyncio.base_events.Server] = []
        self.writers: set[asyncio.StreamWriter] = set()
        self.hits: collections.Counter[str] = collections.Counter()
        self.log: collections.deque[tuple[str, str, str, int]] = collections.deque(maxlen=200_000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._net: dict[int, tuple[random.Random, float]] = {}  # site index → (its latency draws, its median)
        self.dead: list[socket.socket] = []  # "dead" sites' listeners and the connections filling their queues

    # -- binding -------------------------------------------------------------------------------
    def _socket(self, host: str, port: int) -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(self.backlog)
        s.setblocking(False)
        return s

    def bind_sockets(self) -> list[socket.socket]:
        """One listening socket per served site (sites with the ``down`` fault get none)."""
        hosts = [s.host for s in self.farm.sites if "down" not in s.faults and s.network != "dead"] + [self.farm.cdn_host]
        raise_fd_limit(len(hosts) + 4 * sum(s.network == "dead" for s in self.farm.sites) + 4096)
        for attempt in range(20):
            socks: list[socket.socket] = []
            try:
                port = self.port
                for h in hosts:
                    s = self._socket(h, port)
                    socks.append(s)
                    port = s.getsockname()[1]
                self.port = port if hosts else self.port
                self.farm.port = self.port
                self._bind_dead()
                return socks
            except OSError as exc:
                for s in socks:
                    s.close()
                # An ephemeral port taken on another address: try again with a fresh one.
                if exc.errno != errno.EADDRINUSE or self.port or attempt == 19:
                    raise
        raise RuntimeError("unreachable")

    def _bind_dead(self) -> None:
        """A "dead" site listens but never accepts, and its accept queue is kept full: the kernel
        drops further SYNs, so a client's connect times out (unlike "down": refused at once)."""
        for site in self.farm.sites:
            if site.network != "dead" or "down" in site.faults:
                continue
            self.dead += never_accepting(site.host, self.port)

    def network_delay(self, site: SiteSpec) -> float:
        """Seconds the site's network adds to this response (0 on loopback).

        "typical": each site has its own median (lognormal around the farm's median: some hosting
        is better than other), each response a lognormal draw around it — a long tail of
        responses several times slower; "slow": seconds per response.
        """
        if site.network not in ("typical", "slow"):
            return 0.0
        if site.index not in self._net:
            rng = random.Random(f"sveden-farm-net:{self.farm.seed}:{site.index}")
            self._net[site.index] = (rng, self.farm.options.get("latency_median", 0.15) * rng.lognormvariate(0.0, 0.5))
        rng, median = self._net[site.index]
        if site.network == "slow":
            return rng.uniform(*self.farm.options.get("slow_latency", (2.0, 6.0)))
        return median * rng.lognormvariate(0.0, 0.6)

    def bandwidth(self, site: SiteSpec | None) -> float:
        """Bytes per second for the site's documents (0: unlimited)."""
        if site is None or site.network not in ("typical", "slow"):
            return 0.0
        bw = float(self.farm.options.get("doc_bandwidth", 256 * 1024))
        return bw / 8 if site.network == "slow" else bw * math.exp(((site.index * 7919) % 100 / 100 - 0.5))

    async def start(self) -> None:
        self._stopped = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        for s in self.bind_sockets():
            self.servers.append(await asyncio.start_server(self._handle, sock=s, limit=MAX_HEAD))

    async def close(self) -> None:
        for srv in self.servers:
            srv.close()
        for w in list(self.writers):
            w.transport.abort()
        for srv in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(srv.wait_closed(), 2)
        self.servers.clear()
        for sock in self.dead:
            sock.close()
        self.dead.clear()

    async def serve_forever(self) -> None:
        await self.start()
        assert self._stopped is not None
        await self._stopped.wait()
        await self.close()

    # -- one connection -------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            host = writer.get_extra_info("sockname")[0]
            site = self.by_host.get(host)
            while site is not None:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, version = lines[0].split(" ", 2)
                except ValueError:
                    await self._send(writer, Reply(400, [("Content-Type", "text/plain")], b"Bad Request"), "GET", False)
                    break
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    if k:
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(min(length, 10 * 1024 * 1024))
                reply = respond_cdn(self.farm, method.upper(), target) if site is CDN else respond(site, method.upper(), target, headers)
                self.hits[host] += 1
                self.log.append((host, method, target, reply.status))
                if reply.action == RESET:
                    sock = writer.get_extra_info("socket")
                    if sock is not None:
                        with contextlib.suppress(OSError):
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                if reply.action == HANG:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(reader.read(), self.farm.options.get("hang_seconds", 3600.0))
                    break
                delay = reply.delay + (self.network_delay(site) if site is not CDN else 0.0)
                if delay:
                    await asyncio.sleep(delay)
                keep = version.upper() == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                await self._send(writer, reply, method.upper(), keep, site if site is not CDN else None, headers)
                if not keep:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply, method: str, keep: bool, site: SiteSpec | None = None,
                    request_headers: dict[str, str] | None = None) -> None:
        """Status, headers, body: gzip where the engine would compress, chunked where PHP streams."""
        feat = site.content.features if site is not None and site.outcome == "ok" else {}
        body = reply.body
        extra: list[str] = []
        is_text = any(v.startswith("text/") for k, v in reply.headers if k == "Content-Type")
        if feat.get("gzip") and is_text and len(body) > 512 and "gzip" in (request_headers or {}).get("accept-encoding", ""):
            body = gzip.compress(body, compresslevel=1)
            extra += ["Content-Encoding: gzip", "Vary: Accept-Encoding"]
        chunked = method != "HEAD" and is_text and (feat.get("chunked") or (reply.stream_size and site is not None and site.index % 2 == 1))
        head = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Unknown')}", f"Date: {formatdate(usegmt=True)}",
                f"Server: {SERVER_HEADER.get(site.style, 'nginx') if site else 'nginx'}",
                "Transfer-Encoding: chunked" if chunked else f"Content-Length: {reply.stream_size or len(body)}",
                f"Connection: {'keep-alive' if keep else 'close'}", *extra]
        head += [f"{k}: {v}" for k, v in reply.headers]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if method != "HEAD":
            chunks = stream_chunks(reply.stream_size) if reply.stream_size else (body[i:i + 16384] for i in range(0, len(body), 16384))
            bandwidth = 0.0 if is_text else self.bandwidth(site)
            # The too-large page hands its first STREAM_BURST bytes to the transport at once: past the
            # crawler's size cap within a few loop turns, however busy the farm's one loop is with other sites.
            burst, pending = (STREAM_BURST if reply.stream_size else 0), []
            for chunk in chunks:
                if bandwidth:  # documents over a thin line
                    await asyncio.sleep(len(chunk) / bandwidth)
                if chunked:  # PHP flushes small chunks
                    chunk = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in (chunk[i:i + 8192] for i in range(0, len(chunk), 8192)))
                if burst > 0:
                    pending.append(chunk)
                    burst -= len(chunk)
                    if burst > 0:
                        continue
                    chunk, pending = b"".join(pending), []
                writer.write(chunk)
                await writer.drain()
            if pending:
                writer.write(b"".join(pending))
            if chunked:
                writer.write(b"0\r\n\r\n")
        await writer.drain()

    # -- a background thread ----------------------------------------------------------------------
    def start_in_thread(self) -> FarmServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # report the bind failure to the caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                assert self._stopped is not None
                loop.run_until_complete(self._stopped.wait())
                loop.run_until_complete(self.close())
                tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in tasks:
                    t.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="sveden-farm", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None


@contextlib.contextmanager
def serve(farm: Farm, port: int | None = None) -> Iterator[Farm]:
    """Serve ``farm`` in a background thread; yields the farm with its port (and URLs) set.

    The server object is ``farm.server`` while it runs (request counts in ``farm.server.hits``).
    """
    server = FarmServer(farm, port).start_in_thread()
    farm.server = server  # type: ignore[attr-defined]
    try:
        yield farm
    finally:
        server.stop()
        farm.server = None  # type: ignore[attr-defined]
