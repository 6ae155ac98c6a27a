"""The records storage takes: one organization of the registry, as the input layer read it.

Storage never reads files: :mod:`sveden.registry_io` turns a registry file into these records and
:func:`storage.registry.import_records` stores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class OrgRecord:
    row: int
    id: str
    inn: str | None
    name: str
    short_name: str
    org_type: str
    municipality: str
    site_url: str
    busgov_agency_id: int | None
    extra: dict[str, Any] = field(default_factory=dict)
