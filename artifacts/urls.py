"""URL identity shared by gatherers and audits (pure; no network): probes are keyed by URL."""

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


# A site's identity, to compare the addresses the registry, bus.gov.ru and the site publish.
_URL_SPLIT = re.compile(r"[\s,;]+")
_INDEX_FILES = re.compile(r"/(?:index|default)\.(?:php|html?|aspx?)$", re.I)


def normalize_site_url(url: str | None) -> str | None:
    """``https://www.School1.ru/`` and ``school1.ru`` → ``school1.ru``: host (IDN as Unicode,
    without ``www.`` and default ports) plus path without a trailing slash or index file.
    The scheme is ignored: bus.gov.ru cards often omit it or keep ``http://``."""
    if not url:
        return None
    text = url.strip()
    if not text:
        return None
    if "://" not in text:
        text = "http://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    try:
        host = ".".join(label.encode("ascii").decode("idna") if label.startswith("xn--") else label for label in host.split("."))
    except UnicodeError:
        pass
    if host.startswith("www."):
        host = host[4:]
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = _INDEX_FILES.sub("/", parts.path or "").rstrip("/")
    return netloc + path


def split_site_urls(value: str | None) -> list[str]:
    """A card's ``website`` field may hold several addresses separated by commas or spaces."""
    if not value:
        return []
    return [u for u in (normalize_site_url(p) for p in _URL_SPLIT.split(value.strip())) if u]
