"""Which links of the home page the crawler fetches as "feedback" pages (НОКО indicator 1.2).

Contacts, appeals («Обращения граждан», «Электронная приёмная», «Обратная связь»), «Вопрос —
ответ», the НОКО page («Независимая оценка качества»), questionnaires («Анкета», «Опрос», «Оценка качества») and reviews live on their own
pages; ``checks.feedback`` looks for the channels there. Categories take turns, so a menu with
ten contact links cannot crowd out the questionnaire.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from artifacts import patterns as fp
from artifacts.urls import same_site, url_key

# (category, link text phrases, href fragments), in the order categories take turns.
_CATEGORIES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "appeals",
        fp.APPEALS,
        re.compile(
            r"obra[sz]?sh|obrasch|(?:internet|elektron\w*|virtual\w*|e)[-_]?pri(?:e|yo|jo)mn|pri(?:e|yo|jo)mnaya[-_]direktor"
            r"|feedback|obratn\w*[-_]svyaz|vopros[-_]direktor|zadat[-_]vopros",
            re.I,
        ),
    ),
    ("faq", fp.FAQ, fp.FAQ_PATH),
    # The page about the independent assessment (its results, the plan for the shortcomings it
    # found and the report on it: ``checks.audits.noko``), before questionnaires that share words.
    ("noko", fp.NOKO, fp.NOKO_PATH),
    (
        "opinion",
        re.compile(fp.OPINION.pattern + r"|независим\w*\s+оценк|оценк\w*\s+качеств"),
        # «opros» but not «voprosy»: the letter before it must not be one.
        re.compile(r"anket|(?<![a-z])opros|survey|/nok[/._-]|/noko|ocenk\w*[-_]kachestv|nezavisim\w*[-_]ocenk", re.I),
    ),
    ("contacts", re.compile(r"контакт|как\s+(?:нас\s+)?(?:найти|добраться)"), re.compile(r"contact|kontakt", re.I)),
    ("reviews", re.compile(r"\bотзыв|гостев\w*\s+книг"), re.compile(r"otzyv|review|guestbook|gostev", re.I)),
)
_TEXT_LIMIT = 80  # a longer text is a news headline


def _clean(href: str) -> str:
    """The link without its fragment; "" when it is not an http(s) page address."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


def _category(text: str, path_query: str) -> str | None:
    text = fp.norm(text)
    if len(text) > _TEXT_LIMIT:
        text = ""
    for name, phrase, href in _CATEGORIES:
        if text and phrase.search(text) and not (name == "opinion" and fp.NOT_A_QUESTIONNAIRE.search(text)):
            return name
    for name, _phrase, href in _CATEGORIES:
        if href.search(path_query):
            return name
    return None


def select_feedback_links(home_page: dict[str, Any], host: str, limit: int = 12) -> list[str]:
    """Same-site links of the home page artifact worth fetching as ``feedback`` pages.

    Deterministic: categories (appeals, FAQ, questionnaires, contacts, reviews) take turns,
    each in document order; no duplicates, no documents, no other sites, not the home page.
    """
    home = home_page.get("final_url") or home_page.get("url") or ""
    seen = {url_key(home)} if home else set()
    buckets: dict[str, list[str]] = {name: [] for name, _, _ in _CATEGORIES}
    for link in home_page.get("links", []):
        url = _clean(link.get("href", ""))
        if not url or not same_site(url, host) or fp.is_document(url):
            continue
        key = url_key(url)
        if key in seen:
            continue
        parts = urlsplit(url)
        category = _category(link.get("text", ""), parts.path + ("?" + parts.query if parts.query else ""))
        if category is None:
            continue
        seen.add(key)
        buckets[category].append(url)
    selected: list[str] = []
    depth = 0
    while len(selected) < limit and any(depth < len(b) for b in buckets.values()):
        for urls in buckets.values():
            if depth < len(urls) and len(selected) < limit:
                selected.append(urls[depth])
        depth += 1
    return selected
