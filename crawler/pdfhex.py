"""A fast path for pyHanko's reading of PDF hex strings, the bulk of a signed PDF's parse.

A signature dictionary's ``/Contents`` is a hex string of tens of thousands of digits (the CMS
signature and its zero padding). pyHanko 0.38 reads it one byte at a time through Python calls:
measured, that was a seventh of a document reader's CPU on the farm's signed PDFs (py-spy). Here
the string up to its closing ``>`` is read in one call and decoded by ``binascii``. Anything this
path does not read exactly as pyHanko would (a comment inside the string, a byte that is not a hex
digit, no closing ``>``) goes back to where the string started and to pyHanko's own reader, with
its own result or error. tests/test_pdfhex.py holds both readers to the same answers and positions.
"""

from __future__ import annotations

import binascii
import os

WHITESPACE = b" \n\r\t\f\x00"  # pyhanko.pdf_utils.misc.PDF_WHITESPACE
HEX_DIGITS = b"0123456789abcdefABCDEF"
CHUNK = 1 << 16
_original = None


def read_hex_string(stream):  # noqa: ANN001, ANN201 - pyHanko's reader's signature
    start = stream.tell()
    stream.read(1)  # the opening "<"
    parts = []
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        end = chunk.find(b">")
        if end < 0:
            parts.append(chunk)
            continue
        parts.append(chunk[:end])
        stream.seek(end + 1 - len(chunk), os.SEEK_CUR)
        raw = b"".join(parts)
        digits = raw.translate(None, WHITESPACE)
        if not digits.translate(None, HEX_DIGITS):  # a comment's "%" is not a digit either
            from pyhanko.pdf_utils.generic import pdf_string

            return pdf_string(binascii.unhexlify(digits + b"0" if len(digits) % 2 else digits))
        break
    stream.seek(start)
    return _original(stream)


def install() -> None:
    """Use :func:`read_hex_string` in pyHanko's object reader (once per process)."""
    global _original
    from pyhanko.pdf_utils import generic

    if _original is None:
        _original = generic.read_hex_string_from_stream
        generic.read_hex_string_from_stream = read_hex_string
