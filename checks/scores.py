"""НОКО openness scores measurable from a site: indicators 1.1 (site part) and 1.2.

Legal source: показатели критерия 1 «Открытость и доступность информации об организации»
(приказ Минтруда России № 344н от 31.05.2018, Единый порядок расчёта показателей НОК;
for education: приказ Минпросвещения России № 114 от 13.03.2019):

- 1.1  П_инф = 0,5 × (И_стенд / И_норм-стенд + И_сайт / И_норм-сайт) × 100 — the items published
  on the information stands and on the site over the items required. A crawler sees only the
  site: ``p1_1_site`` = И_сайт / И_норм-сайт × 100, where И_норм-сайт is the number of required
  items that apply to the organization (rules that are not «при наличии» and whose status is
  not ``not_applicable``) and И_сайт is how many of them have status ``pass``; ``fail``,
  ``needs_review`` and ``error`` count as not published. The stand part is not measurable here.
- 1.2  П_дист = 30 points × the number of remote feedback channels found (telephone, e-mail,
  electronic service, «Часто задаваемые вопросы», a questionnaire or a link to one), 100 for
  four or more.

Rounding: percentages to one decimal place, half away from zero (``Decimal.ROUND_HALF_UP``,
not Python's banker's ``round``): 1 of 16 → 6.3.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from checks import catalogue
from checks.model import ItemResult, Status

POINTS_PER_CHANNEL = 30
P1_2_MAX = 100
BASIS = "Приказ Минтруда России № 344н от 31.05.2018; приказ Минпросвещения России № 114 от 13.03.2019"
P1_1_NOTE = (
    "Показатель 1.1 рассчитывается как 0,5 × (И_стенд / И_норм-стенд + И_сайт / И_норм-сайт) × 100. "
    "По сайту можно оценить только часть «сайт»: доля обязательных сведений, признанных размещёнными "
    "(без сведений «при наличии» и неприменимых к организации); сведения с нарушениями, требующие "
    "проверки и непроверенные не засчитываются. Часть «информационные стенды» по сайту не оценивается."
)
P1_2_NOTE = "Показатель 1.2: 30 баллов за каждый найденный дистанционный способ взаимодействия, 100 баллов — за четыре и более."


def percent(part: int, whole: int) -> float | None:
    """``part / whole × 100`` rounded to 0.1, half up; None when nothing is required."""
    if whole <= 0:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


def p1_2(channels_found: int) -> int:
    return min(P1_2_MAX, POINTS_PER_CHANNEL * max(0, channels_found))


@cache
def _optional_codes() -> frozenset[str]:
    return frozenset(r.code for r in catalogue.rules() if r.optional)


def _counted(item: ItemResult) -> bool:
    """An applicable required item: the denominator of the site part of 1.1."""
    return Status(item.status) is not Status.not_applicable and item.rule not in _optional_codes()


REGIONAL_NOTE = "Региональная оценка: доля выполненных региональных правил, которые файл правил региона велит учитывать (counts_in_score); в показатели НОКО не входит."


def regional(audits: list[Any]) -> dict[str, Any] | None:
    """The share of passed regional audits the rules file counts (``counts_in_score``); None when none counts.

    Kept apart from П1.1 and П1.2, which are federal measures and count item rules and channels only."""
    counted = {a.code for a in catalogue.audits_of("regional") if getattr(a, "counts_in_score", False)}
    if not counted:
        return None
    judged = [r for r in audits if r.rule in counted and Status(r.status) is not Status.not_applicable]
    passed = sum(1 for r in judged if Status(r.status) is Status.passed)
    return {"percent": percent(passed, len(judged)), "counted": len(judged), "passed": passed, "rules": sorted(counted), "note": REGIONAL_NOTE}


def compute(items: list[ItemResult], feedback: dict[str, Any] | None) -> dict[str, Any]:
    """Scores for one site: ``p1_1_site`` and per-subsection shares, ``p1_2`` from the channels.

    ``p1_1_site`` is None when no required item applies; ``p1_2`` is None when the feedback
    channels were not evaluated (``feedback`` is None).
    """
    required: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    for it in items:
        if not _counted(it):
            continue
        required[it.section] += 1
        by_status[str(Status(it.status))] += 1
        if Status(it.status) is Status.passed:
            passed[it.section] += 1
    slugs = [s.slug for s in catalogue.sections()]
    slugs += sorted(set(required) - set(slugs))
    by_section = {slug: percent(passed[slug], required[slug]) for slug in slugs}
    total_required, total_passed = sum(required.values()), sum(passed.values())

    channels = dict((feedback or {}).get("channels") or {})
    found = sorted(c for c, ok in channels.items() if ok)
    return {
        "p1_1_site": percent(total_passed, total_required),
        "p1_1_stand": None,
        "p1_1_required": total_required,
        "p1_1_passed": total_passed,
        "p1_1_by_status": dict(sorted(by_status.items())),
        "by_section": by_section,
        "by_section_counts": {slug: {"required": required[slug], "passed": passed[slug]} for slug in slugs},
        "p1_1_note": P1_1_NOTE,
        "p1_2": p1_2(len(found)) if feedback is not None else None,
        "p1_2_channels": len(found),
        "p1_2_found": found,
        "p1_2_note": P1_2_NOTE,
        "rounding": "до 0,1, половина — вверх",
        "basis": BASIS,
    }
