"""The audit model: organization types, statuses, legal references, audits, rules and results.

Every verdict sveden gives is made by an :class:`Audit` (Lighthouse audits, ruff rules): a
permanent code, a Russian title and failure title, a description, its legal basis as structured
tags, its applicability, the artifacts it requires, its examples, and a pure ``judge`` from
artifacts to a result with one of five statuses. Item rules (:class:`Rule`, declared as data in
``checks/sections/<slug>.py``) are audits; so are the feedback channels (``checks/audits``) and
the bus.gov.ru comparisons. The catalogue (``sveden rules``) and each audit's documentation
(``sveden rule ID``) are generated from these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from artifacts import layout

if TYPE_CHECKING:
    from checks.context import Context


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


# Legal acts the audits cite, by their short tag.
ACTS = {
    "1493": "Приказ № 1493",  # Рособрнадзор, 04.08.2023: structure of the site and format of the information
    "1353": "Приказ № 1353",  # Рособрнадзор, 03.07.2025: amendments to 1493
    "273-ФЗ": "Федеральный закон № 273-ФЗ",
    "344н": "Приказ Минтруда России № 344н от 31.05.2018",
    "114": "Приказ Минпросвещения России № 114 от 13.03.2019",
    "152-ФЗ": "Федеральный закон № 152-ФЗ «О персональных данных»",
    "1802": "Постановление Правительства РФ № 1802 от 20.10.2021",
    "1006": "Постановление Правительства РФ № 1006 от 02.08.2019",  # its text is not in the legal base: no point named
    "86н": "Приказ Минфина России № 86н от 21.07.2011",  # information of state (municipal) institutions on bus.gov.ru
    "МР9": "Методические рекомендации Рособрнадзора v9",
    "63-ФЗ": "Федеральный закон № 63-ФЗ «Об электронной подписи»",
    # No federal text in the project's legal base requires it on the school's own site: said so.
    "практика": "Региональная практика",
    # A regional rules file (``checks.regional``): the point is the council's decision.
    "регион": "Региональное требование:",
}


@dataclass(frozen=True, slots=True)
class LegalRef:
    """One point of one act (axe-core's tags): ``1493:п.7``."""

    act: str  # a key of ACTS
    point: str  # «п.7», «ст.29 ч.2», «п.6 (абз. последний)»
    amended_by: str = ""  # the act that gave the point its current wording

    @property
    def tag(self) -> str:
        return f"{self.act}:{self.point.split(' (')[0]}"

    def __str__(self) -> str:
        return f"{ACTS[self.act]} {self.point}" + (f" (в ред. {self.amended_by})" if self.amended_by else "")


def format_legal(refs: tuple[LegalRef, ...]) -> str:
    """«Приказ № 1493 п.6 (абз. последний), п.20»: points of one act share its name."""
    out: list[str] = []
    last_act = ""
    for ref in refs:
        if ref.act == last_act and not ref.amended_by and out:
            out[-1] += f", {ref.point}"
        else:
            out.append(str(ref))
        last_act = ref.act if not ref.amended_by else ""
    return "; ".join(out)


def order_1493(point: str, amended_by: str = "") -> LegalRef:
    return LegalRef("1493", point, amended_by)


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A subsection of «Сведения об образовательной организации» (MR v9 table 3.1).

    Where a site keeps it (title, menu texts, paths) is the gatherers' layout
    (``artifacts.layout``); the section adds its rule-code prefix and legal basis.
    """

    slug: str
    code: str  # three-letter prefix of the section's rule codes
    legal: tuple[LegalRef, ...]
    conditional: str = ""

    @property
    def title(self) -> str:
        return layout.BY_SLUG[self.slug].title

    @property
    def link_titles(self) -> tuple[str, ...]:
        return layout.BY_SLUG[self.slug].link_titles

    @property
    def path_aliases(self) -> tuple[str, ...]:
        return layout.BY_SLUG[self.slug].path_aliases

    @property
    def basis(self) -> str:
        return format_legal(self.legal)

    @property
    def path(self) -> str:
        return f"/sveden/{self.slug}"


@dataclass(frozen=True, slots=True)
class Example:
    """A fragment and the status the audit must give on it: its documentation and its test at once.

    ``html`` is a subsection page for item rules, the home page for site-wide audits
    (``page="home"``) and empty for audits of other artifacts, which take ``registry`` and
    ``busgov`` instead.
    """

    html: str
    expect: Status
    title: str = ""
    org_type: OrgType = OrgType.school
    # Status of document links by URL, as a crawl would have probed them.
    probes: dict[str, int] = field(default_factory=dict)
    # Facts of downloaded documents by URL (``artifacts.schema.DocumentFacts``), as a crawl gathered them.
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    page: str = "section"
    registry: dict[str, Any] | None = None
    busgov: dict[str, Any] | None = None
    declared: bool = True  # False for the examples every rule of its kind gets (``checks.declare``)


@dataclass(frozen=True, kw_only=True)
class Audit:
    """One verdict of sveden. Subclasses implement :meth:`judge`; everything else is declared."""

    code: str  # permanent, never reused (ruff): retired codes are listed in ``checks.retired``
    title: str  # what a pass means, in Russian
    failure_title: str = ""  # what a failure means
    description: str = ""  # what it checks and why, in Russian
    legal: tuple[LegalRef, ...] = ()
    group: str = "items"  # items | feedback | busgov | noko | regional
    requires: tuple[str, ...] = ("site",)  # artifact names (``artifacts.schema``)
    applies_to: frozenset[OrgType] = ALL_TYPES
    applies_note: str = ""
    fix: str = ""
    note: str = ""
    examples: tuple[Example, ...] = ()

    @property
    def basis(self) -> str:
        return format_legal(self.legal)

    def applies(self, org_type: OrgType) -> bool:
        return org_type in self.applies_to

    def judge(self, ctx: Context) -> ItemResult | AuditResult:
        raise NotImplementedError

    def result(self, status: Status, message: str, evidence_url: str = "", evidence: list[dict[str, str]] | None = None) -> ItemResult | AuditResult:
        return AuditResult(self.code, self.group, status, message, evidence_url, list(evidence or []))

    def unavailable(self, org_type: OrgType, missing: str, reason: str) -> ItemResult | AuditResult:
        """The result when an artifact it requires is absent or unreadable (the site was not checked)."""
        if not self.applies(org_type):
            return self.result(Status.not_applicable, reason)
        return self.result(Status.error if missing == "site" else Status.not_applicable, reason)


@dataclass(frozen=True, kw_only=True)
class Rule(Audit):
    """One mandatory item of a subsection: an ``itemprop`` the site must publish."""

    section: str  # section slug
    itemprop: str
    parent: str = ""  # the «главный тег» whose descendant this item must be
    kind: Kind = Kind.text
    optional: bool = False  # «при наличии»: absent is not a violation
    # Superseded placement (e.g. accreditationDocLink in «Основные сведения» after order 1353):
    # never a pass or a fail here, the current rule judges it.
    superseded_by: str = ""
    # Repealed requirement (the version for the visually impaired, order 1353 п.7): information only.
    repealed: str = ""
    # A lawful form without microdata (order 1353 п.12: staff per programme as documents or links):
    # where the subsection publishes documents instead of the markup, a person must look.
    alt_documents: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.section, self.parent, self.itemprop)

    def judge(self, ctx: Context) -> ItemResult:
        from checks.items import judge  # the item judge reads the catalogue, which imports this module

        return judge(self, ctx.site, ctx.org_type)

    def result(self, status: Status, message: str, evidence_url: str = "", evidence: list[dict[str, str]] | None = None) -> ItemResult:
        return ItemResult(self.section, self.parent, self.itemprop, self.code, status, evidence_url, message)

    def unavailable(self, org_type: OrgType, missing: str, reason: str) -> ItemResult:
        # Repealed and superseded items are never judged, checked site or not.
        never_judged = not self.applies(org_type) or bool(self.repealed) or bool(self.superseded_by)
        return self.result(Status.not_applicable if never_judged else Status.error, reason)


# Why an item was not judged, or needs a person, when one cause covers many items: the item
# JSON's ``cause`` (absent otherwise). Reports fold such items into one line with one fix.
ITEM_CAUSES = {
    "section_missing": "подраздел не найден",
    "section_unreadable": "страница подраздела не прочитана (ошибка сервера, переадресация, время, размер, robots.txt)",
    "robots_documents": "robots.txt сайта запрещает проверку документов",
    "probe_budget": "документы не проверены: превышен лимит проверок документов на сайт",
    "time_budget": "документы не проверены: исчерпан лимит времени на сайт",
    "hidden_markup": "размеченные сведения скрыты от посетителей (п.27)",
    "not_read": "документы не проверены: их не удалось сохранить или прочитать для проверки (сбой на стороне проверки)",
}


@dataclass(slots=True)
class ItemResult:
    section: str
    parent: str
    itemprop: str
    rule: str
    status: Status
    evidence_url: str = ""
    message: str = ""
    cause: str = ""  # a key of ITEM_CAUSES, or ""

    def as_json(self) -> dict:
        out = {
            "section": self.section,
            "parent": self.parent,
            "itemprop": self.itemprop,
            "rule": self.rule,
            "status": str(self.status),
            "evidence_url": self.evidence_url,
            "message": self.message,
        }
        if self.cause:
            out["cause"] = self.cause
        return out


@dataclass(slots=True)
class AuditResult:
    """The result of an audit that is not an item rule (feedback channels, bus.gov.ru)."""

    rule: str
    group: str
    status: Status
    message: str = ""
    evidence_url: str = ""
    evidence: list[dict[str, str]] = field(default_factory=list)
    cause: str = ""  # machine-readable reason, e.g. ``needs_crawl`` (the artifact lacks what the audit reads)

    def as_json(self) -> dict:
        out = {
            "rule": self.rule,
            "group": self.group,
            "status": str(self.status),
            "evidence_url": self.evidence_url,
            "message": self.message,
            "evidence": self.evidence,
        }
        if self.cause:
            out["cause"] = self.cause
        return out
