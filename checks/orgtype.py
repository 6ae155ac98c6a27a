"""Organization type from its name, as registries and sites write it (spec README glossary)."""

from __future__ import annotations

import re

from checks.model import OrgType

# Order matters: «детская школа искусств» is additional education, not a school;
# «институт развития образования» is ДПО, not a university.
_PATTERNS: tuple[tuple[OrgType, str], ...] = (
    (OrgType.dpo, r"дополнительного\s+профессионального|институт\s+развития\s+образования|повышения\s+квалификации|\bиро\b|\bдпо\b"),
    (OrgType.additional, r"дополнительного\s+образования|детск\w*\s+творчеств|юношеск\w*\s+спортивн|спортивн\w*\s+школ|школа\s+искусств|"
     r"музыкальн\w*\s+школ|художественн\w*\s+школ|юных\s+техников|\bддт\b|\bцдо\b|\bдюсш\b|\bдши\b|\bсюн\b|\bсют\b|\bудо\b"),
    (OrgType.kindergarten, r"детский\s+сад|дошкольн|\bдоу\b|\bдоо\b|\b\w*ДОУ\b|развития\s+ребенка"),
    (OrgType.college, r"колледж|техникум|училищ|профессиональн\w*\s+образовательн|\bспо\b|\b\w*ПОУ\b"),
    (OrgType.university, r"университет|академи|консерватори|высшего\s+образования|институт"),
    (OrgType.school, r"школ|сош|оош|нош|лицей|гимнази|центр\s+образования|кадетск|общеобразовательн|\b\w*ОУ\b"),
)


def infer_org_type(*names: str) -> OrgType | None:
    text = " ".join(n for n in names if n).replace("ё", "е").replace("Ё", "Е")
    for org_type, pattern in _PATTERNS:
        if re.search(pattern, text, re.IGNORECASE):
            return org_type
    return None


def parse_org_type(value: str) -> OrgType | None:
    """A type code or a Russian name of the type (registries write both)."""
    v = (value or "").strip().lower()
    if not v:
        return None
    if v in OrgType.__members__:
        return OrgType(v)
    return infer_org_type(v)
