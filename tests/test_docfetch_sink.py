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
