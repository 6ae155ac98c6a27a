"""What feedback channels look like on school sites: phrases, addresses and form shapes.

Shared by the channel audits (``checks.feedback``) and the crawler's choice of pages to
fetch (``crawler.feedback_links``). Phrases are matched on normalized text: lower case,
«ё» → «е», single spaces (see ``norm``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from artifacts.urls import is_document  # noqa: F401 - part of this module's vocabulary



def norm(text: str) -> str:
    return " ".join((text or "").lower().replace("ё", "е").split())  # as \s+ → " " and strip, five times faster


# «Часто задаваемые вопросы», «Вопрос — ответ», «Вопросы и ответы», «Ответы на вопросы», «FAQ».
FAQ = re.compile(
    r"часто\s+задаваем\w*\s+вопрос|\bвопрос\w*\s*(?:[-‐‑–—:/]|\bи\b)\s*ответ|\bответы\s+на\s+(?:\w+\s+){0,2}вопрос|\bfaq\b|\bq\s*&\s*a\b"
)
# A path segment of an FAQ section: /faq/, /vopros-otvet/, /voprosy-i-otvety/.
FAQ_PATH = re.compile(r"/(?:faq|vopros[-_]?otvet\w*|voprosy?[-_]i[-_]otvety?|otvety[-_]na[-_]voprosy)(?:[/._?#]|$)", re.I)
# A questionnaire or an invitation to rate the quality of conditions. «\bопрос» never matches «вопрос».
OPINION = re.compile(
    r"\bанкет|\bопрос|\bоцени(?:те|ть)\b[^.]{0,30}\bкачеств|\b(?:ваше|выразить|высказать)\s+мнени|\bоставить\s+отзыв|\bоставьте\s+отзыв"
)
# Pages and links about a questionnaire that are not one: its results, orders, plans.
NOT_A_QUESTIONNAIRE = re.compile(r"результат|итог|отчет|анализ|справк|протокол|приказ|положени|\bплан\b|график")
# An appeals page: «Обращения граждан», «Электронная приемная», «Задать вопрос», «Обратная связь».
# «Приёмная комиссия» (admissions) is not an appeals page: only an electronic or the director's «приёмная» is.
APPEALS = re.compile(
    r"обращени|(?:интернет|электронн\w*|виртуальн\w*|общественн\w*)[\s-]+при[её]мн|при[её]мная\s+(?:директора|руководител)|^при[её]мная$"
    r"|задать\s+вопрос|задайте\s+вопрос|обратн\w*\s+связ|напишите\s+нам|написать\s+(?:нам|директору)|жалоб|вопрос\s+директору"
)
# Words a free-text field of an appeal form is named or labelled with.
MESSAGE_FIELD = re.compile(
    r"message|question|vopros|obrash|obrasch|appeal|comment|body|text_?area|сообщени|вопрос|обращени|текст|суть|предложени|жалоб", re.I
)
SEARCH_FIELD_NAMES = frozenset({"q", "s", "search", "query", "text", "searchword", "search_query", "keyword", "keywords", "term", "find", "poisk", "story", "word"})
_SEARCH_ACTION = re.compile(r"(?<!re)search|poisk|/find\b|/results?\b", re.I)
_SEARCH_ATTR = re.compile(r"(?<!re)search|poisk", re.I)
_COMMENT_ATTR = re.compile(r"comment|wp-comments", re.I)

# Госуслуги «Платформа обратной связи» (ПОС, «Решаем вместе»).
POS_SCRIPT = re.compile(r"pos\.gosuslugi\.ru/bin/script", re.I)
POS_FORM = re.compile(r"^https?://pos\.gosuslugi\.ru/(?:form|landing)\b", re.I)
POS_POLLS = re.compile(r"^https?://pos\.gosuslugi\.ru/og/", re.I)
POS_CONTAINER = "js-show-iframe-wrapper"
POS_WIDGET_CALL = re.compile(r"""\bWidget\(\s*["'](https?://pos\.gosuslugi\.ru/form[^"']*)["']\s*,\s*["']?(\d{1,12})""", re.I)
OPA_ID = re.compile(r"[?&]opaId=(\d{1,12})", re.I)

# bus.gov.ru: rating and reviews (an opinion channel), and the institution's cards.
BUS_GOV = re.compile(r"^https?://(?:www\.)?bus\.gov\.ru(?:/|$)", re.I)
BUS_GOV_RATING = re.compile(r"^https?://(?:www\.)?bus\.gov\.ru/(?:qrcode/rate|info-card|pub/info-card)/(\d{1,12})", re.I)
BUS_GOV_AGENCY = re.compile(r"^https?://(?:www\.)?bus\.gov\.ru/(?:pub/)?agency/(\d{1,12})|^https?://(?:www\.)?bus\.gov\.ru/.*[?&]agency(?:Id)?=(\d{1,12})", re.I)

# Online questionnaire services schools embed or link.
SURVEY_SERVICE = re.compile(
    r"^https?://(?:docs\.google\.com/forms|forms\.gle|forms\.yandex\.(?:ru|com)|(?:www\.)?survio\.com|(?:www\.)?anketolog\.ru|"
    r"(?:www\.)?testograf\.ru|(?:www\.)?webanketa\.com|(?:www\.)?onlinetestpad\.com|pos\.gosuslugi\.ru/og/)",
    re.I,
)

# Version for the visually impaired: button-visually-impaired (bvi), Lidrekon «uhpv», template switches.
LOW_VISION_CLASS = re.compile(r"(?:^|[-_])bvi(?:[-_]|$)|vi-on\b|special[-_]?(?:version|button|ver)\b|version[-_]?special|impaired", re.I)
LOW_VISION_HREF = re.compile(r"[?&](?:special|special_version|spec)=(?:y|yes|1|on)\b|set-aa=special", re.I)
LOW_VISION_TEXT = re.compile(r"для\s+слабовидящих|для\s+людей\s+с\s+нарушени\w*\s+зрения")
LOW_VISION_SCRIPT = re.compile(r"(?:^|[/._-])bvi[\w.-]*\.js|uhpv", re.I)


def is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _visible_fields(form: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in form.get("fields", []) if f.get("type") not in ("hidden", "submit", "image", "button", "reset")]


def _is_free_text(field: dict[str, Any]) -> bool:
    if field.get("tag") == "textarea":
        return True
    if field.get("tag") != "input" or field.get("type") not in ("text", ""):
        return False
    return bool(MESSAGE_FIELD.search(f"{field.get('name', '')} {field.get('placeholder', '')}"))


def form_kind(form: dict[str, Any]) -> str:
    """What a form of the page artifact is for.

    ``appeal``: a free-text field and a submit control (an electronic appeal or question);
    ``search``, ``login``, ``subscribe`` (e-mail only), ``comment`` (comments under news),
    ``other`` (anything else: polls with radio buttons, orders, filters).
    """
    visible = _visible_fields(form)
    types = {f.get("type") for f in visible}
    if "password" in types:
        return "login"
    try:
        action = urlsplit(form.get("action") or "")
        action_tail = action.path + "?" + action.query
    except ValueError:
        action_tail = ""
    attrs = f"{form.get('id', '')} {form.get('class', '')}"
    if (
        (form.get("role") or "").lower() == "search"
        or form.get("in_search")
        or "search" in types
        or _SEARCH_ACTION.search(action_tail)
        or _SEARCH_ATTR.search(attrs)
    ):
        return "search"
    if len(visible) == 1 and visible[0].get("tag") == "input" and visible[0].get("type") in ("text", "") and visible[0].get("name", "").lower() in SEARCH_FIELD_NAMES:
        return "search"
    if _COMMENT_ATTR.search(attrs) or _COMMENT_ATTR.search(action_tail):
        return "comment"
    if visible and form.get("submit") and any(_is_free_text(f) for f in visible):
        # A single free-text input is only an appeal form when something else (name, e-mail) is asked too.
        if any(f.get("tag") == "textarea" for f in visible) or len(visible) >= 2:
            return "appeal"
    if visible and all(f.get("type") == "email" or "mail" in f.get("name", "").lower() for f in visible):
        return "subscribe"
    return "other"


# НОКО on the school's own site (``checks.audits.noko``, ``crawler.feedback_links``): the page
# about the independent assessment, its results, the plan for eliminating the shortcomings it
# found and the report on that plan. Matched on normalized link texts, titles and headings.
NOKO = re.compile(r"независим\w*\s+оценк\w*(?:\s+качеств)?|\bноко\b|\bнок\b|\bнокуод\b")
NOKO_PATH = re.compile(r"/(?:noko?|nok[-_]?uod|nezavisim\w*[-_]ocenk\w*)(?:[/._?#-]|$)", re.I)
NOKO_RESULTS = re.compile(r"результат\w*\s+(?:\w+\s+){0,2}(?:независим\w*\s+оценк|нок\b|ноко\b)|итог\w*\s+(?:\w+\s+){0,2}независим\w*\s+оценк")
NOKO_PLAN = re.compile(r"\bплан\w*\s+(?:\w+\s+){0,4}(?:по\s+)?устранени\w*\s+(?:\w+\s+){0,1}недостатк")
NOKO_REPORT = re.compile(
    r"\bотчет\w*\s+(?:\w+\s+){0,3}(?:исполнени|выполнени|реализаци)\w*\s+(?:\w+\s+){0,1}план|\bотчет\w*\s+(?:\w+\s+){0,2}(?:об\s+)?устранени\w*\s+(?:\w+\s+){0,1}недостатк"
    r"|(?:сведени\w*|информаци\w*)\s+о\s+(?:ходе\s+)?(?:реализаци|выполнени)\w*\s+(?:мер\w*\s+(?:по\s+)?)?устранени\w*\s+(?:\w+\s+){0,1}недостатк"
)
