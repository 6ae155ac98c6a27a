"""What a school should fix, most important first, one line per cause.

A subsection page that could not be read (5xx, a redirect loop, a timeout, too large, robots.txt,
a budget) or that does not exist is one instruction, its items folded; documents that robots.txt
(or a limit) kept from being checked are one line for the whole site. Read from the check JSON:
``sections[]`` (``error_kind``, ``http_status``, ``error``, ``found``) and the items' ``cause``;
results stored before those keys existed are read from their messages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from artifacts.failures import plain_message
from reports.render import rule_title

FINDINGS = ("fail", "error", "needs_review")

# One instruction per way a subsection page could not be read ({status}: its HTTP status).
UNREADABLE: dict[str, str] = {
    "http_error": "Страница подраздела отвечает ошибкой {status} — исправьте страницу, чтобы она открывалась",
    "blocked": "Страница подраздела закрыта для проверки (ответ {status}) — откройте её для агента sveden без пароля и проверок «не робот ли вы»",
    "redirect_loop": "Страница подраздела переадресует по кругу — исправьте переадресацию, чтобы страница открывалась",
    "timeout": "Страница подраздела не ответила вовремя — ускорьте страницу или исправьте работу сервера",
    "too_large": "Страница подраздела слишком большая — уменьшите её: вынесите файлы и длинные таблицы в отдельные документы",
    "robots_disallowed": "robots.txt запрещает проверку страницы подраздела — разрешите агенту sveden доступ к разделу /sveden/",
    "time_budget": "Страница подраздела не проверена: время на проверку сайта истекло — сайт отвечает слишком медленно, ускорьте его",
    "budget": "Страница подраздела не проверена: превышен лимит страниц на сайт — проверьте, что ссылки раздела ведут на страницы подразделов",
    "tls_error": "Страница подраздела не открывается по HTTPS (ошибка сертификата или настройки TLS) — исправьте сертификат сайта",
    "unreachable": "Страница подраздела не открылась: {error} — проверьте работу сервера",
    "forbidden_address": "Страница подраздела ведёт во внутреннюю сеть — разместите её по общедоступному адресу сайта",
}
HTTP_ERROR_NO_STATUS = "Страница подраздела не открылась — исправьте страницу"
BLOCKED = {
    429: "Сервер отказал в доступе к странице подраздела из-за частоты запросов (ответ 429) — не ограничивайте агента sveden",
    None: "Вместо страницы подраздела — проверка «не робот ли вы» — откройте раздел для агента sveden",
}
MISSING = "Подраздел не найден — создайте страницу /sveden/{slug}/ со ссылкой из раздела «Сведения об образовательной организации» и разместите на ней обязательные сведения с микроразметкой (пунктов: {n})"
NO_SECTION = ("Раздел «Сведения об образовательной организации» не найден — создайте раздел /sveden/ со ссылкой с главной страницы "
              "и подразделами по приказу № 1493 (пунктов: {n})")

HIDDEN_MARKUP = ("Микроразметка стоит только на скрытой от посетителей копии сведений (п.27 приказа № 1493) — перенесите атрибуты "
                 "itemprop на видимую таблицу и удалите скрытую копию")
# Causes one line covers for the whole site (the item's ``cause``).
DOCUMENT_CAUSES = ("robots_documents", "probe_budget", "time_budget", "not_read", "unprobed")
DOCUMENT_NOTES = {
    "robots_documents": "Документы не проверены: robots.txt запрещает их проверку",
    "probe_budget": "Документы не проверены: превышен лимит проверок документов на сайт",
    "time_budget": "Документы не проверены: время на проверку сайта истекло",
    "not_read": "Документы не проверены: сбой на стороне проверки — повторите проверку",
    "unprobed": "Документы не проверены: лимит проверок или запрет в robots.txt",
}
_LEGACY_UNPROBED = "ссылку не удалось проверить (лимит запросов или robots.txt)"
_URL = re.compile(r"https?://[^\s;,()]+")
_COUNT = re.compile(r"документов \((\d+)\)")


@dataclass
class Todo:
    """One line of «Что исправить»: the order is the importance."""

    kind: str  # unreadable | no_section | missing | fail | documents | needs_review | error
    text: str
    slug: str = ""  # the subsection it is about ("" for the whole site)
    title: str = ""  # that subsection's title
    url: str = ""

    @property
    def tail(self) -> str:
        """The text as it follows its subsection's title (from a small letter)."""
        return f"{self.text[:1].lower()}{self.text[1:]}" if self.title else self.text

    @property
    def line(self) -> str:
        """«Документы»: страница подраздела отвечает ошибкой 500 — исправьте страницу, …"""
        return f"«{self.title}»: {self.tail}" if self.title else self.text


@dataclass
class SectionPlan:
    section: dict[str, Any]
    kind: str = ""  # unreadable | missing | ""
    line: str = ""  # the one instruction for an unreadable or missing subsection
    rows: list[dict[str, Any]] = field(default_factory=list)  # findings shown one by one
    folded: list[dict[str, Any]] = field(default_factory=list)  # findings a line covers
    notes: list[str] = field(default_factory=list)  # the site-wide lines that cover some of its items


@dataclass
class FixPlan:
    todo: list[Todo]
    sections: dict[str, SectionPlan]


def plain_result(result: dict[str, Any]) -> dict[str, Any]:
    """The check JSON with every message a person reads free of exception text (results stored
    by earlier versions carried it); a shallow copy, the input is kept."""
    out = dict(result)
    out["error"] = plain_message(result.get("error") or "")
    out["sections"] = [{**s, "error": plain_message(s.get("error") or "")} for s in result.get("sections", [])]
    out["items"] = [{**i, "message": plain_message(i.get("message") or "")} for i in result.get("items", [])]
    return out


def item_cause(item: dict[str, Any]) -> str:
    """The item's cause, also for results stored before items had one."""
    if item.get("cause"):
        return item["cause"]
    message = item.get("message") or ""
    if item.get("status") == "error" and message.startswith("страница подраздела не проверена"):
        return "section_unreadable"
    if item.get("status") == "needs_review" and message.startswith(_LEGACY_UNPROBED):
        return "unprobed"
    if item.get("status") == "error" and message.startswith("не проверено: исчерпан лимит времени на сайт"):
        return "time_budget"
    return ""


def _legacy_kind(section: dict[str, Any]) -> str:
    """The ``error_kind`` of a subsection page in a result stored before the key existed."""
    status = section.get("http_status")
    err = (section.get("error") or "").lower()
    for kind, markers in (("redirect_loop", ("переадресац",)), ("timeout", ("вовремя",)), ("too_large", ("размер",)),
                          ("robots_disallowed", ("robots",)), ("time_budget", ("лимит времени",)), ("budget", ("лимит страниц",)),
                          ("tls_error", ("tls",)), ("forbidden_address", ("внутреннюю сеть",)), ("blocked", ("заблокирован", "не робот"))):
        if any(m in err for m in markers):
            return kind
    if isinstance(status, int) and (status >= 500 or 400 <= status < 500 and status not in (401, 403, 404, 410, 429)):
        return "http_error"
    if status in (401, 403, 429):
        return "blocked"
    return "unreachable"


def unreadable_line(section: dict[str, Any]) -> str:
    """What happened to a subsection page that could not be read, and what to do, in one line."""
    kind = section.get("error_kind") or _legacy_kind(section)
    status = section.get("http_status")
    if kind == "http_error" and not status:
        return HTTP_ERROR_NO_STATUS
    if kind == "blocked" and status not in (401, 403):
        return BLOCKED.get(status, BLOCKED[None])
    error = plain_message(section.get("error") or "") or "сервер не ответил"
    return UNREADABLE.get(kind, UNREADABLE["unreachable"]).format(status=status, error=error)


def _documents(items: list[dict[str, Any]]) -> tuple[int, str]:
    """How many documents the items could not check, and the folder they share ("" when none)."""
    count = 0
    folders: list[list[str]] = []
    for item in items:
        message = item.get("message") or ""
        found = _COUNT.search(message)
        count += int(found.group(1)) if found else 1
        for url in _URL.findall(message):
            path = re.sub(r"^https?://[^/]+", "", url).split("?")[0]
            folders.append([p for p in path.split("/")[:-1] if p])
    if not folders:
        return count, ""
    common = folders[0]
    for parts in folders[1:]:
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    return count, ("/" + "/".join(common) + "/") if common else ""


def documents_line(cause: str, items: list[dict[str, Any]]) -> str:
    count, folder = _documents(items)
    where = f", адреса в {folder}" if folder else ""
    if cause == "robots_documents":
        allow = folder or "/"
        return (f"robots.txt запрещает проверку документов (документов: {count}{where}; пунктов: {len(items)}) — разрешите агенту sveden "
                f"доступ к документам: добавьте в robots.txt строки «User-agent: sveden» и «Allow: {allow}» — или проверьте документы вручную")
    if cause == "time_budget":
        return (f"Документы не проверены: время на проверку сайта истекло (документов: {count}{where}; пунктов: {len(items)}) — "
                "сайт отвечает слишком медленно: ускорьте его; до тех пор проверьте документы вручную")
    if cause == "probe_budget":
        return (f"Ссылки на документы не проверялись: на сайте больше документов, чем проверяется за один обход "
                f"(документов: {count}{where}; пунктов: {len(items)}) — проверьте, что документы открываются")
    return f"Ссылки на документы не удалось проверить: лимит проверок или запрет в robots.txt (пунктов: {len(items)}) — проверьте, что документы открываются"


def _titles(items: list[dict[str, Any]], limit: int = 3) -> str:
    names = list(dict.fromkeys(rule_title(i["rule"]) for i in items))
    return ", ".join(names[:limit]) + (f" и ещё {len(names) - limit}" if len(names) > limit else "")


def fix_plan(result: dict[str, Any]) -> FixPlan:
    """The school's «Что исправить», most important first, and what each subsection shows."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in result.get("items", []):
        grouped[item["section"]].append(item)
    plans: dict[str, SectionPlan] = {}
    if not result.get("reachable", True):
        return FixPlan([], {s["slug"]: SectionPlan(s) for s in result.get("sections", [])})
    documents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in result.get("sections", []):
        bad = [i for i in grouped.get(s["slug"], []) if i["status"] in FINDINGS]
        plan = plans[s["slug"]] = SectionPlan(s)
        if any(item_cause(i) == "section_unreadable" for i in bad):
            plan.kind, plan.line, plan.folded = "unreadable", unreadable_line(s), bad
        elif bad and not s.get("found"):
            plan.kind, plan.folded = "missing", bad
            plan.line = MISSING.format(slug=s["slug"], n=len(bad))
        else:
            for i in bad:
                cause = item_cause(i)
                if cause in DOCUMENT_CAUSES:
                    plan.folded.append(i)
                    documents[cause].append(i)
                else:
                    plan.rows.append(i)
    doc_lines = {cause: documents_line(cause, items) for cause, items in documents.items()}
    for cause, items in documents.items():
        for slug in dict.fromkeys(i["section"] for i in items):
            mine = [i for i in items if i["section"] == slug]
            plans[slug].notes.append(f"{DOCUMENT_NOTES[cause]} (пунктов: {len(mine)}) — что сделать, сказано в «Что исправить»")

    todo: list[Todo] = []
    sections = [plans[s["slug"]] for s in result.get("sections", [])]

    def add(kind: str, text: str, plan: SectionPlan | None = None) -> None:
        s = plan.section if plan else {}
        todo.append(Todo(kind, text, s.get("slug", ""), s.get("title", ""), s.get("url", "") or ""))

    for plan in sections:
        if plan.kind == "unreadable":
            add("unreadable", plan.line, plan)
    if result.get("outcome") == "no_sveden_section":
        add("no_section", NO_SECTION.format(n=sum(len(p.folded) for p in sections if p.kind == "missing")))
    else:
        for plan in sections:
            if plan.kind == "missing":
                add("missing", plan.line, plan)
    for plan in sections:
        fails = [i for i in plan.rows if i["status"] == "fail" and item_cause(i) != "hidden_markup"]
        if fails:
            add("fail", f"Нарушений: {len(fails)} — {_titles(fails)}", plan)
        hidden = [i for i in plan.rows if i["status"] == "fail" and item_cause(i) == "hidden_markup"]
        if hidden:  # one fix for them all: the markup goes onto what visitors see
            add("fail", f"{HIDDEN_MARKUP} (пунктов: {len(hidden)} — {_titles(hidden)})", plan)
    for cause in DOCUMENT_CAUSES:
        if cause in doc_lines:
            add("documents", doc_lines[cause])
    for plan in sections:
        review = [i for i in plan.rows if i["status"] == "needs_review"]
        if review:
            add("needs_review", f"Требует проверки: {len(review)} — {_titles(review)}", plan)
    for plan in sections:
        errors = [i for i in plan.rows if i["status"] == "error"]
        if errors:
            add("error", f"Не удалось проверить: {len(errors)} — {_titles(errors)}", plan)
    return FixPlan(todo, plans)
