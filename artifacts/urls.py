"""URL identity shared by gatherers and audits (pure; no network): probes are keyed by URL."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import idna

DOCUMENT_EXT = re.compile(r"\.(?:pdf|docx?|xlsx?|odt|ods|rtf|pptx?|zip|rar|7z|sig|jpe?g|png|gif|svg|webp|mp4|mp3)$", re.I)


# Dots that UTS #46 maps to ".": a label split must see them as separators.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def _label_key(label: str) -> str:
    if label.isascii():
        return label.lower()
    try:
        return idna.encode(label, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return label.lower()


@lru_cache(maxsize=8192)
def host_key(host: str | None) -> str:
    """One form of a host for comparisons: lower-case ASCII (IDN as punycode, IDNA 2008 with
    UTS #46 mapping), without a trailing dot and a leading ``www.`` (schools mix both).

    ``Школа.РФ``, ``www.школа.рф`` and ``xn--80atdl2c.xn--p1ai`` give one key. A label IDNA
    refuses (``my_school``, an IPv6 literal, an invalid ``xn--`` label) is kept in lower case.
    """
    h = (host or "").strip().translate(_DOTS).rstrip(".")
    if h.isascii():
        h = h.lower()
    else:
        try:
            h = idna.encode(h, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            h = ".".join(_label_key(label) for label in h.split("."))
    return h.removeprefix("www.")


def url_host_key(url: str) -> str:
    """:func:`host_key` of a URL's host; "" when the URL does not parse."""
    try:
        return host_key(urlsplit(url).hostname)
    except ValueError:
        return ""


def same_site(url: str, host: str) -> bool:
    """True when ``url`` is on ``host``, whichever form either is written in (see :func:`host_key`)."""
    key = host_key(host)
    return bool(key) and url_host_key(url) == key


def url_key(url: str) -> str:
    """A URL without scheme, ``www.``, fragment and trailing slash, its host in one form
    (:func:`host_key`): one key for one page."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(("", host_key(parts.hostname), parts.path.rstrip("/") or "/", parts.query, ""))


def url_problem(url: str) -> str | None:
    """Why ``url`` does not parse, in Russian (brackets, port, characters), or None when it does.

    An IPv6 literal (``http://[::1]:8080/``) parses: whether it may be crawled is not a question
    of its form."""
    try:
        parts = urlsplit(url)
    except ValueError:
        if "[" in url or "]" in url:
            return "непарная квадратная скобка или в скобках не IPv6-адрес (в квадратных скобках пишется только IPv6-адрес, например http://[2001:db8::1]/)"
        return "недопустимые символы в имени сайта"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in 0..65535
    except ValueError:
        return "неверный порт: нужен номер от 0 до 65535"
    return None


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
    """``https://www.School1.ru/`` and ``school1.ru`` → ``school1.ru``: host (:func:`host_key`:
    IDN as punycode, so ``школа.рф`` and ``xn--80atdl2c.xn--p1ai`` are one site; without
    ``www.`` and default ports) plus path without a trailing slash or index file. A key to
    compare, not an address to show. The scheme is ignored: bus.gov.ru cards often omit it or
    keep ``http://``."""
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
    host = host_key(host)
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = _INDEX_FILES.sub("/", parts.path or "").rstrip("/")
    return netloc + path


def split_site_urls(value: str | None) -> list[str]:
    """A card's ``website`` field may hold several addresses separated by commas or spaces."""
    if not value:
        return []
    return [u for u in (normalize_site_url(p) for p in _URL_SPLIT.split(value.strip())) if u]
