"""Links, pages and documents of a site artifact as the НОКО and regional audits read them.

Every link of every page read (home, section, subsections, addRef and feedback pages), its
normalized text, and whether its target answered: a probe (``probes``) or the page itself
when the crawler fetched it. Pure functions of the artifact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from artifacts.patterns import norm
from artifacts.urls import same_site, url_key
from checks import documents
from checks.model import Status
from checks.views import SiteView


@dataclass(frozen=True, slots=True)
class SiteLink:
    page_url: str  # the page the link stands on
    href: str
    text: str  # normalized (``artifacts.patterns.norm``)


def page_url(page: dict[str, Any]) -> str:
    return page.get("final_url") or page.get("url", "")


def read_pages(site: SiteView) -> list[dict[str, Any]]:
    """Pages that were fetched and answered 2xx."""
    return [p for p in site.pages if p.get("status") and 200 <= p["status"] < 300 and not p.get("error_kind")]


def links(site: SiteView) -> list[SiteLink]:
    out: list[SiteLink] = []
    for page in read_pages(site):
        for link in page.get("links") or []:
            href = str(link.get("href") or "")
            if href.lower().startswith(("http://", "https://")):
                out.append(SiteLink(page_url(page), href.split("#")[0], norm(str(link.get("text") or ""))))
    return out


def own_site(site: SiteView, url: str) -> bool:
    hosts = [h for h in (site.artifact.get("hosts") or [site.artifact.get("host")]) if h]
    return any(same_site(url, h) for h in hosts)


def target_status(site: SiteView, url: str) -> tuple[str, str]:
    """``ok``, ``broken`` or ``unknown`` for a link's target, with the detail a message quotes."""
    key = url_key(url)
    probe = site.probes.get(url) or site.probe_by_key.get(key)
    if probe is not None:
        status = probe.get("status")
        if status and 200 <= status < 300:
            found = documents.finding(site, url)  # an error or login page answering 200 is no document
            if found is not None and found.status is Status.fail:
                return "broken", f"ведёт не на документ: {found.what}"
            return "ok", f"отвечает {status}"
        if status:
            return "broken", f"отвечает ошибкой {status}"
        return "broken", "не открывается"
    page = site.page_by_key.get(key)
    if page is not None:
        status = page.get("status")
        if status and 200 <= status < 300 and page.get("error_kind") in (None, ""):
            return "ok", f"страница отвечает {status}"
        if status or page.get("error_kind") not in (None, "", "budget"):
            return "broken", f"страница отвечает ошибкой {status}" if status else "страница не открывается"
    return "unknown", "не проверялась"


def page_texts(page: dict[str, Any]) -> list[str]:
    """The title and headings of a page, normalized."""
    return [norm(t) for t in [page.get("title", ""), *(page.get("headings") or [])] if t]


def find(pattern: re.Pattern[str], texts: list[SiteLink]) -> list[SiteLink]:
    return [link for link in texts if pattern.search(link.text)]
