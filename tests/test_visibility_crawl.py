"""Hidden markup (order 1493 п.27) and pictures instead of text (п.23) on loopback sites, crawled
by the real spider in one subprocess: each way of hiding the marked table, the stylesheet rule
among them, pinned to the status of the item and of VIS001/VIS002."""

from __future__ import annotations

import pytest
from crawlkit import crawl, item
from sitekit import Route

from checks.evaluate import evaluate

ROW = ('<tr itemprop="rucovodstvo"><td itemprop="fio">Иванова Анна Петровна</td><td itemprop="post">Директор</td>'
       '<td itemprop="telephone">+7 (812) 123-45-67</td><td itemprop="email">school@example.ru</td></tr>')
MARKED = f"<table>{ROW}</table>"
PLAIN = "<table><tr><td>Иванова Анна Петровна</td><td>Директор</td><td>+7 (812) 123-45-67</td><td>school@example.ru</td></tr></table>"
CSS = "text/css; charset=utf-8"


def site(managers: str, head: str = "", extra: dict[str, Route] | None = None, common: str = "<p>Полное наименование: школа</p>") -> dict[str, Route]:
    def page(body: str) -> Route:
        return Route(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Школа</title>{head}</head>"
                     f"<body><nav><a href='/'>Главная</a> <a href='/sveden/'>Сведения об образовательной организации</a></nav>"
                     f"<main>{body}</main></body></html>")

    routes = {
        "/": page("<p>Добро пожаловать</p>"),
        "/sveden/": page('<a href="/sveden/common/">Основные сведения</a> <a href="/sveden/managers/">Руководство</a>'),
        "/sveden/common/": page(f"<h1>Основные сведения</h1>{common}"),
        "/sveden/managers/": page(f"<h1>Руководство</h1>{managers}"),
    }
    routes.update(extra or {})
    return routes


SITES = {
    "visible": site(MARKED),
    "inline_display": site(PLAIN + f'<div style="display: none">{MARKED}</div>'),
    "hidden_attr": site(PLAIN + f"<div hidden>{MARKED}</div>"),
    "sr_only": site(PLAIN + f'<div class="sr-only">{MARKED}</div>'),
    "offscreen": site(PLAIN + f'<div style="position:absolute; left:-9999px; top:0">{MARKED}</div>'),
    "zero_size": site(PLAIN + f'<div style="width:0;height:0;overflow:hidden">{MARKED}</div>'),
    "clipped": site(PLAIN + f'<div style="position:absolute;clip:rect(0 0 0 0);width:1px;height:1px">{MARKED}</div>'),
    "template": site(PLAIN + f"<template>{MARKED}</template>"),
    "noscript": site(PLAIN + f"<noscript>{MARKED}</noscript>"),
    "visibility_style": site(PLAIN + f'<div class="dup">{MARKED}</div>', head="<style>.dup { visibility: hidden }</style>"),
    # The hiding rule is in the site's own stylesheet, fetched once for both pages that link it.
    "external_css": site(PLAIN + f'<div class="for-inspectors">{MARKED}</div>', head='<link rel="stylesheet" href="/css/site.css">',
                         extra={"/css/site.css": Route("main { margin: 0 }\n.for-inspectors { display: none !important; }", content_type=CSS)}),
    # The same class, but the stylesheet shows it again on a desktop screen (a mobile-only rule).
    "mobile_rule": site(PLAIN + f'<div class="for-inspectors">{MARKED}</div>', head='<link rel="stylesheet" href="/css/site.css">',
                        extra={"/css/site.css": Route("@media (max-width: 600px) { .for-inspectors { display: none } }", content_type=CSS)}),
    # The stylesheet answers 500: whether the copy is hidden is unknown, and VIS001 says so.
    "css_unreadable": site(PLAIN + f'<div class="for-inspectors">{MARKED}</div>', head='<link rel="stylesheet" href="/css/site.css">',
                           extra={"/css/site.css": Route("oops", status=500, content_type="text/plain")}),
    # A stylesheet that does not exist (404) styles nothing for a visitor either: known, the copy is shown.
    "css_missing": site(MARKED, head='<link rel="stylesheet" href="/css/old.css">'),
    # A stylesheet over the size limit (4 KiB in this crawl) is not read: unknown, as when it fails.
    "css_too_large": site(PLAIN + f'<div class="for-inspectors">{MARKED}</div>', head='<link rel="stylesheet" href="/css/site.css">',
                          extra={"/css/site.css": Route(".for-inspectors { display: none }\n/*" + "x" * 20000 + "*/", content_type=CSS)}),
    # robots.txt closes the stylesheets to crawlers (Bitrix sites: /bitrix/): not read, by the owner's rule, and said so.
    "css_robots": site(MARKED, head='<link rel="stylesheet" href="/css/site.css">',
                       extra={"/css/site.css": Route("table { display: none }", content_type=CSS),
                              "/robots.txt": Route("User-agent: *\nDisallow: /css/\n", content_type="text/plain")}),
    # «Основные сведения» answers 500: nothing hidden found elsewhere, but what that page hides is unknown.
    "section_500": site(MARKED, extra={"/sveden/common/": Route("<html><body>Ошибка</body></html>", status=500)}),
    "aria_hidden": site(PLAIN + f'<div aria-hidden="true">{MARKED}</div>'),
    "tab": site(f'<a href="#staff">Руководство</a><div id="staff" class="tab-pane" style="display:none">{MARKED}</div>'),
    "duplicate_both_marked": site(MARKED + f'<div style="display:none">{MARKED}</div>'),
    "scans": site(MARKED, common='<img src="/upload/svedeniya-1.jpg" width="900" height="1200" alt=""><img src="/upload/svedeniya-2.jpg" alt="">'),
}
HIDDEN_FOR_SURE = ("inline_display", "hidden_attr", "sr_only", "offscreen", "zero_size", "clipped", "template", "noscript", "visibility_style", "external_css")


@pytest.fixture(scope="module", params=["0", "1"], ids=["pages_read_here", "pages_read_in_a_reader"])
def crawled(request, tmp_path_factory):
    # Every way of hiding, with the pages read in the crawl process and in a page reader (crawler.pageread).
    return crawl(SITES, tmp_path_factory.mktemp("visibility"),
                 extra=["--set", "SVEDEN_STYLESHEET_MAXSIZE=4096", "--set", f"SVEDEN_PAGE_PROCESSES={request.param}"])


@pytest.fixture(scope="module")
def results(crawled):
    artifacts, _ = crawled
    return {name: evaluate(a) for name, a in artifacts.items()}


def audit(result: dict, code: str) -> dict:
    return next(a for a in result["audits"] if a["rule"] == code)


@pytest.mark.parametrize("name", ["visible", "mobile_rule", "duplicate_both_marked", "scans", "css_missing"])
def test_a_visible_marked_element_passes(results, name):
    r = results[name]
    for parent, prop in (("", "rucovodstvo"), ("rucovodstvo", "fio"), ("rucovodstvo", "post")):
        got = item(r, "managers", prop, parent)
        assert got["status"] == "pass", (name, prop, got["message"])
    assert audit(r, "VIS001")["status"] == "pass", audit(r, "VIS001")["message"]


@pytest.mark.parametrize("name", HIDDEN_FOR_SURE)
def test_marked_data_only_in_a_hidden_copy_fails(results, name):
    r = results[name]
    for parent, prop in (("", "rucovodstvo"), ("rucovodstvo", "fio"), ("rucovodstvo", "email")):
        got = item(r, "managers", prop, parent)
        assert got["status"] == "fail", (name, prop, got["message"])
        assert "скрыто от посетителей" in got["message"] and "п.27" in got["message"], got["message"]
        assert got["cause"] == "hidden_markup"
    vis = audit(r, "VIS001")
    assert vis["status"] == "fail" and "rucovodstvo" in vis["message"], vis["message"]
    assert any("managers: itemprop=\"fio\"" in e["match"] for e in vis["evidence"])


def test_the_stylesheet_rule_is_named_with_its_address(results, crawled):
    got = item(results["external_css"], "managers", "fio", "rucovodstvo")
    assert ".for-inspectors" in got["message"] and "/css/site.css" in got["message"], got["message"]
    artifacts, logs = crawled
    # Fetched once for the whole site, though several pages link it.
    assert [p for m, p in logs["external_css"] if p == "/css/site.css"] == ["/css/site.css"]
    assert artifacts["external_css"]["stats"]["stylesheets"] == 1


@pytest.mark.parametrize("name", ["aria_hidden", "tab"])
def test_a_block_a_visitor_may_see_needs_a_person(results, name):
    got = item(results[name], "managers", "fio", "rucovodstvo")
    assert got["status"] == "needs_review", got["message"]
    assert "п.27" in got["message"]
    assert audit(results[name], "VIS001")["status"] == "needs_review"


def test_pages_of_pictures_need_review_and_text_pages_pass(results):
    scans = audit(results["scans"], "VIS002")
    assert scans["status"] == "needs_review" and "/sveden/common/" in scans["evidence_url"], scans
    assert audit(results["visible"], "VIS002")["status"] == "pass"


def test_only_hidden_nodes_carry_the_fact(crawled):
    artifacts, _ = crawled
    pages = [p for p in artifacts["visible"]["pages"] if p.get("microdata")]
    assert pages and all("v" not in n for p in pages for n in p["microdata"]) and not any("hiders" in p for p in pages)
    managers = next(p for p in artifacts["inline_display"]["pages"] if p["url"].endswith("/managers/"))
    assert managers["hiders"] == [{"r": "display", "el": "div", "by": "style"}]
    assert {n["v"] for n in managers["microdata"]} == {0}


@pytest.mark.parametrize("name", ["css_unreadable", "css_too_large"])
def test_an_unreadable_stylesheet_makes_vis001_not_checked(results, crawled, name):
    vis = audit(results[name], "VIS001")
    assert vis["status"] == "error" and "таблица стилей сайта не прочитана" in vis["message"] and vis["evidence_url"].endswith("/css/site.css"), vis
    artifacts, _ = crawled
    managers = next(p for p in artifacts[name]["pages"] if p["url"].endswith("/managers/"))
    assert managers["css_unread"] == [vis["evidence_url"]]
    assert artifacts[name]["stats"]["stylesheets_unread"] == 1  # asked once for the whole site


def test_an_unreadable_subsection_page_makes_both_audits_not_checked(results):
    for code in ("VIS001", "VIS002"):
        vis = audit(results["section_500"], code)
        assert vis["status"] == "error" and "страницы подразделов не прочитаны" in vis["message"] and "/sveden/common/" in vis["evidence_url"], vis
    assert item(results["section_500"], "managers", "fio", "rucovodstvo")["status"] == "pass"


def test_a_stylesheet_robots_txt_closes_is_not_read_and_the_result_says_so(results, crawled):
    vis = audit(results["css_robots"], "VIS001")
    assert vis["status"] == "pass" and "закрытые в robots.txt, не читались" in vis["message"], vis
    artifacts, logs = crawled
    assert not [p for m, p in logs["css_robots"] if p.startswith("/css/")]  # never asked for
    managers = next(p for p in artifacts["css_robots"]["pages"] if p["url"].endswith("/managers/"))
    assert managers["css_robots"][0].endswith("/css/site.css") and "css_unread" not in managers
