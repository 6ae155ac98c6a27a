"""Calls to helper processes driven from the crawl's event loop, without threads.

``concurrent.futures.ProcessPoolExecutor`` runs two threads in the calling process (a manager that
unpickles every answer, a feeder that pickles and writes every call) and wakes its manager through
a pipe on each submit. In a crawl process those threads take the GIL from the reactor's thread on
every page and document handed over (measured: ≈ 10 % of the crawl process's busy time with a page
reader). Here each helper is one spawned process on a socket pair: calls and answers cross it as
``multiprocessing.Connection`` messages (a 4-byte length, then the pickle), written and read by the
event loop itself when the socket is ready (``add_writer``/``add_reader``), never blocking it.

A helper answers its calls in order. When it dies, every call it had in hand fails with
``BrokenProcessPool``, as the executor's would, so callers keep their one rule for a crashed helper.
"""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import os
import pickle
import struct
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from crawler import heap
from crawler.childprocs import helper_started

HEADER = struct.Struct("!i")  # multiprocessing.Connection's framing for messages below 2 GiB


def _serve(conn, parent: int, gc_thresholds: list[int], then: Callable[..., Any] | None, args: tuple, at_end: Callable[[], Any] | None) -> None:
    """In the helper: answer each call in turn until the crawl process closes its end, then ``at_end()``."""
    helper_started(parent, gc_thresholds, then, *args)
    while True:
        try:
            fn, call_args = conn.recv()
        except (EOFError, OSError):  # closed by the crawl process (or it is gone): the helper's work is over
            if at_end is not None:
                at_end()
            return
        try:
            answer = (True, fn(*call_args))
        except Exception as exc:  # the caller's to handle, as an executor would re-raise it
            answer = (False, exc)
        try:
            try:
                conn.send(answer)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        except OSError:  # the crawl process closed its end while this call ran: nobody waits for the answer
            if at_end is not None:
                at_end()
            return


class Helper:
    """One helper process and the calls it has in hand."""

    def __init__(self, then: Callable[..., Any] | None = None, *args: Any, at_end: Callable[[], Any] | None = None):
        """``then(*args)`` prepares the helper (opens its database…), ``at_end()`` runs in it once it is closed."""
        self.loop = asyncio.get_running_loop()
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_serve, args=(child, os.getpid(), heap.for_helpers(), then, args, at_end), daemon=True, name="sveden-helper")
        self.process.start()
        child.close()
        self.fd = self.conn.fileno()
        os.set_blocking(self.fd, False)
        self.out = bytearray()
        self.incoming = bytearray()
        self.pending: collections.deque[asyncio.Future] = collections.deque()
        self.writing = False
        self.broken = False
        self.loop.add_reader(self.fd, self._readable)

    def call(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        """``fn(*args)`` in the helper; fails with BrokenProcessPool if the helper dies first."""
        fut = self.loop.create_future()
        if self.broken:
            fut.set_exception(BrokenProcessPool("the helper process is gone"))
            return fut
        payload = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
        self.out += HEADER.pack(len(payload))
        self.out += payload
        self.pending.append(fut)
        self._flush()
        return fut

    def _flush(self) -> None:
        while self.out:
            try:
                sent = os.write(self.fd, self.out)
            except BlockingIOError:
                break
            except OSError:
                self._gone()
                return
            del self.out[:sent]
        if self.out and not self.writing:
            self.loop.add_writer(self.fd, self._flush)
            self.writing = True
        elif not self.out and self.writing:
            self.loop.remove_writer(self.fd)
            self.writing = False

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._gone()
            return
        self.incoming += data
        while len(self.incoming) >= HEADER.size:
            (size,) = HEADER.unpack_from(self.incoming)
            if len(self.incoming) < HEADER.size + size:
                break
            fut = self.pending.popleft()
            try:
                with memoryview(self.incoming) as view, view[HEADER.size:HEADER.size + size] as message:
                    ok, value = pickle.loads(message)
            except Exception as exc:  # an answer that cannot be read here fails its call, not the loop
                ok, value = False, RuntimeError(f"{type(exc).__name__}: {exc}")
            del self.incoming[:HEADER.size + size]
            if fut.done():  # cancelled meanwhile (a site's deadline): the answer is dropped
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    def _gone(self) -> None:
        """The helper died (or its socket failed): each call in hand fails, none is lost silently."""
        if self.broken:
            return
        self.broken = True
        self._unwatch()
        while self.pending:
            fut = self.pending.popleft()
            if not fut.done():
                fut.set_exception(BrokenProcessPool("the helper process ended abruptly"))

    def _unwatch(self) -> None:
        self.loop.remove_reader(self.fd)
        if self.writing:
            self.loop.remove_writer(self.fd)
            self.writing = False

    def close(self, wait: bool = True) -> None:
        """The helper ends after the call in hand (its socket closes); calls not begun are dropped."""
        if not self.broken:
            self.broken = True
            self._unwatch()
        for fut in self.pending:
            fut.cancel()
        self.pending.clear()
        self.conn.close()
        if wait:
            self.process.join()


class Helpers:
    """``processes`` helpers; each call goes to the one with the fewest calls in hand."""

    def __init__(self, processes: int, then: Callable[..., Any] | None = None, *args: Any, at_end: Callable[[], Any] | None = None):
        self.helpers = [Helper(then, *args, at_end=at_end) for _ in range(max(1, processes))]

    def pick(self) -> Helper:
        """The helper with the fewest calls in hand."""
        return min(self.helpers, key=lambda h: len(h.pending))

    def call(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        return self.pick().call(fn, *args)

    def pids(self) -> set[int]:
        return {h.process.pid for h in self.helpers}

    def close(self, wait: bool = True) -> None:
        for helper in self.helpers:
            helper.close(wait)
