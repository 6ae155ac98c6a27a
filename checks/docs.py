"""Rule documentation generated from the rules themselves (ruff-style ``sveden rule ID``)."""

from __future__ import annotations

from typing import Any

from checks import catalogue
from checks.messages import attr, fix_hint, what_it_does
from checks.model import ORG_TYPE_TITLES, STATUS_TITLES, Kind, OrgType, Rule


def applicability(rule: Rule) -> list[str]:
    return [t.value for t in OrgType if t in rule.applies_to]


def rule_json(rule: Rule) -> dict[str, Any]:
    section = catalogue.section_by_slug()[rule.section]
    return {
        "id": rule.code,
        "section": rule.section,
        "section_title": section.title,
        "parent": rule.parent,
        "itemprop": rule.itemprop,
        "title": rule.title,
        "kind": str(rule.kind),
        "optional": rule.optional,
        "applicability": applicability(rule),
        "applicability_note": rule.applies_note,
        "legal_basis": rule.basis,
        "fix": fix_hint(rule, section.title),
        "note": rule.note,
        "repealed": rule.repealed,
        "superseded_by": rule.superseded_by,
    }


def render_text(rule: Rule) -> str:
    section = catalogue.section_by_slug()[rule.section]
    types = ", ".join(ORG_TYPE_TITLES[OrgType(t)] for t in applicability(rule))
    lines = [
        f"{rule.code}: {rule.title}",
        "",
        f"Подраздел: {section.title} (/sveden/{section.slug})",
        f"Атрибут: {attr(rule.itemprop)}" + (f", внутри {attr(rule.parent)}" if rule.parent else ""),
        f"Вид: {'ссылка на документ' if rule.kind is Kind.link else 'текст'}; {'необязательный (при наличии)' if rule.optional else 'обязательный'}",
        f"Применяется к: {types}" + (f" — {rule.applies_note}" if rule.applies_note else ""),
        f"Основание: {rule.basis}; МР v9",
        "",
        "Что проверяет:",
        f"  {what_it_does(rule, section.title)}",
        "",
        "Почему:",
        "  Приказ Рособрнадзора № 1493 (ред. № 1353) требует публиковать эти сведения, а МР v9 задаёт их микроразметку;"
        " автоматический мониторинг Рособрнадзора распознаёт только точные имена атрибутов.",
    ]
    if rule.note:
        lines += ["", f"Примечание: {rule.note}"]
    if rule.repealed:
        lines += ["", f"Отменено: {rule.repealed}"]
    lines += ["", "Как исправить:", f"  {fix_hint(rule, section.title)}"]
    if rule.examples:
        lines += ["", "Примеры (они же тесты правила):"]
        for ex in rule.examples:
            lines.append(f"  [{STATUS_TITLES[ex.expect]}] {ex.title}")
            lines.append(f"    {ex.html}")
            if ex.probes:
                lines.append("    (ответ сервера на ссылки: " + ", ".join(f"{u} → {s}" for u, s in ex.probes.items()) + ")")
    return "\n".join(lines) + "\n"
