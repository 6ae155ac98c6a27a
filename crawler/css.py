"""The few CSS properties that decide whether an element is shown, cascaded for one page.

Stylesheets are parsed with tinycss2 and selectors matched with cssselect against the lxml tree
(no regular expressions for CSS). Only what can hide an element is kept (``PROPERTIES``), and
only rules a desktop screen applies (``media_applies``: no print, no narrow-screen variants),
so a framework's thousands of rules cost little: a selector naming a class or id the page does
not have is never evaluated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cssselect
import lxml.etree
import tinycss2

log = logging.getLogger(__name__)

# Properties that can hide an element (display, visibility) or make it a visually-hidden box.
PROPERTIES = frozenset({"display", "visibility", "position", "left", "top", "width", "height", "overflow", "overflow-x", "overflow-y", "clip", "clip-path"})
VIEWPORT_PX = 1280  # the desktop screen media queries are evaluated for
RULES_LIMIT = 20000  # relevant rules kept per stylesheet: a bound on the work, never reached by real sites
_TRANSLATOR = cssselect.HTMLTranslator()


@dataclass(frozen=True, slots=True)
class CssRule:
    selectors: str  # the selector group as written
    declarations: tuple[tuple[str, str, bool], ...]  # (property, value in lower case, !important)
    source: str  # the stylesheet's address, or "style" for a <style> element of the page


@dataclass(frozen=True, slots=True)
class Declared:
    """The winning declaration of one property for one element: its value and where it comes from."""

    value: str
    origin: str  # "style" (the element's own style attribute) or «selector (stylesheet)»


def _length_px(tokens: list[Any]) -> float | None:
    """A media feature's length in px (em and rem at 16 px)."""
    for t in tokens:
        if t.type == "dimension":
            unit = t.lower_unit
            return t.value * (16 if unit in ("em", "rem") else 1) if unit in ("px", "em", "rem") else None
        if t.type == "number" and t.value == 0:
            return 0.0
    return None


def _feature_applies(block: Any) -> bool:
    tokens = [t for t in block.content if t.type not in ("whitespace", "comment")]
    if not tokens or tokens[0].type != "ident":
        return False
    name = tokens[0].lower_value
    rest = tokens[2:] if len(tokens) > 1 and tokens[1] == ":" else []
    if name in ("min-width", "max-width", "min-device-width", "max-device-width"):
        px = _length_px(rest)
        if px is None:
            return False
        return px <= VIEWPORT_PX if name.startswith("min") else px >= VIEWPORT_PX
    if name == "orientation":
        return any(t.type == "ident" and t.lower_value == "landscape" for t in rest)
    if name in ("hover", "pointer", "any-hover", "any-pointer", "color", "min-resolution", "max-resolution", "min-height", "max-height"):
        return name not in ("min-height", "max-height")  # a screen's height varies: not decidable, ignored
    return False  # prefers-*, print-only features: not what a visitor's screen always shows


def media_applies(prelude: list[Any] | str) -> bool:
    """Does a desktop screen apply this media query list (``@media`` prelude or a ``media`` attribute)?"""
    tokens = tinycss2.parse_component_value_list(prelude) if isinstance(prelude, str) else prelude
    queries: list[list[Any]] = [[]]
    for t in tokens:
        if t.type == "literal" and t.value == ",":
            queries.append([])
        elif t.type not in ("whitespace", "comment"):
            queries[-1].append(t)
    if all(not q for q in queries):
        return True
    for q in queries:
        negate = bool(q) and q[0].type == "ident" and q[0].lower_value == "not"
        ok = True
        for t in q[1:] if negate else q:
            if t.type == "ident":
                word = t.lower_value
                if word in ("only", "and"):
                    continue
                ok = ok and word in ("screen", "all")
            elif t.type == "() block":
                ok = ok and _feature_applies(t)
            else:
                ok = False
        if ok != negate and q:
            return True
    return False


def _declarations(content: list[Any] | str) -> tuple[tuple[str, str, bool], ...]:
    out = []
    for d in tinycss2.parse_declaration_list(content, skip_comments=True, skip_whitespace=True):
        if d.type == "declaration" and d.lower_name in PROPERTIES:
            out.append((d.lower_name, tinycss2.serialize(d.value).strip().lower(), bool(d.important)))
    return tuple(out)


def _collect(rules: list[Any], source: str, out: list[CssRule]) -> None:
    for rule in rules:
        if len(out) >= RULES_LIMIT:
            return
        if rule.type == "qualified-rule":
            decls = _declarations(rule.content)
            if decls:
                out.append(CssRule(tinycss2.serialize(rule.prelude).strip(), decls, source))
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports", "layer") and rule.content is not None:
            if rule.lower_at_keyword == "media" and not media_applies(rule.prelude):
                continue
            _collect(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True), source, out)


def parse_stylesheet(css: str | bytes, source: str, content_type_charset: str | None = None) -> tuple[CssRule, ...]:
    """The rules of a stylesheet that set a property of ``PROPERTIES`` on a desktop screen."""
    if isinstance(css, bytes):
        rules, _enc = tinycss2.parse_stylesheet_bytes(css, protocol_encoding=content_type_charset, skip_comments=True, skip_whitespace=True)
    else:
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    out: list[CssRule] = []
    _collect(rules, source, out)
    return tuple(out)


@lru_cache(maxsize=4096)
def parse_inline_style(style: str) -> dict[str, tuple[str, bool]]:
    """A ``style`` attribute's relevant declarations: property → (value, !important)."""
    return {name: (value, important) for name, value, important in _declarations(style)}


@lru_cache(maxsize=2048)
def inline_stylesheet(text: str) -> tuple[CssRule, ...]:
    """A page's ``<style>`` element (templates repeat the same one on every page: parsed once)."""
    return parse_stylesheet(text, "style")


@dataclass(frozen=True, slots=True)
class _Compiled:
    xpath: lxml.etree.XPath
    specificity: tuple[int, int, int]
    classes: frozenset[str]
    ids: frozenset[str]
    tags: frozenset[str]


def _requirements(tree: Any, classes: set[str], ids: set[str], tags: set[str]) -> None:
    """Classes, ids and tags an element chain must carry for the selector to match (not under :not/:is)."""
    name = type(tree).__name__
    if name == "CombinedSelector":
        _requirements(tree.selector, classes, ids, tags)
        _requirements(tree.subselector, classes, ids, tags)
    elif name == "Class":
        classes.add(tree.class_name)
        _requirements(tree.selector, classes, ids, tags)
    elif name == "Hash":
        ids.add(tree.id)
        _requirements(tree.selector, classes, ids, tags)
    elif name == "Element":
        if tree.element:
            tags.add(tree.element.lower())
    elif hasattr(tree, "selector") and name in ("Attrib", "Pseudo", "Function", "Negation", "Relation", "Matching", "SpecificityAdjustment"):
        _requirements(tree.selector, classes, ids, tags)


@lru_cache(maxsize=65536)
def compile_selectors(group: str) -> tuple[_Compiled, ...]:
    """The selectors of a group cssselect can translate; pseudo-elements and unknown syntax left out."""
    try:
        parsed = cssselect.parse(group)
    except (cssselect.SelectorError, ValueError, TypeError):
        return ()
    out = []
    for sel in parsed:
        if sel.pseudo_element is not None:
            continue  # ::before hidden hides generated content, not the element
        try:
            expr = _TRANSLATOR.selector_to_xpath(sel)
            xpath = lxml.etree.XPath(expr)
        except (cssselect.SelectorError, cssselect.ExpressionError, lxml.etree.XPathError, ValueError, TypeError):
            continue
        classes: set[str] = set()
        ids: set[str] = set()
        tags: set[str] = set()
        _requirements(sel.parsed_tree, classes, ids, tags)
        tags.discard("*")
        out.append(_Compiled(xpath, sel.specificity(), frozenset(classes), frozenset(ids), frozenset(tags)))
    return tuple(out)


class Cascade:
    """The winning declarations of ``PROPERTIES`` for the elements of one document.

    Order of precedence as CSS has it for author styles: ``!important``, then the ``style``
    attribute, then specificity, then order of appearance.
    """

    def __init__(self, doc: Any, sheets: list[tuple[CssRule, ...]]):
        self._matched: dict[Any, dict[str, tuple[tuple[int, int, tuple[int, int, int], int], Declared]]] = {}
        if not any(sheets):
            return
        classes = {c for value in doc.xpath("//@class") for c in str(value).split()}
        ids = {str(i) for i in doc.xpath("//@id")}
        tags: dict[str, bool] = {}  # is there such an element? asked of the tree once per tag

        def has_tags(wanted: frozenset[str]) -> bool:
            for tag in wanted:
                if tag not in tags:
                    tags[tag] = next(doc.iter(tag), None) is not None
                if not tags[tag]:
                    return False
            return True

        order = 0
        for sheet in sheets:
            for rule in sheet:
                order += 1
                for sel in compile_selectors(rule.selectors):
                    if not (sel.classes <= classes and sel.ids <= ids and has_tags(sel.tags)):
                        continue
                    try:
                        matched = sel.xpath(doc)
                    except lxml.etree.XPathError:
                        continue
                    if not matched:
                        continue
                    origin = f"{rule.selectors[:80]} ({rule.source})" if rule.source != "style" else f"{rule.selectors[:80]} (<style> страницы)"
                    for el in matched:
                        self._declare(el, rule.declarations, sel.specificity, order, origin)

    def _declare(self, el: Any, declarations: tuple[tuple[str, str, bool], ...], specificity: tuple[int, int, int], order: int, origin: str) -> None:
        slot = self._matched.setdefault(el, {})
        for prop, value, important in declarations:
            key = (int(important), 0, specificity, order)
            if prop not in slot or slot[prop][0] <= key:
                slot[prop] = (key, Declared(value, origin))

    def matches(self, el: Any) -> bool:
        """Does any stylesheet rule set a property of ``PROPERTIES`` on ``el``?"""
        return el in self._matched

    def declared(self, el: Any) -> dict[str, Declared]:
        """The element's cascaded values of ``PROPERTIES`` (only those some rule or its style sets)."""
        out = {prop: d for prop, (_key, d) in self._matched.get(el, {}).items()}
        style = el.get("style")
        if style:
            for prop, (value, important) in parse_inline_style(style).items():
                current = self._matched.get(el, {}).get(prop)
                if current is None or current[0][0] <= int(important):
                    out[prop] = Declared(value, "style")
        return out
