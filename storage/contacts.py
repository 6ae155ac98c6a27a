"""Contacts of departments and schools, and the delivery log of the month's reports.

Each step of the log is its own transaction (the callers pass a session factory): ``sending`` is
committed before a message goes to the SMTP server, ``sent``/``failed`` after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Contact, Delivery, utcnow


@dataclass(slots=True, frozen=True)
class ContactRecord:
    row: int
    municipality: str
    org_id: str  # "" for the department
    email: str


def replace_contacts(session: Session, records: Iterable[ContactRecord]) -> int:
    """The contacts become exactly ``records`` (duplicates dropped); returns how many are stored."""
    session.execute(delete(Contact))
    seen: set[tuple[str, str, str]] = set()
    for rec in records:
        key = (rec.municipality, rec.org_id, rec.email.lower())
        if key in seen:
            continue
        seen.add(key)
        session.add(Contact(municipality=rec.municipality, org_id=rec.org_id, email=rec.email, row=rec.row))
    session.flush()
    return len(seen)


def list_contacts(session: Session) -> list[Contact]:
    return list(session.scalars(select(Contact).order_by(Contact.municipality, Contact.org_id, Contact.id)))


def previous_deliveries(session: Session, month: str, kind: str, municipality: str, org_id: str, address: str) -> list[Delivery]:
    """Earlier records of this report to this address, newest first."""
    q = (
        select(Delivery)
        .where(Delivery.month == month, Delivery.kind == kind, Delivery.municipality == municipality,
               Delivery.org_id == org_id, Delivery.address == address)
        .order_by(Delivery.id.desc())
    )
    return list(session.scalars(q))


def record_sending(factory: sessionmaker[Session], *, month: str, kind: str, municipality: str, org_id: str, address: str,
                   subject: str, attachments: list[str], forced: bool) -> int:
    with factory() as session, session.begin():
        row = Delivery(month=month, kind=kind, municipality=municipality, org_id=org_id, address=address, subject=subject,
                       attachments=list(attachments), status="sending", attempts=0, message="", forced=forced, started_at=utcnow())
        session.add(row)
        session.flush()
        return row.id


def record_attempt(factory: sessionmaker[Session], delivery_id: int, attempts: int, message: str) -> None:
    with factory() as session, session.begin():
        row = session.get(Delivery, delivery_id)
        if row is not None:
            row.attempts, row.message = attempts, message


def record_result(factory: sessionmaker[Session], delivery_id: int, status: str, attempts: int, message: str) -> None:
    with factory() as session, session.begin():
        row = session.get(Delivery, delivery_id)
        if row is not None:
            row.status, row.attempts, row.message, row.finished_at = status, attempts, message, utcnow()


def deliveries(session: Session, month: str | None = None) -> list[Delivery]:
    q = select(Delivery).order_by(Delivery.id)
    if month:
        q = q.where(Delivery.month == month)
    return list(session.scalars(q))
