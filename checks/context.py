"""What an audit sees: the artifacts of one organization, and results computed from them once.

Lighthouse's computed artifacts: several audits share one derived value (the feedback scan
of all pages) through :meth:`Context.computed`, which runs each function once per context.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from artifacts.failures import plain_message
from artifacts.schema import CHECKED_OUTCOMES, OUTCOMES, RegistryFacts, upgrade_busgov
from checks.model import OrgType
from checks.views import SiteView

T = TypeVar("T")

# Why an audit could not be judged, by the artifact it lacks.
MISSING = {
    "site": "сайт не проверялся",
    "registry": "организации нет в реестре — сравнивать не с чем",
    "busgov": "сведения bus.gov.ru не запрашивались",
}


class Context:
    def __init__(
        self,
        *,
        site: SiteView | None = None,
        org_type: OrgType = OrgType.school,
        registry: RegistryFacts | None = None,
        busgov: dict[str, Any] | None = None,
        checked_at: datetime | None = None,
    ):
        self.site = site
        # When the artifacts were gathered: «updated within N days» counts back from it.
        self.checked_at = checked_at or datetime.now(UTC)
        self.org_type = org_type
        self.registry = registry
        self.busgov = upgrade_busgov(busgov) if busgov is not None else None
        self._computed: dict[Callable[..., Any], Any] = {}

    def computed(self, fn: Callable[[Context], T]) -> T:
        if fn not in self._computed:
            self._computed[fn] = fn(self)
        return self._computed[fn]

    def missing(self, name: str) -> str:
        """Why the artifact ``name`` cannot be judged, or "" when it can."""
        if name == "site":
            if self.site is None:
                return MISSING["site"]
            outcome = self.site.outcome
            status = outcome.get("status", "ok")
            if status not in CHECKED_OUTCOMES:
                return f"не проверено: {plain_message(outcome.get('message') or '') or OUTCOMES.get(status, status)}"
            return ""
        if name == "registry":
            return "" if self.registry is not None else MISSING["registry"]
        if name == "busgov":
            return "" if self.busgov is not None else MISSING["busgov"]
        raise ValueError(f"unknown artifact {name!r}")
