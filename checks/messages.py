"""Russian wording shared by the rules' messages and documentation."""

from __future__ import annotations

from checks.model import Kind, Rule


def attr(prop: str) -> str:
    return f'itemprop="{prop}"'


def item_name(parent: str, itemprop: str) -> str:
    """How reports name an item: «uchredLaw › nameUchred», or just the attribute."""
    return f"{parent} › {itemprop}" if parent else itemprop


def fix_hint(rule: Rule, section_title: str) -> str:
    """A concrete fix: the exact attribute to add and where."""
    if rule.fix:
        return rule.fix
    where = f"в подразделе «{section_title}» (/sveden/{rule.section})"
    inside = f" внутри элемента с {attr(rule.parent)}" if rule.parent else ""
    if rule.kind is Kind.link:
        return (
            f"Разместите {where}{inside} ссылку на документ с атрибутом {attr(rule.itemprop)}: "
            f'<a href="…" {attr(rule.itemprop)}>…</a>; ссылка должна открываться. '
            f"Если документа нет, разметьте текст «отсутствует»."
        )
    return (
        f"Разметьте {where}{inside} элемент со сведениями «{rule.title}» атрибутом {attr(rule.itemprop)} "
        f"(точное написание, lowerCamelCase); если сведений нет — текст «отсутствует»."
    )


def what_it_does(rule: Rule, section_title: str) -> str:
    """The rule's description, generated from its declaration."""
    where = f"в подразделе «{section_title}» (его странице и страницах addRef)"
    inside = f", внутри каждого элемента с {attr(rule.parent)}" if rule.parent else ""
    if rule.repealed:
        return f"Сообщает, есть ли {attr(rule.itemprop)} {where}. Требование отменено, поэтому пункт всегда «не применяется»."
    if rule.superseded_by:
        return f"Сообщает, размещены ли эти сведения {where} по старым правилам; оценивает их правило {rule.superseded_by}."
    what = "непустой ссылкой на открывающийся документ (или текстом «отсутствует»)" if rule.kind is Kind.link else "непустым значением"
    return f"Проверяет, что элемент с точным атрибутом {attr(rule.itemprop)} размещён {where}{inside} {what}."
