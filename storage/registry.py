"""The registry of organizations in the database: import (update in place by id) and listing.

Storage takes records (:class:`~storage.records.OrgRecord`), not files: reading and validating a
registry file is the input layer's job (``sveden.registry_io``, ``sveden.cli_registry``).
Organizations are never deleted (their checks refer to them); ``deactivate_missing`` marks those
absent from a full registry file as inactive instead, and a later import reactivates them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Organization, utcnow
from storage.records import OrgRecord

# Fields that only an explicit column changes: a file without the column leaves them as they are.
OPTIONAL_FIELDS = ("inn", "short_name", "busgov")


@dataclass(slots=True)
class ImportCounts:
    """What :func:`import_records` did to the stored organizations."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


def grouping_values(extra: dict[str, Any] | None) -> dict[str, str]:
    """The registry's extra columns that can group organizations (district, kind of locality): short plain
    values, no addresses. One definition for the regional rules' ``registry_groups`` and the reports' breakdown."""
    out = {}
    for key, value in (extra or {}).items():
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if text and len(text) <= 80 and "@" not in text and "://" not in text:
            out[str(key)] = text
    return out


def import_records(
    session: Session,
    records: Iterable[OrgRecord],
    *,
    present: Collection[str] = OPTIONAL_FIELDS,
    extra_columns: Collection[str] | None = None,
    deactivate_missing: bool = False,
    keep_ids: Collection[str] = (),
) -> ImportCounts:
    """Insert or update organizations by id. Flushes, never commits.

    ``present``: the optional fields whose column the file has (others keep their stored value;
    an empty bus.gov.ru cell keeps an agencyId found earlier). ``extra_columns``: the file's
    extra columns (their keys in ``extra`` are replaced, other keys kept); None means all keys
    come from the records. ``deactivate_missing``: organizations neither in ``records`` nor in
    ``keep_ids`` (ids of rows left out as invalid) become inactive.
    """
    result = ImportCounts()
    records = list(records)
    existing = {o.id: o for o in session.scalars(select(Organization))}
    now = utcnow()
    for rec in records:
        org = existing.get(rec.id)
        if org is None:
            org = Organization(
                id=rec.id,
                inn=rec.inn,
                name=rec.name,
                short_name=rec.short_name,
                org_type=rec.org_type,
                municipality=rec.municipality,
                site_url=rec.site_url,
                busgov_agency_id=rec.busgov_agency_id,
                extra=dict(rec.extra),
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(org)
            existing[rec.id] = org
            result.added += 1
            continue
        new: dict[str, Any] = {
            "name": rec.name,
            "org_type": rec.org_type,
            "municipality": rec.municipality,
            "site_url": rec.site_url,
            "active": True,
        }
        if "inn" in present:
            new["inn"] = rec.inn
        if "short_name" in present:
            new["short_name"] = rec.short_name
        if "busgov" in present and rec.busgov_agency_id is not None:
            new["busgov_agency_id"] = rec.busgov_agency_id
        if extra_columns is None:
            new["extra"] = dict(rec.extra)
        else:
            extra = {k: v for k, v in (org.extra or {}).items() if k not in extra_columns}
            extra.update(rec.extra)
            new["extra"] = extra
        changed = {k: v for k, v in new.items() if getattr(org, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(org, k, v)
            org.updated_at = now
            result.updated += 1
        else:
            result.unchanged += 1
    if deactivate_missing:
        ids = {r.id for r in records} | set(keep_ids)
        for org in existing.values():
            if org.id not in ids and org.active:
                org.active = False
                org.updated_at = now
                result.deactivated += 1
    session.flush()
    return result


def list_organizations(
    session: Session,
    municipality: str | Collection[str] | None = None,
    *,
    ids: Collection[str] | None = None,
    org_types: Collection[str] | None = None,
    active_only: bool = True,
) -> list[Organization]:
    """Organizations ordered by municipality and name; the municipality matches case-insensitively."""
    q = select(Organization)
    if active_only:
        q = q.where(Organization.active.is_(True))
    if ids is not None:
        q = q.where(Organization.id.in_(list(ids)))
    if org_types:
        q = q.where(Organization.org_type.in_(list(org_types)))
    orgs = list(session.scalars(q))
    if municipality:
        wanted = {municipality.casefold()} if isinstance(municipality, str) else {m.casefold() for m in municipality}
        orgs = [o for o in orgs if o.municipality.casefold() in wanted]
    return sorted(orgs, key=lambda o: (o.municipality.casefold(), o.name.casefold(), o.id))


def municipalities(session: Session, active_only: bool = True) -> list[str]:
    q = select(Organization.municipality).distinct()
    if active_only:
        q = q.where(Organization.active.is_(True))
    return sorted(session.scalars(q), key=str.casefold)


def organization_json(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "inn": org.inn,
        "name": org.name,
        "short_name": org.short_name,
        "org_type": org.org_type,
        "municipality": org.municipality,
        "site_url": org.site_url,
        "busgov_agency_id": org.busgov_agency_id,
        "extra": org.extra,
        "active": org.active,
        "created_at": org.created_at.isoformat(timespec="seconds"),
        "updated_at": org.updated_at.isoformat(timespec="seconds"),
    }
