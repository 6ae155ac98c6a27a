"""Remote feedback channels (НОКО 1.2): detection on gathered pages, and the pages the crawler picks."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from artifacts import patterns as fp
from checks.views import SiteView
from checks.evaluate import evaluate
from checks.feedback import CHANNELS, EVIDENCE_LIMIT
from crawler.extract import extract_page
from crawler.feedback_links import select_feedback_links

FIXTURES = Path(__file__).parent / "fixtures" / "feedback"
HOST = "school7.example"
BASE = f"https://{HOST}/"


def html(body: str, title: str = "Школа № 7") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"


def page(source: str, path: str = "", role: str = "home", status: int = 200) -> dict:
    """A page artifact as the crawler stores it: ``source`` is a fixture file name or HTML."""
    body = (FIXTURES / source).read_bytes() if source.endswith(".html") else source.encode("utf-8")
    url = BASE + path
    p = extract_page(url, url, body, "text/html; charset=utf-8")
    p.update(url=url, final_url=url, status=status, role=role, section=None, error_kind=None, error="")
    return p


def artifact(*pages: dict, probes: dict | None = None) -> dict:
    return {
        "version": 1,
        "url": BASE,
        "host": HOST,
        "org_id": "sch7",
        "org_type": "school",
        "outcome": {"status": "ok", "message": "", "http_status": 200},
        "index": None,
        "sections": {},
        "pages": list(pages),
        "probes": probes or {},
        "stats": {},
    }


def feedback(*pages: dict, probes: dict | None = None) -> dict:
    # The check JSON's ``feedback``: the shared scan with the channel audits' (FBK001–FBK005) verdicts.
    return evaluate(artifact(*pages, probes=probes))["feedback"]


def matches(result: dict, channel: str) -> list[str]:
    return [e["match"] for e in result["evidence"][channel]]


def found(result: dict) -> set[str]:
    return {c for c, ok in result["channels"].items() if ok}


# ---- the contract -------------------------------------------------------------------------


def test_result_has_the_documented_shape():
    result = feedback(page("home_full.html"))
    assert set(result) >= {"channels", "evidence", "pos_widget", "bus_gov", "low_vision_version", "low_vision_note"}
    assert list(result["channels"]) == ["phone", "email", "e_service", "faq", "opinion"]
    assert all(isinstance(v, bool) for v in result["channels"].values())
    assert set(result["evidence"]) == set(CHANNELS)
    for entries in result["evidence"].values():
        for e in entries:
            assert set(e) == {"url", "match"} and e["url"] == BASE and e["match"]
    assert set(result["bus_gov"]) >= {"linked", "agency_id", "url"}
    assert isinstance(result["pos_widget"], bool) and isinstance(result["low_vision_version"], bool)
    json.dumps(result, ensure_ascii=False)  # JSON-ready


def test_home_page_with_every_channel():
    result = feedback(page("home_full.html"))
    assert found(result) == set(CHANNELS)
    assert result["count"] == 5
    assert "tel:+78122461234" in matches(result, "phone")
    assert "mailto:school7@obr.example.ru" in matches(result, "email")
    assert 'виджет ПОС: Widget("https://pos.gosuslugi.ru/form", 254813)' in matches(result, "e_service")
    assert f"ссылка «вопрос — ответ»: {BASE}vopros-otvet/" in matches(result, "faq")
    assert "ссылка на оценку качества: https://bus.gov.ru/qrcode/rate/318254" in matches(result, "opinion")
    assert result["pos_widget"] is True and result["pos"]["opa_id"] == 254813
    assert result["bus_gov"] == {"linked": True, "agency_id": 318254, "url": "https://bus.gov.ru/qrcode/rate/318254", "rating_link": True, "agency_ids": [318254]}
    assert result["low_vision_version"] is True
    assert result["summary"].startswith("Найдено дистанционных способов взаимодействия: 5 из 5")


def test_negatives_page_has_no_channel():
    """Search, subscribe, login and comment forms; news about «вопросы»; results of a survey; an ИНН."""
    result = feedback(page("home_negatives.html"))
    assert found(result) == set()
    assert all(not v for v in result["evidence"].values())
    assert result["pos_widget"] is False
    assert result["bus_gov"] == {"linked": False, "agency_id": None, "url": "", "rating_link": False, "agency_ids": []}
    assert "Не найдено: телефон; электронная почта" in result["summary"]


def test_pure_and_deterministic():
    pages = [page("home_full.html"), page("contacts.html", "contacts/", "feedback"), page("faq_page.html", "faq/", "feedback")]
    snapshot = copy.deepcopy(pages)
    first = feedback(*pages)
    assert feedback(*pages) == first
    assert pages == snapshot  # the artifact is not modified


# ---- telephone and e-mail ------------------------------------------------------------------


def test_phone_as_tel_link_in_the_header():
    result = feedback(page(html('<header><a class="phone" href="tel:88122461234"><i class="icon-phone"></i></a></header>')))
    assert result["channels"]["phone"] and matches(result, "phone") == ["tel:88122461234"]


def test_phones_in_the_text_of_a_contacts_page():
    result = feedback(page(html("<p>Главная</p>")), page("contacts.html", "contacts/", "feedback"))
    assert result["channels"]["phone"]
    assert set(matches(result, "phone")) == {
        "телефон в тексте: 8 (812) 246-12-34",
        "телефон в тексте: +7 812 246 12 36",
        "телефон в тексте: 8(81378)2-12-34",
    }
    assert result["evidence"]["phone"][0]["url"] == BASE + "contacts/"


def test_registration_numbers_are_not_phones():
    result = feedback(page(html("<footer>ИНН 8601012345, КПП 860101001, ОГРН 1028600001234</footer>")))
    assert result["channels"]["phone"] is False


def test_email_as_mailto_link_only():
    result = feedback(page(html('<footer><a href="mailto:school7@obr.example.ru?subject=Вопрос">Написать письмо</a></footer>')))
    assert result["channels"]["email"] and matches(result, "email") == ["mailto:school7@obr.example.ru"]


def test_email_as_text_and_image_names_are_not_addresses():
    result = feedback(page(html("<p>Почта: school7@obr.example.ru</p>")))
    assert matches(result, "email") == ["адрес в тексте: school7@obr.example.ru"]
    assert feedback(page(html("<p>logo@2x.png banner@3x.jpg</p>")))["channels"]["email"] is False


# ---- electronic services -------------------------------------------------------------------


def test_appeals_page_with_a_form():
    result = feedback(page(html("<p>Главная</p>")), page("appeals_form.html", "obrashcheniya-grazhdan/", "feedback"))
    assert result["channels"]["e_service"]
    [entry] = result["evidence"]["e_service"]
    assert entry["url"] == BASE + "obrashcheniya-grazhdan/"
    assert "form_textarea_3" in entry["match"] and entry["match"].startswith("форма (POST")


def test_pos_widget_call_at_the_end_of_a_long_minified_script():
    p = page("pos_widget_minified.html")
    assert p["widget_calls"] == [{"url": "https://pos.gosuslugi.ru/form", "id": "91437"}]
    result = feedback(p)
    assert result["channels"]["e_service"] and result["pos_widget"]
    assert result["pos"]["opa_id"] == 91437 and result["pos"]["url"] == BASE


def test_pos_direct_iframe():
    result = feedback(page("appeals_pos_iframe.html", "priemnaya/", "feedback"))
    assert result["channels"]["e_service"] and result["pos_widget"]
    assert result["pos"]["opa_id"] == 254813
    assert matches(result, "e_service")[0].startswith("ПОС: https://pos.gosuslugi.ru/form/?opaId=254813")


def test_pos_plain_link_to_the_landing():
    result = feedback(page(html('<a href="https://pos.gosuslugi.ru/landing/">Госуслуги. Решаем вместе</a>')))
    assert result["channels"]["e_service"] and result["pos_widget"] and result["pos"]["opa_id"] is None


def test_pos_script_and_container_without_the_call_in_an_inline_script():
    body = '<script src="https://pos.gosuslugi.ru/bin/script.min.js"></script><div id="js-show-iframe-wrapper"><button class="pos-banner-btn_2">Написать</button></div>'
    result = feedback(page(html(body)))
    assert result["pos_widget"] and "скрипт pos.gosuslugi.ru/bin/script.min.js" in matches(result, "e_service")[0]


def test_pos_script_alone_is_not_a_widget():
    result = feedback(page(html('<script src="https://pos.gosuslugi.ru/bin/script.min.js"></script>')))
    assert result["pos_widget"] is False and result["channels"]["e_service"] is False


def test_pos_call_read_from_inline_scripts_of_older_artifacts():
    p = page("home_full.html")
    del p["widget_calls"]
    assert feedback(p)["pos"]["opa_id"] == 254813


def test_appeals_page_with_a_yandex_form_frame():
    body = '<h1>Обратная связь</h1><iframe src="https://forms.yandex.ru/u/65a1b2c3d4e5f6/?iframe=1" frameborder="0"></iframe>'
    result = feedback(page(html(body), "feedback/", "feedback"))
    assert result["channels"]["e_service"] and "forms.yandex.ru" in matches(result, "e_service")[0]


def test_questionnaire_form_is_an_opinion_not_an_appeal():
    body = '<h1>Анкета удовлетворённости</h1><form method="post"><textarea name="wishes"></textarea><input type="submit" value="Отправить"></form>'
    result = feedback(page(html(body), "anketa/", "feedback"))
    assert result["channels"]["opinion"] and not result["channels"]["e_service"]


@pytest.mark.parametrize(
    ("form", "kind"),
    [
        ('<form action="/search/"><input name="q"><button>Найти</button></form>', "search"),
        ('<form role="search" action="/"><textarea name="q"></textarea><button>Найти</button></form>', "search"),
        ('<search><form action="/"><input name="words"><input name="area"><button>Найти</button></form></search>', "search"),
        ('<form action="/"><input type="search" name="x"><input type="submit"></form>', "search"),
        ('<form action="/"><input type="text" name="query"><input type="submit"></form>', "search"),
        ('<div class="header__search"><form action="/"><input name="w"><input name="m"><textarea name="t"></textarea><button>OK</button></form></div>', "search"),
        ('<form action="/subscribe/"><input type="email" name="email"><button>Подписаться</button></form>', "subscribe"),
        ('<form action="/sub/"><input type="text" name="user_mail"><button>OK</button></form>', "subscribe"),
        ('<form action="/forum/post/"><input name="login"><input type="password" name="pass"><textarea name="msg"></textarea><button>Отправить</button></form>', "login"),
        ('<form id="commentform" action="/wp-comments-post.php"><input name="author"><textarea name="comment"></textarea><input type="submit"></form>', "comment"),
        ('<form action="/send/"><textarea name="msg"></textarea></form>', "other"),
        ('<form action="/send/"><input name="fio"><input type="text" name="question"><button type="submit">Отправить</button></form>', "appeal"),
        ('<form action="/send/"><input type="text" name="question"><button type="submit">Отправить</button></form>', "other"),
        ('<form action="/send/" method="post"><input name="fio"><textarea name="msg"></textarea><button>Отправить</button></form>', "appeal"),
        ('<form action="/research/send/" method="post"><input name="fio"><textarea name="msg"></textarea><button>Отправить</button></form>', "appeal"),
    ],
)
def test_form_kind(form, kind):
    [f] = page(html(form))["forms"]
    assert fp.form_kind(f) == kind


def test_search_subscribe_and_login_forms_are_not_e_services():
    body = (
        '<div role="search"><form action="/"><textarea name="s"></textarea><input type="submit"></form></div>'
        '<form action="/subscribe/"><input type="email" name="email"><button>Подписаться</button></form>'
        '<form action="/login/"><input name="login"><input type="password" name="p"><textarea name="x"></textarea><button>Войти</button></form>'
    )
    assert feedback(page(html(body)))["channels"]["e_service"] is False


# ---- FAQ -----------------------------------------------------------------------------------


def test_faq_page_heading():
    result = feedback(page("faq_page.html", "faq/", "feedback"))
    assert result["channels"]["faq"] and matches(result, "faq") == ["заголовок «часто задаваемые вопросы»"]


@pytest.mark.parametrize(
    "text",
    ["Часто задаваемые вопросы", "Вопрос — ответ", "Вопрос-ответ", "Вопросы и ответы", "FAQ", "Ответы на вопросы", "Ответы на часто задаваемые вопросы", "Обращения граждан: вопросы и ответы"],
)
def test_faq_link_under_its_different_names(text):
    result = feedback(page(html(f'<nav><a href="/razdel/">{text}</a></nav>')))
    assert result["channels"]["faq"], text


@pytest.mark.parametrize(
    "text",
    ["Часто задаваемые вопросы", "Вопрос-ответ", "FAQ"],
)
def test_faq_heading_under_its_different_names(text):
    assert feedback(page(html(f"<h2>{text}</h2><p>…</p>"), "razdel/", "feedback"))["channels"]["faq"]


def test_faq_link_by_its_address():
    result = feedback(page(html('<a href="/faq/">Помощь родителям</a>')))
    assert matches(result, "faq") == [f"ссылка на раздел вопросов и ответов: {BASE}faq/"]


@pytest.mark.parametrize(
    "link",
    [
        '<a href="/news/soveshchanie-po-voprosam-pitaniya/">Совещание по вопросам питания</a>',
        '<a href="/news/123/">Вопросы и ответы на родительском собрании: как прошла встреча по вопросам подготовки к ГИА</a>',
        '<a href="https://fipi.example.ru/faq/">Ответы на вопросы об ЕГЭ</a>',
        '<a href="/upload/faq.pdf">Вопросы и ответы (памятка)</a>',
        '<a href="/news/faq-ege-2025/">Новости ЕГЭ</a>',
    ],
)
def test_not_an_faq_section(link):
    assert feedback(page(html(link)))["channels"]["faq"] is False


def test_faq_link_to_a_missing_page_does_not_count():
    home = page(html('<a href="/vopros-otvet/">Вопрос-ответ</a>'))
    missing = page(html("Страница не найдена"), "vopros-otvet/", "feedback", status=404)
    assert feedback(home, missing)["channels"]["faq"] is False
    assert feedback(home, probes={BASE + "vopros-otvet/": {"status": 404}})["channels"]["faq"] is False


# ---- opinion on the quality of conditions -------------------------------------------------


def test_questionnaire_page_with_a_form():
    result = feedback(page("questionnaire_form.html", "anketirovanie/", "feedback"))
    assert result["channels"]["opinion"]
    assert matches(result, "opinion")[0].startswith("анкета «анкетирование — школа № 7»: форма (POST")


def test_questionnaire_page_with_a_google_form():
    result = feedback(page("questionnaire_google.html", "opros/", "feedback"))
    assert result["channels"]["opinion"] and "docs.google.com/forms" in matches(result, "opinion")[0]


def test_questionnaire_heading_without_a_form_is_not_a_questionnaire():
    assert feedback(page("questionnaire_results_only.html", "anketirovanie/", "feedback"))["channels"]["opinion"] is False


def test_link_to_a_questionnaire_page_not_fetched_counts():
    result = feedback(page(html('<a href="/anketa/">Анкета для родителей</a>')))
    assert matches(result, "opinion") == [f"ссылка на анкету «анкета для родителей»: {BASE}anketa/"]


def test_link_to_a_fetched_page_counts_only_when_it_is_a_questionnaire():
    home = page(html('<a href="/anketirovanie/">Анкетирование</a>'))
    results_only = page("questionnaire_results_only.html", "anketirovanie/", "feedback")
    assert feedback(home, results_only)["channels"]["opinion"] is False
    real = page("questionnaire_form.html", "anketirovanie/", "feedback")
    result = feedback(home, real)
    assert {e["url"] for e in result["evidence"]["opinion"]} == {BASE, BASE + "anketirovanie/"}


def test_survey_service_link_with_an_invitation():
    result = feedback(page(html('<a href="https://forms.gle/AbCdEf123">Пройдите опрос о качестве питания</a>')))
    assert result["channels"]["opinion"]


@pytest.mark.parametrize(
    ("href", "agency_id"),
    [
        ("https://bus.gov.ru/qrcode/rate/318254", 318254),
        ("https://bus.gov.ru/info-card/318254", 318254),
        ("https://bus.gov.ru/pub/info-card/318254?activeTab=3", 318254),
        ("http://www.bus.gov.ru/pub/info-card/42", 42),
    ],
)
def test_bus_gov_rating_links(href, agency_id):
    result = feedback(page(html(f'<a href="{href}"><img src="/upload/qr.png" alt="QR-код"></a>')))
    assert result["channels"]["opinion"]
    assert result["bus_gov"]["linked"] and result["bus_gov"]["agency_id"] == agency_id and result["bus_gov"]["url"] == href


def test_bus_gov_qr_on_the_nok_page():
    result = feedback(page(html("<p>Главная</p>")), page("nok_busgov.html", "nok/", "feedback"))
    assert result["channels"]["opinion"] and result["bus_gov"]["agency_id"] == 318254
    assert result["bus_gov"]["url"] == "https://bus.gov.ru/qrcode/rate/318254"


def test_bus_gov_agency_card_and_banner_are_links_but_not_an_opinion_channel():
    card = feedback(page(html('<a href="https://bus.gov.ru/agency/318254">Наше учреждение на bus.gov.ru</a>')))
    assert card["bus_gov"]["linked"] and card["bus_gov"]["agency_id"] == 318254 and not card["bus_gov"]["rating_link"]
    assert card["channels"]["opinion"] is False
    banner = feedback(page(html('<a href="https://bus.gov.ru/"><img src="/b.png" alt="bus.gov.ru"></a>')))
    assert banner["bus_gov"] == {"linked": True, "agency_id": None, "url": "https://bus.gov.ru/", "rating_link": False, "agency_ids": []}
    assert banner["channels"]["opinion"] is False


def test_pos_polls_iframe():
    result = feedback(page("pos_polls.html", "oprosy/", "feedback"))
    assert result["channels"]["opinion"] and result["pos"]["polls"]
    assert any(m.startswith("опросы ПОС во фрейме: https://pos.gosuslugi.ru/og/widgets/view") for m in matches(result, "opinion"))
    assert result["pos_widget"] is False  # polls are not the appeals widget


def test_lazy_loaded_iframe_source():
    p = page(html('<h1>Опрос</h1><iframe src="about:blank" data-src="https://docs.google.com/forms/d/e/X/viewform"></iframe>'), "opros/", "feedback")
    assert p["iframes"] == ["https://docs.google.com/forms/d/e/X/viewform"]
    assert feedback(p)["channels"]["opinion"]


@pytest.mark.parametrize(
    "link",
    [
        '<a href="/upload/anketa.docx">Анкета для родителей</a>',
        '<a href="/anketirovanie/itogi/">Результаты анкетирования</a>',
        '<a href="/news/12/">Совещание по вопросам питания</a>',
        '<a href="/nok/">Независимая оценка качества</a>',
    ],
)
def test_not_an_opinion_channel(link):
    assert feedback(page(html(link)))["channels"]["opinion"] is False


# ---- version for the visually impaired (information only) ---------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '<a itemprop="copy" href="/special/">Версия для слабовидящих</a>',
        '<a href="#" class="bvi-panel-open"><img src="/eye.png" alt=""></a>',
        '<button class="bt_widget-vi-on">A+</button>',
        '<a href="/?special=Y"><img src="/eye.png" alt="Для слабовидящих"></a>',
        '<a href="/index.php?set-aa=special">Обычная версия</a>',
        '<a href="/vision/">Версия для слабовидящих</a>',
    ],
)
def test_low_vision_version_forms(body):
    result = feedback(page(html(body)))
    assert result["low_vision_version"] is True and result["low_vision_evidence"]
    assert "1353" in result["low_vision_note"] and "нарушением не считается" in result["low_vision_note"]


def test_no_low_vision_version_is_information_not_a_failure():
    result = feedback(page(html('<div class="research-special-offer">Акция</div>')))
    assert result["low_vision_version"] is False
    assert result["low_vision_note"].startswith("Версия для слабовидящих не найдена.")
    assert "утратившим силу" in result["low_vision_note"]


# ---- which pages are read ------------------------------------------------------------------


def test_only_fetched_home_index_section_and_feedback_pages_are_scanned():
    phone = html('<a href="tel:+78122461234">Позвонить</a>')
    assert feedback(page(phone, "sveden/common/", "section"))["channels"]["phone"]
    assert feedback(page(phone, "sveden/", "index"))["channels"]["phone"]
    assert feedback(page(phone, "docs/", "addref"))["channels"]["phone"] is False
    assert feedback(page(phone, "contacts/", "feedback", status=500))["channels"]["phone"] is False
    assert feedback()["pages_scanned"] == 0 and feedback()["channels"] == dict.fromkeys(CHANNELS, False)


def test_evidence_is_capped_and_without_duplicates():
    links = "".join(f'<a href="tel:+7812246{i:04d}">+7 812 246-{i // 100:02d}-{i % 100:02d}</a>' for i in range(20))
    result = feedback(page(html(links)), page(html(links), "contacts/", "feedback"))
    assert len(result["evidence"]["phone"]) == EVIDENCE_LIMIT
    assert len({(e["url"], e["match"]) for e in result["evidence"]["phone"]}) == EVIDENCE_LIMIT


def test_check_json_carries_feedback_and_scores():
    art = artifact(page("home_full.html"), page("appeals_form.html", "obrashcheniya-grazhdan/", "feedback"))
    result = evaluate(art, "school")
    assert result["feedback"]["channels"] == dict.fromkeys(CHANNELS, True)
    assert result["scores"]["p1_2"] == 100 and result["scores"]["p1_2_channels"] == 5
    unreachable = dict(art, outcome={"status": "unreachable", "message": "", "http_status": None})
    assert evaluate(unreachable, "school")["feedback"] is None


# ---- the crawler's choice of feedback pages -------------------------------------------------


def test_feedback_links_of_a_real_looking_home_page():
    assert select_feedback_links(page("home_full.html"), HOST) == [
        BASE + "obrashcheniya-grazhdan/",
        BASE + "vopros-otvet/",
        BASE + "nok/",  # the НОКО page has its own category (checks.audits.noko reads it)
        BASE + "anketirovanie/",
        BASE + "contacts/",
    ]


def test_feedback_links_skip_documents_other_sites_duplicates_and_the_home_page():
    body = """
      <a href="/">Главная</a>
      <a href="/contacts/">Контакты</a>
      <a href="/contacts">Наши контакты</a>
      <a href="/contacts/#map">Как нас найти</a>
      <a href="https://www.school7.example/kontakty/">Контактная информация</a>
      <a href="/upload/anketa.docx">Анкета</a>
      <a href="https://other.example/anketa/">Анкета на сайте управления</a>
      <a href="mailto:a@b.ru">Обратная связь</a>
      <a href="javascript:void(0)">Задать вопрос</a>
      <a href="/abitur/">Приёмная комиссия</a>
      <a href="/news/soveshchanie-po-voprosam-pitaniya/">Совещание по вопросам питания</a>
      <a href="/news/opros-roditeley/">Подробнее</a>
      <a href="/gostevaya/">Гостевая книга</a>
      <a href="/feedback/">Подробнее</a>
    """
    assert select_feedback_links(page(html(body)), HOST) == [
        BASE + "feedback/",
        BASE + "news/opros-roditeley/",
        BASE + "contacts/",
        BASE + "gostevaya/",
        "https://www.school7.example/kontakty/",
    ]


def test_feedback_link_categories_take_turns_under_the_limit():
    body = "".join(f'<a href="/kontakty-{i}/">Контакты отдела {i}</a>' for i in range(10)) + '<a href="/opros/">Опрос</a><a href="/faq/">FAQ</a>'
    chosen = select_feedback_links(page(html(body)), HOST, limit=3)
    assert chosen == [BASE + "faq/", BASE + "opros/", BASE + "kontakty-0/"]
    assert select_feedback_links(page(html(body)), HOST, limit=0) == []
    assert len(select_feedback_links(page(html(body)), HOST)) == 12


def test_feedback_links_of_an_empty_page():
    assert select_feedback_links({"url": BASE}, HOST) == []
