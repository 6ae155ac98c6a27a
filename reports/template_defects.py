"""Template defects: one audit failing on most sites of one platform, reported once.

A region with 300 schools on one platform needs one letter to the platform's vendor, not 300
findings to 300 schools: «на 212 из 230 сайтов Госвеб нет атрибута telephone». The platform of
each site is the check's ``platform`` (``checks.platform``, stored with the check JSON); the
failures come from the item and audit rows of the month's checks.

A failure at least half as frequent on the other sites of the region is not the template's and is
left to the ordinary findings. Settings (environment): ``SVEDEN_TEMPLATE_DEFECT_SHARE`` — the share of the platform's checked
sites that must fail (default 0.6, above one half: «most»), ``SVEDEN_TEMPLATE_DEFECT_MIN_SITES`` —
the fewest failing sites that make a defect (default 5).
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks import catalogue
from checks.model import Rule
from reports.data import CheckRow, Dataset, ReportError, _chunks
from storage.models import AuditResultRow, Check, ItemResult

DEFAULT_SHARE = 0.6
DEFAULT_MIN_SITES = 5


@dataclass(slots=True)
class TemplateDefect:
    platform: str  # ``checks.platform`` key
    platform_title: str
    vendor: str  # who fixes it
    module: str  # the sveden module most failing sites share, or ""
    rule: str
    title: str  # the finding, in words
    failing: int  # sites of the platform where the audit fails
    sites: int  # checked sites of the platform
    example: str  # the most frequent message
    org_ids: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.failing / self.sites if self.sites else 0.0

    @property
    def text(self) -> str:
        """«на 212 из 230 сайтов Госвеб нет атрибута itemprop="telephone" (CMN013)»."""
        return f"на {self.failing} из {self.sites} {_sites_word(self.sites)} {self.platform_title} {self.title} ({self.rule})"


def _sites_word(n: int) -> str:
    # «из 1 сайта», «из 5 сайтов»: the genitive after «из» is singular only for 1, 21, 31…
    return "сайта" if n % 10 == 1 and n % 100 != 11 else "сайтов"


def settings(environ: Mapping[str, str] | None = None) -> tuple[float, int]:
    """The share and the minimum from the environment; a value that does not fit is a Russian error."""
    env = os.environ if environ is None else environ
    raw_share = env.get("SVEDEN_TEMPLATE_DEFECT_SHARE", "").strip()
    raw_min = env.get("SVEDEN_TEMPLATE_DEFECT_MIN_SITES", "").strip()
    try:
        share = float(raw_share.replace(",", ".")) if raw_share else DEFAULT_SHARE
    except ValueError:
        share = -1.0
    if not 0.5 < share <= 1:
        raise ReportError(f"SVEDEN_TEMPLATE_DEFECT_SHARE={raw_share!r}: нужна доля больше 0,5 и не больше 1 (например 0.6)")
    if raw_min and not (raw_min.isdigit() and int(raw_min) >= 2):
        raise ReportError(f"SVEDEN_TEMPLATE_DEFECT_MIN_SITES={raw_min!r}: нужно целое число не меньше 2")
    return share, int(raw_min) if raw_min else DEFAULT_MIN_SITES


def platforms(session: Session, checks: list[CheckRow]) -> dict[int, dict[str, Any]]:
    """The stored platform of each check that has one (the check JSON's ``platform``)."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(c.id for c in checks)):
        for check_id, extra in session.execute(select(Check.id, Check.extra).where(Check.id.in_(list(chunk)))):
            found = ((extra or {}).get("values") or {}).get("platform")
            if isinstance(found, dict) and found.get("key"):
                out[check_id] = found
    return out


def _failures(session: Session, check_ids: list[int]) -> dict[str, dict[int, str]]:
    """rule → check id → message, for every failed item and audit of these checks."""
    out: dict[str, dict[int, str]] = defaultdict(dict)
    for table in (ItemResult, AuditResultRow):
        for chunk in _chunks(check_ids):
            q = select(table.check_id, table.rule, table.message).where(table.check_id.in_(list(chunk)), table.status == "fail")
            for check_id, rule, message in session.execute(q):
                out[rule].setdefault(check_id, message or "")
    return out


def _finding_title(rule: str) -> str:
    audit = catalogue.by_code().get(rule)
    if isinstance(audit, Rule):
        return f"нет атрибута или неверная разметка itemprop=\"{audit.itemprop}\" ({audit.title})"
    return f"— {audit.failure_title.lower()[:1]}{audit.failure_title[1:]}" if audit is not None else "— нарушение"


def find(session: Session, ds: Dataset, share: float | None = None, min_sites: int | None = None) -> list[TemplateDefect]:
    """Template defects among the month's checked sites in the report's scope, most sites first."""
    if share is None or min_sites is None:
        env_share, env_min = settings()
        share = env_share if share is None else share
        min_sites = env_min if min_sites is None else min_sites
    checks = [ds.current[o] for o in ds.scope if o in ds.current and ds.current[o].checked]
    found = platforms(session, checks)
    by_platform: dict[str, list[CheckRow]] = defaultdict(list)
    for c in checks:
        if c.id in found:
            by_platform[found[c.id]["key"]].append(c)
    failures = _failures(session, sorted(c.id for c in checks))
    defects = []
    for key, cs in by_platform.items():
        ids = {c.id for c in cs}
        if len(ids) < min_sites:
            continue
        info = found[cs[0].id]
        for rule, by_check in failures.items():
            failing = [i for i in by_check if i in ids]
            if len(failing) < min_sites or len(failing) / len(ids) < share:
                continue
            # A failure as common on other sites is the region's, not the template's.
            others = len(checks) - len(ids)
            if others and (len(by_check) - len(failing)) / others > len(failing) / len(ids) / 2:
                continue
            modules = Counter(found[i].get("module") or "" for i in failing)
            module, n = modules.most_common(1)[0]
            example = Counter(by_check[i] for i in failing).most_common(1)[0][0]
            org_of = {c.id: c.org_id for c in cs}
            defects.append(TemplateDefect(
                key, info.get("title", key), info.get("vendor", ""), module if n * 2 > len(failing) else "",
                rule, _finding_title(rule), len(failing), len(ids), example, sorted(org_of[i] for i in failing),
            ))
    return sorted(defects, key=lambda d: (-d.failing, d.platform, d.rule))


def table(session: Session, ds: Dataset) -> Any:
    """The «Дефекты шаблонов» sheet (XLSX), ``template_defects.csv`` and the JSON's ``template_defects``."""
    from reports.exports import Column, Table  # noqa: PLC0415 - exports imports this module when it writes

    cols = [
        Column("platform", "Платформа", width=16),
        Column("module", "Модуль «Сведения»", width=20),
        Column("rule", "Код правила", width=10),
        Column("defect", "Нарушение", width=70),
        Column("failing", "Сайтов с нарушением", "int", width=12),
        Column("sites", "Проверено сайтов платформы", "int", width=12),
        Column("share", "Доля, %", "pct", width=10),
        Column("vendor", "Кому исправить", width=36),
        Column("example", "Что найдено (чаще всего)", width=50),
        Column("org_ids", "Коды организаций", width=40),
    ]
    out = Table("template_defects", "Дефекты шаблонов", cols)
    for d in find(session, ds):
        out.rows.append([d.platform_title, d.module, d.rule, d.text, d.failing, d.sites, round(d.share * 100, 1), d.vendor, d.example, ", ".join(d.org_ids)])
    return out
