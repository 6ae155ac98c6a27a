"""The artifact format: what gatherers emit, storage keeps and audits read.

Three artifacts feed the audits (``checks.audit.Audit.requires`` names them):

- ``site``: one :class:`SiteArtifact` per crawled site (``crawler.sitecrawl``);
- ``busgov``: one :class:`BusGovArtifact` per organization looked up on bus.gov.ru
  (``crawler.spiders.busgov``);
- ``registry``: the :class:`RegistryFacts` of the organization, from the registry the region
  imported (no crawl: ``storage.registry``).

Artifacts are facts, never verdicts: whether a published site equals the registry's, or a link
points at the organization's own bus.gov.ru card, is an audit's decision, so ``sveden recheck``
can re-judge it. Artifacts of older versions are upgraded on read (:func:`upgrade_site`,
:func:`upgrade_busgov`); an artifact newer than this code is refused.
"""

from __future__ import annotations

import re
from typing import Any, NotRequired, TypedDict
from urllib.parse import urlsplit

# Version 2: ``hosts`` and every HTML page's ``widget_calls`` are always present
# (version 1 artifacts may lack them: they are derived on upgrade).
SITE_VERSION = 2
# Version 2: the card holds what bus.gov.ru publishes and nothing else; version 1 items also
# carried the crawler's comparisons with the registry (``site_url_differs``, ``inn_differs``)
# and their remarks in ``message``; the audits BUS002/BUS003 judge those now.
BUSGOV_VERSION = 2


class ArtifactError(ValueError):
    """An artifact this code cannot read (newer version, wrong shape); the message is Russian."""


# ---- the site artifact ------------------------------------------------------------------------


class MicrodataNode(TypedDict):
    """One element with ``itemprop``, in document order. Short keys: there are thousands per site."""

    p: str  # the itemprop value (may hold several space-separated names)
    tag: str  # the element's tag name
    t: str  # its normalized text, at most 300 characters (``content``/``href`` for empty elements)
    h: NotRequired[list[str]]  # absolute hrefs of the element and of links inside it
    a: NotRequired[list[int]]  # indexes (in this page's list) of itemprop ancestors, nearest first
    v: NotRequired[int]  # only when not shown to visitors: index of the reason in the page's ``hiders``


class Hider(TypedDict):
    """Why marked elements of a page are not shown (``crawler.visibility``): one hiding element."""

    r: str  # hidden | display | visibility | class | sr-only | clip | offscreen | zero-size | details | aria-hidden | template | noscript
    el: str  # the hiding element: tag#id.class
    by: str  # where it comes from: "style" (its style attribute), «selector (stylesheet address)», an attribute or class
    t: NotRequired[int]  # 1: a control of the page opens it (a tab, a spoiler, aria-controls)


class Link(TypedDict):
    href: str
    text: str
    itemprop: NotRequired[str]
    # ``class`` too, where the element has one


class Page(TypedDict):
    """One fetched HTML page. Error pages carry empty lists and ``error_kind``/``error``."""

    url: str
    final_url: NotRequired[str]
    status: int | None  # HTTP status; None when nothing was received
    role: str  # home | index | section | addref | feedback
    section: str  # the subsection slug for section and addref pages
    error_kind: NotRequired[str]  # an outcome name (see OUTCOMES) or ``not_found``/``budget``
    error: NotRequired[str]
    microdata: list[MicrodataNode]
    itemtypes: list[str]
    links: list[Link]
    forms: list[dict[str, Any]]  # action, method, id, class, role, fields, labels, submit, text, in_search
    # Only on pages that were parsed: scripts (src), inline_scripts (widget code only), widget_calls
    # ({"url", "id"} of ``Widget(…)`` starters), iframes, headings, phones, emails, markers
    # (ids/classes of known widgets), title, encoding, size.
    # Also, where present: ``last_modified`` (the header), ``updated_on`` (ISO date the page states as
    # its update, «обновлено ДД.ММ.ГГГГ»), ``selectors`` ({selector: first match's text, or None} for the
    # regional rules' CSS selectors the crawl was given; absent when it was given none).
    # Also ``personal`` (issue 18; absent in earlier artifacts): what ``artifacts.personal.scan`` found in the
    # page's text — kind, masked snippet, salted hash, line, element path; never the value. Documents carry the same.
    # Optional (issue 16): ``generator`` (the generator meta tags' contents) and ``assets`` (addresses of
    # stylesheets, icons and images): what ``checks.platform`` fingerprints the platform from.
    # Also (version 2, since issue 13; absent in earlier artifacts): ``hiders`` (list of Hider, only
    # when a marked element is hidden) and ``main`` — the main content's shown text and images
    # (``crawler.visibility.content_balance``: txt, img, alt, imgl, docs); ``css_unread``: addresses of
    # the site's stylesheets the page links that could not be read (only when some could not);
    # ``css_robots``: those robots.txt forbids reading (not read, by the owner's rule).


class SectionMeta(TypedDict):
    url: str
    found_by: str  # link | link_text | path
    page: int  # index in ``pages``; -1 when the page does not exist
    addrefs: list[int]  # indexes of the addRef pages that were read
    status: NotRequired[int | None]
    final_url: NotRequired[str]
    error_kind: NotRequired[str]
    error: NotRequired[str]
    shared_with: NotRequired[str]
    addref_errors: NotRequired[list[str]]


class Probe(TypedDict):
    """A document link's answer: HEAD, or a GET stopped after the headers."""

    method: str
    status: int | None
    error_kind: NotRequired[str]
    error: NotRequired[str]
    last_modified: NotRequired[str]  # the Last-Modified header, as sent


class DocumentFacts(TypedDict):
    """What a linked document is (``crawler.documents``), keyed in ``documents`` by the URL as linked.

    Only documents that answered 2xx (or 304 to a conditional request) are here; facts are read
    from the file, never verdicts. Optional keys appear where they apply (PDF, package, HTML).
    """

    final_url: str
    status: int  # 2xx (a 304 reuses last month's facts: ``cached``)
    content_type: str  # the Content-Type header as sent
    kind: str  # by content: pdf docx odt doc xls xlsx ods ppt pptx rtf text html image zip rar 7z signature empty unknown
    size: NotRequired[int]  # bytes (Content-Length when the download stopped at the cap)
    truncated: NotRequired[bool]  # over SVEDEN_DOCUMENT_MAX_BYTES: only the type is known
    opens: NotRequired[bool | None]  # parses (None: not read)
    sha256: NotRequired[str]
    etag: NotRequired[str]
    last_modified: NotRequired[str]
    cached: NotRequired[str]  # not_modified (304) | same_hash: facts of the stored analysis
    encrypted: NotRequired[bool]
    password: NotRequired[bool]  # a password is needed to open it
    copy_allowed: NotRequired[bool]  # encrypted PDFs: copying text permitted
    pages: NotRequired[int]
    pages_checked: NotRequired[int]  # the first pages read for text (SVEDEN_DOCUMENT_TEXT_PAGES)
    text_pages: NotRequired[int]  # of those, pages with text
    text_chars: NotRequired[int]  # letters and digits of the text read
    stamp: NotRequired[bool]  # the text says «подписан(о) электронной подписью»
    signatures: NotRequired[list[dict[str, Any]]]  # {form: pdf|ooxml|odf, field, signer, signed_at, intact: bool|None}
    detached: NotRequired[dict[str, Any]]  # {url, kind, linked}: a .sig/.p7s beside it
    html: NotRequired[dict[str, Any]]  # an HTML answer: {title, heading, text (300 chars), password (a password field)}


class Outcome(TypedDict):
    status: str  # see OUTCOMES
    message: str
    http_status: int | None


class SiteArtifact(TypedDict):
    version: int
    url: str
    host: str | None
    hosts: list[str]  # the registry's host and the one the home page redirected to
    org_id: str | None
    org_type: str | None
    outcome: Outcome
    index: dict[str, str] | None  # {"url", "found_by"} of the section's own page
    sections: dict[str, SectionMeta]
    pages: list[Page]
    probes: dict[str, Probe]
    documents: NotRequired[dict[str, DocumentFacts]]  # absent in artifacts of crawls without document facts
    stats: dict[str, Any]


# Organization-level outcomes of a crawl.
OUTCOMES = {
    "ok": "проверен",
    "no_sveden_section": "раздел «Сведения об образовательной организации» не найден",
    "unreachable": "сайт недоступен",
    "timeout": "сайт не ответил вовремя",
    "tls_error": "ошибка TLS-сертификата",
    "http_error": "сайт ответил ошибкой HTTP",
    "blocked": "доступ заблокирован (403/429 или страница-проверка)",
    "robots_disallowed": "robots.txt запрещает обход сайта",
    "redirect_loop": "бесконечная переадресация",
    "too_large": "страница слишком большая",
    "bad_url": "неверный адрес сайта",
    "forbidden_address": "адрес сайта ведёт во внутреннюю сеть",
    # Gathering or judging this organization raised: it still ends with a result (details in the log).
    "error": "не проверен из-за внутренней ошибки программы",
    "time_budget": "исчерпан лимит времени на сайт",
}
# Outcomes whose pages were read, so their items can be judged.
CHECKED_OUTCOMES = ("ok", "no_sveden_section")

# The Госуслуги ПОС starter call, often at the end of a long minified script:
# Widget("https://pos.gosuslugi.ru/form", 354778). The gatherer records every such call.
WIDGET_CALL = re.compile(r"""\bWidget\(\s*["'](https?://[^"']{1,200})["']\s*,\s*["']?(\d{1,12})""")


def _hostname(url: str | None) -> str:
    try:
        return urlsplit(url or "").hostname or ""
    except ValueError:
        return ""


def _check_version(artifact: dict[str, Any], current: int, what: str) -> int:
    version = artifact.get("version", 1)
    if not isinstance(version, int) or version < 1:
        raise ArtifactError(f"{what}: неверная версия формата {version!r}")
    if version > current:
        raise ArtifactError(f"{what}: версия формата {version} новее этой программы ({current}) — обновите sveden")
    return version


def upgrade_site(artifact: dict[str, Any]) -> dict[str, Any]:
    """A site artifact of any earlier version in the current format (a new dict; the input is kept)."""
    version = _check_version(artifact, SITE_VERSION, "данные обхода сайта")
    if version == SITE_VERSION:
        return artifact
    out = dict(artifact)
    pages = out.get("pages") or []
    home = next((p for p in pages if p.get("role") == "home"), {})
    hosts = set(out.get("hosts") or []) | {h for h in (out.get("host"), _hostname(out.get("url")), _hostname(home.get("final_url"))) if h}
    out["hosts"] = sorted(hosts)
    upgraded = []
    for page in pages:
        if "widget_calls" not in page and "inline_scripts" in page:
            calls = [{"url": m.group(1), "id": m.group(2)} for code in page["inline_scripts"] for m in WIDGET_CALL.finditer(code)]
            page = {**page, "widget_calls": calls[:10]}
        upgraded.append(page)
    out["pages"] = upgraded
    out["version"] = SITE_VERSION
    return out


# ---- the bus.gov.ru artifact ------------------------------------------------------------------


class BusGovCard(TypedDict):
    agency_id: int
    inn: str | None
    name: str | None  # fullClientName
    short_name: str | None
    address: str | None
    phone: str | None
    site_url: str | None  # ``website`` as published (may hold several addresses)
    email: str | None
    source: str  # compare | agency_json
    absent_fields: list[str]  # contact keys missing from the answer (not null: missing)
    card_url: str


class BusGovArtifact(TypedDict):
    kind: str  # "busgov"
    version: NotRequired[int]
    org_id: Any
    status: str  # ok | not_found | unreachable | changed_shape | blocked
    agency_id: int | None
    card: BusGovCard | None
    nok: dict[str, Any] | None
    message: str  # what happened on the way (Russian)
    fetched_at: str


# Remarks the version 1 crawler wrote into the message: verdicts, now made by audits.
_V1_VERDICT_REMARKS = ("сайт в карточке bus.gov.ru (", "в карточке bus.gov.ru не указан сайт организации", "ИНН в карточке bus.gov.ru (")


def upgrade_busgov(item: dict[str, Any]) -> dict[str, Any]:
    """A bus.gov.ru artifact of any earlier version in the current format."""
    version = _check_version(item, BUSGOV_VERSION, "данные bus.gov.ru")
    if version == BUSGOV_VERSION:
        return item
    out = dict(item)
    if isinstance(out.get("card"), dict):
        out["card"] = {k: v for k, v in out["card"].items() if k not in ("site_url_differs", "inn_differs")}
    parts = [p for p in str(out.get("message") or "").split("; ") if not p.startswith(_V1_VERDICT_REMARKS)]
    out["message"] = "; ".join(parts)
    out["version"] = BUSGOV_VERSION
    return out


# ---- the registry's facts ---------------------------------------------------------------------


class RegistryFacts(TypedDict):
    """What the region's registry says about an organization (the audits' ``registry`` artifact)."""

    org_id: str
    name: NotRequired[str]
    org_type: NotRequired[str]
    inn: NotRequired[str | None]
    site_url: NotRequired[str | None]
    busgov_agency_id: NotRequired[int | None]
    groups: NotRequired[dict[str, str]]  # the registry's extra grouping columns (district, kind of locality…)
