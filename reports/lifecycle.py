"""The life of each finding across months: every organization × audit code pair that has failed has a
state in the report's month —

- ``new``: fails now and never failed before (in the months kept);
- ``persisting``: failed at the last check and fails now, for N months (since its streak began);
- ``fixed``: failed at the last check, passes now (or no longer applies);
- ``regressed``: fails again after it had been fixed;
- ``not_checked``: failed at the last check, and this month's check could not judge it (the site was
  not checked, or the item could not be checked or needs a person's review).

A month in which a pair could not be judged neither ends nor starts its streak. The time to fix is
counted in calendar months from the first month of the streak to the month it was found fixed.
Item rules and the other audits (``audit_results``) alike; one query per chunk of checks and table
(only failed and unjudged rows are read).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.data import Dataset, _chunks
from storage.models import AuditResultRow, ItemResult

STATES = ("new", "persisting", "regressed", "fixed", "not_checked")
STATE_TITLES = {
    "new": "новое",
    "persisting": "сохраняется",
    "regressed": "вернулось",
    "fixed": "исправлено",
    "not_checked": "не проверено в этом месяце",
}
OPEN = "fail"
UNJUDGED = ("needs_review", "error")


def month_index(month: str) -> int:
    year, m = month.split("-")
    return int(year) * 12 + int(m) - 1


def months_between(first: str, last: str) -> int:
    return month_index(last) - month_index(first)


@dataclass(slots=True)
class Life:
    org_id: str
    rule: str
    state: str  # STATES
    since: str  # the month the current (or, for ``fixed``, the ended) streak began
    months: int  # persisting: calendar months since ``since``, this one included; fixed: months it took
    status: str  # "fail" when it fails this month, "" otherwise


@dataclass
class Lifecycle:
    month: str
    pairs: dict[tuple[str, str], Life] = field(default_factory=dict)
    # Every fix seen in the months kept: (org id, rule, month fixed, months it took).
    fixes: list[tuple[str, str, str, int]] = field(default_factory=list)

    @cached_property
    def _by_org(self) -> dict[str, list[Life]]:
        """One pass over the pairs (asked once they are all in), then each municipality reads only its own."""
        by_org: dict[str, list[Life]] = defaultdict(list)
        for v in self.pairs.values():
            by_org[v.org_id].append(v)
        return by_org

    def _of(self, org_ids: Iterable[str] | None) -> list[Life]:
        if org_ids is None:
            return list(self.pairs.values())
        return [v for o in dict.fromkeys(org_ids) for v in self._by_org.get(o, ())]

    def of_state(self, state: str, org_ids: Iterable[str] | None = None) -> list[Life]:
        return [v for v in self._of(org_ids) if v.state == state]

    def counts(self, org_ids: Iterable[str]) -> Counter[str]:
        return Counter(v.state for v in self._of(org_ids))

    def median_time_to_fix(self, org_ids: Iterable[str]) -> float | None:
        """Median months from the first failing month to the fix, over the fixes of the months kept."""
        wanted = set(org_ids)
        took = [n for org, _, _, n in self.fixes if org in wanted]
        return float(statistics.median(took)) if took else None


def lifecycle(session: Session, ds: Dataset) -> Lifecycle:
    sources = {**ds.history, ds.month: ds.current}
    months = [m for m in ds.months if m in sources]
    check_month: dict[int, tuple[str, str]] = {}
    for m in months:
        for org_id, c in sources[m].items():
            if c.checked and org_id in ds.orgs:
                check_month[c.id] = (m, org_id)
    failed: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # pair → month → status
    unjudged: dict[str, set[tuple[str, str]]] = defaultdict(set)  # month → pairs
    for table, chunk in ((t, c) for t in (ItemResult, AuditResultRow) for c in _chunks(sorted(check_month))):
        q = select(table.check_id, table.rule, table.status).where(table.check_id.in_(list(chunk)), table.status.in_([OPEN, *UNJUDGED]))
        for check_id, rule, status in session.execute(q):
            m, org_id = check_month[check_id]
            if status == OPEN:
                failed[(org_id, rule)][m] = status
            else:
                unjudged[m].add((org_id, rule))
    out = Lifecycle(ds.month)
    at = {m: month_index(m) for m in months}
    judged_orgs = {m: {o for o, c in sources[m].items() if c.checked} for m in months}
    for (org_id, rule), fails in failed.items():
        last_known = ""  # "open" | "closed"
        ever_open = False
        since = ""
        state = ""
        took = 0
        for m in months:
            if org_id not in judged_orgs[m] or (org_id, rule) in unjudged[m]:
                state = "not_checked" if last_known == "open" else ""
                continue
            if m in fails:
                if last_known == "open":
                    state = "persisting"
                else:
                    state = "regressed" if ever_open else "new"
                    since = m
                ever_open, last_known = True, "open"
            else:
                if last_known == "open":
                    state, took = "fixed", at[m] - at[since]
                    out.fixes.append((org_id, rule, m, took))
                else:
                    state = ""
                last_known = "closed"
        if not state:
            continue
        span = took if state == "fixed" else at[ds.month] - at[since] + 1
        out.pairs[(org_id, rule)] = Life(org_id, rule, state, since, span, fails.get(ds.month, ""))
    return out
