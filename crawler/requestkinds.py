"""What a request is for, read from its meta: the flags the crawl sets and its extensions read.

A linked document is asked in two ways: a HEAD/GET probe (``sveden_probe``, headers only) or a
download (``sveden_document``, the :class:`crawler.docfetch.Sink` its body streams into). Both
are the same thing to a person watching the crawl or reading a refusal: a link to a document.
"""

from __future__ import annotations

from scrapy import Request

PROBE = "sveden_probe"
DOCUMENT = "sveden_document"


def document_link(request: Request) -> bool:
    """Does this request ask for a linked document (probed or downloaded)?"""
    return bool(request.meta.get(PROBE)) or request.meta.get(DOCUMENT) is not None
