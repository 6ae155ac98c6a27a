"""HTML of farm sites, rendered on request from the content model, and the routing of a site.

Five engines' markup (Bitrix tables, Joomla/WordPress articles and cards, definition lists,
Госвеб template paths, hand-made static pages) over one content model.
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs, urlsplit

from checks import catalogue
from testbed.documents import docx, text_pdf
from testbed.farm.content import CDN_PREFIX, DOC_TYPES, LOGIN_PATH, SOFT_404_PATH, Cell, Field, Group, SectionContent, SiteContent, doc_key
from testbed.farm import platforms
from testbed.farm.spec import SiteSpec, _rng

GOSWEB_ROOT = "/svedeniya-ob-obrazovatelnoy-organizatsii/"
# Госвеб subsection slugs (some are the long forms the platform really uses).
GOSWEB_LONG = {
    "struct": "struktura-i-organy-upravleniya-obrazovatelnoy-organizatsiey",
    "objects": "materialno-tehnicheskoe-obespechenie-i-osnashchennost-obrazovatelnogo-protsessa-dostupnaya-sreda",
    "grants": "stipendii-i-mery-podderzhki-obuchayushchikhsya",
    "vacant": "vakantnye-mesta-dlya-priema-perevoda-obuchayushchikhsya",
    "catering": "organizatsiya-pitaniya-v-obrazovatelnoy-organizatsii",
}
# Real files: the crawler reads them (type by content, text layer, signatures; crawler/documents.py).
PDF_BODY = text_pdf(["Local regulation of the municipal school", "Approved by the order of the director", "Chapter 1. General provisions"], pages=2)
DOC_BODY = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # Word 97-2003 (OLE): recognized by its header
DOCX_BODY = docx(["Положение образовательной организации", "Глава 1. Общие положения", "Настоящее положение определяет порядок работы."])
PNG_BODY = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfab d40000000049454e44ae426082".replace(" ", ""))
JPEG_BODY = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@functools.cache
def variant_body(variant: str) -> bytes:
    """The file of a document variant (content.doc_variants), built once per process."""
    from concurrent.futures import ThreadPoolExecutor

    from testbed import documents

    if variant == "signed":  # pyHanko signs with asyncio.run: not inside the farm server's event loop
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(documents.signed_pdf, PDF_BODY, "Директор Петрова Анна Сергеевна").result()
    if variant == "scan":
        return documents.scanned_pdf(2)
    return documents.encrypted_pdf(PDF_BODY)


def _landing_page(path: str) -> str:
    if path == SOFT_404_PATH:
        return "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Ошибка 404</title></head><body><h1>Страница не найдена</h1><p>Запрошенная страница не существует или была удалена.</p><a href='/'>На главную</a></body></html>"
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Авторизация</title></head><body><h1>Вход на сайт</h1>"
            "<form method='post' action='/login/'><input name='USER_LOGIN'><input type='password' name='USER_PASSWORD'><button>Войти</button></form></body></html>")


STATIC_ASSETS = frozenset({"/images/logo.png", "/images/minpros.png", "/images/busgov_qr.png", "/images/pdf.png", "/css/style.css"})
HANG = "hang"
RESET = "reset"


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    action: str | None = None  # HANG: never answer; RESET: reset the connection
    stream_size: int = 0  # answer with this many bytes of filler (the 64 MiB page)
    delay: float = 0.0


# -- paths -----------------------------------------------------------------------------------------


def site_paths(spec: SiteSpec) -> dict[str, str]:
    style = spec.style
    if style == "gosweb":
        p = {"index": GOSWEB_ROOT, "contacts": "/kontakty/", "appeals": "/obratnaya-svyaz/", "faq": "/voprosy-i-otvety/", "anketa": "/anketa/", "news": "/novosti/",
             "gallery": "/fotogalereya/", "events": "/kalendar-sobytiy/"}
    elif style == "static":
        p = {"index": "/sveden/index.html", "contacts": "/contacts.html", "appeals": "/obrashcheniya.html", "faq": "/faq.html", "anketa": "/anketa.html", "news": "/news.html",
             "gallery": "/foto.html", "events": "/events.html"}
    elif style == "joomla":
        p = {"index": "/sveden", "contacts": "/kontakty", "appeals": "/obrashcheniya-grazhdan", "faq": "/vopros-otvet", "anketa": "/anketa", "news": "/novosti",
             "gallery": "/galereya", "events": "/kalendar"}
    elif style == "wordpress":
        p = {"index": "/sveden/", "contacts": "/contacts/", "appeals": "/priemnaya/", "faq": "/faq/", "anketa": "/anketirovanie/", "news": "/category/news/",
             "gallery": "/gallery/", "events": "/events/"}
    else:
        p = {"index": "/sveden/", "contacts": "/contacts/", "appeals": "/obrashcheniya/", "faq": "/faq/", "anketa": "/anketa/", "news": "/news/", "gallery": "/photo/",
             "events": "/events/"}
    return p


def section_path(spec: SiteSpec, slug: str) -> str:
    style = spec.style
    if style == "gosweb":
        alias = catalogue.section_by_slug()[slug].path_aliases[0]
        return f"{GOSWEB_ROOT}{GOSWEB_LONG.get(slug, alias) if spec.index % 2 else alias}/"
    if style == "static":
        return f"/sveden/{slug}.html"
    if style == "joomla":
        return f"/sveden/{slug}"
    return f"/sveden/{slug}/"


def addref_path(spec: SiteSpec, slug: str, k: int) -> str:
    base = section_path(spec, slug)
    if spec.style == "static":
        return f"/sveden/{slug}-{k + 1}.html"
    if spec.style == "joomla":
        return f"{base}/page-{k + 1}"
    return f"{base}page-{k + 1}/"


def section_link(spec: SiteSpec, content: SiteContent, slug: str) -> str:
    """The href the site's own menus use for a subsection."""
    path = section_path(spec, slug)
    if content.features["redirect_slash"] and path.endswith("/"):
        return path.rstrip("/")
    return path


# -- pieces ----------------------------------------------------------------------------------------


def _t(text: str) -> str:
    return "&nbsp;" if text == "&nbsp;" else escape(text, quote=False)


@functools.cache
def _link_props() -> frozenset[str]:
    return frozenset(r.itemprop for r in catalogue.rules() if r.kind == "link")


def _href(spec: SiteSpec, h: str) -> str:
    if h.startswith(CDN_PREFIX):
        return f"{spec.farm.cdn_origin}/s{spec.index}{doc_key(h)}"
    if h.startswith("/") and spec.style == "wordpress":
        return spec.origin + h
    return h


def _attr(spec: SiteSpec, cell: Cell) -> str:
    """The itemprop attribute; hand-made pages sometimes write it in capitals or with spaces."""
    if not cell.prop:
        return ""
    if spec.style == "static":
        h = zlib.crc32(f"{spec.index}:{cell.key}".encode()) % 6
        if h == 0:
            return f' ITEMPROP="{cell.prop}"'
        if h == 1:
            return f' itemprop=" {cell.prop} "'
    return f' itemprop="{cell.prop}"'


def _value(spec: SiteSpec, cell: Cell, tag: str = "span", variant: int = 0) -> str:
    """One item: the element with the itemprop, its text and links."""
    attr = _attr(spec, cell)
    if cell.hrefs:
        icon = cell.key in _link_props() and zlib.crc32(cell.hrefs[0].encode()) % 8 == 0  # a document icon instead of a text
        label = '<img src="/images/pdf.png" alt="">' if icon else _t(cell.text)
        links = "".join(f'<a href="{escape(_href(spec, h))}" target="_blank">{label if i == 0 else f"({i + 1})"}</a> ' for i, h in enumerate(cell.hrefs))
        if len(cell.hrefs) == 1 and variant % 2 == 0 and tag.lower() not in ("td", "dd"):
            return f'<a{attr} href="{escape(_href(spec, cell.hrefs[0]))}">{label}</a>'
        return f"<{tag}{attr}>{links.strip()}</{tag}>"
    return f"<{tag}{attr}>{_t(cell.text)}</{tag}>"


def _parent_attrs(group: Group) -> str:
    attrs = f' itemprop="{group.written}"' if group.written else ""
    if group.itemtype:
        attrs += f' itemscope itemtype="{group.itemtype}"'
    return attrs


def _fields_html(spec: SiteSpec, fields: list[Field], style: str) -> str:
    if style in ("bitrix", "gosweb") or (style == "wordpress" and spec.index % 3 == 0):
        rows = "".join(f'<tr><td class="label">{_t(f.cell.label)}</td>{_value(spec, f.cell, "td")}</tr>' for f in fields)
        return f'<table class="table sveden-table"><tbody>{rows}</tbody></table>'
    if style == "dl":
        return "<dl class=\"sveden-list\">" + "".join(f"<dt>{_t(f.cell.label)}</dt>{_value(spec, f.cell, 'dd')}" for f in fields) + "</dl>"
    if style == "static":
        return "".join(f"<P><B>{_t(f.cell.label)}:</B> {_value(spec, f.cell, 'SPAN', 1)}</P>\n" for f in fields)
    return "".join(f'<p class="field"><strong>{_t(f.cell.label)}:</strong> {_value(spec, f.cell, "span", spec.index)}</p>' for f in fields)


def _group_html(spec: SiteSpec, g: Group, style: str) -> str:
    title = f"<h3>{_t(g.title)}</h3>" if g.title else ""
    if style == "dl" or (style in ("joomla", "wordpress") and spec.index % 2 == 1):
        # Cards or definition lists: one block per parent instance.
        item_tag, inner = ("dl", "dd") if style == "dl" else ("div", "span")

        def card(row: list[Cell], attrs: str) -> str:
            if style == "dl":
                return f"<dl class=\"card\"{attrs}>" + "".join(f"<dt>{_t(c.label)}</dt>{_value(spec, c, 'dd')}" for c in row) + "</dl>"
            body = "".join(f'<p><strong>{_t(c.label)}:</strong> {_value(spec, c, inner, 1)}</p>' for c in row)
            return f'<div class="card"{attrs}><div class="card-body">{body}</div></div>'

        if g.on == "table":
            return f"{title}<div class=\"cards\"{_parent_attrs(g)}>" + "".join(card(row, "") for row in g.rows) + "</div>"
        return f"{title}<div class=\"cards\">" + "".join(card(row, _parent_attrs(g)) for row in g.rows) + "</div>"
    td = "TD" if style == "static" else "td"
    unclosed = "malformed" in spec.faults
    head = "".join(f"<th>{_t(h)}</th>" for h in g.headers)
    rows = []
    for row in g.rows:
        cells = "".join(_value(spec, c, td).removesuffix(f"</{td}>") if unclosed else _value(spec, c, td) for c in row)
        rows.append(f"<tr>{cells}</tr>" if g.on == "table" else f"<tr{_parent_attrs(g)}>{cells}</tr>")
    table_attrs = _parent_attrs(g) if g.on == "table" else ""
    cls = ' border="1" cellpadding="4"' if style == "static" else ' class="table table-bordered"'
    return f"{title}<table{cls}{table_attrs}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# How a marked copy is kept from visitors (content.HIDE_METHODS); "css_rule" hides it by the
# site's stylesheet (STYLESHEET), which only a crawler reading /css/style.css can tell.
_HIDE_WRAPPERS = {
    "inline_display": '<div style="display: none">',
    "hidden_attr": "<div hidden>",
    "sr_only": '<div class="sr-only">',
    "offscreen": '<div style="position:absolute; left:-9999px; top:-9999px">',
    "css_rule": '<div class="sveden-microdata">',
}
STYLESHEET = b"body{font-family:sans-serif}\n.sveden-microdata{display:none}\n@media print{.menu{display:none}}\n"


def blocks_html(spec: SiteSpec, blocks: list, style: str) -> str:
    out: list[str] = []
    pending: list[Field] = []
    for bl in blocks:
        if isinstance(bl, Field):
            pending.append(bl)
            continue
        if pending:
            out.append(_fields_html(spec, pending, style))
            pending = []
        html = _group_html(spec, bl, style)
        out.append(f"{_HIDE_WRAPPERS[bl.hide]}{html}</div>" if bl.hide else html)
    if pending:
        out.append(_fields_html(spec, pending, style))
    return "\n".join(out)


# -- page frame ------------------------------------------------------------------------------------


def _menu(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    feat = content.features
    items = [("/", "Главная")]
    dropdown = ""
    if spec.outcome != "no_sveden_section":
        if feat["no_index_page"]:
            subs = "".join(f'<li><a href="{escape(_href(spec, section_link(spec, content, s)))}">{escape(sec.title)}</a></li>'
                           for s, sec in content.sections.items() if sec.state != "missing")
            dropdown = f'<li class="dropdown"><a href="#" class="dropdown-toggle">{escape(feat["index_link_text"])}</a><ul class="dropdown-menu">{subs}</ul></li>'
        else:
            items.append((paths["index"], feat["index_link_text"]))
    items += [(paths["news"], "Новости"), (paths["gallery"], "Фотогалерея"), (paths["events"], "Календарь событий")]
    if feat["contacts_page"]:
        items.append((paths["contacts"], "Контакты"))
    if feat["appeal"] != "none":
        items.append((paths["appeals"], feat["appeal_text"]))
    if feat["faq"]:
        items.append((paths["faq"], feat["faq_text"]))
    if feat["anketa"]:
        items.append((paths["anketa"], feat["anketa_text"]))
    malformed = "malformed" in spec.faults
    lis = []
    for href, text in items:
        if malformed:
            lis.append(f"<li><a href={href}>{escape(text)}</a>")  # unquoted attribute, unclosed <li>
        else:
            lis.append(f'<li><a href="{escape(_href(spec, href))}">{escape(text)}</a></li>')
    lis.insert(1, dropdown)
    return '<nav class="main-menu"><ul>' + "".join(lis) + "</ul></nav>"


def _footer(spec: SiteSpec, content: SiteContent) -> str:
    f, feat = content.facts, content.features
    parts = [f"<p>{escape(spec.short_name)}</p>", f"<p>Адрес: {escape(f['address'])}</p>"]
    if feat["has_phone"]:
        digits = "".join(ch for ch in f["phone"] if ch.isdigit())
        tel = "+7" + digits[1:] if digits.startswith("8") else "+" + digits
        parts.append(f'<p>Телефон: <a href="tel:{tel}">{escape(f["phone"])}</a></p>' if feat["phone_as_link"] else f"<p>Телефон: {escape(f['phone'])}</p>")
    if feat["has_email"]:
        parts.append(f'<p>E-mail: <a href="mailto:{f["email"]}">{f["email"]}</a></p>' if feat["email_as_link"] else f"<p>Электронная почта: {f['email']}</p>")
    if content.site_nodes and feat["schema_footer"]:
        nodes = [c for c in content.site_nodes if c.prop != "copy"]
        parts.append('<div class="schema" itemscope itemtype="http://schema.org/EducationalOrganization">' + ", ".join(f'<span itemprop="{c.prop}">{_t(c.text)}</span>' for c in nodes) + "</div>")
    parts.append(f"<p>&copy; {escape(spec.short_name)}, 2014—2025</p>")
    if feat["newsletter"]:
        parts.append('<div class="subscribe"><form action="/subscribe/" method="post"><label>Подписка на новости</label>'
                     '<input type="email" name="email" placeholder="Ваш e-mail"><button type="submit">Подписаться</button></form></div>')
    html = '<footer class="footer">' + "".join(parts) + "</footer>"
    if "malformed" in spec.faults:
        html += "</div></div><p>Сайт работает на CMS"  # stray end tags, an unclosed paragraph
    return html


def _head(spec: SiteSpec, title: str) -> str:
    enc = spec.encoding
    meta = ""
    if spec.charset_in in ("meta", "both", "wrong_header"):
        meta = f'<meta charset="{enc}">' if spec.index % 2 else f'<meta http-equiv="Content-Type" content="text/html; charset={enc}">'
    return f"<head>{meta}<title>{escape(title)}</title><meta name=\"viewport\" content=\"width=device-width\"><link rel=\"stylesheet\" href=\"/css/style.css\">{platforms.head_html(spec)}</head>"


def frame(spec: SiteSpec, content: SiteContent, title: str, main: str, paths: dict[str, str], home: bool = False) -> str:
    feat = content.features
    header = [f'<div class="logo"><a href="/"><img src="/images/logo.png" alt="Логотип"></a><span class="org-name">{escape(spec.name)}</span></div>']
    if feat["copy_link"]:
        header.append('<a itemprop="copy" href="?special=Y" class="bvi-open" title="Версия сайта для слабовидящих">Версия для слабовидящих</a>')
    if feat["search_form"]:
        action = "/search/index.php" if spec.style == "bitrix" else "/search/"
        header.append(f'<form class="search-form" role="search" action="{action}" method="get"><input type="text" name="q" placeholder="Поиск по сайту"><input type="submit" value="Найти"></form>')
    scripts = ""
    if home and feat["pos_widget"]:
        opa = 100000 + spec.index
        scripts = ('<script src="https://pos.gosuslugi.ru/bin/script.min.js"></script>'
                   '<div id="js-show-iframe-wrapper"><div class="pos-banner-fluid bf-2"><div class="bf-2__decor"><div class="bf-2__logo-wrap">'
                   '<img class="bf-2__logo" src="https://pos.gosuslugi.ru/bin/banner-fluid/gosuslugi-logo.svg" alt="Госуслуги"></div></div>'
                   '<div class="bf-2__content"><div class="bf-2__text">Не убран мусор, яма на дороге, не горит фонарь?</div>'
                   '<div class="bf-2__bottom-wrap"><button class="pos-banner-btn_2" type="button">Сообщить о проблеме</button></div></div></div></div>'
                   f'<script>(function(){{"use strict";var e=document.getElementById("js-show-iframe-wrapper");'
                   f'if(e){{Widget("https://pos.gosuslugi.ru/form", {opa})}}}})();</script>')
    malformed = "malformed" in spec.faults
    body = f"<body><div class=\"page\"><header>{''.join(header)}</header>{_menu(spec, content, paths)}<main>{main}</main>{scripts}{_footer(spec, content)}"
    if malformed:
        return f"<!DOCTYPE html><HTML>{_head(spec, title)}{body.replace('<main>', '<main><font color=navy><b>', 1)}"  # no </body></html>
    return f"<!DOCTYPE html><html lang=\"ru\">{_head(spec, title)}{body}</div></body></html>"


# -- pages -----------------------------------------------------------------------------------------


def home_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    feat = content.features
    r = _rng(spec.farm.seed, spec.index, "home")
    parts = [f"<h1>{escape(spec.name)}</h1>", f"<p>Добро пожаловать на официальный сайт {escape(spec.short_name)}!</p>"]
    if feat["subsections_in_home_menu"] and spec.outcome != "no_sveden_section":
        links = "".join(f'<li><a href="{escape(_href(spec, section_link(spec, content, s)))}">{escape(sec.title)}</a></li>'
                        for s, sec in content.sections.items() if sec.state != "missing")
        parts.append(f'<div class="sveden-menu"><h2>Сведения об образовательной организации</h2><ul>{links}</ul></div>')
    news = r.sample(range(len(_news_titles())), 5)
    items = [f'<li><a href="{_news_item_path(spec, paths, n)}">{escape(_news_titles()[n])}</a></li>' for n in news]
    if feat["lookalike_news"]:
        items.insert(1, f'<li><a href="{_news_item_path(spec, paths, 1000 + spec.index % 4)}">{escape(_lookalike(spec))}</a></li>')
    parts.append(f'<section class="news"><h2>Новости</h2><ul>{"".join(items)}</ul><a href="{paths["news"]}">Все новости</a></section>')
    banners = ['<a href="https://edu.gov.ru/" target="_blank"><img src="/images/minpros.png" alt="Министерство просвещения"></a>']
    if feat["busgov_link"]:
        banners.append(f'<a href="https://bus.gov.ru/qrcode/rate/{spec.busgov_agency_id}" target="_blank"><img src="/images/busgov_qr.png" alt="Оставить отзыв о качестве условий на bus.gov.ru"></a>')
    if feat["lookalike_results_pdf"]:
        banners.append(f'<a href="/files/rezultaty-anketirovaniya-{spec.index}.pdf">Результаты анкетирования родителей (2024)</a>')
    parts.append(f'<div class="banners">{"".join(banners)}</div>')
    return frame(spec, content, spec.short_name, "\n".join(parts), paths, home=True)


def _news_titles() -> tuple[str, ...]:
    from testbed.farm.names import NEWS_TITLES

    return NEWS_TITLES


def _lookalike(spec: SiteSpec) -> str:
    from testbed.farm.names import LOOKALIKE_NEWS

    return LOOKALIKE_NEWS[spec.index % len(LOOKALIKE_NEWS)]


def _news_item_path(spec: SiteSpec, paths: dict[str, str], n: int) -> str:
    base = paths["news"]
    if spec.style == "static":
        return f"/news-{n}.html"
    return f"{base.rstrip('/')}/{n}/"


def index_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    links = []
    for slug, sec in content.sections.items():
        if sec.state == "missing":
            continue
        links.append(f'<li><a href="{escape(_href(spec, section_link(spec, content, slug)))}">{escape(sec.title)}</a></li>')
    main = f"<h1>Сведения об образовательной организации</h1><ul class=\"sveden-sections\">{''.join(links)}</ul>"
    return frame(spec, content, "Сведения об образовательной организации", main, paths)


def section_page(spec: SiteSpec, content: SiteContent, sec: SectionContent, page: int, paths: dict[str, str]) -> str:
    style = spec.style
    blocks = [bl for bl in sec.blocks if bl.page == page]
    parts = [f"<h1>{escape(sec.title)}</h1>" if page == 0 else f"<h1>{escape(sec.title)} (продолжение, страница {page + 1})</h1>"]
    if sec.intro and page == 0:
        parts.append(f"<p>{escape(sec.intro)}</p>")
    if page == 0 and sec.n_pages > 1:
        refs = "".join(f'<li><a itemprop="addRef" href="{escape(_href(spec, addref_path(spec, sec.slug, k)))}">Дополнительная информация, часть {k}</a></li>' for k in range(1, sec.n_pages))
        parts.append(f'<ul class="addref">{refs}</ul>')
    parts.append(blocks_html(spec, blocks, style))
    if sec.images and page == 0:  # scans of the paper page instead of its text
        parts.append("".join(f'<p><img src="/upload/sveden/{sec.slug}-{k}.jpg" width="1240" height="1754" alt=""></p>' for k in range(1, sec.images + 1)))
    if style == "static" and page == 0:
        parts.append(f'<!-- старая версия страницы: <span itemprop="{sec.slug}Info">удалено</span> <td itemprop="regDate">01.01.1970</td> -->')
    main = "\n".join(parts)
    if style == "joomla":
        main = f'<div class="item-page" itemscope itemtype="https://schema.org/Article"><div itemprop="articleBody">{main}</div></div>'
    elif style == "wordpress":
        main = f'<article class="page type-page"><div class="entry-content">{main}</div></article>'
    elif style == "gosweb":
        main = f'<div class="gw-content"><div class="gw-breadcrumbs"><a href="/">Главная</a> / <a href="{paths["index"]}">Сведения об образовательной организации</a></div>{main}</div>'
    return frame(spec, content, sec.title, main, paths)


def contacts_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    f, feat = content.facts, content.features
    parts = ["<h1>Контакты</h1>", f"<p>Адрес: {escape(f['address'])}</p>", f"<p>Режим работы: {escape(f['work_time'])}</p>"]
    if feat["has_phone"]:
        parts.append(f"<p>Телефон приёмной: {escape(f['phone'])}</p>")
    if feat["has_email"]:
        parts.append(f'<p>Электронная почта: <a href="mailto:{f["email"]}">{f["email"]}</a></p>')
    parts.append('<iframe src="https://yandex.ru/map-widget/v1/?um=constructor" width="600" height="400"></iframe>')
    return frame(spec, content, "Контакты", "\n".join(parts), paths)


def appeals_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    feat = content.features
    title = feat["appeal_text"]
    parts = [f"<h1>{escape(title)}</h1>"]
    if feat["appeal"] == "form":
        parts.append(
            '<p>Обращения рассматриваются в течение 30 дней со дня регистрации (Федеральный закон № 59-ФЗ).</p>'
            '<form class="appeal-form" action="/ajax/appeal.php" method="post">'
            '<label for="fio">Фамилия, имя, отчество</label><input type="text" id="fio" name="fio" required>'
            '<label for="mail">Адрес электронной почты</label><input type="email" id="mail" name="email" required>'
            '<label for="tel">Телефон</label><input type="tel" id="tel" name="phone">'
            '<label for="msg">Текст обращения</label><textarea id="msg" name="message" rows="8"></textarea>'
            '<label><input type="checkbox" name="agree" required> Согласен на обработку персональных данных</label>'
            '<input type="hidden" name="sessid" value="f3a9">'
            '<button type="submit">Отправить обращение</button></form>'
        )
    else:
        parts.append("<p>Личный приём граждан директором: вторник с 15:00 до 17:00 по предварительной записи.</p>"
                     "<p>Письменные обращения принимаются по почтовому адресу организации.</p>")
    return frame(spec, content, title, "\n".join(parts), paths)


def faq_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    from testbed.farm.names import FAQ_PAIRS

    title = content.features["faq_text"]
    qa = "".join(f'<div class="faq-item"><p class="question"><b>Вопрос:</b> {escape(q)}</p><p class="answer"><b>Ответ:</b> {escape(a)}</p></div>' for q, a in FAQ_PAIRS)
    return frame(spec, content, title, f"<h1>{escape(title)}</h1><div class=\"faq\">{qa}</div>", paths)


def anketa_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    title = content.features["anketa_text"]
    qs = ("Удовлетворены ли вы комфортностью условий?", "Удовлетворены ли вы доброжелательностью работников?", "Готовы ли вы рекомендовать организацию?")
    fields = "".join(f'<fieldset><legend>{escape(q)}</legend><label><input type="radio" name="q{i}" value="yes"> Да</label>'
                     f'<label><input type="radio" name="q{i}" value="no"> Нет</label></fieldset>' for i, q in enumerate(qs))
    main = (f"<h1>{escape(title)}</h1><p>Просим вас оценить качество условий осуществления образовательной деятельности.</p>"
            f'<form class="survey" action="/anketa/send/" method="post">{fields}<button type="submit">Отправить анкету</button></form>')
    return frame(spec, content, title, main, paths)


def news_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str], query: dict[str, list[str]]) -> str:
    page = int((query.get("PAGEN_1") or ["1"])[0] or 1) if (query.get("PAGEN_1") or ["1"])[0].isdigit() else 1
    titles = _news_titles()
    items = "".join(f'<li><a href="{_news_item_path(spec, paths, (page * 7 + k) % len(titles))}">{escape(titles[(page * 7 + k) % len(titles)])}</a></li>' for k in range(8))
    nav = "".join(f'<a href="{paths["news"]}?PAGEN_1={p}">{p}</a> ' for p in range(1, 6))
    return frame(spec, content, "Новости", f"<h1>Новости</h1><ul>{items}</ul><div class=\"pager\">{nav}</div>", paths)


def news_item_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str], n: int) -> str:
    title = _lookalike(spec) if n >= 1000 else _news_titles()[n % len(_news_titles())]
    main = f"<h1>{escape(title)}</h1><p>{dt.date(2025, 1 + n % 12, 1 + n % 28):%d.%m.%Y}</p><p>Подробности мероприятия и фотографии — в разделе «Фотогалерея».</p>"
    if spec.style == "wordpress":
        main += ('<div id="respond" class="comment-respond"><h3>Добавить комментарий</h3><form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">'
                 '<textarea id="comment" name="comment" rows="8"></textarea><input name="author" type="text"><input name="email" type="email">'
                 '<input name="submit" type="submit" id="submit" value="Отправить комментарий"></form></div>')
    return frame(spec, content, title, main, paths)


def gallery_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    imgs = "".join(f'<a href="/upload/gallery/{k}.jpg"><img src="/upload/gallery/{k}_thumb.jpg" alt="Фото {k}"></a>' for k in range(1, 13))
    return frame(spec, content, "Фотогалерея", f"<h1>Фотогалерея</h1><div class=\"gallery\">{imgs}</div>", paths)


def events_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str], query: dict[str, list[str]]) -> str:
    """An event calendar whose «next month» link never ends."""
    raw = (query.get("month") or ["2025-09"])[0]
    try:
        year, month = (int(x) for x in raw.split("-", 1))
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        year, month = 2025, 9
    nxt = (year + month // 12, month % 12 + 1)
    prev = (year - (month == 1), (month - 2) % 12 + 1)
    days = "".join(f"<td>{d}</td>" + ("</tr><tr>" if d % 7 == 0 else "") for d in range(1, 29))
    main = (f"<h1>Календарь событий: {month:02d}.{year}</h1><table class=\"calendar\"><tr>{days}</tr></table>"
            f'<a href="{paths["events"]}?month={prev[0]}-{prev[1]:02d}">← Предыдущий месяц</a> '
            f'<a href="{paths["events"]}?month={nxt[0]}-{nxt[1]:02d}">Следующий месяц →</a>')
    return frame(spec, content, "Календарь событий", main, paths)


def not_found_page(spec: SiteSpec, content: SiteContent, paths: dict[str, str]) -> str:
    return frame(spec, content, "Страница не найдена", "<h1>404</h1><p>Запрошенная страница не найдена.</p>", paths)


CHALLENGE_PAGE = (
    "<!DOCTYPE html><html><head><title>DDoS-Guard</title><meta charset=\"utf-8\"></head><body>"
    "<div id=\"ddg-challenge\"><h1>Проверка браузера перед переходом на сайт</h1><p>Пожалуйста, подождите…</p>"
    "<noscript>Для продолжения включите JavaScript.</noscript></div>"
    "<script>document.cookie=\"__ddg1_=7f3a; path=/\";setTimeout(function(){location.reload()},5000);</script></body></html>"
)
FORBIDDEN_PAGE = "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>"
TOO_MANY_PAGE = "<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>"
ERROR_PAGE = "<html><head><title>{code} {reason}</title></head><body><center><h1>{code} {reason}</h1></center><hr><center>nginx/1.22.1</center></body></html>"
REASONS = {404: "Not Found", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Temporarily Unavailable"}


# -- routing ---------------------------------------------------------------------------------------


def _html(spec: SiteSpec, text: str, status: int = 200) -> Reply:
    enc = spec.encoding
    body = text.encode("cp1251" if enc == "windows-1251" else "utf-8", "xmlcharrefreplace")
    if spec.charset_in in ("header", "both"):
        ctype = f"text/html; charset={enc}"
    elif spec.charset_in == "wrong_header":
        ctype = "text/html; charset=utf-8"
    else:
        ctype = "text/html"  # "meta" and "none"
    return Reply(status, [("Content-Type", ctype)], body)


def _plain(text: str, status: int = 200, ctype: str = "text/plain; charset=utf-8") -> Reply:
    return Reply(status, [("Content-Type", ctype)], text.encode("utf-8"))


def _redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, [("Location", location), ("Content-Type", "text/html; charset=utf-8")], f'<html><body><a href="{escape(location)}">Moved</a></body></html>'.encode())


def robots_txt(spec: SiteSpec) -> Reply:
    if "robots_all" in spec.faults:
        return _plain("User-agent: *\nDisallow: /\n")
    style = spec.style
    if style == "static":
        return _plain("<html><body>Not found</body></html>", 404, "text/html")
    rules = {
        "bitrix": ["/bitrix/", "/search/", "/auth/", "/personal/", "/*?print=", "/*PAGEN_1="],
        "joomla": ["/administrator/", "/cache/", "/cli/", "/includes/", "/tmp/"],
        "wordpress": ["/wp-admin/", "/?s=", "/search/"],
        "gosweb": ["/search/", "/api/"],
        "dl": ["/admin/"],
    }[style]
    if spec.content.features.get("robots_upload"):
        rules = [*rules, "/upload/"]
    lines = ["User-agent: *", *(f"Disallow: {p}" for p in rules)]
    if style == "wordpress":
        lines.append("Allow: /wp-admin/admin-ajax.php")
    lines += ["", "User-agent: Yandex", "Disallow: /search/", f"Host: {spec.host}", f"Sitemap: {spec.origin}/sitemap.xml"]
    return _plain("\n".join(lines) + "\n")


GATE_COOKIE = "hosting_guard=ok"


def respond(spec: SiteSpec, method: str, target: str, headers: dict[str, str] | None = None) -> Reply:
    """The answer of a farm site to one request (faults included); ``headers``: lower-case names."""
    faults = spec.faults
    delay = spec.farm.options.get("slow_delay", 0.5) if "slow" in faults else 0.0
    if headers is not None and spec.outcome == "ok" and spec.content.features["cookie_gate"] and not target.startswith("/robots.txt") \
            and GATE_COOKIE not in headers.get("cookie", ""):
        reply = _redirect(target)
        reply.headers.append(("Set-Cookie", f"{GATE_COOKIE}; Path=/; HttpOnly"))
    else:
        reply = _respond(spec, method, target)
    reply.delay = delay
    return reply


def respond_cdn(farm, method: str, target: str) -> Reply:
    """The CDN host: /s<site index>/<document path> of every site that keeps documents there."""
    path = urlsplit(target).path
    if path == "/robots.txt":
        return _plain("User-agent: *\nAllow: /\n")
    head, _, rest = path[1:].partition("/")
    if head.startswith("s") and head[1:].isdigit() and int(head[1:]) < len(farm.sites):
        site = farm.sites[int(head[1:])]
        status = site.content.docs.get("/" + rest) if site.content.features["cdn_docs"] else None
        if status == 200:
            ext = "." + rest.rsplit(".", 1)[-1].lower()
            return Reply(200, [("Content-Type", DOC_TYPES.get(ext, "application/octet-stream"))], {".pdf": PDF_BODY, ".doc": DOC_BODY, ".docx": DOCX_BODY}.get(ext, PDF_BODY))
        if status is not None:
            return Reply(status, [("Content-Type", "text/html")], ERROR_PAGE.format(code=status, reason=REASONS.get(status, "Error")).encode())
    return Reply(404, [("Content-Type", "text/html")], ERROR_PAGE.format(code=404, reason="Not Found").encode())


def _respond(spec: SiteSpec, method: str, target: str) -> Reply:
    faults = spec.faults
    if "reset" in faults or "down" in faults:
        return Reply(action=RESET)
    if "timeout" in faults:
        return Reply(action=HANG)
    if "blocked_403" in faults:
        return Reply(403, [("Content-Type", "text/html")], FORBIDDEN_PAGE.encode())
    if "blocked_429" in faults:
        return Reply(429, [("Content-Type", "text/html"), ("Retry-After", "3600")], TOO_MANY_PAGE.encode())
    if "challenge" in faults:
        return Reply(200, [("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", "__ddg2=1; Path=/")], CHALLENGE_PAGE.encode())
    try:
        parts = urlsplit(target)
    except ValueError:
        return _plain("Bad Request", 400)
    path, query = parts.path or "/", parse_qs(parts.query)
    if path == "/robots.txt":
        return robots_txt(spec)
    content: SiteContent = spec.content
    paths = site_paths(spec)
    feat = content.features
    home_alias = "/index.php" if spec.style in ("joomla", "bitrix") else "/ru/"
    if path == "/":
        if "http_5xx" in faults:
            code = (500, 502, 503)[spec.index % 3]
            return Reply(code, [("Content-Type", "text/html")], ERROR_PAGE.format(code=code, reason=REASONS[code]).encode())
        if "redirect_loop" in faults:
            return _redirect(home_alias)
        if "too_large" in faults:
            return Reply(200, [("Content-Type", "text/html; charset=utf-8")], stream_size=64 * 1024 * 1024)
        if feat["redirect_home"]:
            return _redirect(home_alias)
        return _html(spec, home_page(spec, content, paths))
    if path == home_alias:
        if "redirect_loop" in faults:
            return _redirect("/")
        if feat["redirect_home"]:
            return _html(spec, home_page(spec, content, paths))
    if path in platforms.ASSETS:  # the platform's template files (its fingerprint)
        return Reply(200, [("Content-Type", "text/css" if path.endswith(".css") else "application/javascript")], platforms.ASSET_BODY[path[path.rfind("."):]])
    if path in STATIC_ASSETS or (path.startswith("/upload/gallery/") and path.endswith(".jpg")):
        if path.endswith(".png"):
            return Reply(200, [("Content-Type", "image/png")], PNG_BODY)
        if path.endswith(".css"):
            return Reply(200, [("Content-Type", "text/css")], STYLESHEET)
        return Reply(200, [("Content-Type", "image/jpeg")], JPEG_BODY)
    if path in (SOFT_404_PATH, LOGIN_PATH):  # where a gone document's link lands, answering 200
        return _html(spec, _landing_page(path))
    status = content.docs.get(path)
    variant = content.doc_variants.get(path)
    if variant in ("soft404", "login"):
        return _redirect(SOFT_404_PATH if variant == "soft404" else f"{LOGIN_PATH}?backurl={path}")
    if status is not None:
        if variant:
            return Reply(200, [("Content-Type", "application/pdf")], variant_body(variant))
        if status != 200:
            return Reply(status, [("Content-Type", "text/html")], ERROR_PAGE.format(code=status, reason=REASONS.get(status, "Error")).encode())
        ext = "." + path.rsplit(".", 1)[-1].lower()
        body = {".pdf": PDF_BODY, ".doc": DOC_BODY, ".docx": DOCX_BODY}.get(ext, PDF_BODY)
        return Reply(200, [("Content-Type", DOC_TYPES.get(ext, "application/octet-stream"))], body)
    if spec.outcome != "no_sveden_section":
        page = _sveden_route(spec, content, paths, path)
        if page is not None:
            return page
    if path == paths["contacts"] and feat["contacts_page"]:
        return _html(spec, contacts_page(spec, content, paths))
    if path == paths["appeals"] and feat["appeal"] != "none":
        return _html(spec, appeals_page(spec, content, paths))
    if path == paths["faq"] and feat["faq"]:
        return _html(spec, faq_page(spec, content, paths))
    if path == paths["anketa"] and feat["anketa"]:
        return _html(spec, anketa_page(spec, content, paths))
    if path == paths["news"]:
        return _html(spec, news_page(spec, content, paths, query))
    if path == paths["gallery"]:
        return _html(spec, gallery_page(spec, content, paths))
    if path == paths["events"]:
        return _html(spec, events_page(spec, content, paths, query))
    news_base = "/news-" if spec.style == "static" else paths["news"].rstrip("/") + "/"
    if path.startswith(news_base):
        tail = path[len(news_base):].removesuffix(".html").strip("/")
        if tail.isdigit():
            return _html(spec, news_item_page(spec, content, paths, int(tail)))
    return _html(spec, not_found_page(spec, content, paths), 404)


def _sveden_route(spec: SiteSpec, content: SiteContent, paths: dict[str, str], path: str) -> Reply | None:
    feat = content.features
    if path == paths["index"] or (spec.style == "joomla" and path == paths["index"] + "/"):
        if feat["no_index_page"]:
            return None
        return _html(spec, index_page(spec, content, paths))
    for slug, sec in content.sections.items():
        base = section_path(spec, slug)
        if sec.state == "missing":
            continue
        candidates = {base}
        if spec.style == "joomla":
            candidates.add(base + "/")
        if path == base.rstrip("/") and base.endswith("/") and feat["redirect_slash"]:
            return _redirect(base, 301)
        if sec.state == "loop":
            loop_to = base.rstrip("/") + ("/index.php" if spec.style != "static" else "-main.html")
            if path in candidates:
                return _redirect(loop_to)
            if path == loop_to:
                return _redirect(base)
            continue
        if path in candidates:
            if sec.state == "error":
                return Reply(500, [("Content-Type", "text/html")], ERROR_PAGE.format(code=500, reason=REASONS[500]).encode())
            return _html(spec, section_page(spec, content, sec, 0, paths))
        if sec.state == "ok":
            for k in range(1, sec.n_pages):
                if path == addref_path(spec, slug, k):
                    return _html(spec, section_page(spec, content, sec, k, paths))
    return None


def stream_chunks(size: int, chunk: int = 1024 * 1024):
    """Filler HTML for the too-large page, produced lazily."""
    head = b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Huge</title></head><body><table>"
    row = b"<tr><td>" + b"x" * 200 + b"</td></tr>\n"
    yield head
    sent = len(head)
    block = row * (chunk // len(row))
    while sent + len(block) < size:
        yield block
        sent += len(block)
    yield b" " * (size - sent)


def crawlable_paths(spec: SiteSpec) -> list[str]:
    """Every finite page and document of a site (the calendar contributes one month)."""
    content: SiteContent = spec.content
    paths = site_paths(spec)
    feat = content.features
    out = ["/robots.txt", "/"]
    if spec.outcome != "no_sveden_section":
        if not feat["no_index_page"]:
            out.append(paths["index"])
        for slug, sec in content.sections.items():
            if sec.state == "missing":
                continue
            out.append(section_path(spec, slug))
            if sec.state == "ok":
                out += [addref_path(spec, slug, k) for k in range(1, sec.n_pages)]
    for key, on in (("contacts", feat["contacts_page"]), ("appeals", feat["appeal"] != "none"), ("faq", feat["faq"]), ("anketa", feat["anketa"])):
        if on:
            out.append(paths[key])
    out += [paths["news"], paths["gallery"], paths["events"] + "?month=2025-09"]
    out += [_news_item_path(spec, paths, n) for n in range(len(_news_titles()))]
    out += sorted(content.docs)
    return out
