"""The per-school report: text for the terminal, HTML for a school secretary (``sveden check``)."""

from __future__ import annotations

from typing import Any

from artifacts.schema import OUTCOMES
from checks import catalogue
from checks.docs import GROUP_TITLES
from checks.messages import item_name
from reports.fixplan import fix_plan, plain_result
from reports.personal import NOTE as PERSONAL_NOTE
from reports.personal import since_last_month
from reports.render import environment, org_type_title, ru_datetime, ru_number, rule_fix, rule_title, status_title
from reports.terminal import terminal_safe

SOURCE_TITLES = {"given": "указан", "inferred": "определён по названию", "default": "по умолчанию"}
FOUND_BY = {"link": "найден по ссылке", "link_text": "найден по тексту ссылки", "path": "по стандартному адресу"}
CHANNEL_TITLES = {
    "phone": "телефон",
    "email": "электронная почта",
    "e_service": "электронный сервис обращений (форма, ПОС)",
    "faq": "раздел «Часто задаваемые вопросы»",
    "opinion": "возможность оценить качество услуг (анкета, bus.gov.ru)",
}


def render_text(result: dict[str, Any], verbose: bool = False) -> str:
    """The check for a terminal; what the site supplied (titles, URLs, messages) cannot drive it."""
    return terminal_safe(_text_lines(plain_result(result), verbose))


def _text_lines(result: dict[str, Any], verbose: bool) -> str:
    lines = [f"Проверка сайта {result['url']}"]
    if result.get("org_name"):
        lines.append(f"Организация: {result['org_name']}")
    lines.append(
        f"Тип организации: {org_type_title(result['org_type'])} ({SOURCE_TITLES.get(result.get('org_type_source', ''), '')})"
    )
    lines.append(f"Правила: {result['rules_version']} · проверено {ru_datetime(result['checked_at'])}")
    if result.get("rules_version") and result["rules_version"] != catalogue.rules_version():
        lines.append(f"Правила изменились после этой проверки (сейчас {catalogue.rules_version()}): подсказки даны по текущим правилам.")
    if not result["reachable"]:
        lines.append("")
        lines.append(f"САЙТ НЕ ПРОВЕРЕН: {result['error'] or OUTCOMES.get(result.get('outcome', ''), '')}")
        lines.append("Пункты не оценивались: недоступный сайт не означает, что сведения отсутствуют.")
        return "\n".join(lines) + "\n"
    c = result.get("counts", {})
    lines.append(
        "Итог: выполнено {p}, нарушений {f}, требует проверки {r}, не удалось проверить {e}, не применяется {n}".format(
            p=c.get("pass", 0), f=c.get("fail", 0), r=c.get("needs_review", 0), e=c.get("error", 0), n=c.get("not_applicable", 0)
        )
    )
    if result.get("outcome") == "no_sveden_section":
        lines.append("Раздел «Сведения об образовательной организации» на сайте не найден.")
    scores = result.get("scores")
    if scores:
        lines.append(f"НОКО: П1.1 (сайт) = {ru_number(scores.get('p1_1_site'))}, П1.2 = {ru_number(scores.get('p1_2'), 0)}")
    plan = fix_plan(result)
    lines.append("")
    if plan.todo:
        lines.append("Что исправить (по порядку важности):")
        for n, todo in enumerate(plan.todo, 1):
            lines.append(f"  {n}. {todo.line}" + (f" ({todo.url})" if todo.kind in ("unreadable", "missing") and todo.url else ""))
    else:
        lines.append("Что исправить: нарушений нет.")
    for section in result["sections"]:
        sp = plan.sections[section["slug"]]
        if sp.kind == "unreadable":
            where = f"{section['url']} (страница не открылась)" if section.get("url") else "страница не открылась"
        else:
            where = section["url"] if section["found"] else "не найден"
        how = FOUND_BY.get(section.get("found_by", ""), "") if section["found"] else ""
        counts = section.get("counts", {})
        lines.append("")
        lines.append(f"{section['title']} — {where}" + (f" ({how})" if how else ""))
        lines.append(
            f"  выполнено {counts.get('pass', 0)} · нарушений {counts.get('fail', 0)}"
            + (f" · требует проверки {counts.get('needs_review', 0)}" if counts.get("needs_review") else "")
            + (f" · не удалось проверить {counts.get('error', 0)}" if counts.get("error") else "")
        )
        if sp.kind:
            # One instruction for the whole subsection; its items are listed with -v only.
            more = "" if verbose else (" (список — с ключом -v)" if sp.kind == "missing" else f" (не проверено пунктов: {len(sp.folded)}; список — с ключом -v)")
            lines.append(f"  {'!' if sp.kind == 'unreadable' else '✗'} {sp.line}{more}")
        elif sp.folded:
            lines.append(f"  ? документы пунктов не проверены (пунктов: {len(sp.folded)}) — см. «Что исправить»" + ("" if verbose else "; список — с ключом -v"))
        shown = sp.rows + (sp.folded if verbose else [])
        for item in shown:
            name = item_name(item["parent"], item["itemprop"])
            mark = {"fail": "✗", "error": "!", "needs_review": "?"}[item["status"]]
            lines.append(f"  {mark} {item['rule']} {name} — {rule_title(item['rule'])}")
            lines.append(f"      {status_title(item['status'])}: {item['message']}")
            if item["status"] == "fail" and verbose:
                lines.append(f"      как исправить: {rule_fix(item['rule'])}")
    fb = result.get("feedback")
    if fb:
        lines.append("")
        lines.append("Дистанционные способы обратной связи (НОКО, показатель 1.2):")
        for key, title in CHANNEL_TITLES.items():
            lines.append(f"  {'✓' if fb['channels'].get(key) else '✗'} {title}")
    for group in audit_groups(result, findings_only=not verbose):
        lines.append("")
        lines.append(f"{group['title']}:")
        for row in group["rows"]:
            mark = {"pass": "✓", "fail": "✗", "error": "!", "needs_review": "?"}.get(row["status"], "–")
            lines.append(f"  {mark} {row['rule']} {row['title']}" + (f" ({row['basis']})" if row["basis"] else ""))
            if row.get("message"):
                lines.append(f"      {status_title(row['status'])}: {row['message']}")
    return "\n".join(lines) + "\n"


# Groups the report shows in a table of their own (the feedback channels have theirs above).
_OWN_TABLES = ("items", "feedback")


def audit_groups(result: dict[str, Any], findings_only: bool = False) -> list[dict[str, Any]]:
    """The check's other audits by group (НОКО, regional rules, documents…), each row with its
    title for the status, its message and legal basis; ``findings_only`` drops passed and inapplicable ones."""
    by_code = catalogue.by_code()
    groups: dict[str, dict[str, Any]] = {}
    for a in result.get("audits") or []:
        group = a.get("group") or ""
        if group in _OWN_TABLES or (findings_only and a.get("status") in ("pass", "not_applicable")):
            continue
        audit = by_code.get(a.get("rule", ""))
        title = (audit.failure_title or audit.title) if audit and a.get("status") == "fail" else (audit.title if audit else a.get("rule", ""))
        entry = groups.setdefault(group, {"group": group, "title": GROUP_TITLES.get(group, group), "rows": []})
        entry["rows"].append({**a, "title": title, "basis": audit.basis if audit else ""})
    return list(groups.values())


def _with_last_month(groups: list[dict[str, Any]], seen: set[str] | None) -> list[dict[str, Any]]:
    """Each «Возможно, лишнее» finding row says whether its values were there last month (by their salted hashes)."""
    for group in groups:
        if group["group"] == "personal":
            for row in group["rows"]:
                row["since"] = since_last_month(row, seen)
    return groups


def render_html(result: dict[str, Any], previous: dict[str, Any] | None = None, org: dict[str, Any] | None = None,
                for_pdf: bool = False) -> str:
    """The school report; ``for_pdf`` prints what to fix only (passed and not applicable items as counts)."""
    result = plain_result(result)
    fixed = []
    if previous:
        before = {i["rule"]: i["status"] for i in previous.get("items", [])}
        fixed = [i for i in result["items"] if i["status"] == "pass" and before.get(i["rule"]) == "fail"]
    return environment().get_template("school.html.j2").render(
        r=result,
        plan=fix_plan(result),
        section_titles={s["slug"]: s["title"] for s in result.get("sections", [])},
        channel_titles=CHANNEL_TITLES,
        found_channels=[k for k, v in ((result.get("feedback") or {}).get("channels") or {}).items() if v],
        found_by=FOUND_BY,
        source_titles=SOURCE_TITLES,
        fixed=fixed,
        org=org or {},
        for_pdf=for_pdf,
        personal_note=PERSONAL_NOTE,
        audit_groups=_with_last_month(audit_groups(result, findings_only=for_pdf), (org or {}).get("personal_seen")),
        # Fix texts come from the current rules: say so when the result was judged by others.
        rules_changed=bool(result.get("rules_version")) and result["rules_version"] != catalogue.rules_version(),
        current_rules_version=catalogue.rules_version(),
    )
