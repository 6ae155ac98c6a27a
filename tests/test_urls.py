"""URL identity (artifacts/urls.py): one form of a host, so «школа.рф» and its punycode are one site."""

from __future__ import annotations

import pytest

from artifacts.urls import host_key, normalize_site_url, same_site, url_host_key, url_key
from crawler import discovery
from crawler.feedback_links import select_feedback_links

UNICODE = "школа.рф"
PUNYCODE = "xn--80atdl2c.xn--p1ai"


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("школа.рф", PUNYCODE),
        ("Школа.РФ", PUNYCODE),
        ("www.школа.рф", PUNYCODE),
        ("WWW.XN--80ATDL2C.XN--P1AI", PUNYCODE),
        ("школа.рф.", PUNYCODE),  # the root's dot
        ("школа。рф", PUNYCODE),  # an ideographic full stop (UTS #46 maps it)
        ("School1.Tula.RU", "school1.tula.ru"),
        ("www.school1.ru", "school1.ru"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("", ""),
        (None, ""),
        # labels IDNA 2008 refuses: kept in lower case, the rest still encoded
        ("My_School.ru", "my_school.ru"),
        ("XN--ZZ.ru", "xn--zz.ru"),
        ("ab_в.школа.рф", "ab_в." + PUNYCODE),
        ("a..школа.рф", "a.." + PUNYCODE),
    ],
)
def test_host_key(host, key):
    assert host_key(host) == key


def test_same_site_and_url_key_across_forms():
    assert same_site(f"http://{UNICODE}/sveden/", PUNYCODE)
    assert same_site(f"https://www.{PUNYCODE}/sveden/", UNICODE)
    assert same_site(f"http://ШКОЛА.РФ:8080/", "www.школа.рф")
    assert not same_site(f"http://школа2.рф/", UNICODE)
    assert not same_site("http://[x/", UNICODE) and not same_site(f"http://{UNICODE}/", "")
    assert url_key(f"http://www.{UNICODE}/sveden/common/") == url_key(f"https://{PUNYCODE}/sveden/common") == f"//{PUNYCODE}/sveden/common"
    assert url_host_key(f"http://{UNICODE}/") == PUNYCODE and url_host_key("http://[::1") == ""


def test_site_identity_is_punycode():
    """The key the registry, bus.gov.ru and the site are compared by: one form for both."""
    assert normalize_site_url(f"https://www.{UNICODE}/index.php") == PUNYCODE
    assert normalize_site_url(f"http://{PUNYCODE}/") == PUNYCODE
    assert normalize_site_url("http://[::1]:8080/a/") == "[::1]:8080/a"


def _links(*hrefs_texts):
    return [{"href": h, "text": t} for h, t in hrefs_texts]


@pytest.mark.parametrize(("site", "links_host"), [(PUNYCODE, UNICODE), (UNICODE, PUNYCODE), ("www." + UNICODE, PUNYCODE)])
def test_discovery_reads_links_in_the_other_form(site, links_host):
    """The crawler's hosts in one form, the site's menu in the other: still the site's own links."""
    hosts = {url_host_key(f"http://{site}/")}
    home = _links((f"http://{links_host}/sveden/", "Сведения об образовательной организации"), ("http://other.ru/sveden/", "x"))
    assert discovery.find_index_link(home, hosts) == f"http://{links_host}/sveden/"
    index = _links(
        (f"http://{links_host}/sveden/common/", "Основные сведения"),
        (f"https://www.{links_host}/sveden/struct/", "Структура и органы управления"),
        ("http://other.ru/sveden/document/", "Документы"),
    )
    mapping = discovery.map_subsections([(index, True)], hosts)
    assert mapping["common"][0] == f"http://{links_host}/sveden/common/"
    assert mapping["struct"][0] == f"https://www.{links_host}/sveden/struct/"
    assert "document" not in mapping
    # Raw (unnormalized) hosts as older callers pass them work too.
    assert discovery.find_index_link(home, {site}) == f"http://{links_host}/sveden/"


def test_feedback_links_in_the_other_form():
    home = {"final_url": f"http://{PUNYCODE}/", "links": _links((f"http://{UNICODE}/obrashcheniya/", "Обращения граждан"), (f"http://{UNICODE}/", "Главная"))}
    assert select_feedback_links(home, PUNYCODE) == [f"http://{UNICODE}/obrashcheniya/"]


def test_crawler_keeps_hosts_in_one_form():
    from crawler.sitecrawl import SiteCrawl, Target, failed_site

    crawl = SiteCrawl(Target(f"http://www.{UNICODE}/"))
    crawl.hosts.add(url_host_key(f"http://{PUNYCODE}/"))  # where the site answered from
    assert crawl.hosts == {PUNYCODE}
    assert failed_site(Target(f"http://{UNICODE}/"), None, "unreachable", "x")["hosts"] == [PUNYCODE]
