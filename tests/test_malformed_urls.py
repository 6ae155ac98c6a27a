"""Addresses that do not parse (``http://[x``, a port out of range) are ignored where they stand;
an IPv6 literal is a valid address, never «malformed»."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import extract_page

BAD = ["http://[x", "http://[::1", "//[", "http://a:99999/", "http://a:-1/", "https://[::1]:port/", "http://[x]/"]


def _page(body: str, head: str = "") -> dict:
    html = f"<html><head><meta charset='utf-8'>{head}<title>Школа</title></head><body>{body}</body></html>"
    return extract_page("http://school.example/sveden/common/", "http://school.example/sveden/common/", html.encode(), "text/html; charset=utf-8")


@pytest.mark.parametrize("base", BAD)
def test_unparsable_base_is_ignored(base):
    page = _page('<a href="/sveden/struct/">Структура</a><span itemprop="fullName">МБОУ СОШ № 1</span>'
                 '<a itemprop="ustavDocLink" href="files/ustav.pdf">Устав</a>', f'<base href="{base}">')
    assert page["title"] == "Школа" and "parse_error" not in page
    assert page["links"][0]["href"] == "http://school.example/sveden/struct/"  # against the page's own address
    assert [n["t"] for n in page["microdata"]] == ["МБОУ СОШ № 1", "Устав"]
    assert page["microdata"][1]["h"] == ["http://school.example/sveden/common/files/ustav.pdf"]


@pytest.mark.parametrize("href", BAD)
def test_unparsable_href_is_dropped_and_the_page_extracted(href):
    body = (
        f'<a href="{href}">плохая</a><a href="/ok/">хорошая</a>'
        f'<a itemprop="licenseDocLink" href="{href}">Лицензия</a>'
        f'<form action="{href}"><input name="q"></form>'
        f'<iframe src="{href}"></iframe><script src="{href}"></script>'
    )
    page = _page(body)
    assert [link["href"] for link in page["links"]] == ["http://school.example/ok/"]
    assert page["microdata"] == [{"p": "licenseDocLink", "tag": "a", "t": "Лицензия"}]
    assert page["forms"][0]["action"] == "http://school.example/sveden/common/"  # the page itself, as for no action
    assert page["iframes"] == [] and page["scripts"] == []


def test_ipv6_literal_links_are_kept():
    page = _page('<a href="http://[::1]:8080/sveden/">Сведения</a>', '<base href="http://[2001:db8::1]/site/">')
    assert page["links"][0]["href"] == "http://[::1]:8080/sveden/"
    page = _page('<a href="common/">Основные сведения</a>', '<base href="http://[2001:db8::1]/site/">')
    assert page["links"][0]["href"] == "http://[2001:db8::1]/site/common/"


@pytest.mark.parametrize(
    ("given", "url"),
    [("http://[::1]:8080/", "http://[::1]:8080/"), ("[::1]:8080", "https://[::1]:8080"), ("https://[2001:db8::1]/", "https://[2001:db8::1]/"), ("127.0.0.1:8080/", "https://127.0.0.1:8080/")],
)
def test_check_takes_ip_literals(given, url):
    """`sveden check http://[::1]:8080/` is a valid address (whether it may be crawled is the address guard's call);
    one without a scheme is tried over https:// first (then http://, tests/test_cli.py)."""
    from sveden.checking import normalize_url

    assert normalize_url(given) == url


@pytest.mark.parametrize(
    ("given", "reason"),
    [("http://[x/", "квадратная скобка"), ("http://[::1/", "квадратная скобка"), ("http://[x]/", "IPv6"), ("http://school.ru:99999/", "неверный порт")],
)
def test_check_names_what_does_not_parse_in_russian(given, reason):
    from sveden.checking import CheckInputError, normalize_url

    with pytest.raises(CheckInputError, match=reason) as exc:
        normalize_url(given)
    assert str(exc.value).startswith(f"неверный адрес «{given}»") and "Invalid" not in str(exc.value)


def _uncached_join(base: str, href: str) -> str:
    from urllib.parse import urljoin, urlsplit

    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018
    except ValueError:
        return ""
    return url


_BASES = st.sampled_from(["http://school.example/sveden/common/", "http://school.example/a/b.php?x=1#top", "https://school.example/",
                          "http://other.example:8080/dir/page", "http://[::1]:8000/x/", "http://user@school.example/p;q", "http:///nohost/"])
_HREFS = st.lists(st.sampled_from(["/", "//", "http://", "https://", "HTTP://", "school.example", "other.example:80", "[::1]", "a", "..", ".",
                                   "/", "?q=1", "#f", ";p", ":99999", "%2e", "\t", " ", "http:", "files"]), max_size=8).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(_BASES, _HREFS), min_size=1, max_size=12))
def test_links_resolve_as_urljoin_resolves_them_whichever_page_came_first(pairs):
    # _join keeps root-relative and full addresses per host: the page that resolved one first must not
    # change what another page of the host gets.
    from crawler import extract

    for base, href in pairs:
        assert extract._join(base, href) == _uncached_join(base, href), (base, href)
