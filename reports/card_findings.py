"""The XLSX sheet «Сайт и bus.gov.ru»: the month's bus.gov.ru audits that need a person (BUS, CRD), one row each,
with the site's value and the card's side by side — which of the two is out of date is the reviewer's call."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from reports.data import Dataset
from reports.render import rule_title, status_title

SHOWN = ("fail", "needs_review", "error")


def _values(evidence: list[dict[str, Any]], source: str) -> str:
    return "; ".join(str(e.get("value") or "") for e in evidence if e.get("source") == source)


def table(session: Session, ds: Dataset) -> Any:
    from reports.exports import Column, Table  # noqa: PLC0415 - exports imports this module when it writes

    cols = [
        Column("org_id", "Код организации", width=14),
        Column("name", "Наименование", width=40),
        Column("municipality", "Муниципалитет", width=24),
        Column("rule", "Код правила", width=10),
        Column("title", "Проверка", width=40),
        Column("status", "Статус", width=16),
        Column("site", "На сайте", width=40),
        Column("card", "На bus.gov.ru", width=40),
        Column("message", "Что найдено", width=60),
        Column("evidence_url", "Страница", width=30),
    ]
    out = Table("card_findings", "Сайт и bus.gov.ru", cols)
    for org_id in ds.scope:
        card = ds.busgov.get(org_id)  # the latest bus.gov.ru result of the month (reports.data)
        if card is None:
            continue
        org = ds.orgs[org_id]
        for a in card.audits:
            if a.get("status") not in SHOWN:
                continue
            evidence = a.get("evidence") or []
            out.rows.append([org_id, org.name, org.municipality, a.get("rule", ""), rule_title(a.get("rule", "")), status_title(a.get("status", "")),
                             _values(evidence, "сайт"), _values(evidence, "bus.gov.ru"), a.get("message", ""), a.get("evidence_url", "")])
    return out
