"""What the crawler's hiding facts (``artifacts.schema.Hider``) mean for a visitor (order 1493 п.27).

Two degrees: *hidden* — no visitor sees it (``display:none`` nothing on the page opens,
visually-hidden classes, off-screen or zero-size boxes, ``<template>``, ``<noscript>``);
*not shown at once* — a tab, a spoiler or an accordion a visitor opens by a click, or
``aria-hidden`` (shown on screen, withheld from screen readers): a person must look.
"""

from __future__ import annotations

from typing import Any

REASONS = {
    "hidden": "атрибут hidden",
    "display": "стиль display:none",
    "visibility": "стиль visibility:hidden",
    "class": "класс, скрывающий элемент",
    "sr-only": "класс «только для экранного диктора»",
    "clip": "обрезка clip/clip-path до нуля",
    "offscreen": "блок сдвинут за пределы экрана",
    "zero-size": "блок нулевого размера с overflow:hidden",
    "details": "закрытый блок <details>",
    "aria-hidden": 'aria-hidden="true" (скрыто от экранного диктора)',
    "template": "внутри <template> (не отображается)",
    "noscript": "внутри <noscript> (показывается только без JavaScript)",
}


def hider_of(page: dict[str, Any], node: dict[str, Any]) -> dict[str, Any] | None:
    """The reason a microdata node is not shown, or None when it is shown (or the artifact predates the fact)."""
    v = node.get("v")
    hiders = page.get("hiders") or []
    if not isinstance(v, int) or not 0 <= v < len(hiders):
        return None
    return hiders[v]


def certain(hider: dict[str, Any]) -> bool:
    """No visitor sees it: not a tab or spoiler a click opens, not shown-but-unvoiced aria-hidden."""
    return hider.get("r") != "aria-hidden" and not hider.get("t")


def describe(hider: dict[str, Any]) -> str:
    """«стиль display:none — .dup (https://…/style.css), элемент table.dup»."""
    reason = REASONS.get(hider.get("r", ""), hider.get("r", "скрыто"))
    by = hider.get("by", "")
    source = "атрибут style" if by == "style" else by
    parts = [reason]
    if source and source not in reason and hider.get("r") not in ("template", "noscript"):
        parts.append(source)
    if hider.get("el"):
        parts.append(f"элемент {hider['el']}")
    if hider.get("t"):
        parts.append("открывается по щелчку (вкладка, спойлер)")
    return ", ".join(parts)


def hidden_message(hiders: list[dict[str, Any]]) -> tuple[bool, str]:
    """(every one certain?, the message) for an item whose every marked occurrence is hidden."""
    sure = all(certain(h) for h in hiders)
    shown = describe(next((h for h in hiders if certain(h)), hiders[0]) if sure else next(h for h in hiders if not certain(h)))
    if sure:
        return True, f"размечено, но скрыто от посетителей ({shown}): размеченные данные должны быть доступны для просмотра (п.27)"
    return False, f"размечено, но не показано сразу ({shown}) — проверьте, что посетитель видит эти сведения (п.27)"
