"""Ground truth of a farm site: what a correct crawl and check must conclude.

Derived from the site's content model (the very blocks the renderer prints), following the
item semantics of docs/architecture.md; only rule metadata comes from ``checks.catalogue``.
Each item gets ``expect`` ("pass" / "not_pass") and, where the documented semantics leave no
doubt, the exact ``status``; where they do (see ``AMBIGUOUS``), ``status`` is None and only
pass/not-pass is asserted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from checks import catalogue
from checks.model import Kind, Rule
from testbed.farm import platforms
from testbed.farm.content import CDN_PREFIX, Field, Group, SiteContent, doc_key, parent_props, probed_documents

JUDGED = ("ok", "no_sveden_section")
_MEANINGFUL = re.compile(r"[^\W_]")  # a letter or a digit: "—", "-", "___" are no content
# The statements the farm writes instead of a missing document («отсутствует», «нет», …).
_STATEMENT = re.compile(r"отсутству|не предусмотрен|не оказыва|(^|\s)нет$", re.IGNORECASE)

AMBIGUOUS = {
    "copy_unchecked": "copy on a site that was not checked: «always not_applicable» vs «every applicable item error»",
    "optional_elsewhere": "optional item found only in another subsection: «fail» vs «optional absent → not_applicable»",
    "stray_child_optional_parent": "a same-named element outside any parent while the optional parent is absent",
    "legacy_other_parent": "a legacy-named element in another parent while this item's parent is absent",
    "unknown_parent": "a same-named element inside a parent with a legacy name while this item's optional parent is absent",
}


@dataclass(slots=True)
class ANode:
    prop: str
    text: str
    hrefs: tuple[str, ...]
    parents: tuple[tuple[str, int], ...]  # (parent itemprop as written, instance number)
    inst: int = 0  # for a parent element: its instance number
    site_wide: bool = False  # in the header/footer of every page (schema.org contacts, the copy link)
    hidden: bool = False  # in a copy kept from visitors (order 1493 п.27)


def _legacy_key(token: str) -> str:  # written again on purpose: the truth shares no judging code
    return token.lower().replace("_", "").replace("-", "")


def meaningful(text: str) -> bool:
    return bool(_MEANINGFUL.search(text.replace("&nbsp;", " ")))


def is_statement(text: str) -> bool:
    return bool(_STATEMENT.search(text.strip()))


def disallowed_paths(content: SiteContent) -> tuple[str, ...]:
    """Site path prefixes robots.txt forbids (documents there cannot be probed)."""
    return ("/upload/",) if content.features.get("robots_upload") else ()


def section_nodes(content: SiteContent, slug: str) -> tuple[list[ANode], list[str]]:
    """Every itemprop element of a subsection (all its pages), as the renderer prints them."""
    sec = content.sections[slug]
    if sec.state != "ok":
        return [], []
    nodes = [ANode(c.prop, c.text, c.hrefs, (), 0, True) for c in content.site_nodes if c.prop]
    itemtypes: list[str] = []
    instance = 0
    for bl in sec.blocks:
        if isinstance(bl, Field):
            if bl.cell.prop:
                nodes.append(ANode(bl.cell.prop, bl.cell.text, bl.cell.hrefs, ()))
            continue
        assert isinstance(bl, Group)
        if bl.itemtype:
            itemtypes.append(bl.itemtype)
        chunks = [bl.rows] if bl.on == "table" else [[row] for row in bl.rows]
        for rows in chunks:
            instance += 1
            parents: tuple[tuple[str, int], ...] = ()
            hidden = bool(bl.hide)
            if bl.written:
                text = " ".join(c.text for row in rows for c in row)
                nodes.append(ANode(bl.written, text, tuple(h for row in rows for c in row for h in c.hrefs), (), instance, hidden=hidden))
                parents = ((bl.written, instance),)
            for row in rows:
                for c in row:
                    if c.prop:
                        nodes.append(ANode(c.prop, c.text, c.hrefs, parents, hidden=hidden))
    return nodes, itemtypes


def _has_parent(n: ANode, parent: str) -> bool:
    return any(p == parent for p, _ in n.parents)


def _value(rule: Rule, nodes: list[ANode], docs: dict[str, int], disallowed: tuple[str, ...] = ()) -> tuple[str, str]:
    if rule.kind is not Kind.link:
        return ("pass", "value") if any(meaningful(n.text) for n in nodes) else ("fail", "empty")
    ok = broken = statements = unprobed = 0
    for n in nodes:
        links = [h for h in n.hrefs if h.startswith(("/", CDN_PREFIX))]
        if not links:
            statements += is_statement(n.text)
            continue
        for h in links:
            if any(h.startswith(p) for p in disallowed):
                unprobed += 1  # robots.txt forbids fetching it: nobody may say whether it opens
            elif 200 <= docs.get(doc_key(h).split("?")[0], 404) < 300:
                ok += 1
            else:
                broken += 1
    if broken:
        return "fail", "broken document"
    if ok or statements:
        return "pass", "document" if ok else "statement"
    if unprobed:
        return "needs_review", "documents not probed (robots.txt)"
    return "fail", "no link"


class _Index:
    """The nodes of one subsection, indexed by name and by legacy key."""

    def __init__(self, nodes: list[ANode], itemtypes: list[str]):
        self.itemtypes = itemtypes
        self.by_prop: dict[str, list[ANode]] = defaultdict(list)
        self.by_lkey: dict[str, list[ANode]] = defaultdict(list)
        for n in nodes:
            self.by_prop[n.prop].append(n)
            self.by_lkey[_legacy_key(n.prop)].append(n)

    def get(self, prop: str) -> list[ANode]:
        return self.by_prop.get(prop, [])


def _own_verdict(rule: Rule, own: list[ANode], here: _Index, content: SiteContent) -> tuple[str, str]:
    """The item's verdict from its elements in place (every instance of its parent for a child)."""
    if rule.parent and not rule.optional:
        instances = [(n.prop, n.inst) for n in here.get(rule.parent) if n.inst]
        worst = ("pass", "in every parent")
        for inst in instances:
            children = [n for n in own if inst in n.parents]
            if not children:
                return "fail", "missing in a parent instance"
            verdict = _value(rule, children, content.docs, disallowed_paths(content))
            if verdict[0] == "fail":
                return verdict
            if verdict[0] == "needs_review":
                worst = verdict
        return worst
    return _value(rule, own, content.docs, disallowed_paths(content))


def audits_truth(spec, content: SiteContent, items: list[dict[str, Any]]) -> dict[str, str]:
    """VIS001/VIS002 (``checks/audits/visibility.py``): an item marked only in hidden copies; a page of scans."""
    if spec.outcome not in JUDGED:
        return {"VIS001": "error", "VIS002": "error"}
    if not any(sec.state == "ok" for sec in content.sections.values()):
        return {"VIS001": "not_applicable", "VIS002": "not_applicable"}
    hidden = any(it.get("hidden_only") for it in items)
    scans = any(sec.images for sec in content.sections.values() if sec.state == "ok")
    unread = any(sec.state in ("error", "loop") for sec in content.sections.values())  # what they hide is unknown
    return {"VIS001": "fail" if hidden else "error" if unread else "pass", "VIS002": "needs_review" if scans else "error" if unread else "pass"}


def documents_truth(spec, content: SiteContent) -> dict[str, str]:
    """FIL001–FIL006 (``checks/audits/documents.py``) from what each downloaded document's file is
    (``content.doc_variants``): every other farm document is a PDF with text, a DOCX with text or a
    Word 97–2003 file, unsigned, that opens."""
    codes = ("FIL001", "FIL002", "FIL003", "FIL004", "FIL005", "FIL006")
    if spec.outcome not in JUDGED:
        return dict.fromkeys(codes, "error")
    linked = [(prop, h) for prop, h in probed_documents(content) if content.docs.get(doc_key(h)) == 200 or content.doc_variants.get(h) in ("soft404", "login")]
    variants = [content.doc_variants.get(h, "") for _, h in linked]
    files = [(prop, h, v) for (prop, h), v in zip(linked, variants, strict=True) if v not in ("soft404", "login")]
    if not linked:
        return dict.fromkeys(codes, "not_applicable")
    out = {"FIL001": "fail" if len(files) < len(linked) else "pass", "FIL006": "not_applicable"}
    if not files:
        return {**out, **dict.fromkeys(codes[1:], "not_applicable")}
    out["FIL002"] = "pass"
    texts = [v for _, h, v in files if v != "encrypted" and h.endswith((".pdf", ".docx"))]
    out["FIL003"] = "fail" if "scan" in texts else "pass" if texts else "not_applicable"
    out["FIL004"] = "fail" if any(v == "encrypted" for _, _, v in files) else "pass"
    positions = [v for prop, _, v in files if prop == "divisionClauseDocLink"]
    out["FIL005"] = "not_applicable" if not positions else "pass" if all(v == "signed" for v in positions) else "fail"
    return out


def item_truth(rule: Rule, content: SiteContent, nodes: dict[str, _Index]) -> dict[str, Any]:
    spec = content.spec
    out = {"section": rule.section, "parent": rule.parent, "itemprop": rule.itemprop, "rule": rule.code}

    def res(status: str, why: str, exact: bool = True) -> dict[str, Any]:
        out.update(expect="pass" if status == "pass" else "not_pass", status=status if exact else None, why=why)
        return out

    if not rule.applies(spec.org_type):
        return res("not_applicable", "type")
    if spec.outcome not in JUDGED:
        if rule.repealed or rule.superseded_by:  # never judged, checked site or not (docs/architecture.md)
            return res("not_applicable", "site not checked; repealed or superseded")
        return res("error", "site not checked")
    if rule.repealed:
        return res("not_applicable", "repealed")
    sec = content.sections[rule.section]
    if sec.state in ("error", "loop"):
        return res("error", f"section {sec.state}")
    here = nodes[rule.section]
    itemtypes = here.itemtypes
    own = [n for n in here.get(rule.itemprop) if not rule.parent or _has_parent(n, rule.parent)]
    if rule.superseded_by:
        return res("needs_review", "superseded, present") if own else res("not_applicable", "superseded, absent")
    if own:
        out["hidden_only"] = all(n.hidden for n in own)
        verdict = _own_verdict(rule, own, here, content)
        if verdict[0] == "pass" and all(n.hidden for n in own):
            return res("fail", "marked only in a copy hidden from visitors")
        return res(*verdict)
    # Not in its place: say why.
    key = _legacy_key(rule.itemprop)
    legacy = [n for n in here.by_lkey.get(key, []) if n.prop != rule.itemprop]
    unknown_parent = False
    parent_absent_optional = False
    if rule.parent:
        parent_rule = catalogue.rule_for(rule.section, "", rule.parent)
        parent_absent_optional = parent_rule.optional and not here.get(rule.parent)
        pkey = _legacy_key(rule.parent)
        legacy_parent = any(n.prop != rule.parent for n in here.by_lkey.get(pkey, [])) or any(
            "obrnadzor" in t.lower() and _legacy_key(t.rstrip("/").rsplit("/", 1)[-1]) == pkey for t in itemtypes
        )
        if parent_absent_optional and not legacy_parent:
            # docs/architecture.md: no branch, no branch head — its children are not applicable.
            return res("not_applicable", "optional parent absent")
        same = here.get(rule.itemprop)
        stray = [n for n in same if not n.parents]
        if stray:
            # A footer's schema.org itemprop="email" is outside every parent, but is it this item
            # «outside its parent»? Only for markup in the subsection's own content is that certain.
            footer_only = all(n.site_wide for n in stray)
            return res("fail", "outside its parent", exact=not (parent_absent_optional or (footer_only and rule.optional)))
        if any(_legacy_key(p) == pkey for n in same for p, _ in n.parents):
            return res("fail", "inside a parent with a legacy name")

        # Inside a parent this subsection does not define (a legacy-named one): is that «outside its
        # parent»? The documented semantics do not say; only not-pass is certain then.
        unknown_parent = any(not any(p in parent_props(rule.section) for p, _ in n.parents) for n in same)
        if any(not n.parents or any(_legacy_key(p) == pkey for p, _ in n.parents) for n in legacy):
            return res("fail", "legacy name")
        if legacy:
            return res("not_applicable" if parent_absent_optional else "fail", "legacy name in another parent", exact=False)
    elif legacy:
        return res("fail", "legacy name")
    if not rule.parent and any(t.rstrip("/").rsplit("/", 1)[-1].lower() == rule.itemprop.lower() for t in itemtypes):
        return res("fail", "legacy itemtype")
    for slug, other in nodes.items():
        if slug == rule.section:
            continue
        found = [n for n in other.get(rule.itemprop) if (_has_parent(n, rule.parent) if rule.parent else not n.parents)]
        if found:
            return res("fail", f"only in {slug}", exact=not (rule.optional or parent_absent_optional))
    if parent_absent_optional:
        # Same-named elements in other parents (fio of the head for the branch heads' fio) do not count.
        return res("not_applicable", "optional parent absent", exact=not unknown_parent)
    if rule.optional:
        return res("not_applicable", "optional, absent", exact=not unknown_parent)
    if sec.state == "missing":
        return res("fail", "section missing")
    return res("fail", "missing")


def site_truth(spec) -> dict[str, Any]:
    content: SiteContent = spec.content
    nodes = {slug: _Index(*section_nodes(content, slug)) for slug in content.sections}
    judged = spec.outcome in JUDGED
    feat = content.features
    items = [item_truth(rule, content, nodes) for rule in catalogue.rules()]
    return {
        **spec.describe(),
        "channels": dict(content.channels) if judged else None,
        "defects": content.defects,
        "platform": platforms.platform_of(spec),  # the key checks.platform must find; None for a hand-made site
        "features": {k: v for k, v in feat.items() if not k.endswith("_text")},
        "sections": {slug: sec.state for slug, sec in content.sections.items()},
        "items": items,
        "audits": {**audits_truth(spec, content, items), **documents_truth(spec, content)},
    }
