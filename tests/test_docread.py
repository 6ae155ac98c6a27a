"""Documents are read in reader processes (crawler.docread): the same facts as in the crawl process,
a file that crashes its reader costs that file only, and no reader outlives its crawl."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.settings import Settings

from crawler import docfetch
from crawler.childprocs import helper_processes
from crawler.docread import Readers, ReaderCrashed, read_file
from readerkit import crash_on
from testbed.documents import docx, text_pdf

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def _files(tmp: Path) -> list[tuple[Path, str]]:
    files = [(tmp / "ustav.pdf", "pdf"), (tmp / "plan.docx", "docx")]
    files[0][0].write_bytes(text_pdf(["Устав муниципального бюджетного общеобразовательного учреждения", "тел. 8 (812) 123-45-67"], pages=2))
    files[1][0].write_bytes(docx(["Учебный план на 2026/2027 учебный год", "Директор Иванова Мария Петровна"]))
    return files


def test_a_reader_process_gives_the_facts_the_crawl_process_gives(tmp_path: Path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    expected = [read_file(path, ext, 30, False, "") for path, ext in _files(here)]
    files = _files(there)

    async def scenario():
        readers = Readers(1, 2)
        try:
            return await asyncio.gather(*(readers.read(path, ext, 30, False, "") for path, ext in files))
        finally:
            readers.close()

    got = asyncio.run(scenario())
    assert got == expected
    assert expected[0][1]["kind"] == "pdf" and expected[1][1]["kind"] == "docx"
    assert not any(path.exists() for path, _ in files)  # read, then deleted by the reader


def test_reading_happens_in_another_process_or_in_threads(tmp_path: Path):
    async def scenario(processes: int):
        readers = Readers(processes, 2, read=crash_on)
        try:
            return await readers.read(tmp_path / "a.pdf")
        finally:
            readers.close()

    assert asyncio.run(scenario(1))[0] != os.getpid()
    assert asyncio.run(scenario(0)) == (os.getpid(), "a.pdf")


def test_a_file_that_crashes_its_reader_costs_that_file_only(tmp_path: Path):
    async def scenario():
        readers = Readers(1, 3, read=crash_on)
        try:
            first = await asyncio.gather(*(readers.read(tmp_path / name) for name in ("a.pdf", "crash.pdf", "b.pdf")), return_exceptions=True)
            after = await readers.read(tmp_path / "c.pdf")  # the pool was replaced
            return first, after
        finally:
            readers.close()

    (a, crashed, b), after = asyncio.run(scenario())
    assert a[1] == "a.pdf" and b[1] == "b.pdf" and after[1] == "c.pdf"
    assert isinstance(crashed, ReaderCrashed)
    assert "crash.pdf" in str(crashed)


def test_a_crashed_read_is_a_document_not_read_by_sveden(tmp_path: Path):
    """The fetcher records it as «not read» on the checker's side (not the site's fault), and deletes the file."""
    path = tmp_path / "crash-ustav.pdf"
    sink = docfetch.Sink(path, cap=1 << 20)
    sink.write(text_pdf(["Устав"]))
    sink.close()

    async def scenario():
        settings = Settings()
        settings.setmodule("crawler.settings")
        crawl = SimpleNamespace(deadline=1000.0, pages=[], probes={}, documents={})
        fetcher = docfetch.DocumentFetcher(crawl, settings)
        docfetch._readers[id(asyncio.get_running_loop())] = Readers(1, 1, read=crash_on)
        fetcher._backlog().add()
        try:
            await fetcher.read("http://127.0.0.1/crash-ustav.pdf", ("http://127.0.0.1/crash-ustav.pdf", 200, {
                b"Content-Type": "application/pdf", b"ETag": "", b"Last-Modified": "", b"Content-Length": ""}), sink, None, None, [], False)
        finally:
            docfetch.close_readers()
        return crawl

    crawl = asyncio.run(scenario())
    assert crawl.probes["http://127.0.0.1/crash-ustav.pdf"] == {"method": "GET", "status": None, **docfetch.NOT_READ}
    assert "http://127.0.0.1/crash-ustav.pdf" not in crawl.documents
    assert not path.exists()
    assert not docfetch._readers


ORPHAN = """
import asyncio, os, signal, sys
sys.path[:0] = [{tests!r}, {repo!r}]
from crawler.docread import Readers
from readerkit import crash_on

async def main():
    readers = Readers(1, 1, read=crash_on)
    pid, _ = await readers.read("a.pdf")
    print(pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_no_reader_outlives_a_killed_crawl():
    proc = subprocess.run([sys.executable, "-c", ORPHAN.format(tests=str(TESTS), repo=str(REPO))], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stderr[-2000:]
    reader = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(reader) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(reader), f"reader {reader} outlived its crawl"


def test_the_readers_end_with_the_last_crawl_of_the_process_not_the_first(tmp_path: Path):
    """A monthly run has the bus.gov.ru spider beside the sites' one; it closes first and must not end the readers."""

    async def scenario():
        sites, busgov = docfetch.DocumentStream(), docfetch.DocumentStream()
        sites.spider_opened(None), busgov.spider_opened(None)
        readers = docfetch._readers[id(asyncio.get_running_loop())] = Readers(1, 1, read=crash_on)
        await readers.read(tmp_path / "a.pdf")
        busgov.spider_closed(None)
        still = dict(docfetch._readers)
        after = await readers.read(tmp_path / "b.pdf")
        sites.spider_closed(None)
        return still, after, dict(docfetch._readers), readers.pool

    still, after, left, pool = asyncio.run(scenario())
    assert still and after[1] == "b.pdf"
    assert not left and pool is None


def test_the_auto_default_reads_in_a_process_alone_and_in_threads_in_a_shared_run():
    from sveden.monitoring import redis_settings, worker_settings

    db = "sqlite:///unused.sqlite"
    shared = redis_settings("redis://127.0.0.1:6379/15", 7, 3)
    assert helper_processes(worker_settings(7, db, 0, {}), "SVEDEN_DOCUMENT_PROCESSES") == 1  # a lone `sveden crawl`
    assert helper_processes(worker_settings(7, db, 0, shared), "SVEDEN_DOCUMENT_PROCESSES") == 0  # coordinator and workers
    # An explicit setting wins either way (--set, or the environment through crawler.settings).
    assert helper_processes(worker_settings(7, db, 0, {**shared, "SVEDEN_DOCUMENT_PROCESSES": 2}), "SVEDEN_DOCUMENT_PROCESSES") == 2
    assert helper_processes(worker_settings(7, db, 0, {"SVEDEN_DOCUMENT_PROCESSES": 0}), "SVEDEN_DOCUMENT_PROCESSES") == 0


@pytest.mark.parametrize("total, started", [(20, True), (19, False)])
def test_a_crawl_of_many_sites_starts_its_readers_with_it(total, started):
    import readerkit

    from crawler import docfetch, pageread
    from crawler.runner import project_settings

    async def scenario():
        ext = docfetch.DocumentStream(project_settings({"SVEDEN_PROGRESS_TOTAL": total}))
        ext.spider_opened(None)
        try:
            key = id(asyncio.get_running_loop())
            docs, pages = docfetch._readers.get(key), pageread._readers.get(key)
            if not started:
                return docs, pages
            assert docs.pool is not None and pages.pool is not None  # before any file or page
            # The document reader imported its parsers as it started, not with the first document.
            return await docs.pool.call(readerkit.loaded, "pypdfium2", "pypdf")
        finally:
            ext.spider_closed(None)

    result = asyncio.run(scenario())
    assert result == (["pypdfium2", "pypdf"] if started else (None, None))
