"""The figures of the reports, computed from a :class:`reports.data.Dataset`.

Every share is a percentage of the organizations *checked* (the site answered and was judged:
outcome ``ok`` or ``no_sveden_section``); organizations not checked are counted apart, with the
reason. Means and shares are rounded to 0.1, half up, as ``checks.scores`` rounds П1.1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from checks import catalogue
from checks.docs import GROUP_TITLES
from checks.feedback import CHANNELS
from checks.model import Rule
from reports.data import CheckRow, Dataset

NO_RESULT = "no_result"  # an organization of the registry without a check in the month
APPLICABLE = ("pass", "fail", "needs_review", "error")  # item statuses that count in «соответствие»
MONTHS_RU = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь")
MONTHS_RU_SHORT = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
INDICATORS = {
    "checked": "Проверено организаций",
    "compliant_share": "Полностью соответствуют, %",
    "p1_1_mean": "Средний П1.1 (сайт)",
    "p1_2_mean": "Средний П1.2",
    "opinion_share": "Есть возможность выразить мнение, %",
}


def round1(value: float | None) -> float | None:
    """To 0.1, half away from zero (``Decimal.ROUND_HALF_UP``)."""
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def share(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def mean(values: Iterable[float | int | None]) -> float | None:
    vals = [Decimal(repr(v)) for v in values if v is not None]
    if not vals:
        return None
    return float((sum(vals) / len(vals)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def month_title(month: str) -> str:
    """«2026-10» → «октябрь 2026»."""
    year, m = month.split("-")
    return f"{MONTHS_RU[int(m) - 1]} {year}"


def month_short(month: str) -> str:
    year, m = month.split("-")
    return f"{MONTHS_RU_SHORT[int(m) - 1]} {year}"


@dataclass
class Indicators:
    """The headline figures of a set of organizations in one month."""

    total: int  # organizations in the set
    with_result: int  # … that have a check in the month
    checked: int
    not_checked: int  # a check exists, but the site could not be judged
    no_result: int  # no check in the month at all
    reasons: Counter[str]  # outcome (or ``no_result``) → organizations not checked
    compliant: int
    compliant_share: float | None
    incomplete: int  # checked, nothing fails, but some items could not be checked
    p1_1_mean: float | None
    p1_1_count: int
    p1_2_mean: float | None
    p1_2_count: int
    channels: dict[str, int]  # channel → checked organizations that have it
    channel_shares: dict[str, float | None]
    feedback_count: int  # checked organizations whose channels were evaluated
    fails_total: int
    fails_mean: float | None

    @property
    def opinion_share(self) -> float | None:
        return self.channel_shares.get("opinion")

    def value(self, key: str) -> float | None:
        return float(self.checked) if key == "checked" else getattr(self, key)

    def as_json(self) -> dict[str, Any]:
        return {
            "organizations": self.total,
            "with_result": self.with_result,
            "checked": self.checked,
            "not_checked": self.not_checked,
            "no_result": self.no_result,
            "not_checked_reasons": dict(sorted(self.reasons.items())),
            "compliant": self.compliant,
            "compliant_share": self.compliant_share,
            "checked_incompletely": self.incomplete,
            "p1_1_site_mean": self.p1_1_mean,
            "p1_2_mean": self.p1_2_mean,
            "feedback_evaluated": self.feedback_count,
            "channels": dict(self.channels),
            "channel_shares": dict(self.channel_shares),
            "fails_total": self.fails_total,
            "fails_mean": self.fails_mean,
        }


def indicators(org_ids: Iterable[str], checks: dict[str, CheckRow]) -> Indicators:
    ids = list(org_ids)
    rows = [checks[o] for o in ids if o in checks]
    checked = [c for c in rows if c.checked]
    reasons: Counter[str] = Counter(c.outcome for c in rows if not c.checked)
    no_result = len(ids) - len(rows)
    if no_result:
        reasons[NO_RESULT] = no_result
    with_fb = [c for c in checked if c.channels is not None]
    channels = {ch: sum(1 for c in with_fb if c.channels.get(ch)) for ch in CHANNELS}  # type: ignore[union-attr]
    compliant = sum(1 for c in checked if c.compliant)
    p11 = [c.p1_1 for c in checked if c.p1_1 is not None]
    p12 = [c.p1_2 for c in checked if c.p1_2 is not None]
    fails_total = sum(c.fails for c in checked)
    return Indicators(
        total=len(ids),
        with_result=len(rows),
        checked=len(checked),
        not_checked=len(rows) - len(checked),
        no_result=no_result,
        reasons=reasons,
        compliant=compliant,
        compliant_share=share(compliant, len(checked)),
        incomplete=sum(1 for c in checked if c.incomplete),
        p1_1_mean=mean(p11),
        p1_1_count=len(p11),
        p1_2_mean=mean(p12),
        p1_2_count=len(p12),
        channels=channels,
        channel_shares={ch: share(n, len(with_fb)) for ch, n in channels.items()},
        feedback_count=len(with_fb),
        fails_total=fails_total,
        fails_mean=mean([c.fails for c in checked]),
    )


# A registry column is a breakdown when it sorts the organizations into a few groups:
# a district or «город/село» column is, a column of phone numbers or directors' names is not.
MAX_GROUPS = 40


@dataclass
class GroupBreakdown:
    column: str  # the registry's column header («Район», «Тип местности»)
    rows: list[tuple[str, Indicators]]  # value → its organizations' indicators, by value
    unknown: int  # organizations of the scope with no value in the column


def group_breakdowns(ds: Dataset) -> list[GroupBreakdown]:
    """The month's indicators by each grouping column of the registry (issue 15: «registry groups in reports»)."""
    columns: dict[str, dict[str, list[str]]] = {}
    for o in ds.scope:
        for column, value in ds.orgs[o].groups.items():
            columns.setdefault(column, {}).setdefault(value, []).append(o)
    out = []
    for column, groups in sorted(columns.items(), key=lambda kv: kv[0].casefold()):
        listed = sum(len(ids) for ids in groups.values())
        # Every value its own organization: an identifier or a name, not a grouping.
        if not 1 < len(groups) <= MAX_GROUPS or len(groups) == listed:
            continue
        rows = [(value, indicators(ids, ds.current)) for value, ids in sorted(groups.items(), key=lambda kv: kv[0].casefold())]
        out.append(GroupBreakdown(column, rows, len(ds.scope) - listed))
    return out


def delta(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round1(now - before)


@dataclass
class Trend:
    months: list[str]
    region: dict[str, Indicators]  # month → indicators of the organizations in scope
    by_municipality: dict[str, dict[str, Indicators]]  # municipality → month → indicators
    rules_changed: bool = False
    whole_region: Indicators | None = None  # this month, every organization of the region, whatever the filters


def trend(ds: Dataset) -> Trend:
    """Indicators per month (earlier finished months and this one), for the region and each municipality."""
    months = ds.months
    sources = {**ds.history, ds.month: ds.current}
    region = {}
    by_muni: dict[str, dict[str, Indicators]] = {m: {} for m in ds.municipalities}
    for month in months:
        checks = sources[month]
        # An earlier month counts the organizations it has results for (the registry changes).
        ids = ds.scope if month == ds.month else [o for o in ds.scope if o in checks]
        region[month] = indicators(ids, checks)
        grouped: dict[str, list[str]] = {m: [] for m in ds.municipalities}
        for o in ids:
            grouped[ds.orgs[o].municipality].append(o)
        for muni, mids in grouped.items():
            by_muni[muni][month] = indicators(mids, checks)
    versions = {r.rules_version for runs in [*ds.history_runs.values(), ds.runs] for r in runs if r.rules_version}
    filtered = bool(ds.region_scope) and ds.region_current is not ds.current
    whole = indicators(ds.region_scope, ds.region_current) if filtered else region[ds.month]
    return Trend(months, region, by_muni, rules_changed=len(versions) > 1, whole_region=whole)


@dataclass
class RuleStat:
    code: str
    title: str
    section: str
    section_title: str
    fail: int
    checked: int  # checked organizations the rule was judged for (not «не применяется»)

    @property
    def share(self) -> float | None:
        return share(self.fail, self.checked)


def top_failed(counts: Counter[tuple[str, str]], limit: int = 20) -> list[RuleStat]:
    """The rules that fail in most checked organizations (each check has one result per rule)."""
    by_code = catalogue.by_code()
    sections = catalogue.section_by_slug()
    fails: Counter[str] = Counter()
    judged: Counter[str] = Counter()
    for (rule, status), n in counts.items():
        if status == "fail":
            fails[rule] += n
        if status in APPLICABLE:
            judged[rule] += n
    out = []
    for code, n in sorted(fails.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        rule = by_code.get(code)
        # Item rules by subsection; the other audits (feedback, НОКО, regional…) by their group.
        section = (rule.section if isinstance(rule, Rule) else rule.group) if rule else ""
        title = sections[section].title if section in sections else GROUP_TITLES.get(section, section)
        out.append(RuleStat(code, rule.title if rule else code, section, title, n, judged[code]))
    return out


@dataclass
class SectionStat:
    slug: str
    title: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def applicable(self) -> int:
        return sum(self.counts[s] for s in APPLICABLE)

    @property
    def compliance(self) -> float | None:
        """Items «выполнено» among the applicable ones (выполнено + нарушение + требует проверки + не удалось проверить)."""
        return share(self.counts["pass"], self.applicable)


def by_section(counts: Counter[tuple[str, str]]) -> list[SectionStat]:
    by_code = catalogue.by_code()
    stats = {s.slug: SectionStat(s.slug, s.title) for s in catalogue.sections()}
    for (rule, status), n in counts.items():
        r = by_code.get(rule)
        if isinstance(r, Rule) and r.section in stats:
            stats[r.section].counts[status] += n
    return list(stats.values())


def section_compliance(check: CheckRow) -> dict[str, float | None]:
    """One organization's «соответствие» per subsection, from the check's section counts."""
    out: dict[str, float | None] = {}
    for s in check.sections or []:
        counts = s.get("counts") or {}
        applicable = sum(int(counts.get(k, 0)) for k in APPLICABLE)
        out[s.get("slug", "")] = share(int(counts.get("pass", 0)), applicable)
    return out


def histogram(values: Iterable[float | None], edges: list[float]) -> list[int]:
    """Counts per bin ``[edges[i], edges[i+1])``, the last bin closed on the right."""
    bins = [0] * (len(edges) - 1)
    for v in values:
        if v is None:
            continue
        for i in range(len(bins)):
            last = i == len(bins) - 1
            if edges[i] <= v < edges[i + 1] or (last and v == edges[-1]):
                bins[i] += 1
                break
    return bins


def rating(ds: Dataset, org_ids: Iterable[str] | None = None) -> list[tuple[int | None, str]]:
    """Places of the checked organizations by П1.1 (site), then П1.2, then fewer failures; equal scores share a place.

    Organizations not checked get no place (None) and come last.
    """
    ids = list(ds.scope if org_ids is None else org_ids)
    checked = [o for o in ids if o in ds.current and ds.current[o].checked]
    rest = [o for o in ids if o not in checked]

    def key(o: str) -> tuple[float, float, int]:
        c = ds.current[o]
        return (-(c.p1_1 if c.p1_1 is not None else -1), -(c.p1_2 if c.p1_2 is not None else -1), c.fails)

    checked.sort(key=lambda o: (key(o), ds.orgs[o].name))
    out: list[tuple[int | None, str]] = []
    place = 0
    prev = None
    for i, o in enumerate(checked, 1):
        k = key(o)
        if k != prev:
            place, prev = i, k
        out.append((place, o))
    out += [(None, o) for o in rest]
    return out
