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


def previous_hashes(session: Any, prev_ids: dict[int, str]) -> dict[str, set[str]]:
    """The salted hashes of last month's findings, by organization (``prev_ids``: check id → org id).

    The hash is the same when the same value is still published, so the school report can say
    which findings were already there (nothing else of the value is kept to compare)."""
    from sqlalchemy import select

    from storage.models import AuditResultRow

    out: dict[str, set[str]] = {o: set() for o in prev_ids.values()}
    ids = list(prev_ids)
    for start in range(0, len(ids), 500):
        q = select(AuditResultRow.check_id, AuditResultRow.extra).where(
            AuditResultRow.check_id.in_(ids[start: start + 500]), AuditResultRow.group == "personal", AuditResultRow.status == "needs_review")
        for check_id, extra in session.execute(q):
            out[prev_ids[check_id]].update(str(e.get("hash", "")) for e in (extra or {}).get("evidence") or [] if isinstance(e, dict))
    return out


def since_last_month(row: dict[str, Any], seen: set[str] | None) -> str:
    """«из них были и в прошлом месяце: 2» for a finding row of the school report; "" without a last month."""
    if seen is None or row.get("status") != "needs_review":
        return ""
    hashes = [str(e.get("hash", "")) for e in row.get("evidence") or [] if isinstance(e, dict)]
    again = sum(1 for h in hashes if h and h in seen)
    if not hashes:
        return ""
    return f"были и в прошлом месяце: {again} из {len(hashes)}" if again else "в прошлом месяце не было"
