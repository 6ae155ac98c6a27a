"""The review columns of the «Нарушения» table: each finding's state across months, the decision in force
(prefilled, so an unchanged row changes nothing when the file comes back) and the cells a reviewer
fills in Excel — «Решение» (a list), «Исправить до» (a date), «Где размещены сведения», «Комментарий» —
which ``sveden review import`` reads back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from reports.data import Dataset
from reports.decisions import DECISION_TITLES, Applied, applied_decisions, reviewed_scores
from reports.lifecycle import STATE_TITLES, lifecycle

if TYPE_CHECKING:
    from reports.exports import Table

DECISION_CHOICES = tuple(DECISION_TITLES.values())


def state_text(life: object | None) -> str:
    """«новое», «сохраняется 3 мес.», «вернулось», «исправлено за 2 мес.»."""
    if life is None:
        return ""
    state, months = life.state, life.months  # type: ignore[attr-defined]
    if state == "persisting":
        return f"{STATE_TITLES[state]} {months} мес."
    return STATE_TITLES[state]


def add_review_columns(session: Session, ds: Dataset, table: Table, organizations: Table | None = None) -> None:
    """The review columns of «Нарушения»; with ``organizations`` («Организации × подразделы»), П1.1 (сайт)
    and the failures «с учётом решений» beside the columns «по проверке»."""
    from reports.exports import Column  # noqa: PLC0415 - exports imports this module

    applied = applied_decisions(session, ds)
    life = lifecycle(session, ds)
    if organizations is not None:
        _reviewed_scores(session, ds, organizations, applied)
    keys = [c.key for c in table.columns]
    at_org, at_rule = keys.index("org_id"), keys.index("rule")
    table.columns += [
        Column("lifecycle", "Состояние", width=18),
        Column("decision_note", "Решение: примечание", width=30),
        Column("decision", "Решение", width=30, choices=DECISION_CHOICES),
        Column("due_date", "Исправить до", "date", width=14),
        Column("decision_url", "Где размещены сведения", width=30),
        Column("comment", "Комментарий", width=40),
    ]
    for row in table.rows:
        pair = (row[at_org], row[at_rule])
        a = applied.get(pair)
        holds = a is not None and a.holds
        d = a.decision if a is not None else None
        row += [
            state_text(life.pairs.get(pair)),
            a.label() if a is not None and (not holds or a.overdue) else "",  # lapsed, resolved, overdue
            DECISION_TITLES[d.decision] if holds and d else "",
            d.due_date.isoformat() if holds and d and d.due_date else "",
            d.evidence_url if holds and d else "",
            d.reason if holds and d else "",
        ]


def _reviewed_scores(session: Session, ds: Dataset, table: Table, applied: dict[tuple[str, str], Applied]) -> None:
    from reports.exports import Column  # noqa: PLC0415 - exports imports this module

    scores = reviewed_scores(session, ds, applied)
    keys = [c.key for c in table.columns]
    at_org, at_p11, at_fails = keys.index("org_id"), keys.index("p1_1_site"), keys.index("fails")
    table.columns += [Column("p1_1_site_reviewed", "П1.1 (сайт) с учётом решений", "num"), Column("fails_reviewed", "Нарушений с учётом решений", "int")]
    for row in table.rows:
        s = scores.get(row[at_org])
        row += [s.p1_1, s.fails] if s is not None else [row[at_p11], row[at_fails]]
