"""Audit documentation generated from the audits themselves (ruff-style ``sveden rule ID``)."""

from __future__ import annotations

from typing import Any

from checks import catalogue
from checks.messages import attr, fix_hint, what_it_does
from checks.model import ORG_TYPE_TITLES, STATUS_TITLES, Audit, Kind, OrgType, Rule

GROUP_TITLES = {
    "items": "Сведения об образовательной организации",
    "feedback": "Дистанционные способы обратной связи (НОКО, показатель 1.2)",
    "busgov": "Карточка организации на bus.gov.ru",
    "noko": "Независимая оценка качества на сайте организации (НОКО)",
    "crosscheck": "Сведения сайта и карточка bus.gov.ru",
    "personal": "Возможно, лишнее",
    "documents": "Файлы документов: тип, текст, защита, электронная подпись",
    "visibility": "Сведения видны посетителям и размещены текстом",
    "regional": "Региональные требования",
}
ARTIFACT_TITLES = {"site": "страницы сайта", "registry": "реестр организаций", "busgov": "карточка bus.gov.ru"}
WHY_ITEMS = (
    "Приказ Рособрнадзора № 1493 (ред. № 1353) требует публиковать эти сведения, а МР v9 задаёт их микроразметку;"
    " автоматический мониторинг Рособрнадзора распознаёт только точные имена атрибутов."
)


def applicability(audit: Audit) -> list[str]:
    return [t.value for t in OrgType if t in audit.applies_to]


def fix_text(audit: Audit) -> str:
    if isinstance(audit, Rule):
        return fix_hint(audit, catalogue.section_by_slug()[audit.section].title)
    return audit.fix


def rule_json(audit: Audit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": audit.code,
        "group": audit.group,
        "title": audit.title,
        "failure_title": audit.failure_title,
        "description": audit.description,
        "applicability": applicability(audit),
        "applicability_note": audit.applies_note,
        "legal_basis": audit.basis,
        "legal": [ref.tag for ref in audit.legal],
        "requires": list(audit.requires),
        "fix": fix_text(audit),
        "note": audit.note,
    }
    if audit.group == "regional":
        out.update({"severity": getattr(audit, "severity", ""), "counts_in_score": getattr(audit, "counts_in_score", False), "kind": getattr(audit, "kind", "")})
    if isinstance(audit, Rule):
        section = catalogue.section_by_slug()[audit.section]
        out.update({
            "section": audit.section,
            "section_title": section.title,
            "parent": audit.parent,
            "itemprop": audit.itemprop,
            "kind": str(audit.kind),
            "optional": audit.optional,
            "repealed": audit.repealed,
            "superseded_by": audit.superseded_by,
        })
    return out


def _rule_lines(rule: Rule) -> list[str]:
    section = catalogue.section_by_slug()[rule.section]
    return [
        f"Подраздел: {section.title} (/sveden/{section.slug})",
        f"Атрибут: {attr(rule.itemprop)}" + (f", внутри {attr(rule.parent)}" if rule.parent else ""),
        f"Вид: {'ссылка на документ' if rule.kind is Kind.link else 'текст'}; {'необязательный (при наличии)' if rule.optional else 'обязательный'}",
    ]


def render_text(audit: Audit) -> str:
    types = ", ".join(ORG_TYPE_TITLES[OrgType(t)] for t in applicability(audit))
    rule = audit if isinstance(audit, Rule) else None
    lines = [f"{audit.code}: {audit.title}", ""]
    lines += _rule_lines(rule) if rule else [f"Группа: {GROUP_TITLES.get(audit.group, audit.group)}"]
    lines += [
        f"Применяется к: {types}" + (f" — {audit.applies_note}" if audit.applies_note else ""),
        f"Основание: {audit.basis}" + ("; МР v9" if rule else ""),
        f"Теги: {', '.join(ref.tag for ref in audit.legal)}",
        f"Данные: {', '.join(ARTIFACT_TITLES.get(a, a) for a in audit.requires)}",
        f"Нарушение: {audit.failure_title}",
        "",
        "Что проверяет:",
        f"  {what_it_does(rule, catalogue.section_by_slug()[rule.section].title) if rule else audit.description}",
    ]
    if rule:
        lines += ["", "Почему:", f"  {WHY_ITEMS}"]
    if audit.note:
        lines += ["", f"Примечание: {audit.note}"]
    if rule and rule.repealed:
        lines += ["", f"Отменено: {rule.repealed}"]
    lines += ["", "Как исправить:", f"  {fix_text(audit)}"]
    if audit.examples:
        lines += ["", "Примеры (они же тесты правила):"]
        for ex in audit.examples:
            lines.append(f"  [{STATUS_TITLES[ex.expect]}] {ex.title}")
            if ex.html:
                lines.append(f"    {ex.html}")
            if ex.probes:
                lines.append("    (ответ сервера на ссылки: " + ", ".join(f"{u} → {s}" for u, s in ex.probes.items()) + ")")
            for url, facts in ex.documents.items():  # what the crawler read in the file (document facts)
                shown = {k: v for k, v in facts.items() if k not in ("final_url", "status") and v not in (None, "", [], {})}
                lines.append(f"    (файл по ссылке {url}: " + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")")
            if ex.registry is not None:
                lines.append("    (реестр: " + ", ".join(f"{k}={v}" for k, v in ex.registry.items()) + ")")
            if ex.busgov is not None:
                card = ex.busgov.get("card") or {}
                compared = getattr(audit, "card_field", "")  # the card's field a cross-check compares
                shown = f", {getattr(audit, 'what', compared)}: {card.get(compared) or '—'}" if compared else ""
                nok = f"; НОК за {(ex.busgov.get('nok') or {}).get('year') or '—'} год" if audit.group == "crosscheck" and not compared else ""
                lines.append(f"    (bus.gov.ru: {ex.busgov.get('status')}; карточка: ИНН {card.get('inn')}, сайт {card.get('site_url')}{shown}{nok})")
    return "\n".join(lines) + "\n"
