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


def test_documents_wait_in_memory_up_to_a_bound_in_bytes_then_on_disk(tmp_path: Path):
    from crawler.docfetch import Places

    ram, disk = tmp_path / "ram", tmp_path / "disk"
    ram.mkdir(), disk.mkdir()
    places = Places(2, 1000, ram_dir=str(ram), disk_dir=str(disk))  # 2 × 1000 bytes of memory
    small = [Sink(ram / f"small{i}", cap=1000, places=places) for i in range(5)]
    for sink in small:  # five documents of 300 bytes: all in memory (counted in bytes, not files)
        assert sink.write(b"x" * 300) is False
    assert places.used == 1500 and places.take() == (str(ram), True)
    big = Sink(ram / "big", cap=1000, places=places)
    big.write(b"a" * 400)  # 1900 bytes: still in memory
    big.write(b"b" * 400)  # would pass 2000: the file moves to disk and goes on there, whole
    big.close()
    assert big.places is None and big.path.parent == disk and big.path.read_bytes() == b"a" * 400 + b"b" * 400
    assert not (ram / "big").exists() and places.used == 1500
    small[0].discard()
    small[0].discard()  # twice (the reader deleted it, then the crawl): its bytes are given back once
    assert places.used == 1200
    big.discard()  # a file on disk gives back nothing in memory
    assert places.used == 1200 and not big.path.exists()
    small[1].start()
    small[1].write(b"y" * 100)  # a redirect's new body replaces the last one's bytes
    assert places.used == 1000
    small[2].rewrite(b"z" * 50)  # the decoded body of a compressed answer
    assert places.used == 750 and small[2].path.read_bytes() == b"z" * 50
    for sink in small[1:]:
        sink.discard()
    assert places.used == 0 and not any(ram.iterdir())
    full = Places(1, 100, ram_dir=str(ram), disk_dir=str(disk))
    full.grow(100)
    assert full.take() == (str(disk), False)  # memory full: the next file starts on disk


def test_memory_is_used_only_when_it_has_room_for_the_whole_bound(tmp_path: Path):
    from crawler.docfetch import Places

    assert Places(2, 1000, ram_dir=str(tmp_path)).budget == 2000
    assert Places(2, 1 << 62, ram_dir=str(tmp_path)).budget == 0  # a small /dev/shm (a container's): disk only
    assert Places(2, 1000, ram_dir=str(tmp_path / "absent")).budget == 0  # not Linux
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
