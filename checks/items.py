"""The judge of one mandatory item: a pure function of a rule and the site's artifacts."""

from __future__ import annotations

import re
from typing import NamedTuple

from artifacts.failures import plain_message
from checks import catalogue, documents
from checks.views import Node, SectionView, SiteView, legacy_key
from checks.messages import attr
from checks.hiding import hidden_message
from artifacts.urls import is_document
from checks.model import ItemResult, Kind, OrgType, Rule, Status, ORG_TYPE_TITLES

# A published statement that the information does not exist (MR v9: mark «отсутствует»).
_STATEMENT = re.compile(
    r"(отсутству|не\s+предусмотрен|не\s+имеет|не\s+имеются|не\s+осуществля|не\s+реализу|не\s+заключ|не\s+выдава|не\s+было|"
    r"не\s+проводил|не\s+оказыва|не\s+взима|^нет\b|\bнет$|предписаний\s+нет|нет\s+предписаний)",
    re.IGNORECASE,
)
_MEANINGFUL = re.compile(r"[^\W_]")  # a letter or a digit: "—", "-", "___" are no content

# 2014/2020 group microformats: itemtype="http://obrnadzor.gov.ru/microformats/<Name>".
LEGACY_ITEMTYPES = {"uchredlaw": "uchredLaw", "grant": "grant", "volume": "volume", "finrec": "volume", "vacant": "vacant"}

OK_PROBE = range(200, 300)


def is_statement(text: str) -> bool:
    return bool(text) and len(text) <= 300 and bool(_STATEMENT.search(text.strip().lower().replace("ё", "е")))


def is_meaningful(text: str) -> bool:
    return bool(_MEANINGFUL.search(text or ""))


class Verdict(NamedTuple):
    status: Status
    message: str
    cause: str = ""  # see checks.model.ITEM_CAUSES


def _result(rule: Rule, status: Status, message: str, evidence: str = "", cause: str = "") -> ItemResult:
    return ItemResult(rule.section, rule.parent, rule.itemprop, rule.code, status, evidence, message, cause)


def _section_title(slug: str) -> str:
    s = catalogue.section_by_slug().get(slug)
    return s.title if s else slug


def _in_parent(nodes: list[Node], parent: str) -> list[Node]:
    return [n for n in nodes if n.has_ancestor(parent)] if parent else nodes


def _documents(urls: list[str]) -> str:
    return f"документа: {urls[0]}" if len(urls) == 1 else f"документов ({len(urls)}), например {urls[0]}"


def _link_verdict(rule: Rule, nodes: list[Node], site: SiteView) -> Verdict:
    """A link item passes when it carries a statement or every probed target resolves."""
    broken: list[str] = []
    unprobed: list[str] = []  # over the probe limit
    robots: list[str] = []  # robots.txt forbids them
    out_of_time: list[str] = []
    unread: list[str] = []  # received, but our side could not keep it to read (a fault of ours, not the site's)
    not_documents: list[str] = []  # answered 2xx with something else (checks.documents)
    pages: list[str] = []  # a web page where the item needs a document
    ok = 0
    statements = 0
    for n in nodes:
        links = [h for h in n.hrefs if h.startswith(("http://", "https://"))]
        if not links:
            statements += is_statement(n.text)
            continue
        for h in links:
            probe = site.probes.get(h)
            if probe is None:
                unprobed.append(h)
            elif probe.get("status") in OK_PROBE:
                found = documents.finding(site, h, rule.itemprop not in documents.PAGE_TARGETS)
                if found is None:
                    ok += 1
                else:
                    (not_documents if found.status is Status.fail else pages).append(f"{h} — {found.what}")
            elif probe.get("error_kind") == "robots_disallowed":
                robots.append(h)
            elif probe.get("error_kind") == "time_budget":
                out_of_time.append(h)
            elif probe.get("error_kind") == "not_read":
                unread.append(h)
            else:
                why = probe.get("status") or plain_message(probe.get("error") or "") or probe.get("error_kind") or "ошибка"
                broken.append(f"{h} ({why})")
    if broken:
        shown = "; ".join(broken[:5]) + (f" и ещё {len(broken) - 5}" if len(broken) > 5 else "")
        return Verdict(Status.fail, f"документ не открывается: {shown}")
    if not_documents:
        shown = "; ".join(not_documents[:3]) + (f" и ещё {len(not_documents) - 3}" if len(not_documents) > 3 else "")
        return Verdict(Status.fail, f"по ссылке не документ: {shown}")
    if unread and not ok:
        return Verdict(Status.error, f"не проверено: документ не удалось сохранить или прочитать для проверки ({len(unread)} ссылок, например {unread[0]})", "not_read")
    if out_of_time and not ok:
        return Verdict(Status.error, f"не проверено: исчерпан лимит времени на сайт ({len(out_of_time)} ссылок, например {out_of_time[0]})", "time_budget")
    if ok:
        unresolved = robots + unprobed + out_of_time + unread
        note = f", не проверено {len(unresolved)}" if unresolved else ""
        return Verdict(Status.passed, f"документ открывается (ссылок: {ok}{note})")
    if statements:
        return Verdict(Status.passed, "размещено указание на отсутствие документа")
    if pages:
        return Verdict(Status.needs_review, f"по ссылке веб-страница, а не файл документа — проверьте, что на ней текст документа: {pages[0]}")
    if robots:
        return Verdict(Status.needs_review, f"robots.txt сайта запрещает проверку {_documents(robots)}", "robots_documents")
    if unprobed:
        return Verdict(Status.needs_review, f"ссылку не проверяли: превышен лимит проверок документов на сайт ({_documents(unprobed)})", "probe_budget")
    return Verdict(Status.fail, f"элемент с {attr(rule.itemprop)} не содержит ссылки на документ")


def _value_verdict(rule: Rule, nodes: list[Node], site: SiteView) -> Verdict:
    if rule.kind is Kind.link:
        return _link_verdict(rule, nodes, site)
    if any(is_meaningful(n.text) for n in nodes):
        return Verdict(Status.passed, "размещено")
    return Verdict(Status.fail, f"элемент с {attr(rule.itemprop)} пуст — укажите сведения или «отсутствует»")


def _per_parent(rule: Rule, view: SectionView, nodes: list[Node], site: SiteView) -> Verdict:
    """Required children are judged in every instance of their parent (each row of the table)."""
    parents = view.nodes(rule.parent)
    groups: dict[tuple[str, int], list[Node]] = {}
    for n in nodes:
        for key in n.ancestor_ids(rule.parent):
            groups.setdefault(key, []).append(n)
    if rule.optional:
        return _value_verdict(rule, nodes, site)
    missing = 0
    worst: Verdict | None = None
    for p in parents:
        key = (p.page_url, p.index)
        children = groups.get(key)
        if not children:
            missing += 1
            continue
        verdict = _value_verdict(rule, children, site)
        if verdict[0] is not Status.passed and (worst is None or verdict[0] is Status.fail):
            worst = verdict
    if missing:
        return Verdict(Status.fail, f"нет элемента с {attr(rule.itemprop)} в {missing} из {len(parents)} элементов с {attr(rule.parent)}")
    if worst:
        return worst
    if len(parents) > 1:
        return Verdict(Status.passed, f"размещено во всех {len(parents)} элементах с {attr(rule.parent)}")
    return Verdict(Status.passed, "размещено")


def _orphans(rule: Rule, view: SectionView) -> list[Node]:
    """Elements with the child's name that stand in no element allowed to contain it.

    ``fio`` inside ``rucovodstvo`` is no orphan of ``rucovodstvoFil``; a name that is also a
    top-level item of the section (``email``) is never an orphan.
    """
    homes = {r.parent for r in catalogue.section_rules()[rule.section] if r.itemprop == rule.itemprop}
    if "" in homes:
        return []
    return [n for n in view.nodes(rule.itemprop) if not any(n.has_ancestor(p) for p in homes)]


def _alternative_form(rule: Rule, parent_rule: Rule | None, view: SectionView) -> str:
    """A lawful form without microdata (documents instead of markup): a person must look."""
    owner = parent_rule if parent_rule and parent_rule.alt_documents else rule
    if not owner.alt_documents or view.nodes(owner.itemprop):
        return ""
    docs = [link["href"] for page in view.pages for link in page.get("links", []) if is_document(link["href"])]
    if not docs:
        return ""
    return f"разметки {attr(owner.itemprop)} нет, но размещены документы ({len(docs)}, например {docs[0]}): {owner.alt_documents} — проверьте вручную"


def _found_elsewhere(rule: Rule, site: SiteView) -> tuple[str, str] | None:
    for slug, view in site.views.items():
        if slug == rule.section:
            continue
        nodes = _in_parent(view.nodes(rule.itemprop), rule.parent)
        if not rule.parent:  # a top-level item elsewhere is not a row cell of another table
            nodes = [n for n in nodes if not n.ancestors]
        if nodes:
            return slug, nodes[0].page_url
    return None


def _legacy(rule: Rule, view: SectionView) -> tuple[str, str] | None:
    for n in view.by_legacy.get(legacy_key(rule.itemprop), []):
        if n.prop != rule.itemprop:
            return n.prop, n.page_url
    if not rule.parent:
        for url, itemtype in view.itemtypes:
            name = itemtype.rstrip("/").rsplit("/", 1)[-1].lower()
            if "obrnadzor" in itemtype.lower() and LEGACY_ITEMTYPES.get(name) == rule.itemprop:
                return f'itemtype="{itemtype}"', url
    return None


def judge(rule: Rule, site: SiteView, org_type: OrgType) -> ItemResult:
    """Judge one rule. Never raises for bad data: the caller turns exceptions into ``error``."""
    if not rule.applies(org_type):
        return _result(rule, Status.not_applicable, f"не применяется: {ORG_TYPE_TITLES[org_type]}")
    view = site.section(rule.section)
    meta = site.sections_meta.get(rule.section, {})
    if rule.repealed:
        found = bool(view.nodes(rule.itemprop))
        return _result(rule, Status.not_applicable, ("найдено; " if found else "") + "требование отменено: " + rule.repealed, view.url)
    error_kind = meta.get("error_kind")
    if error_kind and error_kind != "not_found":
        why = plain_message(meta.get("error") or "") or error_kind
        return _result(rule, Status.error, f"страница подраздела не проверена: {why}", meta.get("url", ""), "section_unreadable")
    nodes = _in_parent(view.nodes(rule.itemprop), rule.parent)
    if rule.superseded_by:
        if nodes:
            current = catalogue.by_code()[rule.superseded_by]
            return _result(
                rule, Status.needs_review,
                f"размещено здесь; по приказу № 1353 эти сведения размещаются в подразделе «{_section_title(current.section)}» ({attr(current.itemprop)})",
                nodes[0].page_url,
            )
        return _result(rule, Status.not_applicable, "место размещения изменено приказом № 1353 — проверяется в подразделе «Образование»")
    if nodes:
        verdict = _per_parent(rule, view, nodes, site) if rule.parent else _value_verdict(rule, nodes, site)
        if verdict.status is Status.passed and all(n.hider for n in nodes):
            # п.27: marked data must be visible; one visible marked element suffices.
            sure, message = hidden_message([n.hider for n in nodes if n.hider])
            verdict = Verdict(Status.fail if sure else Status.needs_review, message, "hidden_markup")
        return _result(rule, verdict.status, verdict.message, nodes[0].page_url, verdict.cause)
    # Absent here: say why as precisely as the artifacts allow.
    parent_rule = catalogue.rule_for(rule.section, "", rule.parent) if rule.parent else None
    alt = _alternative_form(rule, parent_rule, view)
    if alt:
        return _result(rule, Status.needs_review, alt, view.url)
    if parent_rule and parent_rule.optional and not view.nodes(rule.parent) and not _legacy(parent_rule, view):
        # No branch, no branch head: a same-named element elsewhere (a footer's schema.org email) is no defect.
        return _result(rule, Status.not_applicable, f"нет элемента с {attr(rule.parent)} (публикуется при наличии)", view.url)
    orphans = _orphans(rule, view) if rule.parent else []
    if orphans:
        return _result(rule, Status.fail, f"элемент с {attr(rule.itemprop)} найден вне родительского элемента с {attr(rule.parent)}", orphans[0].page_url)
    legacy = _legacy(rule, view)
    if legacy:
        what, url = legacy
        shown = what if what.startswith("itemtype") else attr(what)
        return _result(rule, Status.fail, f"устаревшая или неверная разметка {shown}; нужен атрибут {attr(rule.itemprop)}", url)
    elsewhere = _found_elsewhere(rule, site)
    if elsewhere:
        slug, url = elsewhere
        return _result(rule, Status.fail, f"найдено только в подразделе «{_section_title(slug)}», а должно быть в «{_section_title(rule.section)}»", url)
    if rule.optional:
        return _result(rule, Status.not_applicable, "не размещено (сведения публикуются при наличии)", view.url)
    if not view.pages:
        why = "подраздел не найден" + (f" по адресу {meta['url']}" if meta.get("url") else "")
        return _result(rule, Status.fail, why, meta.get("url", ""), "section_missing")
    if rule.parent and not view.nodes(rule.parent):
        return _result(rule, Status.fail, f"нет родительского элемента с {attr(rule.parent)}", view.url)
    return _result(rule, Status.fail, f"не найден элемент с {attr(rule.itemprop)}", view.url)
