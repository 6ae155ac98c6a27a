"""What a linked target is, judged from the document facts the crawler gathered (``documents``).

Shared by the item judge (``checks.items``: a link item no longer passes merely on 2xx when its
target is not a document) and the document audits (``checks.audits.documents``).

- an HTML answer where a document was linked (a «.pdf» ending on a page), or an error page, a login
  page or the home page wherever it stands, is not a document: ``fail``, saying what was found;
- an answer whose content contradicts the link's extension or the server's Content-Type
  (a «.pdf» serving a JPEG, ``text/html`` sent with a PDF) is ``fail`` too;
- a page of the site itself (or another site's page) linked without a document's extension,
  where the item needs a document, is ``needs_review``: a person must see whether the page
  holds the document's text.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from artifacts.doctypes import EXTENSION_KINDS, FAMILIES, KIND_TITLES, content_type_kind, extension
from artifacts.urls import same_site, url_key
from checks.model import Status
from checks.views import SiteView

# Link items whose target may lawfully be a web page: officially published acts (ФГОС on
# publication.pravo.gov.ru), registry extracts and lists of electronic resources.
PAGE_TARGETS = frozenset({"eduFedDoc", "eduFedTreb", "erList", "erListOvz", "licenseDocLink", "accreditationDocLink"})

# The look of an error page answering 200 (soft 404), in its title, heading or first text.
ERROR_PAGE = re.compile(
    r"\b404\b|не\s+найден|not\s+found|страница\s+(?:не\s+существует|удален)|нет\s+такой\s+страниц|документ\s+не\s+найден|"
    r"ошибка\s+404|page\s+(?:does\s+not\s+exist|missing)|файл\s+не\s+найден|доступ\s+запрещ|access\s+denied|forbidden",
    re.IGNORECASE,
)
LOGIN_PAGE = re.compile(r"вход\s+(?:в|на)\s+(?:систем|сайт|личн)|авторизац|войти|log\s*in|sign\s+in|пароль", re.IGNORECASE)


class Finding(NamedTuple):
    status: Status  # fail | needs_review
    what: str  # what was found instead, in Russian («страница ошибки «Страница не найдена»»)


def facts_for(site: SiteView, url: str) -> dict[str, Any] | None:
    return site.documents.get(url) or site.document_by_key.get(url_key(url))


def _quoted(html: dict[str, Any]) -> str:
    title = html.get("heading") or html.get("title") or ""
    return f" «{title[:80]}»" if title else ""


def _is_home(site: SiteView, final_url: str) -> bool:
    key = url_key(final_url)
    if key.split("/", 1)[-1] in ("", "index.php", "index.html", "index.htm"):
        return True
    home = next((p for p in site.pages if p.get("role") == "home"), None)
    return bool(home) and url_key(home.get("final_url") or home.get("url") or "") == key


def _own(site: SiteView, url: str) -> bool:
    hosts = [h for h in (site.artifact.get("hosts") or [site.artifact.get("host")]) if h]
    return any(same_site(url, h) for h in hosts)


def html_finding(site: SiteView, url: str, facts: dict[str, Any], needs_document: bool) -> Finding | None:
    html = facts.get("html") or {}
    final = facts.get("final_url") or url
    texts = " ".join(str(html.get(k) or "") for k in ("title", "heading", "text"))
    where = f" ({final})" if url_key(final) != url_key(url) else ""
    if ERROR_PAGE.search(" ".join(str(html.get(k) or "") for k in ("title", "heading"))) or (not html.get("heading") and ERROR_PAGE.search(texts[:300])):
        return Finding(Status.fail, f"страница ошибки{_quoted(html)}, отвечающая 200{where}")
    if html.get("password") or LOGIN_PAGE.search(" ".join(str(html.get(k) or "") for k in ("title", "heading"))):
        return Finding(Status.fail, f"страница входа{_quoted(html)}{where}")
    own = _own(site, final)
    if own and _is_home(site, final):
        return Finding(Status.fail, f"главная страница сайта{where}")
    ext = extension(url)
    if ext and FAMILIES.get(_ext_kind(ext), "html") != "html":
        return Finding(Status.fail, f"веб-страница{_quoted(html)} вместо файла .{ext}{where}")
    if not needs_document:
        return None
    if own:
        return Finding(Status.needs_review, f"страница сайта{_quoted(html)}, а не документ{where}")
    return Finding(Status.needs_review, f"веб-страница другого сайта{_quoted(html)}, а не документ{where}")


def _ext_kind(ext: str) -> str:
    return EXTENSION_KINDS.get(ext, "")


def finding(site: SiteView, url: str, needs_document: bool = True) -> Finding | None:
    """Why the target of ``url`` (which answered 2xx) is not the document linked, or None when it is
    (or when nothing is known about it: no facts were gathered)."""
    facts = facts_for(site, url)
    if not facts or facts.get("status") not in range(200, 300):
        return None
    kind = facts.get("kind") or "unknown"
    if kind == "html":
        return html_finding(site, url, facts, needs_document)
    if kind == "empty":
        return Finding(Status.fail, "пустой ответ (0 байт)")
    family = FAMILIES.get(kind, "unknown")
    promised = _ext_kind(extension(url)) or _ext_kind(extension(facts.get("final_url") or ""))
    if promised and family not in ("unknown",) and FAMILIES.get(promised) != family:
        return Finding(Status.fail, f"{KIND_TITLES.get(kind, kind)} по ссылке на файл .{extension(url) or extension(facts.get('final_url') or '')}")
    header = content_type_kind(facts.get("content_type") or "")
    if header and family not in ("unknown",) and FAMILIES.get(header) != family:
        return Finding(Status.fail, f"{KIND_TITLES.get(kind, kind)}, а сервер называет его «{facts.get('content_type', '').split(';')[0]}»")
    return None
