"""Downloading the documents a site links to, within bounds, into facts (``crawler.documents``).

Each document is streamed into a temporary file (:class:`DocumentStream`, a Scrapy extension on
``headers_received``/``bytes_received``) and stops at ``SVEDEN_DOCUMENT_MAX_BYTES``: a larger one
keeps its first bytes, enough to tell its type. The site's document budget (count, bytes, seconds)
bounds the work; links past it are probed with HEAD as before. Files are read by the process's
readers (``crawler.docread``: reader processes, at most ``SVEDEN_DOCUMENT_CONCURRENCY`` files at once
whatever the number of sites); downloads follow the crawl's own concurrency and do not wait for a
reader, only — when reading falls behind — for the process's backlog of unread files
(``SVEDEN_DOCUMENT_BACKLOG``); that wait is not the site's network time and moves its time budgets
on. The file is deleted as soon as its facts are read.

Known documents (``SVEDEN_DOCUMENT_CACHE``: a SQLite file the orchestration exports from its
database, table ``documents(url, etag, last_modified, sha256, facts)``) are asked with
If-None-Match / If-Modified-Since; a 304, or a body with the same hash, reuses the stored facts.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import StopDownload

from artifacts.doctypes import extension
from crawler import documents, pageread
from crawler.childprocs import helper_processes
from crawler.docread import ReaderCrashed, Readers, close_all, per_loop
from crawler.errors import classify_exception
from crawler.requestkinds import DOCUMENT

log = logging.getLogger(__name__)
SIGNATURE_SUFFIXES = (".sig", ".p7s")
SIGNATURE_MAX_BYTES = 1 << 20
# Our disk, not the site, failed: the document was received but could not be kept to be read.
NOT_SAVED = {"error_kind": "not_read", "error": "документ не прочитан: не удалось сохранить его для проверки"}
# Our reader, not the site, failed: the file crashed the reader process twice.
NOT_READ = {"error_kind": "not_read", "error": "документ не прочитан: его разбор аварийно завершился на стороне проверки"}
_readers: dict[int, Readers] = {}  # per event loop: the process's readers
_backlogs: dict[int, Backlog] = {}  # per event loop, as _readers
_places: dict[int, Places] = {}  # per event loop, as _readers
RAM_DIR = "/dev/shm"  # a tmpfs on Linux
TMP_PREFIX = "sveden-doc-"  # then the crawl process's id: sveden-doc-<pid>-<random>


class Places:
    """Where the process's downloaded documents wait to be read: in memory (a tmpfs) while their bytes
    there stay within ``ram_files`` × the size cap, else in the temporary directory on disk.

    Each document is a file created, written and deleted within a second or two, in the reactor's thread.
    On a disk file system under a crawl's load that is slow (measured 0.63 ms per create against 0.02 ms
    on tmpfs); gunicorn gives the same advice for its heartbeat files.
    Memory is counted in the bytes written, not in files: most documents are far below the cap, so many
    wait in memory at once, and a download that would pass the bound moves to disk and goes on there
    (:meth:`Sink.write`). Only a tmpfs with room for the whole bound is used (a container's /dev/shm is
    often 64 MB)."""

    def __init__(self, ram_files: int, cap: int, ram_dir: str = RAM_DIR, disk_dir: str | None = None):
        self.disk_dir = disk_dir
        self.budget = ram_files * cap if ram_files > 0 and _has_room(ram_dir, ram_files * cap) else 0
        self.ram_dir = ram_dir
        self.used = 0  # bytes of the documents in memory
        if self.budget:
            _sweep(ram_dir)

    def take(self) -> tuple[str | None, bool]:
        """(directory, in memory) of the next file."""
        if self.used < self.budget:
            return self.ram_dir, True
        return self.disk_dir, False

    def grow(self, size: int) -> bool:
        """``size`` more bytes in memory, if they fit."""
        if self.used + size > self.budget:
            return False
        self.used += size
        return True

    def give_back(self, size: int) -> None:
        self.used -= size


def _sweep(directory: str) -> None:
    """Delete the documents left by crawl processes that were killed (a kill -9 skips every clean-up):
    in memory they would stay until the machine restarts. A file's name carries its process id."""
    for path in Path(directory).glob(f"{TMP_PREFIX}*-*"):
        pid = path.name.removeprefix(TMP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _has_room(directory: str, size: int) -> bool:
    try:
        st = os.statvfs(directory)
    except OSError:  # no such directory (not Linux)
        return False
    return os.access(directory, os.W_OK) and st.f_bavail * st.f_frsize >= size


class Backlog:
    """Documents downloaded and not yet read, in the whole process.

    When reading is slower than downloading (a CPU-bound run), the files would pile up on disk and
    their sites stay open in memory; a site's next download waits while ``limit`` files wait to be
    read. Each file read lets one waiting download go, first come first served (waking every waiter
    on each file would cost more than the reading). Downloads already under way finish, so the files
    on disk stay within ``limit`` plus the downloads in flight.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.count = 0
        self.waiters: collections.deque[asyncio.Future] = collections.deque()

    def full(self) -> bool:
        return bool(self.limit) and self.count >= self.limit

    async def room(self) -> None:
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append(fut)
        try:
            await fut
        except BaseException:
            if fut.done() and not fut.cancelled():  # woken, then cancelled: the place goes to the next
                self._wake()
            raise

    def add(self) -> None:
        self.count += 1

    def done(self) -> None:
        self.count -= 1
        self._wake()

    def _wake(self) -> None:
        free = self.limit - self.count
        while self.waiters and free > 0:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                free -= 1


class Sink:
    """Where one download's bytes go: a temporary file, cut at ``cap`` bytes.

    The download may outlive the wait for it (the site's deadline cancels the wait, not Scrapy's
    transfer): once closed, the sink takes no more bytes and asks the transfer to stop. A write
    that fails (a full disk) also ends the download, as a named failure of that document.
    """

    def __init__(self, path: Path, cap: int, fd: int | None = None, places: Places | None = None):
        self.path = path
        self.places = places  # the file is in memory, its bytes counted there (None: on disk)
        self.ram_bytes = 0
        self.gone = False
        self.cap = cap
        self.size = 0
        self.truncated = False
        self.started = False  # the extension streamed this download (else the body is written after)
        self.failed: OSError | None = None
        # The descriptor mkstemp opened is written through: one open per document in the reactor's thread.
        self.fh = os.fdopen(fd, "wb") if fd is not None else open(path, "wb")

    def start(self) -> None:  # a new response (after a redirect): its body replaces the last one's
        if self.fh.closed:
            return
        self.started = True
        if self.size:  # nothing written yet (the first response): nothing to take back
            try:
                self.fh.seek(0)
                self.fh.truncate()
            except OSError as exc:
                self.failed = exc
            self._forget_ram()
        self.size = 0
        self.truncated = False

    def write(self, data: bytes) -> bool:
        """Write a chunk; True when the download must stop (the cap is reached, the sink is closed or failed)."""
        if self.fh.closed or self.failed is not None:
            return True
        chunk = data[: max(self.cap - self.size, 0)]
        try:
            self._room_for(len(chunk))
            self.fh.write(chunk)
        except OSError as exc:
            self.failed = exc
            return True
        self.size += len(data)
        if self.size > self.cap:
            self.truncated = True
            return True
        return False

    def rewrite(self, body: bytes) -> None:
        """The file's content is ``body`` (the decoded body of a compressed answer): OSError when it cannot be."""
        self.close()
        self._forget_ram()
        self._room_for(len(body))
        self.path.write_bytes(body)

    def _room_for(self, size: int) -> None:
        """``size`` more bytes go to the file: in memory while they fit, else the file moves to disk first."""
        if self.places is None:
            return
        if self.places.grow(size):
            self.ram_bytes += size
            return
        was_open = not self.fh.closed
        if was_open:
            self.fh.close()
        fd, name = tempfile.mkstemp(prefix=f"{self.path.name}-", dir=self.places.disk_dir)
        with os.fdopen(fd, "wb") as out, open(self.path, "rb") as src:
            shutil.copyfileobj(src, out)
        self.path.unlink(missing_ok=True)
        self._forget_ram()
        self.places = None
        self.path = Path(name)
        if was_open:
            self.fh = open(self.path, "ab")

    def _forget_ram(self) -> None:
        if self.places is not None:
            self.places.give_back(self.ram_bytes)
        self.ram_bytes = 0

    def close(self) -> None:
        if not self.fh.closed:
            try:
                self.fh.close()
            except OSError as exc:  # the last buffered bytes could not be written
                self.failed = self.failed or exc

    def discard(self) -> None:
        """The file is deleted (if the reader has not already); called once it is no longer needed.
        Once only: the later calls (a read task's end) cost no system call in the reactor's thread."""
        if self.gone:
            return
        self.gone = True
        self.close()
        self.path.unlink(missing_ok=True)
        self._forget_ram()


class DocumentStream:
    """The extension streaming document downloads (``meta["sveden_document"]``, a :class:`Sink`) to disk.

    It also ends the process's readers once the last of its crawls is over: a monthly run has the
    bus.gov.ru spider beside the sites' one, and it closes first."""

    open_crawls = 0

    def __init__(self, settings=None):
        self.settings = settings

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler.settings)
        crawler.signals.connect(ext.headers_received, signal=signals.headers_received)
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        DocumentStream.open_crawls += 1
        if self.settings is not None and self.settings.getint("SVEDEN_PROGRESS_TOTAL") >= pageread.PAGE_PROCESS_FROM:
            start_readers(self.settings)

    def spider_closed(self, spider):
        DocumentStream.open_crawls -= 1
        if DocumentStream.open_crawls <= 0:
            close_readers()

    def headers_received(self, headers, body_length, request, spider):
        sink = request.meta.get(DOCUMENT)
        if sink is not None:
            sink.start()

    def bytes_received(self, data, request, spider):
        sink = request.meta.get(DOCUMENT)
        if sink is not None and sink.write(data):
            raise StopDownload(fail=False)


def document_readers(processes: int, concurrency: int) -> Readers:
    """The process's document readers (made on first use, closed with the last crawl)."""
    return per_loop(_readers, lambda: Readers(processes, concurrency))


def start_readers(settings) -> None:
    """A crawl of many sites starts its document and page readers with it (crawler.docread.Readers.start)."""
    if settings.getbool("SVEDEN_DOCUMENTS", True):
        document_readers(helper_processes(settings, "SVEDEN_DOCUMENT_PROCESSES"), max(1, settings.getint("SVEDEN_DOCUMENT_CONCURRENCY"))).start()
    if processes := pageread.page_processes(settings):
        pageread.readers(processes).start()


def close_readers() -> None:
    """The crawl is over: its reader processes go (files still being read are abandoned), and
    its page readers (crawler.pageread)."""
    close_all(_readers)
    pageread.close_readers()


class KnownDocuments:
    """The facts stored last time, by URL (a read-only SQLite file; absent: nothing known)."""

    def __init__(self, path: str):
        self.db: sqlite3.Connection | None = None
        if path and os.path.exists(path):
            try:
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            except sqlite3.Error as exc:
                log.warning("document cache %s not read: %s", path, exc)

    def get(self, url: str) -> dict[str, Any] | None:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT etag, last_modified, sha256, facts FROM documents WHERE url = ?", (url,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        return {"etag": row[0] or "", "last_modified": row[1] or "", "sha256": row[2] or "", "facts": json.loads(row[3] or "{}")}


_known: dict[str, KnownDocuments] = {}


def known_documents(path: str) -> KnownDocuments:
    if path not in _known:
        _known[path] = KnownDocuments(path)
    return _known[path]


class DocumentFetcher:
    """One site's document downloads (its :class:`crawler.sitecrawl.SiteCrawl` records them)."""

    def __init__(self, crawl, settings):
        self.crawl = crawl
        self.enabled = settings.getbool("SVEDEN_DOCUMENTS", True)
        self.max_bytes = settings.getint("SVEDEN_DOCUMENT_MAX_BYTES")
        self.count_budget = settings.getint("SVEDEN_DOCUMENT_BUDGET")
        self.bytes_budget = settings.getint("SVEDEN_DOCUMENT_BYTES_BUDGET")
        self.time_budget = settings.getfloat("SVEDEN_DOCUMENT_TIME_BUDGET")
        self.text_pages = settings.getint("SVEDEN_DOCUMENT_TEXT_PAGES")
        self.concurrency = max(1, settings.getint("SVEDEN_DOCUMENT_CONCURRENCY"))
        self.processes = helper_processes(settings, "SVEDEN_DOCUMENT_PROCESSES")
        self.backlog_limit = max(0, settings.getint("SVEDEN_DOCUMENT_BACKLOG"))
        self.workers = max(1, settings.getint("SVEDEN_SITE_CONCURRENCY"))
        self.signed_itemprops = frozenset(settings.getlist("SVEDEN_SIGNED_ITEMPROPS"))
        self.tmpdir = settings.get("SVEDEN_DOCUMENT_TMPDIR") or None
        # Set by the operator, the directory is theirs; else memory first (Places).
        self.ram_files = 0 if self.tmpdir else max(0, settings.getint("SVEDEN_DOCUMENT_RAM_FILES"))
        self.known = known_documents(settings.get("SVEDEN_DOCUMENT_CACHE") or "")
        self.started = 0.0
        self.count = 0
        self.bytes = 0
        self.skipped = 0
        # Files being read: the next download does not wait for them (the site's time budget is for
        # the network; reading is bounded by the size cap and the pages read).
        self.reading: list[asyncio.Future] = []
        # Seconds this site's downloads waited for the process's reading (Backlog): not the site's
        # network time, so its time budgets are moved on by them.
        self.paused = 0.0
        self.waiting = 0
        self.wait_since = 0.0

    def _places(self) -> Places:
        return per_loop(_places, lambda: Places(self.ram_files, self.max_bytes, disk_dir=self.tmpdir))

    def _readers(self) -> Readers:
        return document_readers(self.processes, self.concurrency)

    def _backlog(self) -> Backlog:
        return per_loop(_backlogs, lambda: Backlog(self.backlog_limit))

    async def wait_for_reading(self) -> None:
        """Wait for room in the process's backlog; the time any of the site's downloads waited (once,
        however many waited together) moves the site's deadlines and document time budget on."""
        backlog = self._backlog()
        if not backlog.full() and not backlog.waiters:
            return
        if self.waiting == 0:
            self.wait_since = time.monotonic()
        self.waiting += 1
        try:
            await backlog.room()
        finally:
            self.waiting -= 1
            if self.waiting == 0:
                waited = time.monotonic() - self.wait_since
                self.paused += waited
                self.crawl.deadline += waited

    def within_budget(self) -> bool:
        if not self.enabled or self.count >= self.count_budget or self.bytes >= self.bytes_budget:
            return False
        return not (self.time_budget > 0 and self.started and time.monotonic() - self.started - self.paused > self.time_budget)

    def signature_links(self) -> dict[str, list[str]]:
        """Detached signatures linked on the site's pages, by the document path they sign (without the suffix)."""
        out: dict[str, list[str]] = {}
        for page in self.crawl.pages:
            for link in page.get("links") or []:
                href = link.get("href", "").split("#")[0]
                path = urlsplit(href).path
                if path.lower().endswith(SIGNATURE_SUFFIXES):
                    stem = path[: path.rfind(".")]
                    out.setdefault(stem, []).append(href)
                    out.setdefault(stem.rsplit(".", 1)[0], []).append(href)  # «ustav.sig» beside «ustav.pdf»
        return out

    def signed_urls(self) -> set[str]:
        """Links of the itemprops whose documents must be signed (the orchestration names them)."""
        urls: set[str] = set()
        if not self.signed_itemprops:
            return urls
        for page in self.crawl.pages:
            for node in page.get("microdata") or []:
                if self.signed_itemprops.intersection(node["p"].split()):
                    urls.update(node.get("h", []))
        return urls

    async def fetch_all(self, urls: list[str], deadline: float | None) -> None:
        """Download ``urls`` as documents while the budget lasts; HEAD-probe the rest."""
        self.started = time.monotonic()
        sig_links = self.signature_links()
        signed = self.signed_urls()

        queue = list(reversed(urls))

        async def worker() -> None:
            # The budget is asked before each download, so bytes and seconds already spent count.
            while queue:
                url = queue.pop()
                if self.within_budget():
                    await self.wait_for_reading()
                moved = None if deadline is None else deadline + self.paused
                if not self.within_budget():
                    self.skipped += self.enabled
                    await self.crawl.probe(url, moved)
                    continue
                self.count += 1
                stem = urlsplit(url).path.rsplit(".", 1)[0]
                await self.fetch(url, moved, sig_links.get(stem, []), url in signed)

        await asyncio.gather(*(worker() for _ in range(min(len(urls), self.workers))))
        await asyncio.gather(*self.reading)

    def _request(self, url: str, sink: Sink, known: dict[str, Any] | None) -> Request:
        headers = {"Accept-Encoding": "identity"}
        if known and known["facts"].get("status") in range(200, 300):
            if known["etag"]:
                headers["If-None-Match"] = known["etag"]
            if known["last_modified"]:
                headers["If-Modified-Since"] = known["last_modified"]
        meta = {DOCUMENT: sink, "download_maxsize": 0, "download_warnsize": 0, "download_timeout": 30, "max_retry_times": 0}
        return Request(url, headers=headers, dont_filter=True, meta=meta)

    async def download(self, url: str, cap: int, deadline: float | None, known: dict[str, Any] | None = None):
        """(response or None, sink, error facts): the body is in ``sink.path``, the caller deletes it
        (on a failure the file is already gone)."""
        places = self._places()
        directory, in_ram = places.take()
        fd, name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=directory)
        sink = Sink(Path(name), cap, fd, places if in_ram else None)
        try:
            resp = await self.crawl._download(self._request(url, sink, known), deadline)
        except Exception as exc:
            sink.discard()
            kind, message = classify_exception(exc)
            return None, sink, {"error_kind": kind, "error": message}
        except BaseException:  # cancelled: the file must not outlive the crawl
            sink.discard()
            raise
        sink.close()
        try:
            if (resp.headers.get(b"Content-Encoding") or not sink.started) and not sink.truncated and resp.body:
                # The server compressed it anyway (the decoded body), or DocumentStream is not enabled.
                sink.rewrite(resp.body[: sink.cap])
                sink.size = len(resp.body)
                sink.truncated = sink.size > sink.cap
        except OSError as exc:
            sink.failed = exc
        if sink.failed is not None:
            log.warning("document %s not saved in %s: %s", url, sink.path, sink.failed)
            sink.discard()
            return None, sink, NOT_SAVED
        return resp, sink, {}

    async def fetch(self, url: str, deadline: float | None, signature_links: list[str], must_sign: bool) -> None:
        known = self.known.get(url)
        resp, sink, error = await self.download(url, self.max_bytes, deadline, known)
        if resp is None:
            self.crawl.probes[url] = {"method": "GET", "status": None, **error}
            return
        self.bytes += sink.size
        self.crawl.bytes += sink.size
        not_modified = resp.status == 304 and known is not None
        self.crawl.probes[url] = {"method": "GET", "status": known["facts"].get("status") if not_modified else resp.status}
        # Only what the facts need is kept from the response (its body may be megabytes).
        answer = (resp.url, resp.status, {k: resp.headers.get(k, b"").decode("latin-1") for k in (b"Content-Type", b"ETag", b"Last-Modified", b"Content-Length")})
        self._backlog().add()
        task = asyncio.ensure_future(self.read(url, answer, sink, known, deadline, signature_links, must_sign))
        task.add_done_callback(lambda _: sink.discard())  # also when cancelled before it began
        self.reading.append(task)

    async def read(self, url: str, answer: tuple[str, int, dict[bytes, str]], sink: Sink, known: dict[str, Any] | None,
                   deadline: float | None, signature_links: list[str], must_sign: bool) -> None:
        try:
            facts = await self._facts(url, answer, sink, known)
        except ReaderCrashed as exc:
            log.warning("document %s not read: %s", url, exc)
            self.crawl.probes[url] = {"method": "GET", "status": None, **NOT_READ}
            return
        except Exception as exc:  # the file vanished or could not be read: this document, not the site
            log.warning("document %s not read from %s: %s", url, sink.path, exc)
            self.crawl.probes[url] = {"method": "GET", "status": None, **NOT_SAVED}
            return
        finally:  # read_file deleted it once read; not read (a 304, an error, a cancellation): deleted here
            sink.discard()
            self._backlog().done()
        status = facts.get("status")
        if status not in range(200, 300):
            return
        if facts.get("kind") not in ("html", "signature", "image", "empty", "unknown"):
            embedded = any(s.get("form") == "pdf" for s in facts.get("signatures") or [])
            candidates = list(dict.fromkeys(signature_links)) or ([url + s for s in SIGNATURE_SUFFIXES] if must_sign and not embedded else [])
            for cand in candidates[:2]:
                detached = await self.detached(cand, deadline, linked=bool(signature_links))
                if detached:
                    facts["detached"] = detached
                    break
        self.crawl.documents[url] = facts

    async def _facts(self, url: str, answer: tuple[str, int, dict[bytes, str]], sink: Sink, known: dict[str, Any] | None) -> dict[str, Any]:
        final_url, status, headers = answer
        base: dict[str, Any] = {
            "final_url": final_url,
            "status": status,
            "content_type": headers[b"Content-Type"][:200],
            "etag": headers[b"ETag"][:200],
            "last_modified": headers[b"Last-Modified"][:100],
        }
        base = {k: v for k, v in base.items() if v != ""}
        if status == 304 and known:
            return {**known["facts"], "cached": "not_modified", "etag": base.get("etag") or known["etag"], "last_modified": base.get("last_modified") or known["last_modified"]}
        if status not in range(200, 300):
            return base
        declared = headers[b"Content-Length"]
        base["size"] = int(declared) if sink.truncated and declared.isdigit() else sink.size
        base["truncated"] = sink.truncated
        # Reading the file is CPU work: a few at a time in the process's readers, whatever the sites.
        base["sha256"], facts = await self._readers().read(
            sink.path, extension(final_url) or extension(url), self.text_pages, sink.truncated, known["sha256"] if known else "")
        if facts is None:
            return {**known["facts"], **base, "cached": "same_hash"}
        return {**base, **facts}

    async def detached(self, url: str, deadline: float | None, linked: bool) -> dict[str, Any] | None:
        """A detached signature at ``url``: a CMS container that answers 2xx (a soft 404 is no signature)."""
        resp, sink, error = await self.download(url, SIGNATURE_MAX_BYTES, deadline)
        try:
            if resp is None or resp.status not in range(200, 300):
                return None
            with open(sink.path, "rb") as fh:
                kind = documents.sniff_head(fh.read(documents.HEAD_BYTES))
        except OSError as exc:  # not kept: no signature known, as if none answered
            log.warning("signature %s not read: %s", url, exc)
            return None
        finally:
            sink.discard()
        return {"url": url, "kind": kind, "linked": linked} if kind == "signature" or linked else None
