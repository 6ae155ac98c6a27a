"""Is an element shown to a visitor? Facts for order 1493 п.27 (marked data visible) and п.23.

For each element the nearest reason it is not shown is found, inherited from its ancestors:
the ``hidden`` attribute, ``display:none``/``visibility:hidden`` (inline or from the page's
stylesheets, cascaded by :mod:`crawler.css`), visually-hidden classes (``sr-only``…) and
frameworks' hiding classes, ``aria-hidden="true"``, zero-size or off-screen boxes, a
``clip``/``clip-path`` that cuts the box away, a closed ``<details>``, ``<template>`` and
``<noscript>`` content. A reason is a fact; what it means for an item is the audits' decision.

Each hiding element becomes one *hider* record (``{"r", "el", "by", "t"}``): its reason, a
short description of the element, where the hiding comes from, and whether a control of the
page (a tab, a spoiler, ``aria-controls``) can open it.
"""

from __future__ import annotations

from typing import Any

import lxml.etree
import tinycss2

from artifacts.urls import is_document
from crawler.css import Cascade, CssRule, Declared

# Classes that hide content visually everywhere they are used (kept for screen readers only).
VISUALLY_HIDDEN = frozenset({
    "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text", "screen-reader-only", "element-invisible",
    "hidden-visually", "u-hidden-visually", "a11y-hidden", "screenreader", "sr-text", "show-for-sr", "vhidden",
})
# Framework classes that mean display:none on a desktop screen (Bootstrap, Foundation, UIkit, Bulma)
# even when their stylesheet is on a CDN the crawler does not read.
HIDING_CLASSES = frozenset({"hidden", "d-none", "hide", "is-hidden", "uk-hidden", "hidden-lg", "d-lg-none", "d-xl-none", "display-none"})
# Bootstrap's «d-none d-md-block»: shown again from a breakpoint a desktop screen passes.
_SHOWN_FROM = tuple(f"d-{bp}-{d}" for bp in ("sm", "md", "lg", "xl") for d in ("block", "inline", "inline-block", "flex", "inline-flex", "table", "table-cell", "table-row", "grid"))
# Class fragments of containers a visitor opens by a click: tabs, spoilers, accordions, modals.
_TOGGLE_FRAGMENTS = ("spoiler", "accordion", "collapse", "toggle", "modal", "dropdown", "tabs", "tab-pane", "tab-content", "tab_content", "tabcontent", "expand")
_TOGGLE_ATTRS = ("aria-controls", "data-target", "data-bs-target", "data-toggle-target", "data-tab", "data-href")
_TOGGLE_XPATH = " | ".join(f"//@{name}" for name in _TOGGLE_ATTRS)
_CANDIDATES = "//*[@style or @class or @hidden or @aria-hidden] | //template | //noscript | //details/*"
OFFSCREEN_PX = -500.0  # position:absolute with left/top at most this: moved off the screen
TEXT_ENOUGH = 3000  # characters of shown text past which a page is plainly text (megabyte tables are not read through)
ICON_PX = 48  # images with both sides below this are icons, not content
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp")
_NOT_CONTENT = frozenset({"header", "nav", "footer", "aside", "form", "script", "style", "noscript", "template", "button", "select"})


def _px(value: str | None) -> float | None:
    """A CSS length in px (em/rem at 16 px; 0 without a unit); None for anything else."""
    if not value:
        return None
    for t in tinycss2.parse_component_value_list(value):
        if t.type == "dimension":
            unit = t.lower_unit
            return float(t.value) * (16 if unit in ("em", "rem") else 1) if unit in ("px", "em", "rem", "pt") else None
        if t.type == "number":
            return float(t.value) if t.value == 0 else None
        if t.type not in ("whitespace", "comment"):
            return None
    return None


def _size_attr(value: str | None) -> float | None:
    """An ``<img width=…>`` attribute in px (a bare number is pixels)."""
    value = (value or "").strip()
    return _px(value + "px" if value.replace(".", "", 1).isdigit() else value)


def _clipped(clip: Declared | None, clip_path: Declared | None) -> Declared | None:
    """``clip: rect(0 0 0 0)``/``rect(1px, 1px, 1px, 1px)`` or ``clip-path: inset(50%)``: nothing of the box is painted."""
    if clip is not None:
        for t in tinycss2.parse_component_value_list(clip.value):
            if t.type == "function" and t.lower_name == "rect":
                sizes = [a.value for a in t.arguments if a.type in ("dimension", "number")]
                if len(sizes) == 4 and all(abs(s) <= 1 for s in sizes):
                    return clip
    if clip_path is not None:
        for t in tinycss2.parse_component_value_list(clip_path.value):
            if t.type == "function" and t.lower_name in ("inset", "circle"):
                args = [a for a in t.arguments if a.type in ("percentage", "dimension", "number")]
                if not args:
                    continue
                if t.lower_name == "inset" and args[0].type == "percentage" and args[0].value >= 50:
                    return clip_path
                if t.lower_name == "circle" and args[0].value == 0:
                    return clip_path
    return None


def _describe(el: Any) -> str:
    out = str(el.tag)
    if el.get("id"):
        out += "#" + el.get("id").strip()
    classes = (el.get("class") or "").split()
    if classes:
        out += "." + ".".join(classes[:3])
    return out[:80]


class Visibility:
    """Hiding reasons of one parsed page (computed on demand, each element once)."""

    def __init__(self, doc: Any, sheets: list[tuple[CssRule, ...]]):
        self.cascade = Cascade(doc, sheets)
        self.hiders: list[dict[str, Any]] = []
        # (hider of a reason nothing below overrides, hider of visibility:hidden) per element
        self._state: dict[Any, tuple[int | None, int | None]] = {}
        refs = {str(h)[1:] for h in doc.xpath("//@href[starts-with(., '#')]")}
        refs.update(str(v) for v in doc.xpath("//label/@for"))
        for value in doc.xpath(_TOGGLE_XPATH):
            refs.update(v.lstrip("#") for v in str(value).split())
        refs.discard("")
        self._refs = refs
        # Elements something of their own could hide (one XPath pass); the rest inherit their parent's state.
        self._own_candidates = set(doc.xpath(_CANDIDATES))

    # -- one element ------------------------------------------------------------------------
    def _toggled(self, el: Any) -> bool:
        """Can a visitor open it: a control of the page names it, or it is a tab, a spoiler…?"""
        for e in (el, el.getparent()):
            if e is None or not isinstance(e.tag, str):
                continue
            if e.get("id") and e.get("id") in self._refs:
                return True
            if e.tag == "details":
                return True
            if any(frag in tok for tok in (e.get("class") or "").lower().split() for frag in _TOGGLE_FRAGMENTS):
                return True
        return False

    def _hider(self, el: Any, reason: str, by: str) -> int:
        record = {"r": reason, "el": _describe(el), "by": by[:160]}
        if self._toggled(el):
            record["t"] = 1
        self.hiders.append(record)
        return len(self.hiders) - 1

    def _own(self, el: Any, d: dict[str, Declared]) -> tuple[str, str] | None:
        """The reason this element itself is not shown (visibility aside), and where it comes from."""
        tag = el.tag
        if tag in ("template", "noscript"):
            return tag, f"<{tag}>"
        display = d.get("display")
        if display is not None and display.value.split()[:1] == ["none"]:
            return "display", display.origin
        shown = display is not None  # an explicit display other than none wins over hiding attributes and classes
        if el.get("hidden") is not None and not shown:
            return "hidden", "атрибут hidden"
        classes = set((el.get("class") or "").lower().split())
        sr = classes & VISUALLY_HIDDEN
        if sr:
            return "sr-only", f"класс {sorted(sr)[0]}"
        framework = classes & HIDING_CLASSES
        if framework and not shown and not classes.intersection(_SHOWN_FROM):
            return "class", f"класс {sorted(framework)[0]}"
        position = d.get("position")
        if position is not None and position.value in ("absolute", "fixed"):
            clipped = _clipped(d.get("clip"), d.get("clip-path"))
            if clipped is not None:
                return "clip", clipped.origin
            for side in ("left", "top"):
                offset = d.get(side)
                px = _px(offset.value) if offset else None
                if px is not None and px <= OFFSCREEN_PX:
                    return "offscreen", offset.origin
        overflow = next((d[p] for p in ("overflow", "overflow-x", "overflow-y") if p in d and d[p].value in ("hidden", "clip")), None)
        if overflow is not None:
            for side in ("width", "height"):
                size = d.get(side)
                px = _px(size.value) if size else None
                if px is not None and px <= 1:
                    return "zero-size", size.origin
        parent = el.getparent()
        if parent is not None and parent.tag == "details" and parent.get("open") is None and tag != "summary":
            return "details", "закрытый <details>"
        if (el.get("aria-hidden") or "").strip().lower() == "true":
            return "aria-hidden", 'aria-hidden="true"'
        return None

    def _compute(self, el: Any, parent_state: tuple[int | None, int | None]) -> tuple[int | None, int | None]:
        hidden, invisible = parent_state
        if not self.may_hide(el):
            return parent_state  # most cells of a large table: nothing of their own can hide them
        d = self.cascade.declared(el)
        if hidden is None:
            own = self._own(el, d)
            if own is not None:
                hidden = self._hider(el, *own)
        vis = d.get("visibility")
        classes = (el.get("class") or "").split()
        if vis is not None:
            if vis.value in ("hidden", "collapse"):
                invisible = invisible if invisible is not None else self._hider(el, "visibility", vis.origin)
            elif vis.value == "visible":
                invisible = None
        elif "invisible" in classes and invisible is None:
            invisible = self._hider(el, "visibility", "класс invisible")
        return hidden, invisible

    def may_hide(self, el: Any) -> bool:
        """Could something of the element's own (attributes, a stylesheet rule) hide it?"""
        return el in self._own_candidates or self.cascade.matches(el)

    def hider(self, el: Any) -> int | None:
        """Index in :attr:`hiders` of the reason ``el`` is not shown; None when it is shown."""
        state = self._state.get(el)
        if state is None:
            chain = []
            e = el
            while e is not None and e not in self._state:
                chain.append(e)
                e = e.getparent()
            state = self._state[e] if e is not None else (None, None)
            for e in reversed(chain):
                state = self._compute(e, state) if isinstance(e.tag, str) else state
                self._state[e] = state
        hidden, invisible = state
        return hidden if hidden is not None else invisible


def main_content(doc: Any) -> Any:
    """The page's main content: <main>, role=main, <article>, #content, #main; else <body>."""
    found = next(doc.iter("main"), None)
    if found is None:
        found = next((a.getparent() for a in doc.xpath("//@role") if str(a) == "main"), None)
    if found is None:
        found = next(doc.iter("article"), None)
    if found is None:
        ids = {str(a): a.getparent() for a in reversed(doc.xpath("//@id"))}  # the first of each id
        found = ids.get("content", ids.get("main"))
    if found is not None:
        return found
    body = doc.find("body")
    return body if body is not None else doc


def content_balance(doc: Any, vis: Visibility) -> dict[str, int]:
    """Shown text and images of the page's main content (п.23: text, not pictures of text).

    ``txt``: characters of shown text (menus, headers, footers, forms left out); ``img``: shown
    content images (icons left out); ``alt``: characters of their alt texts; ``imgl``: links to
    image files; ``docs``: links to documents. A page of text is not read to its end: counting
    stops at ``TEXT_ENOUGH`` characters (``txt`` is then at least that, the others so far).
    """
    out = {"txt": 0, "img": 0, "alt": 0, "imgl": 0, "docs": 0}
    root = main_content(doc)
    stack = [root]
    while stack and out["txt"] < TEXT_ENOUGH:
        el = stack.pop()
        if not isinstance(el.tag, str) or el.tag in _NOT_CONTENT:
            continue
        # Below a shown element, one with nothing of its own that hides is shown too.
        if vis.may_hide(el) and vis.hider(el) is not None:
            continue
        if el.tag == "details" and el.get("open") is None:
            stack.extend(c for c in el if c.tag == "summary")
            continue
        if el.text:
            out["txt"] += len(el.text.strip())
        for child in el:
            if child.tail:
                out["txt"] += len(child.tail.strip())
        stack.extend(reversed(el))  # document order: the text a visitor reads first
        if el.tag == "img":
            w, h = _size_attr(el.get("width")), _size_attr(el.get("height"))
            if w is not None and h is not None and w < ICON_PX and h < ICON_PX:
                continue
            out["img"] += 1
            out["alt"] += len(" ".join((el.get("alt") or "").split()))
        elif el.tag == "a":
            href = (el.get("href") or "").split("?")[0].split("#")[0].lower()
            if href.endswith(IMAGE_EXT):
                out["imgl"] += 1
            elif href and is_document(href):
                out["docs"] += 1
    return out
