"""Placeholder until the feedback-channel work lands: which home links to fetch as feedback pages."""

from __future__ import annotations

from crawler.extract import same_site

KEYWORDS = ("контакт", "обращени", "вопрос", "faq", "анкет", "опрос", "обратная связь", "приемная", "приёмная", "отзыв")


def select_feedback_links(home_page: dict, host: str, limit: int = 12) -> list[str]:
    out: list[str] = []
    for link in home_page.get("links", []):
        text = (link.get("text") or "").lower()
        if same_site(link["href"], host) and any(k in text for k in KEYWORDS) and link["href"] not in out:
            out.append(link["href"])
    return out[:limit]
