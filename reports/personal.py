"""«Возможно, лишнее» in the department report: how many schools have findings of each kind.

Each check has one result per audit, so the count of «требует проверки» results of a PDN audit
is the number of schools where it found something (``checks.audits.personal``). An audit
switched off by ``SVEDEN_PERSONAL_DATA_AUDITS_OFF`` has no such results and is left out.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from artifacts.personal import KINDS
from checks import catalogue

NOTE = (
    "Проверка указывает на риск, а не выносит юридическое заключение: найденное на сайте или в документе "
    "(замаскированный фрагмент — в отчёте школы) проверяет человек. В оценки (П1.1, П1.2) не входит."
)


def school_counts(counts: Counter[tuple[str, str]]) -> list[dict[str, Any]]:
    """Per PDN audit that was judged: its kind, the schools with findings and the schools it looked at."""
    out = []
    for audit in catalogue.audits_of("personal"):
        judged = counts.get((audit.code, "pass"), 0) + counts.get((audit.code, "needs_review"), 0)
        if not judged:
            continue
        kind = KINDS.get(getattr(audit, "kind", ""), audit.title)
        out.append({"code": audit.code, "title": kind[:1].upper() + kind[1:], "schools": counts.get((audit.code, "needs_review"), 0), "judged": judged})
    return out
