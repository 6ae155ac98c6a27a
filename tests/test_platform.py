"""Platform fingerprints (checks/platform.py) from what the crawler records on each page."""

from __future__ import annotations

import pytest

from checks.evaluate import evaluate
from checks.platform import PLATFORMS, fingerprint
from crawler.extract import extract_page


def artifact(head: str, body: str = "", url: str = "http://school1.example.ru/") -> dict:
    page = extract_page(url, url, f"<html><head>{head}</head><body>{body}</body></html>".encode(), "text/html; charset=utf-8")
    page.update(url=url, final_url=url, status=200, role="home", section="")
    return {"version": 2, "url": url, "hosts": [], "outcome": {"status": "ok"}, "pages": [page], "sections": {}, "probes": {}}


CASES = {
    "bitrix": artifact('<link href="/bitrix/templates/school_v2/template_styles.css" rel="stylesheet"><script src="/bitrix/js/main/core/core.js"></script>'),
    "joomla": artifact('<meta name="generator" content="Joomla! - Open Source Content Management"><script src="/media/jui/js/jquery.min.js"></script>'),
    "wordpress": artifact('<meta name="generator" content="WordPress 6.4.2"><link rel="stylesheet" href="/wp-content/themes/school/style.css">'),
    "drupal": artifact('<meta name="Generator" content="Drupal 7 (https://www.drupal.org)"><script src="/misc/drupal.js"></script>'),
    "ucoz": artifact('<script src="/.s/src/jquery-1.12.4.min.js"></script><link rel="stylesheet" href="/.s/src/base.min.css">', url="http://school1.ucoz.net/"),
    "tilda": artifact('<link rel="stylesheet" href="https://static.tildacdn.com/css/tilda-grid-3.0.min.css"><script src="https://static.tildacdn.com/js/tilda-blocks-page1.min.js"></script>'),
    "nethouse": artifact('<meta name="generator" content="Nethouse"><link rel="stylesheet" href="https://static.nethouse.ru/css/site.css">'),
    "gosweb": artifact('<link rel="stylesheet" href="/netcat_template/gosweb/css/main.css">', '<a href="/svedeniya-ob-obrazovatelnoy-organizatsii/">Сведения</a>',
                       url="https://sh1-kirishi.gosweb.gosuslugi.ru/"),
}


def test_every_platform_has_a_case():
    assert set(CASES) == {p.key for p in PLATFORMS}


@pytest.mark.parametrize("key", sorted(CASES))
def test_fingerprint_names_the_platform(key):
    found = fingerprint(CASES[key])
    assert found is not None and found["key"] == key, found
    assert found["vendor"] and found["evidence"]


def test_sveden_modules_are_named_where_their_directory_shows():
    wp = artifact('<meta name="generator" content="WordPress 6.4"><link rel="stylesheet" href="/wp-content/plugins/sveden-oo/css/sveden.css">')
    assert fingerprint(wp)["module"] == "sveden-oo"
    bx = artifact('<link href="/bitrix/templates/school/styles.css" rel="stylesheet"><script src="/bitrix/components/edusite/sveden.list/script.js"></script>')
    assert fingerprint(bx)["module"] == "sveden.list"
    jm = artifact('<meta name="generator" content="Joomla!"><link rel="stylesheet" href="/components/com_svedenoo/assets/style.css">')
    assert fingerprint(jm)["module"] == "com_svedenoo"
    assert "встроенный раздел" in fingerprint(CASES["gosweb"])["module"]
    assert fingerprint(CASES["tilda"])["module"] == ""


def test_no_platform_on_a_hand_made_site_or_one_with_only_the_gosuslugi_widget():
    plain = artifact('<link rel="stylesheet" href="/css/style.css">', '<img src="/images/logo.png"><a href="/sveden/common/">Сведения</a>')
    assert fingerprint(plain) is None
    widget = artifact('<script src="https://pos.gosuslugi.ru/bin/script.min.js"></script>', '<a href="https://www.gosuslugi.ru/">Госуслуги</a>')
    assert fingerprint(widget) is None
    assert fingerprint({"url": "http://down.example.ru/", "pages": [], "outcome": {"status": "unreachable"}}) is None


def test_a_link_to_another_site_built_on_a_platform_does_not_name_this_one():
    other = artifact('<link rel="stylesheet" href="/css/style.css">', '<a href="http://other.example.ru/wp-content/uploads/x.pdf">x</a><a href="http://other.example.ru/wp-json/">y</a>')
    assert fingerprint(other) is None


def test_the_check_json_carries_the_platform():
    result = evaluate(CASES["joomla"], "school")
    assert result["platform"]["key"] == "joomla" and result["platform"]["title"] == "Joomla"
    assert evaluate(artifact("<title>x</title>"), "school")["platform"] is None
