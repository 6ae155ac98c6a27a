"""The vocabulary of the rule set: organization types, statuses, rules and results.

Rules are declared as data in ``checks/sections/<slug>.py``; this module only says
what a rule is. The catalogue (``sveden rules``) and each rule's documentation
(``sveden rule ID``) are generated from these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OrgType(StrEnum):
    school = "school"
    kindergarten = "kindergarten"
    college = "college"
    university = "university"
    additional = "additional"
    dpo = "dpo"


ORG_TYPE_TITLES = {
    OrgType.school: "общеобразовательная организация",
    OrgType.kindergarten: "дошкольная образовательная организация",
    OrgType.college: "профессиональная образовательная организация (СПО)",
    OrgType.university: "образовательная организация высшего образования",
    OrgType.additional: "организация дополнительного образования",
    OrgType.dpo: "организация дополнительного профессионального образования",
}

ALL_TYPES: frozenset[OrgType] = frozenset(OrgType)


class Status(StrEnum):
    """Five outcomes, as axe-core distinguishes them (plus ``error``, Lighthouse-style)."""

    passed = "pass"
    fail = "fail"
    needs_review = "needs_review"
    not_applicable = "not_applicable"
    error = "error"


STATUS_TITLES = {
    Status.passed: "выполнено",
    Status.fail: "нарушение",
    Status.needs_review: "требует проверки",
    Status.not_applicable: "не применяется",
    Status.error: "не удалось проверить",
}


class Kind(StrEnum):
    text = "text"  # the element's text is the information
    link = "link"  # the element links a document or page, which must resolve


@dataclass(frozen=True, slots=True)
class Section:
    """A subsection of «Сведения об образовательной организации» (MR v9 table 3.1)."""

    slug: str
    code: str  # three-letter prefix of the section's rule codes
    title: str
    basis: str  # point of order 1493
    # Phrases (normalized: lower case, «ё»→«е») that a menu link to this subsection starts with.
    link_titles: tuple[str, ...]
    # Path segments that template platforms (Госвеб) use instead of the slug.
    path_aliases: tuple[str, ...] = ()
    conditional: str = ""

    @property
    def path(self) -> str:
        return f"/sveden/{self.slug}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One mandatory item of a subsection: an ``itemprop`` the site must publish."""

    code: str  # permanent, never reused (ruff-style)
    section: str  # section slug
    itemprop: str
    title: str
    basis: str
    parent: str = ""  # the «главный тег» whose descendant this item must be
    kind: Kind = Kind.text
    optional: bool = False  # «при наличии»: absent is not a violation
    applies_to: frozenset[OrgType] = ALL_TYPES
    applies_note: str = ""
    fix: str = ""
    note: str = ""
    # Superseded placement (e.g. accreditationDocLink in «Основные сведения» after order 1353):
    # never a pass or a fail here, the current rule judges it.
    superseded_by: str = ""
    # Repealed requirement (the version for the visually impaired, order 1353 п.7): information only.
    repealed: str = ""
    # A lawful form without microdata (order 1353 п.12: staff per programme as documents or links):
    # where the subsection publishes documents instead of the markup, a person must look.
    alt_documents: str = ""
    examples: tuple[Example, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.section, self.parent, self.itemprop)

    def applies(self, org_type: OrgType) -> bool:
        return org_type in self.applies_to


@dataclass(frozen=True, slots=True)
class Example:
    """A fragment of a subsection page and the status the rule must give on it.

    Examples are the rule's documentation and its tests at once.
    """

    html: str
    expect: Status
    title: str = ""
    org_type: OrgType = OrgType.school
    # Status of document links by URL, as a crawl would have probed them.
    probes: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class ItemResult:
    section: str
    parent: str
    itemprop: str
    rule: str
    status: Status
    evidence_url: str = ""
    message: str = ""

    def as_json(self) -> dict:
        return {
            "section": self.section,
            "parent": self.parent,
            "itemprop": self.itemprop,
            "rule": self.rule,
            "status": str(self.status),
            "evidence_url": self.evidence_url,
            "message": self.message,
        }
