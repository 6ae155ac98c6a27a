"""URL helpers shared by the crawler and the checks (pure; no network)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

DOCUMENT_EXT = re.compile(r"\.(?:pdf|docx?|xlsx?|odt|ods|rtf|pptx?|zip|rar|7z|sig|jpe?g|png|gif|svg|webp|mp4|mp3)$", re.I)


def same_site(url: str, host: str) -> bool:
    """True when ``url`` is on ``host`` (``www.`` is ignored: schools mix both)."""
    try:
        h = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return bool(host) and h.removeprefix("www.") == host.lower().removeprefix("www.")


def url_key(url: str) -> str:
    """A URL without scheme, ``www.``, fragment and trailing slash: one key for one page."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(("", (parts.hostname or "").removeprefix("www."), parts.path.rstrip("/") or "/", parts.query, ""))


def is_document(url: str) -> bool:
    """A link to a file (PDF, office document, archive, image), not to a page."""
    try:
        return bool(DOCUMENT_EXT.search(urlsplit(url).path))
    except ValueError:
        return False
