"""Feedback channels found by the real crawl: the spider must fetch the pages the channels live on."""

from __future__ import annotations

from pathlib import Path

import pytest
from crawlkit import crawl
from sitekit import Route, page

from checks.evaluate import evaluate

FIX = Path(__file__).parent / "fixtures" / "feedback"


def fixture(name: str) -> Route:
    return Route((FIX / name).read_bytes())


NEWS = page("<h1>Новость</h1><p>Текст новости о вопросах питания.</p>")
SITES = {
    "full": {
        "/": fixture("home_full.html"),
        "/obrashcheniya-grazhdan/": fixture("appeals_form.html"),
        "/vopros-otvet/": fixture("faq_page.html"),
        "/anketirovanie/": fixture("questionnaire_form.html"),
        "/nok/": fixture("nok_busgov.html"),
        "/contacts/": fixture("contacts.html"),
    },
    "footer": {"/": page('<footer>Телефон: 8 (81370) 2-12-34, почта: <a href="mailto:ds5@example.org">ds5@example.org</a></footer>', "МАДОУ Детский сад № 5")},
    "pos": {
        "/": page('<a href="/feedback/">Обратная связь</a><p>Тел.: <a href="tel:+73512000000">+7 351 200-00-00</a></p>', "МБОУ СОШ № 9"),
        "/feedback/": fixture("pos_widget_minified.html"),
    },
    "negatives": {
        "/": fixture("home_negatives.html"),
        "/news/soveshchanie-po-voprosam-pitaniya/": NEWS,
        "/news/roditelskoe-sobranie/": NEWS,
        "/news/opros/": NEWS,
    },
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    artifacts, logs = crawl(SITES, tmp_path_factory.mktemp("fb"))
    return {name: evaluate(a) for name, a in artifacts.items()}, logs


def test_all_five_channels_with_evidence_from_the_pages_they_live_on(results):
    res, logs = results
    fb = res["full"]["feedback"]
    assert fb["channels"] == {"phone": True, "email": True, "e_service": True, "faq": True, "opinion": True}
    assert any("/obrashcheniya-grazhdan/" in e["url"] for e in fb["evidence"]["e_service"])
    assert fb["bus_gov"]["linked"] and fb["bus_gov"]["agency_id"] == 318254
    assert fb["low_vision_version"] is True and "1353" in fb["low_vision_note"]
    assert res["full"]["scores"]["p1_2"] == 100
    fetched = {path for _, path in logs["full"]}
    assert {"/obrashcheniya-grazhdan/", "/vopros-otvet/", "/anketirovanie/", "/contacts/"} <= fetched


def test_footer_contacts_only(results):
    res, _ = results
    fb = res["footer"]["feedback"]
    assert fb["channels"] == {"phone": True, "email": True, "e_service": False, "faq": False, "opinion": False}
    assert res["footer"]["scores"]["p1_2"] == 60


def test_pos_widget_on_a_feedback_page(results):
    res, _ = results
    fb = res["pos"]["feedback"]
    assert fb["pos_widget"] is True and fb["channels"]["e_service"] is True
    assert any("/feedback/" in e["url"] for e in fb["evidence"]["e_service"])
    assert res["pos"]["scores"]["p1_2"] == 60


def test_look_alikes_are_not_channels(results):
    res, logs = results
    fb = res["negatives"]["feedback"]
    # search, login and subscribe forms, a news item about «вопросы», results of a poll: none is a channel
    assert fb["channels"]["e_service"] is False
    assert fb["channels"]["faq"] is False
    assert fb["channels"]["opinion"] is False


def test_channels_on_the_host_the_registry_address_redirects_to(tmp_path):
    """The registry has the old address; the site moved: its own links are still its own."""
    from sitekit import redirect, serve

    new_site = {
        "/": page('<a href="/faq/">Часто задаваемые вопросы</a><a href="/anketa/">Анкета</a>', "МБОУ СОШ № 12"),
        "/faq/": page("<h1>Часто задаваемые вопросы</h1><p>Вопрос: … Ответ: …</p>"),
        "/anketa/": page("<h1>Новости школы</h1><p>Анкеты нет, это новостная страница.</p>"),
    }
    with serve(new_site, host="127.0.0.3") as moved:
        sites = {"moved": {"/": redirect(moved.url + "/", 301)}}
        artifacts, _ = crawl(sites, tmp_path)
    fb = evaluate(artifacts["moved"])["feedback"]
    assert fb["channels"]["faq"] is True
    # a link titled «Анкета» to a fetched page with no questionnaire is not the opinion channel
    assert fb["channels"]["opinion"] is False
