"""The audit catalogue: item rules from the section modules (MR v9 table 3.1 order), then the
other audits (``checks/audits``). ``sveden rules`` and the rules version are generated from it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import cache
from importlib import import_module
from typing import Any

from checks import regional
from checks.audits import AUDIT_MODULES
from checks.model import Audit, Rule, Section
from checks.retired import RETIRED

SECTION_MODULES = (
    "common",
    "struct",
    "document",
    "education",
    "eduStandarts",
    "managers",
    "employees",
    "objects",
    "grants",
    "paid_edu",
    "budget",
    "vacant",
    "inter",
    "catering",
)

RULESET = "Приказ Рособрнадзора № 1493 (ред. № 1353), МР v9.0.0"
# Bumped whenever judging behaviour changes without a change in any audit's declaration
# (the item judge, the feedback scan, the runner): results judged differently never share a version.
JUDGE_REVISION = 7  # 7: «not_read» also covers a document whose reading crashed (crawler.docread); 6: a document sveden could not keep to read is «не проверено» (not_read); 5 (issue 13): hidden-only marked data and links to non-documents do not pass; 4: item causes


@cache
def sections() -> tuple[Section, ...]:
    return tuple(import_module(f"checks.sections.{m}").SECTION for m in SECTION_MODULES)


@cache
def section_rules() -> dict[str, tuple[Rule, ...]]:
    return {m: import_module(f"checks.sections.{m}").RULES for m in SECTION_MODULES}


@cache
def rules() -> tuple[Rule, ...]:
    return tuple(r for m in SECTION_MODULES for r in section_rules()[m])


@cache
def other_audits() -> tuple[Audit, ...]:
    """Built-in audits that are not item rules: feedback channels, bus.gov.ru comparisons, НОКО."""
    return tuple(a for m in AUDIT_MODULES for a in import_module(f"checks.audits.{m}").AUDITS)


def regional_audits() -> tuple[Audit, ...]:
    """The region's own audits (``checks.regional``), from the rules file in force; re-read when it changes."""
    loaded = regional.load_active()
    return loaded.audits if loaded else ()


def audits() -> tuple[Audit, ...]:
    return rules() + other_audits() + regional_audits()


def audits_of(group: str) -> tuple[Audit, ...]:
    return tuple(a for a in audits() if a.group == group)


def by_code() -> dict[str, Audit]:
    loaded = regional.load_active()
    return _by_code(f"{loaded.path}:{loaded.sha256}" if loaded else "")


@cache
def _by_code(regional_file: str) -> dict[str, Audit]:  # keyed by the rules file in force
    index: dict[str, Audit] = {}
    for a in audits():
        if a.code in index:
            raise RuntimeError(f"audit code {a.code} is declared twice")
        if a.code in RETIRED:
            raise RuntimeError(f"audit code {a.code} is retired and never reused")
        index[a.code] = a
    return index


by_code.cache_clear = _by_code.cache_clear  # type: ignore[attr-defined]


@cache
def link_itemprops() -> tuple[str, ...]:
    """itemprops whose targets are documents: the gatherer probes their links."""
    return tuple(sorted({r.itemprop for r in rules() if r.kind == "link"}))


def probe_link_texts() -> tuple[str, ...]:
    """Link texts (patterns on normalized text) whose links the gatherer probes as documents."""
    return tuple(dict.fromkeys(p for a in audits() if (p := getattr(a, "probe_link_text", ""))))


def probe_selectors() -> tuple[str, ...]:
    """CSS selectors the gatherer matches on every page it reads (regional «element present» rules)."""
    return tuple(dict.fromkeys(p for a in audits() if (p := getattr(a, "probe_selector", ""))))


def probe_paths() -> tuple[str, ...]:
    """Paths on the site's host the gatherer probes (regional «page reachable» rules)."""
    return tuple(dict.fromkeys(p for a in audits() if (p := getattr(a, "probe_path", ""))))


@cache
def section_by_slug() -> dict[str, Section]:
    return {s.slug: s for s in sections()}


@cache
def vocabulary() -> frozenset[str]:
    """Every valid itemprop name (plus the generic ``addRef``)."""
    return frozenset({r.itemprop for r in rules()} | {"addRef"})


def _canonical(value: Any) -> Any:
    """A process-independent form of a declaration (sets sorted: their order follows string hashing)."""
    if dataclasses.is_dataclass(value):
        return [type(value).__name__, {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}]
    if isinstance(value, (set, frozenset)):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


@cache
def _builtin_version() -> str:
    h = hashlib.sha256(f"judge-{JUDGE_REVISION}".encode())
    for a in rules() + other_audits():
        h.update(json.dumps(_canonical(a), ensure_ascii=False).encode())
    return f"1493-1353-mr9.0.0+{h.hexdigest()[:10]}"


def rules_version() -> str:
    """A fingerprint of everything that decides a verdict: every field of every audit (titles,
    legal basis, fix texts and examples included), the judge revision and, where a region's
    rules file is in force, its SHA-256 (``+r`` and its first ten digits)."""
    loaded = regional.load_active()
    return _builtin_version() + (f"+r{loaded.sha256[:10]}" if loaded else "")


@cache
def _by_key() -> dict[tuple[str, str, str], Rule]:
    return {r.key: r for r in rules()}


def rule_for(section: str, parent: str, itemprop: str) -> Rule:
    return _by_key()[(section, parent, itemprop)]
