"""What the site shows of its remote feedback channels (НОКО indicator 1.2): the shared scan.

Приказ Минтруда России № 344н от 31.05.2018 and приказ Минпросвещения России № 114 от
13.03.2019 count five remote channels: telephone, e-mail, an electronic service for appeals
(complaints, proposals, consultations), a «Часто задаваемые вопросы» section, and the technical
possibility to give an opinion on the quality of conditions (a questionnaire or a hyperlink to
one). This module finds each of them in the page artifacts of the home, index, subsection and
feedback pages, with evidence, and reports the Госуслуги ПОС widget, the bus.gov.ru link and
the version for the visually impaired (information only since order 1353).

A pure function of the site artifact: same artifact, same result. The five channel audits
(``checks.audits.feedback``, FBK001–FBK005) and the bus.gov.ru link audit (BUS001) judge it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from artifacts import patterns as fp
from checks.views import SiteView
from artifacts.urls import same_site, url_key

CHANNELS = ("phone", "email", "e_service", "faq", "opinion")
CHANNEL_TITLES = {
    "phone": "телефон",
    "email": "электронная почта",
    "e_service": "электронный сервис для обращений (форма на сайте, виджет ПОС «Госуслуги. Решаем вместе»)",
    "faq": "раздел «Часто задаваемые вопросы»",
    "opinion": "возможность выразить мнение о качестве условий (анкета или ссылка на неё)",
}
SCANNED_ROLES = ("home", "feedback", "index", "section")
EVIDENCE_LIMIT = 5  # evidence entries kept per channel
LINK_TEXT_LIMIT = 80  # a longer link text is a news headline, not a menu item
HEADING_LIMIT = 120
_TEXT_SHOWN = 80

LOW_VISION_REPEAL = (
    "Требование о версии сайта для слабовидящих (п. 21 Требований, утверждённых приказом Рособрнадзора "
    "№ 1493) признано утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025, поэтому наличие "
    "версии приводится для сведения и нарушением не считается."
)


def _page_url(page: dict[str, Any]) -> str:
    return page.get("final_url") or page.get("url", "")


def _ok(page: dict[str, Any]) -> bool:
    status = page.get("status")
    return isinstance(status, int) and 200 <= status < 300


def _short(text: str) -> str:
    return text if len(text) <= _TEXT_SHOWN else text[: _TEXT_SHOWN - 1] + "…"


def _titles(page: dict[str, Any]) -> list[str]:
    """The page's title and headings, normalized, short enough to be a heading."""
    out = []
    for t in [page.get("title", "")] + list(page.get("headings", [])):
        n = fp.norm(t)
        if n and len(n) <= HEADING_LIMIT:
            out.append(n)
    return out


def _link_text(link: dict[str, Any]) -> str:
    text = fp.norm(link.get("text", ""))
    return text if len(text) <= LINK_TEXT_LIMIT else ""


class _Site:
    """The pages to scan and the lookups the detectors share."""

    def __init__(self, site: SiteView):
        art = site.artifact
        home = next((p for p in site.pages if p.get("role") == "home"), {})
        # The registry's host and the one the home page redirected to (old artifacts: derive them).
        self.hosts = set(art.get("hosts") or []) | {
            h for h in (art.get("host"), urlsplit(art.get("url", "")).hostname, urlsplit(home.get("final_url", "")).hostname) if h
        }
        self.pages = [p for p in site.pages_with_role(*SCANNED_ROLES) if _ok(p)]
        self.by_url = site.page_by_key
        self.probes = site.probes

    def own(self, url: str) -> bool:
        return any(same_site(url, h) for h in self.hosts)

    def target_broken(self, url: str) -> bool:
        """True when the link's target was fetched or probed and did not answer 2xx."""
        page = self.by_url.get(url_key(url))
        if page is not None:
            return not _ok(page)
        probe = self.probes.get(url)
        if probe is not None:
            status = probe.get("status")
            return not (isinstance(status, int) and 200 <= status < 300)
        return False

    def target_page(self, url: str) -> dict[str, Any] | None:
        return self.by_url.get(url_key(url))


# ---- phone and e-mail -------------------------------------------------------------------


def _looks_like_phone(text: str) -> bool:
    """A text match with separators or +7: a bare 10–11 digit run is more often an ИНН or ОГРН."""
    return text.startswith("+7") or any(c in text for c in " -‑()")


def _phone(page: dict[str, Any], _site: _Site) -> Iterator[str]:
    for link in page.get("links", []):
        href = link.get("href", "")
        if href.lower().startswith("tel:") and sum(c.isdigit() for c in href) >= 5:
            yield href
    for ph in page.get("phones", []):
        if _looks_like_phone(ph):
            yield f"телефон в тексте: {ph}"


_NOT_EMAIL_TLD = ("png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js")


def _email(page: dict[str, Any], _site: _Site) -> Iterator[str]:
    for link in page.get("links", []):
        href = link.get("href", "")
        if href.lower().startswith("mailto:"):
            addr = href[7:].split("?")[0].strip()
            if "@" in addr:
                yield f"mailto:{addr}"
    for addr in page.get("emails", []):
        if addr.rsplit(".", 1)[-1].lower() not in _NOT_EMAIL_TLD:
            yield f"адрес в тексте: {addr}"


# ---- electronic services -----------------------------------------------------------------


def _describe_form(form: dict[str, Any]) -> str:
    names = [f.get("name") or f.get("tag") for f in form.get("fields", []) if f.get("type") != "hidden"]
    return f"форма ({form.get('method', 'get').upper()} {form.get('action', '')}; поля: {', '.join(n for n in names if n)[:120]})"


def pos_signals(page: dict[str, Any]) -> dict[str, Any]:
    """The Госуслуги ПОС pieces on one page: script, container, starter call, form links, polls."""
    script = any(fp.POS_SCRIPT.search(s) for s in page.get("scripts", []))
    container = any(fp.POS_CONTAINER == m for m in page.get("markers", []))
    calls = [(c.get("url", ""), c.get("id", "")) for c in page.get("widget_calls", []) if "pos.gosuslugi.ru/form" in c.get("url", "")]
    if not calls:  # artifacts gathered before ``widget_calls`` existed
        calls = [(m.group(1), m.group(2)) for code in page.get("inline_scripts", []) for m in fp.POS_WIDGET_CALL.finditer(code)]
    targets = [h for h in page.get("iframes", []) if fp.POS_FORM.search(h)]
    targets += [link["href"] for link in page.get("links", []) if fp.POS_FORM.search(link.get("href", ""))]
    polls = [h for h in page.get("iframes", []) if fp.POS_POLLS.search(h)]
    polls += [link["href"] for link in page.get("links", []) if fp.POS_POLLS.search(link.get("href", ""))]
    ids = [int(i) for _, i in calls] + [int(m.group(1)) for t in targets if (m := fp.OPA_ID.search(t))]
    opa_id = ids[0] if ids else None
    works = bool(calls) or bool(targets) or (script and container)
    return {"script": script, "container": container, "calls": calls, "targets": targets, "polls": polls, "opa_id": opa_id, "works": works}


def _appeals_heading(page: dict[str, Any]) -> str:
    return next((t for t in _titles(page) if fp.APPEALS.search(t)), "")


def _e_service(page: dict[str, Any], site: _Site) -> Iterator[str]:
    if not _questionnaire_heading(page):  # a questionnaire's form is an opinion channel, judged there
        for form in page.get("forms", []):
            if fp.form_kind(form) == "appeal":
                yield _describe_form(form)
    pos = pos_signals(page)
    for call_url, widget_id in pos["calls"]:
        yield f'виджет ПОС: Widget("{call_url}", {widget_id})'
    for t in pos["targets"]:
        yield f"ПОС: {t}"
    if pos["script"] and pos["container"] and not pos["calls"]:
        yield "виджет ПОС: скрипт pos.gosuslugi.ru/bin/script.min.js и блок #js-show-iframe-wrapper"
    heading = _appeals_heading(page)
    if heading:
        for src in page.get("iframes", []):
            if fp.SURVEY_SERVICE.search(src) and not fp.POS_POLLS.search(src):
                yield f"форма обращения во фрейме на странице «{_short(heading)}»: {src}"


# ---- FAQ ----------------------------------------------------------------------------------


def _faq(page: dict[str, Any], site: _Site) -> Iterator[str]:
    for t in _titles(page):
        if fp.FAQ.search(t):
            yield f"заголовок «{_short(t)}»"
            break
    for link in page.get("links", []):
        href = link.get("href", "")
        # The organization's own section: links to FAQs of other sites (ЕГЭ portals) do not count.
        if not site.own(href) or fp.is_document(href) or site.target_broken(href):
            continue
        text = _link_text(link)
        if text and fp.FAQ.search(text):
            yield f"ссылка «{_short(text)}»: {href}"
        elif fp.FAQ_PATH.search(urlsplit(href).path):
            yield f"ссылка на раздел вопросов и ответов: {href}"


# ---- opinion on the quality of conditions ------------------------------------------------


def _questionnaire_heading(page: dict[str, Any]) -> str:
    return next((t for t in _titles(page) if fp.OPINION.search(t) and not fp.NOT_A_QUESTIONNAIRE.search(t)), "")


def questionnaire(page: dict[str, Any]) -> str:
    """Evidence that the page is a questionnaire one can fill in, or ""."""
    heading = _questionnaire_heading(page)
    if not heading:
        return ""
    for form in page.get("forms", []):
        if form.get("submit") and fp.form_kind(form) in ("appeal", "other") and any(f.get("type") != "hidden" for f in form.get("fields", [])):
            return f"анкета «{_short(heading)}»: {_describe_form(form)}"
    for src in page.get("iframes", []):
        if fp.SURVEY_SERVICE.search(src) or fp.BUS_GOV_RATING.search(src):
            return f"анкета «{_short(heading)}» во фрейме: {src}"
    for link in page.get("links", []):
        if fp.SURVEY_SERVICE.search(link.get("href", "")):
            return f"анкета «{_short(heading)}»: ссылка {link['href']}"
    return ""


def _opinion(page: dict[str, Any], site: _Site) -> Iterator[str]:
    found = questionnaire(page)
    if found:
        yield found
    for src in page.get("iframes", []):
        if fp.POS_POLLS.search(src):
            yield f"опросы ПОС во фрейме: {src}"
        elif fp.BUS_GOV_RATING.search(src):
            yield f"оценка на bus.gov.ru во фрейме: {src}"
    on_questionnaire = bool(_questionnaire_heading(page))
    for link in page.get("links", []):
        href = link.get("href", "")
        if not fp.is_http(href):
            continue
        text = _link_text(link)
        if fp.BUS_GOV_RATING.search(href) or fp.POS_POLLS.search(href):
            yield f"ссылка на оценку качества: {href}"
            continue
        wants_opinion = bool(text) and bool(fp.OPINION.search(text)) and not fp.NOT_A_QUESTIONNAIRE.search(text)
        if fp.SURVEY_SERVICE.search(href):
            if wants_opinion or on_questionnaire:
                yield f"ссылка на анкету «{_short(text)}»: {href}"
            continue
        if not wants_opinion or fp.is_document(href) or site.target_broken(href):
            continue
        target = site.target_page(href) if site.own(href) else None
        if target is None:
            yield f"ссылка на анкету «{_short(text)}»: {href}"
        elif target is not page and questionnaire(target):
            yield f"ссылка на анкету «{_short(text)}»: {href}"


_DETECTORS = {"phone": _phone, "email": _email, "e_service": _e_service, "faq": _faq, "opinion": _opinion}


# ---- bus.gov.ru and the version for the visually impaired --------------------------------


def _bus_gov(pages: list[dict[str, Any]]) -> dict[str, Any]:
    rating: list[tuple[str, int]] = []
    agency: list[tuple[str, int]] = []
    other: list[str] = []
    for page in pages:
        for href in [link.get("href", "") for link in page.get("links", [])] + list(page.get("iframes", [])):
            if not fp.BUS_GOV.search(href):
                continue
            m = fp.BUS_GOV_RATING.search(href)
            if m:
                rating.append((href, int(m.group(1))))
                continue
            m = fp.BUS_GOV_AGENCY.search(href)
            if m:
                agency.append((href, int(m.group(1) or m.group(2))))
            else:
                other.append(href)
    best: tuple[str, int | None] = ("", None)
    if rating or agency:
        best = (rating or agency)[0]
    elif other:
        best = (other[0], None)
    ids = sorted({i for _, i in rating + agency})
    return {"linked": bool(rating or agency or other), "agency_id": best[1], "url": best[0], "rating_link": bool(rating), "agency_ids": ids}


def _low_vision(pages: list[dict[str, Any]]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []

    def add(url: str, match: str) -> None:
        if len(found) < EVIDENCE_LIMIT and {"url": url, "match": match} not in found:
            found.append({"url": url, "match": match})

    for page in pages:
        url = _page_url(page)
        if any("copy" in n.get("p", "").split() for n in page.get("microdata", [])):
            add(url, 'itemprop="copy"')
        for token in page.get("markers", []):
            if fp.LOW_VISION_CLASS.search(token):
                add(url, f"класс/id «{token}»")
        for link in page.get("links", []):
            href, text = link.get("href", ""), fp.norm(link.get("text", ""))
            if fp.LOW_VISION_HREF.search(href) or (text and len(text) <= LINK_TEXT_LIMIT and fp.LOW_VISION_TEXT.search(text)):
                add(url, f"ссылка «{_short(link.get('text', ''))}»: {href}")
        for src in page.get("scripts", []):
            if fp.LOW_VISION_SCRIPT.search(src):
                add(url, f"скрипт {src}")
    return found


# ---- the verdict -------------------------------------------------------------------------


def scan(site: SiteView) -> dict[str, Any]:
    """What the pages show of the five channels (evidence), the ПОС widget, bus.gov.ru and the
    low-vision version. The channel verdicts are the audits' (``checks.audits.feedback``)."""
    pages = _Site(site)
    evidence: dict[str, list[dict[str, str]]] = {c: [] for c in CHANNELS}
    for page in pages.pages:
        url = _page_url(page)
        for channel, detect in _DETECTORS.items():
            bucket = evidence[channel]
            for match in detect(page, pages):
                if len(bucket) >= EVIDENCE_LIMIT:
                    break
                entry = {"url": url, "match": match}
                if entry not in bucket:
                    bucket.append(entry)
    pos_pages = [(page, pos_signals(page)) for page in pages.pages]
    pos_found = [(page, s) for page, s in pos_pages if s["works"]]
    polls = any(s["polls"] for _, s in pos_pages)
    opa_id = next((s["opa_id"] for _, s in pos_found if s["opa_id"] is not None), None)
    low_vision = _low_vision(pages.pages)
    return {
        "evidence": evidence,
        "pos": {"found": bool(pos_found), "opa_id": opa_id, "polls": polls, "url": _page_url(pos_found[0][0]) if pos_found else ""},
        "bus_gov": _bus_gov(pages.pages),
        "low_vision": low_vision,
        "pages_scanned": len(pages.pages),
    }


def feedback_json(found: dict[str, Any], channels: dict[str, bool]) -> dict[str, Any]:
    """The check JSON's ``feedback``: the scan and the channel audits' verdicts."""
    evidence = found["evidence"]
    found_titles = [CHANNEL_TITLES[c] for c in CHANNELS if channels[c]]
    missing_titles = [CHANNEL_TITLES[c] for c in CHANNELS if not channels[c]]
    summary = f"Найдено дистанционных способов взаимодействия: {sum(channels.values())} из {len(CHANNELS)}."
    if missing_titles:
        summary += " Не найдено: " + "; ".join(missing_titles) + "."
    low_vision = found["low_vision"]
    return {
        "channels": channels,
        "evidence": evidence,
        "count": sum(channels.values()),
        "channel_titles": dict(CHANNEL_TITLES),
        "found": found_titles,
        "summary": summary,
        "pos_widget": found["pos"]["found"],
        "pos": found["pos"],
        "bus_gov": dict(found["bus_gov"]),
        "low_vision_version": bool(low_vision),
        "low_vision_evidence": low_vision,
        "low_vision_note": ("Версия для слабовидящих найдена. " if low_vision else "Версия для слабовидящих не найдена. ") + LOW_VISION_REPEAL,
        "pages_scanned": found["pages_scanned"],
    }
