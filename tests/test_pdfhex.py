"""The fast reader of PDF hex strings (crawler/pdfhex.py) answers exactly as pyHanko's own."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic

from crawler import documents, pdfhex
from testbed.documents import signed_pdf, text_pdf

pdfhex.install()
ORIGINAL = pdfhex._original
PIECES = st.sampled_from([b"0", b"7", b"a", b"F", b"e3", b" ", b"\n", b"\r\n", b"\x00", b"\t", b"%", b"% note\n", b">", b"g", b"<", b"(", b"\xff"])


def _outcome(reader, data: bytes):
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as exc:  # the same error, or the same value, and the same position after it
        return ("error", type(exc).__name__, str(exc))
    return ("value", type(value).__name__, bytes(value) if isinstance(value, generic.ByteStringObject) else str(value), stream.tell())


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=40).map(b"".join), st.binary(max_size=8))
def test_any_hex_string_reads_as_pyhanko_reads_it(body, tail):
    data = b"<" + body + tail
    assert _outcome(pdfhex.read_hex_string, data) == _outcome(ORIGINAL, data)


@pytest.mark.parametrize("data", [
    b"<>", b"<41>", b"<414>", b"<4 1\n4\r2>rest", b"<" + b"00" * 40000 + b">", b"<41%>\n42>", b"<4g>", b"<4142", b"<" + b"0" * 70000,
])
def test_edges_read_as_pyhanko_reads_them(data):
    assert _outcome(pdfhex.read_hex_string, data) == _outcome(ORIGINAL, data)


def test_a_signed_pdf_reads_the_same_signature(tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_pdf(text_pdf(["Приказ об утверждении положения"])))
    fast = documents._pdf_signatures(path)
    generic.read_hex_string_from_stream = ORIGINAL
    try:
        slow = documents._pdf_signatures(path)
    finally:
        generic.read_hex_string_from_stream = pdfhex.read_hex_string
    assert fast == slow and fast[0]["intact"] is True and "Иванова" in fast[0]["signer"]
