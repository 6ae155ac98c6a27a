"""Reading downloaded documents into facts, out of the crawl's event loop.

Reading (hashing, PDFium, the text scans of ``artifacts.personal``) is the heaviest CPU of a
monthly run per document. It runs in ``SVEDEN_DOCUMENT_PROCESSES`` reader processes, so that:

- a CPU-bound crawl uses another core for it (Scrapy's reactor is one thread);
- a document that crashes a native parser (PDFium is C++) costs that document, not the run: the
  pool is replaced, the files it had in hand are read again each alone, and the one that crashes
  again is recorded as not read;

``SVEDEN_DOCUMENT_PROCESSES=0`` reads in threads of the crawl process instead (the default for a
worker of a shared run, crawler.childprocs). Either way at most ``SVEDEN_DOCUMENT_CONCURRENCY``
files are being read at once in the process, whatever the number of sites. A reader process leaves
when the crawl process is gone (a kill -9 leaves no orphans), and ignores Ctrl+C (the crawl process
stops it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from artifacts import personal
from crawler import documents
from crawler.helperpipe import Helpers


def per_loop(store: dict[int, Any], make: Callable[[], Any]) -> Any:
    """The process-wide object of the running event loop (a crawl's), made on first use."""
    key = id(asyncio.get_running_loop())
    if key not in store:
        store[key] = make()
    return store[key]


def close_all(store: dict[int, Readers]) -> None:
    """The crawl is over: the readers of ``store`` go (what they had not begun is dropped)."""
    while store:
        store.popitem()[1].close()


class ReaderCrashed(RuntimeError):
    """The reader process died on this file twice (the file, not the run, is at fault)."""


def read_file(path: Path, ext: str, text_pages: int, truncated: bool, known_sha256: str) -> tuple[str, dict[str, Any] | None]:
    """(sha256, facts) of one downloaded file; facts None when the hash is the known one (the
    stored facts stand). A file cut at the cap is only sniffed. The file is deleted here, once read."""
    try:
        digest = documents.sha256_of(path)
        if truncated:
            with open(path, "rb") as fh:
                return digest, {"kind": documents.sniff_head(fh.read(documents.HEAD_BYTES)), "opens": None}
        if known_sha256 and digest == known_sha256:
            return digest, None
        return digest, analyse_file(path, ext, text_pages)
    finally:
        path.unlink(missing_ok=True)


def analyse_file(path: Path, ext: str, text_pages: int) -> dict[str, Any]:
    """The facts of one downloaded file. Other scans of a document's text join here through
    ``documents.analyse(on_text=…)``: the file is read once."""
    text = personal.DocumentText()
    facts = documents.analyse(path, extension=ext, text_pages=text_pages, on_text=text.add)
    # What must not be published (issue 18): the text read once above, kept only as masked findings.
    facts["personal"] = text.findings(facts.get("kind", ""))
    if isinstance(facts.get("html"), dict):
        facts["html"] = {k: personal.redact(v) if isinstance(v, str) else v for k, v in facts["html"].items()}
    return facts


def _consume(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()  # retrieved: nobody waits for it, and a dead reader is not an error here


class Pin:
    """The helper a run of related calls goes to (a page's tree stays in the reader that parsed it).
    Only a preference: when that reader is gone, the next call goes to any, which must cope."""

    __slots__ = ("helper",)

    def __init__(self) -> None:
        self.helper: Any = None


class Readers:
    """The crawl process's document readers (made on first use, closed with the crawl)."""

    def __init__(self, processes: int, concurrency: int, read: Callable[..., Any] = read_file,
                 warm: Callable[[], Any] | None = documents.load_readers):
        self.processes = max(0, processes)
        self.read_fn = read
        self.warm = warm
        self.slots = asyncio.Semaphore(max(1, concurrency))
        self.pool: Helpers | None = None

    def _pool(self, processes: int | None = None) -> Helpers:
        # A reader lives as long as the crawl: starting one costs a second of imports, which would
        # stall reading. Driven from the event loop (crawler.helperpipe): no threads in the crawl process.
        return Helpers(processes or self.processes, self.warm)

    def start(self) -> None:
        """Start the readers now rather than with the first file: a large crawl's first files would
        otherwise wait for their imports (a second or two of CPU), and the sites for their files."""
        if self.processes and self.pool is None:
            self.pool = self._pool()

    async def read(self, *args: Any) -> Any:
        """``read(*args)`` in a reader. When a reader dies, every file it had in hand is read again,
        each alone in a process of its own: the one that killed it raises :class:`ReaderCrashed`."""
        return await self.call(self.read_fn, *args)

    async def call(self, fn: Callable[..., Any], *args: Any, pin: Pin | None = None) -> Any:
        """``fn(*args)`` in a reader (the pinned one while it lives), with ``read``'s rule for a crash."""
        async with self.slots:
            if not self.processes:
                return await asyncio.to_thread(fn, *args)
            if self.pool is None:
                self.pool = self._pool()
            pool = self.pool
            helper = pin.helper if pin is not None and pin.helper in pool.helpers else pool.pick()
            if pin is not None:
                pin.helper = helper
            try:
                return await helper.call(fn, *args)
            except BrokenProcessPool:
                if self.pool is pool:  # the first of its reads to fail replaces it
                    pool.close(wait=False)
                    self.pool = None
            alone = self._pool(1)
            try:
                return await alone.call(fn, *args)
            except BrokenProcessPool:
                raise ReaderCrashed(f"процесс чтения аварийно завершился на {args[0] if args else '?'}") from None
            finally:
                alone.close(wait=False)

    def tell(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` in every reader now running, not waited for: something the calls after it will
        find there (a reader answers its calls in order). A reader gone meanwhile simply never knew."""
        if self.pool is None:
            return
        for helper in self.pool.helpers:
            helper.call(fn, *args).add_done_callback(_consume)

    def close(self) -> None:
        """Files not yet begun are dropped; the readers finish the one in hand and are waited for
        (no process outlives the crawl, and their CPU is counted as the crawl's children)."""
        if self.pool is not None:
            self.pool.close(wait=True)
            self.pool = None
