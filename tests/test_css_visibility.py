"""The CSS cascade and the hiding reasons (crawler/css.py, crawler/visibility.py) without a crawl,
and their robustness on real pages (read from ../shared/real-sites/)."""

from __future__ import annotations

import string

import lxml.html
import pytest
from cikit import real_sites
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.css import media_applies, parse_stylesheet
from crawler.extract import extract_page
from crawler.visibility import Visibility, content_balance


def reason(html: str, css: str = "", target: str = "target") -> str | None:
    """The hiding reason of the element with id ``target`` (None: shown)."""
    doc = lxml.html.document_fromstring(f"<html><body>{html}</body></html>")
    vis = Visibility(doc, [parse_stylesheet(css, "http://127.0.0.1/site.css")] if css else [])
    i = vis.hider(doc.get_element_by_id(target))
    return None if i is None else vis.hiders[i]["r"]


@pytest.mark.parametrize(("media", "applies"), [
    ("", True), ("all", True), ("screen", True), ("print", False), ("speech", False), ("screen, print", True),
    ("(max-width: 600px)", False), ("(min-width: 768px)", True), ("screen and (min-width: 1400px)", False),
    ("only screen and (max-width: 1920px)", True), ("not print", True), ("(prefers-reduced-motion: reduce)", False),
    ("(min-width: 40em)", True), ("(max-width: 40em)", False),
])
def test_media_queries_are_those_of_a_desktop_screen(media, applies):
    assert media_applies(media) is applies


def test_the_cascade_specificity_order_important_and_style_attribute():
    el = '<div id="target" class="box">x</div>'
    assert reason(el, ".box { display: none } #target { display: block }") is None  # the id wins
    assert reason(el, "#target { display: block } .box { display: none }") is None  # specificity, not order
    assert reason(el, ".box { display: block } .box { display: none }") == "display"  # later wins at equal specificity
    assert reason(el, ".box { display: none !important } #target { display: block }") == "display"
    assert reason('<div id="target" class="box" style="display:block">x</div>', ".box { display: none }") is None
    assert reason('<div id="target" class="box" style="display:block">x</div>', ".box { display: none !important }") == "display"
    assert reason('<div id="target" style="display: none !important">x</div>', "div { display: block !important }") == "display"


def test_hiding_is_inherited_and_visibility_can_be_undone_below():
    assert reason('<div class="dup"><table><tr><td id="target">x</td></tr></table></div>', ".dup { display: none }") == "display"
    assert reason('<div style="visibility:hidden"><span id="target">x</span></div>') == "visibility"
    assert reason('<div style="visibility:hidden"><span id="target" style="visibility:visible">x</span></div>') is None
    assert reason('<div style="display:none"><span id="target" style="display:block">x</span></div>') == "display"  # display:none is final


def test_selectors_combinators_attributes_and_what_is_ignored():
    assert reason('<section class="a"><p><span id="target">x</span></p></section>', ".a span { display:none }") == "display"
    assert reason('<section class="a"><span id="target">x</span></section>', ".a > span { display:none }") == "display"
    assert reason('<div data-role="copy"><i id="target">x</i></div>', '[data-role="copy"] { display:none }') == "display"
    assert reason('<p id="target">x</p>', "p:hover { display:none }") is None  # a state, not the page as shown
    assert reason('<p id="target">x</p>', "p::before { display:none }") is None  # generated content only
    assert reason('<p id="target">x</p>', "p:::broken, {{ display:none }") is None  # a selector that does not parse
    assert reason('<p id="target">x</p>', "@media print { p { display:none } }") is None
    assert reason('<p id="target">x</p>', "@media (max-width: 767px) { p { display:none } }") is None
    assert reason('<p id="target">x</p>', "@media (min-width: 992px) { p { display:none } }") == "display"


@pytest.mark.parametrize(("html", "expected"), [
    ('<div hidden><b id="target">x</b></div>', "hidden"),
    ('<span id="target" class="sr-only">x</span>', "sr-only"),
    ('<span id="target" class="visually-hidden">x</span>', "sr-only"),
    ('<div class="screen-reader-text"><b id="target">x</b></div>', "sr-only"),
    ('<div class="element-invisible"><b id="target">x</b></div>', "sr-only"),
    ('<div class="d-none"><b id="target">x</b></div>', "class"),
    ('<div class="d-none d-lg-block"><b id="target">x</b></div>', None),  # Bootstrap: shown on a desktop screen
    ('<div aria-hidden="true"><b id="target">x</b></div>', "aria-hidden"),
    ('<div style="position:absolute;left:-9999px"><b id="target">x</b></div>', "offscreen"),
    ('<div style="position:relative;left:-9999px"><b id="target">x</b></div>', None),
    ('<div style="position:absolute;top:-100em"><b id="target">x</b></div>', "offscreen"),
    ('<div style="height:0;overflow:hidden"><b id="target">x</b></div>', "zero-size"),
    ('<div style="height:0"><b id="target">x</b></div>', None),  # overflowing content is painted
    ('<div style="position:absolute;clip:rect(1px, 1px, 1px, 1px)"><b id="target">x</b></div>', "clip"),
    ('<div style="position:absolute;clip-path:inset(50%)"><b id="target">x</b></div>', "clip"),
    ("<template><b id='target'>x</b></template>", "template"),
    ("<details><summary id='target'>Сведения</summary><p>x</p></details>", None),
    ("<details><summary>Сведения</summary><p id='target'>x</p></details>", "details"),
    ("<details open><summary>Сведения</summary><p id='target'>x</p></details>", None),
    ('<p id="target">x</p>', None),
])
def test_each_way_of_hiding(html, expected):
    assert reason(html) == expected


def test_a_hidden_block_a_control_opens_is_marked_as_such():
    doc = lxml.html.document_fromstring('<html><body><a href="#t2">Вкладка</a><div id="t2" hidden><b id="x">x</b></div>'
                                        '<div class="spoiler-body" style="display:none"><b id="y">y</b></div>'
                                        '<div style="display:none"><b id="z">z</b></div></body></html>')
    vis = Visibility(doc, [])
    toggled = {i: vis.hiders[vis.hider(doc.get_element_by_id(i))].get("t") for i in "xyz"}
    assert toggled == {"x": 1, "y": 1, "z": None}


def test_noscript_and_template_markup_is_kept_as_a_hidden_fact():
    page = extract_page("http://127.0.0.1/", "http://127.0.0.1/", '<html><body><noscript><span itemprop="fio">Иванова</span></noscript>'
                        '<p>Компания</p></body></html>'.encode(), "text/html; charset=utf-8")
    node = page["microdata"][0]
    assert node["p"] == "fio" and page["hiders"][node["v"]]["r"] == "noscript"
    assert "Иванова" not in " ".join(page["headings"] + [page["title"]])


def test_the_balance_of_text_and_pictures():
    doc = lxml.html.document_fromstring('<html><body><nav>' + "Меню " * 100 + '</nav><main><h1>Сведения</h1>'
                                        '<img src="/scan.jpg" width="900" height="1200"><img src="/i.png" width="16" height="16">'
                                        '<a href="/scan2.png">стр. 2</a><a href="/doc.pdf">PDF</a><div hidden>' + "скрыто " * 100 + "</div></main></body></html>")
    assert content_balance(doc, Visibility(doc, [])) == {"txt": len("Сведения") + len("стр. 2") + len("PDF"), "img": 1, "alt": 0, "imgl": 1, "docs": 1}


_IDENT = st.text(string.ascii_lowercase, min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(cls=_IDENT, shown=st.sampled_from(["block", "flex", "inline", "table"]), depth=st.integers(0, 4))
def test_a_class_rule_hides_exactly_what_it_matches(cls, shown, depth):
    inner = '<span id="target">x</span>'
    html = f'<div class="{cls}">' + "<div>" * depth + inner + "</div>" * depth + "</div><p id='other'>y</p>"
    assert reason(html, f".{cls} {{ display: none }}") == "display"
    assert reason(html, f".{cls} {{ display: {shown} }}") is None
    assert reason(html, f".{cls} {{ display: none }}", target="other") is None


@settings(max_examples=80, deadline=None)
@given(css=st.text(max_size=300), html=st.text(max_size=200))
def test_any_stylesheet_and_markup_never_crash(css, html):
    page = extract_page("http://127.0.0.1/", "http://127.0.0.1/", f"<html><body><main>{html}<span itemprop='fio'>x</span></main></body></html>".encode("utf-8", "replace"),
                        "text/html; charset=utf-8", {"http://127.0.0.1/s.css": parse_stylesheet(css, "http://127.0.0.1/s.css")})
    assert isinstance(page["microdata"], list) and isinstance(page.get("main", {}), dict)
    parse_stylesheet(css.encode("utf-8", "replace"), "http://127.0.0.1/s.css")


def test_real_pages_no_crash_and_nothing_hidden():
    """A real university's pages (2019): its stylesheets are not here, its style attributes and
    classes are; its microdata is all in visible tables (speed: bench/visibility.py)."""
    folder = real_sites()
    for f in sorted(folder.glob("*.html")):
        body = f.read_bytes()
        page = extract_page(f"http://127.0.0.1/sveden/{f.stem}/", f"http://127.0.0.1/sveden/{f.stem}/", body, "text/html")
        hidden = [n for n in page["microdata"] if "v" in n]
        assert len(hidden) <= len(page["microdata"]) // 20, (f.name, [page["hiders"][n["v"]] for n in hidden[:5]])
        assert page["main"]["txt"] >= 200, (f.name, page["main"])  # pages of text, not pictures
