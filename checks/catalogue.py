"""The rule catalogue, collected from the section modules in the order of MR v9 table 3.1."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import import_module

from checks.model import Rule, Section

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
def by_code() -> dict[str, Rule]:
    index: dict[str, Rule] = {}
    for r in rules():
        if r.code in index:
            raise RuntimeError(f"rule code {r.code} is declared twice")
        index[r.code] = r
    return index


@cache
def section_by_slug() -> dict[str, Section]:
    return {s.slug: s for s in sections()}


@cache
def vocabulary() -> frozenset[str]:
    """Every valid itemprop name (plus the generic ``addRef``)."""
    return frozenset({r.itemprop for r in rules()} | {"addRef"})


@cache
def rules_version() -> str:
    """A stable fingerprint of the rule set: changes whenever any rule's meaning does."""
    h = hashlib.sha256()
    for r in rules():
        h.update(repr((r.code, r.section, r.parent, r.itemprop, r.kind, r.optional, sorted(r.applies_to), r.superseded_by, bool(r.repealed))).encode())
    return f"1493-1353-mr9.0.0+{h.hexdigest()[:10]}"


@cache
def _by_key() -> dict[tuple[str, str, str], Rule]:
    return {r.key: r for r in rules()}


def rule_for(section: str, parent: str, itemprop: str) -> Rule:
    return _by_key()[(section, parent, itemprop)]
