"""What the regional and department reports show about the life of findings and the reviewers' decisions:
the department report leads with what changed (newly broken, fixed, overdue against «принято к
исправлению до»), the regional one counts each state per municipality with the median time to fix;
both give the scores two ways, «по проверке» and «с учётом решений».
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from reports import summary
from reports.data import Dataset
from reports.decisions import SCORE_LABELS, SCORE_NOTE, Applied, ReviewedScore, applied_decisions, reviewed_scores
from reports.lifecycle import STATE_TITLES, STATES, Life, Lifecycle, lifecycle
from reports.render import rule_title, status_title

MONTHS_GEN = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря")
LIFECYCLE_NOTE = (
    "Состояние каждого пункта по месяцам: «новое» — нарушение впервые; «сохраняется» — с какого месяца; «исправлено»; "
    "«вернулось» — снова нарушено после исправления; «не проверено в этом месяце» — было нарушено, а в этом месяце сайт "
    "или пункт проверить не удалось. Срок исправления — в месяцах от первого месяца с нарушением до месяца, когда оно исправлено."
)


@dataclass
class ReviewView:
    life: Lifecycle
    applied: dict[tuple[str, str], Applied]
    scores: dict[str, ReviewedScore]


def load(session: Session, ds: Dataset) -> ReviewView:
    applied = applied_decisions(session, ds)
    return ReviewView(lifecycle(session, ds), applied, reviewed_scores(session, ds, applied))


def _both_ways(ds: Dataset, ids: list[str], view: ReviewView) -> dict[str, Any]:
    """Mean П1.1 (сайт) and «полностью соответствуют» over the checked organizations, both ways."""
    checked = [ds.current[o] for o in ids if o in ds.current and ds.current[o].checked]
    reviewed = [view.scores.get(c.org_id) for c in checked]
    p11_r = [r.p1_1 if r is not None else c.p1_1 for c, r in zip(checked, reviewed, strict=True)]
    comp_r = sum(1 for c, r in zip(checked, reviewed, strict=True) if (r.compliant if r is not None else c.compliant))
    comp_a = sum(1 for c in checked if c.compliant)
    return {
        "labels": SCORE_LABELS,
        "note": SCORE_NOTE,
        "audit": {"p1_1_mean": summary.mean(c.p1_1 for c in checked), "compliant": comp_a, "compliant_share": summary.share(comp_a, len(checked))},
        "reviewed": {"p1_1_mean": summary.mean(p11_r), "compliant": comp_r, "compliant_share": summary.share(comp_r, len(checked))},
        "differs": bool(view.scores.keys() & set(ids)),
    }


def _finding(ds: Dataset, view: ReviewView, life: Life | None, org_id: str, rule: str, files: dict[str, str]) -> dict[str, Any]:
    a = view.applied.get((org_id, rule))
    state = ""
    if life is not None:
        state = STATE_TITLES[life.state] + (f" {life.months} мес." if life.state == "persisting" else "")
        if life.state == "fixed" and life.months:
            state += f" за {life.months} мес."
    return {
        "org": ds.orgs[org_id], "file": files.get(org_id, ""), "rule": rule, "title": rule_title(rule), "state": state,
        "since": _since(life.since) if life is not None and life.since else "",
        "verdict": status_title(life.status) if life is not None and life.status else "",
        "decision": a.label() if a is not None and a.state not in ("later",) else "",
        "holds": bool(a is not None and a.holds),
    }


def _since(month: str) -> str:
    """«2026-09» → «с сентября 2026»."""
    year, m = month.split("-")
    return f"с {MONTHS_GEN[int(m) - 1]} {year}"


def _sorted(ds: Dataset, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["org"].name, r["rule"]))


def department(ds: Dataset, view: ReviewView, muni: str, files: dict[str, str]) -> dict[str, Any]:
    ids = ds.orgs_of(muni)
    life = view.life
    wanted = set(ids)

    def rows(*states: str) -> list[dict[str, Any]]:
        return _sorted(ds, [_finding(ds, view, v, v.org_id, v.rule, files) for s in states for v in life.of_state(s, ids)])

    overdue = [a for a in view.applied.values() if a.overdue and a.decision.org_id in wanted]
    overdue_rows = []
    for a in overdue:
        row = _finding(ds, view, life.pairs.get((a.decision.org_id, a.decision.rule)), a.decision.org_id, a.decision.rule, files)
        row.update(due=a.decision.due_date.strftime("%d.%m.%Y") if a.decision.due_date else "", author=a.decision.author)
        overdue_rows.append(row)
    decided = [_finding(ds, view, life.pairs.get(k), k[0], k[1], files) for k, a in view.applied.items() if k[0] in wanted and a.state != "later"]
    counts = life.counts(ids)
    first = ds.previous_month is None  # every failure is «new» in a first month: nothing changed yet
    if first and not overdue_rows and not decided:
        return {}  # nothing to lead with: the report starts with its summary as before
    return {
        "first_month": first,
        "broken": [] if first else rows("new", "regressed"),
        "fixed": [] if first else rows("fixed"),
        "overdue": _sorted(ds, overdue_rows),
        "decided": _sorted(ds, decided),
        "states": [{"key": s, "title": STATE_TITLES[s], "count": counts.get(s, 0)} for s in STATES],
        "median_fix": life.median_time_to_fix(ids),
        "scores": _both_ways(ds, ids, view),
        "lifecycle_note": LIFECYCLE_NOTE,
    }


def regional(ds: Dataset, view: ReviewView, muni_slugs: dict[str, str]) -> dict[str, Any]:
    if ds.previous_month is None and not view.applied:
        return {}  # a first month without decisions: every state would be «new»
    munis = []
    for m in ds.municipalities:
        ids = ds.orgs_of(m)
        counts = view.life.counts(ids)
        munis.append({"name": m, "slug": muni_slugs.get(m, ""), "counts": [counts.get(s, 0) for s in STATES],
                      "median_fix": view.life.median_time_to_fix(ids), "scores": _both_ways(ds, ids, view)})
    total = view.life.counts(ds.scope)
    overdue = sum(1 for a in view.applied.values() if a.overdue)
    return {
        "states": [{"key": s, "title": STATE_TITLES[s]} for s in STATES],
        "munis": munis,
        "total": [total.get(s, 0) for s in STATES],
        "median_fix": view.life.median_time_to_fix(ds.scope),
        "overdue": overdue,
        "scores": _both_ways(ds, ds.scope, view),
        "lifecycle_note": LIFECYCLE_NOTE,
    }


def school_decisions(applied: dict[tuple[str, str], Applied], org_id: str) -> list[dict[str, Any]]:
    """The decisions on one organization's findings for its school report: the verdict beside each."""
    out = []
    for (o, rule), a in sorted(applied.items()):
        if o != org_id or a.state == "later":
            continue
        d = a.decision
        out.append({"rule": rule, "verdict": status_title(a.status) if a.status else "не проверено", "label": a.label(),
                    "reason": d.reason, "evidence_url": d.evidence_url, "author": d.author,
                    "created": d.created_at.strftime("%d.%m.%Y")})
    return out
