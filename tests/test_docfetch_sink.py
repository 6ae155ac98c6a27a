"""A document download's sink: bytes arriving after the wait ended, or a disk that fails, stop
the transfer quietly and leave no file (crawler.docfetch.Sink)."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request

from crawler.docfetch import Sink
from crawler.requestkinds import DOCUMENT, PROBE, document_link


def test_bytes_after_the_sink_closed_stop_the_download_without_an_error(tmp_path: Path):
    sink = Sink(tmp_path / "doc", cap=100)
    assert sink.write(b"%PDF-1.7") is False
    sink.close()
    assert sink.write(b"more bytes of a download nobody waits for") is True
    sink.start()  # a redirect's headers after the close: ignored
    assert sink.size == 8 and sink.failed is None
    assert (tmp_path / "doc").read_bytes() == b"%PDF-1.7"
    sink.discard()
    assert not (tmp_path / "doc").exists()


def test_a_failed_write_ends_the_download_as_a_failure(tmp_path: Path):
    sink = Sink(tmp_path / "doc", cap=100)

    class FullDisk:
        closed = False

        def write(self, _data):
            raise OSError(28, "No space left on device")

    sink.fh.close()
    sink.fh = FullDisk()
    assert sink.write(b"%PDF") is True
    assert isinstance(sink.failed, OSError) and sink.size == 0
    assert sink.write(b"%PDF") is True


def test_the_cap_keeps_the_first_bytes_and_stops(tmp_path: Path):
    sink = Sink(tmp_path / "doc", cap=4)
    assert sink.write(b"%PD") is False
    assert sink.write(b"F-1.7") is True
    sink.close()
    assert sink.truncated and sink.size == 8 and (tmp_path / "doc").read_bytes() == b"%PDF"


def test_downloads_and_probes_are_both_links_to_documents(tmp_path: Path):
    sink = Sink(tmp_path / "doc", cap=1)
    assert document_link(Request("http://a.test/d.pdf", meta={DOCUMENT: sink}))
    assert document_link(Request("http://a.test/d.pdf", meta={PROBE: True}))
    assert not document_link(Request("http://a.test/sveden/", meta={"sveden_section": "common"}))
    sink.discard()


def test_documents_wait_in_memory_up_to_a_bound_then_on_disk(tmp_path: Path):
    from crawler.docfetch import Places

    ram, disk = tmp_path / "ram", tmp_path / "disk"
    ram.mkdir(), disk.mkdir()
    places = Places(2, 1000, ram_dir=str(ram), disk_dir=str(disk))
    taken = [places.take() for _ in range(3)]
    assert taken == [(str(ram), True), (str(ram), True), (str(disk), False)]
    sinks = [Sink(Path(d) / f"doc{i}", cap=1000, on_gone=lambda r=r: places.give_back(r)) for i, (d, r) in enumerate(taken)]
    sinks[0].discard()
    sinks[0].discard()  # twice (the reader deleted it, then the crawl): the place is given back once
    assert places.in_ram == 1 and places.take() == (str(ram), True)
    sinks[2].discard()  # a file on disk frees no place in memory
    assert places.take() == (str(disk), False)
    assert not (ram / "doc0").exists() and (ram / "doc1").exists() and not (disk / "doc2").exists()
    sinks[1].discard()


def test_memory_is_used_only_when_it_has_room_for_every_file_it_may_hold(tmp_path: Path):
    from crawler.docfetch import Places

    assert Places(2, 1000, ram_dir=str(tmp_path)).ram_files == 2
    assert Places(2, 1 << 62, ram_dir=str(tmp_path)).ram_files == 0  # a small /dev/shm (a container's): disk only
    assert Places(2, 1000, ram_dir=str(tmp_path / "absent")).ram_files == 0  # not Linux
    assert Places(0, 1000, ram_dir=str(tmp_path)).take() == (None, False)  # SVEDEN_DOCUMENT_RAM_FILES=0


def test_documents_left_in_memory_by_a_killed_crawl_are_swept(tmp_path: Path):
    """A kill -9 skips every clean-up: the next crawl deletes the files of dead crawl processes from
    memory, never those of a crawl still running."""
    import os
    import subprocess
    import sys

    from crawler.docfetch import TMP_PREFIX, Places

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    left = tmp_path / f"{TMP_PREFIX}{dead.stdout.strip()}-abc123"
    running = tmp_path / f"{TMP_PREFIX}{os.getpid()}-def456"
    other = tmp_path / "report.pdf"
    for path in (left, running, other):
        path.write_bytes(b"%PDF-1.7")
    Places(2, 1000, ram_dir=str(tmp_path))
    assert not left.exists() and running.exists() and other.exists()
