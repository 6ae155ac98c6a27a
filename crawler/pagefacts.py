"""Facts a page gives for the regional rules (``checks.regional``): which CSS selectors match,
and the date the page says it was updated. The rules are the audits' knowledge: orchestration
passes the selectors in (``SVEDEN_PROBE_SELECTORS``), so the crawler never imports the checks."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date

import lxml.etree
import lxml.html
from cssselect import GenericTranslator, SelectorError

log = logging.getLogger(__name__)

Compiled = tuple[tuple[str, lxml.etree.XPath], ...]

# «Дата обновления: 12.03.2026», «Обновлено 12.03.2026», «Последнее изменение — 1.3.2026».
_UPDATED = re.compile(
    r"(?:дата\s+(?:последнего\s+)?(?:обновления|изменения)|обновлен[оа]?|изменен[оа]?|последнее\s+(?:обновление|изменение))"
    r"\s*[:\-–—]?\s*(\d{1,2})\.(\d{1,2})\.(\d{4})",
    re.IGNORECASE,
)


def compile_selectors(selectors: Iterable[str]) -> Compiled:
    """Each selector as an XPath once per crawl; one that does not parse is left out (logged)."""
    out = []
    for sel in dict.fromkeys(s for s in selectors if isinstance(s, str) and s.strip()):
        try:
            out.append((sel, lxml.etree.XPath(GenericTranslator().css_to_xpath(sel))))
        except (SelectorError, lxml.etree.XPathError) as exc:
            log.warning("CSS selector %r skipped: %s", sel, exc)
    return tuple(out)


def selector_facts(doc: lxml.html.HtmlElement, compiled: Compiled) -> dict[str, str | None]:
    """Selector → the first match's text (at most 100 characters, "" when empty), None when nothing matches."""
    facts: dict[str, str | None] = {}
    for sel, xpath in compiled:
        try:
            found = xpath(doc)
        except lxml.etree.XPathError:
            found = []
        els = [e for e in found if isinstance(e, lxml.etree._Element)]
        facts[sel] = " ".join(els[0].text_content().split())[:100] if els else None
    return facts


def updated_on(text: str) -> str:
    """The latest «обновлено ДД.ММ.ГГГГ» date the page states, ISO; "" when it states none."""
    dates = []
    for m in _UPDATED.finditer(text):
        try:
            dates.append(date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
        except ValueError:
            continue
    return max(dates).isoformat() if dates else ""
