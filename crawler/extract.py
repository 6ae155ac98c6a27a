"""Gatherer: turns one fetched HTML page into a JSON-ready page artifact.

The crawler keeps artifacts, not HTML: every judgement in ``checks/`` is a pure
function of them, so checks can be re-run on stored runs without crawling again.
Each page is parsed exactly once, here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding

from artifacts.personal import redact
from artifacts.schema import WIDGET_CALL
from crawler.pagetext import personal_findings
from crawler.css import CssRule, inline_stylesheet, media_applies
from crawler.visibility import Visibility, content_balance
from crawler.pagefacts import Compiled, selector_facts, updated_on

TEXT_LIMIT = 300  # characters of an element's text kept as evidence
HREFS_PER_NODE = 20
LINKS_LIMIT = 600
FORMS_LIMIT = 30

# Phone numbers as Russian sites write them: +7 (812) 123-45-67, 8 812 123 45 67, 8(81378)2-12-34.
_PHONE = re.compile(r"(?<![\d\w])(?:\+7|8)[\s\-‑]*\(?\d{3,5}\)?[\s\-‑]*\d{1,3}[\s\-‑]*\d{2}[\s\-‑]*\d{2}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SCRIPT_KEYWORDS = ("pos.gosuslugi", "Widget(", "bus.gov.ru", "bvi", "special")
_SEARCH_TOKEN = re.compile(r"(?<!re)search|poisk|\bfind\b", re.I)
SEARCH_ANCESTOR_DEPTH = 4  # how far up a form may sit inside a search box


def norm_space(text: str) -> str:
    # str.split() splits at exactly what \s+ matches (Unicode whitespace), five times faster.
    return " ".join(text.split())


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode an HTML body, trusting the document when the HTTP header lies.

    Many school sites send ``Content-Type: text/html; charset=utf-8`` for windows-1251
    pages (or no charset at all, declaring it only in ``<meta>``). w3lib applies the
    HTML5 precedence (BOM, header, meta); when the declared encoding cannot decode the
    bytes we fall back to the ``<meta>`` declaration, then to windows-1251.
    """
    header_enc = http_content_type_encoding(content_type) if content_type else None
    enc, text = html_to_unicode(content_type, body)
    if "\ufffd" not in text:
        return text, enc
    for candidate in (html_body_declared_encoding(body), "utf-8", "cp1251"):
        if not candidate or candidate == header_enc:
            continue
        try:
            return body.decode(candidate), candidate
        except (UnicodeDecodeError, LookupError):
            continue
    return text, enc


# Characters XML (and so lxml's tree API) refuses: C0 controls but tab/newline/return, lone
# surrogates, U+FFFE/U+FFFF. A single \x0c after </script> made a whole site unreadable.
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# lxml.html's parser picks each element's class in Python (form, input, label… classes we never use),
# every time an element is touched: a tenth of a page's reading. One class for all, chosen in C.
_PARSER = lxml.html.HTMLParser()
_PARSER.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    text = _XML_INCOMPATIBLE.sub(" ", text)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError):
        try:
            return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=_PARSER)
        except (lxml.etree.ParserError, ValueError):
            return None


def _join(base: str, href: str) -> str:
    """``href`` resolved against ``base``; "" when either does not parse (``http://[x``, a port
    out of range): one broken address on a page never makes the page, or the site, unreadable.

    A site's menus repeat the same links on every page. An address from the root (``/sveden/``) or a
    full one resolves the same against every page of a host (urljoin uses only the base's scheme and
    host then), so it is resolved once per host (``_JOINED``); a relative one against each page."""
    key = None
    if _from_root(href):
        try:
            parts = urlsplit(base)  # cached by urllib
        except ValueError:
            return ""
        key = (parts.scheme, parts.netloc, href)
        if (url := _JOINED.get(key)) is not None:
            return url
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises on a bad IPv6 literal or port
    except ValueError:
        url = ""
    if key is not None:
        if len(_JOINED) >= JOINED_KEPT:
            _JOINED.clear()
        _JOINED[key] = url
    return url


def _from_root(href: str) -> bool:
    """Does ``href`` have a host or a path from the root? Then urljoin ignores the base's path and query."""
    if href[:1] == "/" and href[1:2] != "/":
        return True
    if href[:2] == "//" or href[:8].lower().startswith(("http://", "https://")):
        try:
            parts = urlsplit(href)
        except ValueError:
            return False
        return bool(parts.netloc) or parts.path[:1] == "/"
    return False


JOINED_KEPT = 50_000  # resolved addresses a process keeps (a few MB)
_JOINED: dict[tuple[str, str, str], str] = {}


def _base_url(doc: lxml.html.HtmlElement, url: str) -> str:
    """The page's ``<base href>``, or its own address when there is none or it does not parse."""
    base = doc.xpath("//head/base/@href")
    return (_join(url, base[0].strip()) if base else "") or url


def _abs(base: str, href: str | None) -> str:
    if not href:
        return ""
    href = href.strip()
    if not href or href.startswith("#"):
        return ""
    return _join(base, href)


def element_text(el: lxml.html.HtmlElement) -> str:
    if el.tag == "meta":
        return norm_space(el.get("content", ""))
    text = norm_space(" ".join(el.itertext(tag=lxml.etree.Element)))
    if not text:
        # An image-only or attribute-only element: its content attribute or alt text counts.
        text = norm_space(el.get("content", "") or el.get("alt", "") or el.get("title", ""))
    return text


def _node_hrefs(el: lxml.html.HtmlElement, base: str) -> list[str]:
    hrefs: list[str] = []
    candidates = [el] + list(el.iterdescendants("a", "area", "link", "iframe", "embed", "object"))
    for c in candidates:
        raw = c.get("href") or c.get("src") or c.get("data")
        if raw is None or c.tag not in ("a", "area", "link", "iframe", "embed", "object"):
            continue
        url = _abs(base, raw)
        if url and url not in hrefs:
            hrefs.append(url)
        if len(hrefs) >= HREFS_PER_NODE:
            break
    return hrefs


def extract_microdata(doc: lxml.html.HtmlElement, base: str, vis: Visibility | None = None) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    """All ``itemprop`` elements in document order with their ``itemprop`` ancestors.

    ``a`` lists the indexes of ancestor nodes, nearest first: "a child counts only as a
    descendant of its parent element" is decided from it. ``v`` (hidden elements only) is the
    index of the reason it is not shown in the returned hiders (``crawler.visibility``).
    """
    nodes: list[dict[str, Any]] = []
    index: dict[Any, int] = {}
    hiders: list[dict[str, Any]] = []
    hider_index: dict[int, int] = {}
    for el in doc.iter(lxml.etree.Element):
        prop = el.get("itemprop")
        if prop is None:
            continue
        ancestors = []
        for anc in el.iterancestors():
            i = index.get(anc)
            if i is not None:
                ancestors.append(i)
        index[el] = len(nodes)
        node: dict[str, Any] = {"p": prop.strip(), "tag": el.tag, "t": element_text(el)[:TEXT_LIMIT]}
        hrefs = _node_hrefs(el, base)
        if hrefs:
            node["h"] = hrefs
        if ancestors:
            node["a"] = ancestors
        hider = vis.hider(el) if vis is not None else None
        if hider is not None:
            if hider not in hider_index:
                hider_index[hider] = len(hiders)
                hiders.append(vis.hiders[hider])
            node["v"] = hider_index[hider]
        nodes.append(node)
    itemtypes = sorted({norm_space(t) for t in doc.xpath("//@itemtype") if t.strip()})
    return nodes, itemtypes, hiders


def _links(doc: lxml.html.HtmlElement, base: str) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    links: list[dict[str, str]] = []
    for a in doc.iter("a", "area"):
        href = _abs(base, a.get("href"))
        if not href:
            continue
        text = norm_space(a.text_content() if a.tag == "a" else "") or norm_space(a.get("title", "") or a.get("alt", ""))
        if not text:
            img_alt = a.xpath(".//img/@alt")
            text = norm_space(img_alt[0]) if img_alt else ""
        key = (href, text)
        if key in seen:
            continue
        seen.add(key)
        link = {"href": href, "text": text[:200]}
        if a.get("itemprop"):
            link["itemprop"] = a.get("itemprop").strip()
        cls = (a.get("class") or "").strip()
        if cls:
            link["class"] = cls[:200]
        links.append(link)
        if len(links) >= LINKS_LIMIT:
            break
    return links


def _in_search(form: lxml.html.HtmlElement) -> bool:
    """True when the form sits in a search landmark or a search box of the template."""
    for depth, el in enumerate(form.iterancestors()):
        if depth >= SEARCH_ANCESTOR_DEPTH:
            break
        if el.tag == "search" or (el.get("role") or "").strip().lower() == "search":
            return True
        if _SEARCH_TOKEN.search((el.get("id") or "") + " " + (el.get("class") or "")):
            return True
    return False


def _forms(doc: lxml.html.HtmlElement, base: str) -> list[dict[str, Any]]:
    forms = []
    for f in doc.iter("form"):
        fields = []
        submit = False
        for c in f.iter("input", "textarea", "select", "button"):
            ftype = (c.get("type") or ("submit" if c.tag == "button" else "text" if c.tag == "input" else "")).lower()
            if c.tag in ("button",) or ftype in ("submit", "image"):
                submit = True
                if c.tag == "button" or ftype == "image":
                    continue
            fields.append(
                {
                    "tag": c.tag,
                    "type": ftype,
                    "name": (c.get("name") or "")[:80],
                    "placeholder": (c.get("placeholder") or "")[:80],
                }
            )
        labels = [norm_space(label.text_content())[:80] for label in f.iter("label")][:20]
        forms.append(
            {
                "action": _abs(base, f.get("action")) or base,
                "method": (f.get("method") or "get").lower(),
                "id": (f.get("id") or "")[:80],
                "class": (f.get("class") or "")[:200],
                "role": (f.get("role") or "")[:40],
                "fields": fields[:40],
                "labels": labels,
                "submit": submit,
                "text": norm_space(f.text_content())[:300],
                "in_search": _in_search(f),
            }
        )
        if len(forms) >= FORMS_LIMIT:
            break
    return forms


def _iframe_src(frame: lxml.html.HtmlElement) -> str:
    """The iframe's address; lazy-loading templates keep it in ``data-src`` until scrolled to."""
    src = (frame.get("src") or "").strip()
    if not src or src.startswith("about:"):
        src = (frame.get("data-src") or "").strip()
    return src


ASSETS_LIMIT = 40


def _platform_signs(doc: lxml.html.HtmlElement, base: str) -> dict[str, list[str]]:
    """What a site is built with shows in its pages: the generator meta tag and the addresses of
    stylesheets, icons and images (template paths); ``checks.platform`` names the platform."""
    generator = [norm_space(m.get("content", ""))[:200] for m in doc.xpath("//meta[translate(@name, 'GENRATO', 'genrato')='generator']")]
    assets: list[str] = []
    for raw in doc.xpath("//link[@href][not(contains(@rel, 'canonical') or contains(@rel, 'alternate'))]/@href | //img/@src"):
        url = _abs(base, raw)
        if url.startswith(("http://", "https://")) and url not in assets:
            assets.append(url[:300])
            if len(assets) >= ASSETS_LIMIT:
                break
    return {"generator": [g for g in generator if g][:5], "assets": assets}


def _body_text(doc: lxml.html.HtmlElement) -> str:
    body = doc.find("body")
    root = body if body is not None else doc
    return norm_space(" ".join(root.itertext(tag=lxml.etree.Element)))


def parse_body(body: bytes, content_type: str | None) -> tuple[lxml.html.HtmlElement | None, str]:
    """The page's tree (None when it does not parse) and its encoding."""
    text, encoding = decode_body(body, content_type)
    return parse_html(text), encoding


def stylesheet_urls(doc: lxml.html.HtmlElement, final_url: str) -> list[str]:
    """Addresses of the stylesheets a desktop screen applies (``<link rel=stylesheet>``), in order."""
    base = _base_url(doc, final_url)
    urls = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "stylesheet" not in rel or "alternate" in rel or not media_applies(link.get("media") or ""):
            continue
        url = _abs(base, link.get("href"))
        if url.startswith(("http://", "https://")) and url not in urls:
            urls.append(url)
    return urls


def _page_sheets(doc: lxml.html.HtmlElement, final_url: str, stylesheets: dict[str, tuple[CssRule, ...]]) -> list[tuple[CssRule, ...]]:
    """The page's stylesheets in document order: fetched ones (by address) and its ``<style>`` elements."""
    base = _base_url(doc, final_url)
    sheets = []
    for el in doc.iter("link", "style"):
        if el.tag == "style":
            if el.text and media_applies(el.get("media") or ""):
                sheets.append(inline_stylesheet(el.text))
        else:
            rules = stylesheets.get(_abs(base, el.get("href")))
            if rules:
                sheets.append(rules)
    return sheets


def extract_page(
    url: str, final_url: str, body: bytes, content_type: str | None,
    stylesheets: dict[str, tuple[CssRule, ...]] | None = None, parsed: tuple[lxml.html.HtmlElement | None, str] | None = None,
    selectors: Compiled = (),
) -> dict[str, Any]:
    """Everything the checks may look at on one page (microdata, what is hidden, feedback signals).

    ``stylesheets``: the parsed rules of the page's external stylesheets by address (what the
    crawler fetched; the page's own ``<style>`` elements are always read). ``parsed``: the page's
    ``parse_body`` when the caller parsed it already (to find the stylesheets).
    """
    doc, encoding = parsed if parsed is not None else parse_body(body, content_type)
    page: dict[str, Any] = {"encoding": encoding, "size": len(body)}
    if doc is None:
        page.update(microdata=[], itemtypes=[], links=[], forms=[], title="", parse_error="пустая или неразборчивая страница")
        return page
    # Drop script/style text from text extraction but keep their src for feedback widgets.
    scripts = [_abs(final_url, s) for s in doc.xpath("//script/@src")]
    inline = []
    widget_calls = []
    for s in doc.iter("script"):
        code = s.text or ""
        if code and any(k in code for k in _SCRIPT_KEYWORDS):
            inline.append(norm_space(code)[:400])
            widget_calls += [{"url": m.group(1), "id": m.group(2)} for m in WIDGET_CALL.finditer(code)]
    sheets = _page_sheets(doc, final_url, stylesheets or {})
    # <noscript> holding microdata stays for the microdata (it is shown to nobody: a fact), then goes.
    for el in list(doc.iter("script", "style", "noscript")):
        if el.getparent() is not None and not (el.tag == "noscript" and el.xpath(".//*[@itemprop]")):
            el.drop_tree()
    base = _base_url(doc, final_url)
    vis = Visibility(doc, sheets)
    nodes, itemtypes, hiders = extract_microdata(doc, base, vis)
    balance = content_balance(doc, vis)
    for el in list(doc.iter("noscript")):
        if el.getparent() is not None:
            el.drop_tree()
    title = doc.findtext(".//title") or ""
    headings = [norm_space(h.text_content())[:200] for h in doc.iter("h1", "h2", "h3")][:60]
    body_text = _body_text(doc)
    phones = sorted(set(m.group(0).strip() for m in _PHONE.finditer(body_text)))[:20]
    emails = sorted(set(_EMAIL.findall(body_text)))[:20]
    ids_classes = sorted(
        {
            tok
            for el in doc.xpath("//*[@id or @class]")
            for tok in ((el.get("id") or "") + " " + (el.get("class") or "")).split()
            if any(k in tok.lower() for k in ("pos-", "js-show-iframe", "bvi", "vi-on", "special", "impaired", "faq"))
        }
    )[:60]
    page.update(
        title=norm_space(title)[:300],
        microdata=nodes,
        itemtypes=itemtypes,
        links=_links(doc, base),
        forms=_forms(doc, base),
        scripts=[s for s in scripts if s][:60],
        inline_scripts=inline[:10],
        widget_calls=widget_calls[:10],
        iframes=[u for u in (_abs(base, _iframe_src(f)) for f in doc.iter("iframe")) if u][:20],
        headings=headings,
        phones=phones,
        emails=emails,
        **_platform_signs(doc, base),
        markers=ids_classes,
        main=balance,
    )
    if hiders:
        page["hiders"] = hiders
    if selectors:  # regional «element present» rules: evaluated here, the artifact keeps no HTML
        page["selectors"] = selector_facts(doc, selectors)
    if stated := updated_on(body_text):
        page["updated_on"] = stated
    page["personal"] = personal_findings(doc)
    return _redacted(page)


def _redacted(page: dict[str, Any]) -> dict[str, Any]:
    """The page with every personal value masked in the texts it keeps (``artifacts.personal``)."""
    for node in page["microdata"]:
        node["t"] = redact(node["t"])
    for link in page["links"]:
        link["text"] = redact(link["text"])
    for form in page["forms"]:
        form["text"], form["labels"] = redact(form["text"]), [redact(t) for t in form["labels"]]
    page["title"] = redact(page["title"])
    page["headings"] = [redact(h) for h in page["headings"]]
    page["phones"] = [p for p in page["phones"] if redact(p) == p]
    return page
