"""Helpers that section modules use to declare their rules.

A rule declaration is data; its documentation and its default good/bad examples are
derived from it, so adding a rule means adding one ``text(...)``/``link(...)`` line.
"""

from __future__ import annotations

from dataclasses import replace

from checks.messages import what_it_does
from checks.model import ALL_TYPES, Example, Kind, OrgType, Rule, Section, Status, order_1493

__all__ = ["ALL_TYPES", "Example", "OrgType", "Section", "Status", "link", "order_1493", "text"]

SAMPLE_TEXT = "Пример значения"
SAMPLE_DOC = "http://127.0.0.1/docs/sample.pdf"
# What the crawler records when a missing document is redirected to an error page answering 200.
SOFT_404 = {"status": 200, "final_url": "http://127.0.0.1/error-404", "content_type": "text/html", "kind": "html",
            "html": {"title": "Ошибка", "heading": "Страница не найдена", "text": "Страница не найдена", "password": False}}


def _wrap(parent: str, inner: str) -> str:
    return f'<table><tr itemprop="{parent}"><td>{inner}</td></tr></table>' if parent else f"<div>{inner}</div>"


# The version for the visually impaired (itemprop="copy"), repealed by order 1353: information either way.
REPEALED_EXAMPLES = (
    Example('<a itemprop="copy" href="http://127.0.0.1/?special=Y">Версия для слабовидящих</a>', Status.not_applicable, "версия есть — требование отменено, сообщается для сведения"),
    Example("<div><p>Текст без разметки</p></div>", Status.not_applicable, "версии нет — это не нарушение"),
)


def default_examples(rule: Rule, parent_optional: bool = False) -> tuple[Example, ...]:
    """Good and bad fragments every rule of its kind must judge correctly."""
    p = rule.itemprop
    if rule.kind is Kind.link:
        good = f'<a itemprop="{p}" href="{SAMPLE_DOC}">Документ</a>'
        examples = [
            Example(_wrap(rule.parent, good), Status.passed, "ссылка на документ, который открывается", probes={SAMPLE_DOC: 200}),
            Example(_wrap(rule.parent, good), Status.fail, "ссылка на документ, который не открывается (404)", probes={SAMPLE_DOC: 404}),
            Example(_wrap(rule.parent, good), Status.fail, "ссылка на .pdf ведёт на страницу ошибки, отвечающую 200", probes={SAMPLE_DOC: 200},
                    documents={SAMPLE_DOC: SOFT_404}),
            Example(_wrap(rule.parent, f'<span itemprop="{p}">отсутствует</span>'), Status.passed, "размеченное «отсутствует» вместо документа"),
            Example(_wrap(rule.parent, f'<span itemprop="{p}">Документ</span>'), Status.fail, "разметка без ссылки на документ"),
        ]
    else:
        examples = [
            Example(_wrap(rule.parent, f'<span itemprop="{p}">{SAMPLE_TEXT}</span>'), Status.passed, "размеченное непустое значение"),
            Example(_wrap(rule.parent, f'<span itemprop="{p}">  </span>'), Status.fail, "пустой элемент"),
            Example(_wrap(rule.parent, f'<span itemprop="{p}">—</span>'), Status.fail, "прочерк вместо сведений"),
            Example(_wrap(rule.parent, f'<span itemprop="{p}">___</span>'), Status.fail, "заполнитель вместо сведений"),
        ]
    if rule.parent:
        examples.append(
            Example(
                f'<div itemprop="{rule.parent}"></div><span itemprop="{p}">{SAMPLE_TEXT}</span>',
                Status.fail,
                f"элемент вне родительского элемента «{rule.parent}»",
            )
        )
    legacy = p[0].upper() + p[1:]
    if legacy != p:
        inner = f'<a itemprop="{legacy}" href="{SAMPLE_DOC}">Документ</a>' if rule.kind is Kind.link else f'<span itemprop="{legacy}">{SAMPLE_TEXT}</span>'
        examples.append(Example(_wrap(rule.parent, inner), Status.fail, f"устаревшее написание itemprop=\"{legacy}\"", probes={SAMPLE_DOC: 200}))
    absent = Status.not_applicable if rule.optional or parent_optional else Status.fail
    examples.append(Example("<div><p>Текст без разметки</p></div>", absent, "элемент не размещён"))
    if rule.alt_documents:
        examples.append(Example('<p><a href="/docs/staff-noo.pdf">Педагогический состав: начальное общее образование</a></p>',
                                Status.needs_review, "состав опубликован документом по программе (приказ № 1353)"))
    if OrgType.school not in rule.applies_to:
        org = sorted(rule.applies_to)[0]
        examples = [replace(e, org_type=org) for e in examples]
    return tuple(replace(e, declared=False) for e in examples)


def _make(kind: Kind, code: str, itemprop: str, title: str, **kw) -> Rule:
    examples = kw.pop("examples", None)
    applies_to = kw.pop("applies_to", ALL_TYPES)
    rule = Rule(code=code, section="", itemprop=itemprop, title=title, kind=kind, applies_to=frozenset(applies_to), **kw)
    if examples is not None:
        rule = _replace(rule, examples=tuple(examples))
    return rule


def _replace(rule: Rule, **changes) -> Rule:
    return replace(rule, **changes)


def text(code: str, itemprop: str, title: str, **kw) -> Rule:
    return _make(Kind.text, code, itemprop, title, **kw)


def link(code: str, itemprop: str, title: str, **kw) -> Rule:
    return _make(Kind.link, code, itemprop, title, **kw)


def bind(section: Section, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Attach section, legal basis, failure title, description and default examples to a section's declarations."""
    bound = []
    optional_parents = {r.itemprop for r in rules if r.optional and not r.parent}
    for r in rules:
        r = _replace(r, section=section.slug, legal=r.legal or section.legal)
        r = _replace(
            r,
            failure_title=r.failure_title or f"Не размещено или размечено неверно: {r.title}",
            description=r.description or what_it_does(r, section.title),
        )
        if r.repealed and not r.examples:
            r = _replace(r, examples=REPEALED_EXAMPLES)
        elif not r.repealed and not r.superseded_by:
            # Hand-written examples (a rule's own meaning) first, then those every rule of its kind must pass.
            r = _replace(r, examples=r.examples + default_examples(r, r.parent in optional_parents))
        bound.append(r)
    return tuple(bound)
