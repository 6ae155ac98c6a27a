"""CRD: what the site publishes about the organization against its bus.gov.ru card and the registry.

The site (order 1493 п.7: full name, address, telephones, e-mail) and the card (order 86н п.6:
the general information on the institution) describe one organization; where they differ after
normalisation (``checks.cardfacts``), one of them is out of date and a person must see which:
``needs_review`` with both values. The НОК results on the card must be recent (273-ФЗ ст.95.2 ч.3:
at least once in three years).

- CRD001 full name, CRD002 ИНН (where the site writes it), CRD003 address, CRD004 telephone,
  CRD005 e-mail, CRD006 the card's site address is the site checked, CRD007 the НОК year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from artifacts.urls import normalize_site_url, split_site_urls
from checks import cardfacts
from checks.context import MISSING, Context
from checks.model import Audit, AuditResult, Example, LegalRef, OrgType, Status, order_1493

LEGAL = (order_1493("п.7"), LegalRef("86н", "п.6"))
NOK_LEGAL = (LegalRef("273-ФЗ", "ст.95.2 ч.3"),)
NOK_PERIOD_YEARS = 3
_NOT_RECEIVED = {"unreachable": "bus.gov.ru недоступен", "blocked": "bus.gov.ru заблокировал запросы", "changed_shape": "bus.gov.ru изменил формат ответа"}
FIX = "Сверьте сведения на сайте и в карточке bus.gov.ru: устаревшее исправьте (карточку — через личный кабинет учреждения на bus.gov.ru, сайт — в «Основных сведениях»)."


def _shown(values: list[str] | set[str]) -> str:
    return "; ".join(f"«{v}»" for v in sorted(values) if v)


@dataclass(frozen=True, kw_only=True)
class _CardAudit(Audit):
    """A comparison that needs the card: a card that was not received is «не проверено»."""

    group: str = "crosscheck"
    requires: tuple[str, ...] = ("site", "busgov")
    fix: str = FIX

    def unavailable(self, org_type: OrgType, missing: str, reason: str) -> AuditResult:
        # A site not crawled in this run (only bus.gov.ru was asked) leaves nothing to compare.
        if missing == "site" and reason == MISSING["site"]:
            return self.result(Status.not_applicable, reason)
        return super().unavailable(org_type, missing, reason)

    def judge(self, ctx: Context) -> AuditResult:
        bg = ctx.busgov or {}
        card = bg.get("card")
        if card:
            return self.compare(ctx, card)
        status = bg.get("status", "")
        if status in _NOT_RECEIVED:
            return self.result(Status.error, f"не проверено: {_NOT_RECEIVED[status]}")
        return self.result(Status.not_applicable, "карточки организации на bus.gov.ru нет")

    def compare(self, ctx: Context, card: dict[str, Any]) -> AuditResult:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class _SiteFactAudit(_CardAudit):
    """One microdata fact of the site against one field of the card."""

    prop: str = ""  # the site's itemprop
    card_field: str = ""  # the card's key
    absent_key: str = ""  # the key bus.gov.ru omits when it has no value (``absent_fields``)
    what: str = ""  # «телефон», in the messages

    def compare(self, ctx: Context, card: dict[str, Any]) -> AuditResult:
        fact = ctx.computed(_site_facts)[self.prop]
        site_values: list[str] = fact["values"]
        card_value = card.get(self.card_field) or ""
        if not site_values:
            return self.result(Status.not_applicable, f"на сайте нет сведений «{self.what}» (itemprop=\"{self.prop}\") — сравнивать не с чем")
        if not card_value.strip():
            why = "в ответе bus.gov.ru нет этого поля" if self.absent_key in (card.get("absent_fields") or []) else "в карточке bus.gov.ru не указано"
            return self.result(Status.not_applicable, f"{self.what}: {why} — сравнивать не с чем", card.get("card_url", ""))
        evidence = [{"source": "сайт", "value": v, "url": fact["url"]} for v in site_values] + [
            {"source": "bus.gov.ru", "value": card_value, "url": card.get("card_url", "")}
        ]
        if self.same(site_values, card_value):
            return self.result(Status.passed, f"{self.what} на сайте и в карточке bus.gov.ru совпадает: «{card_value}»", fact["url"], evidence)
        return self.result(
            Status.needs_review,
            f"{self.what} на сайте ({_shown(site_values)}) не совпадает с карточкой bus.gov.ru («{card_value}»)",
            fact["url"],
            evidence,
        )

    def same(self, site_values: list[str], card_value: str) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class FullNameMatchesCard(_SiteFactAudit):
    prop: str = "fullName"
    card_field: str = "name"
    what: str = "полное наименование"

    def same(self, site_values: list[str], card_value: str) -> bool:
        return any(cardfacts.same_name(v, card_value) for v in site_values)


@dataclass(frozen=True, kw_only=True)
class AddressMatchesCard(_SiteFactAudit):
    prop: str = "address"
    card_field: str = "address"
    absent_key: str = "agencyAddress"
    what: str = "адрес"

    def same(self, site_values: list[str], card_value: str) -> bool:
        return any(cardfacts.same_address(v, card_value) for v in site_values)


@dataclass(frozen=True, kw_only=True)
class PhoneMatchesCard(_SiteFactAudit):
    prop: str = "telephone"
    card_field: str = "phone"
    absent_key: str = "phone"
    what: str = "телефон"

    def same(self, site_values: list[str], card_value: str) -> bool:
        site = set().union(*(cardfacts.phone_numbers(v) for v in site_values))
        return bool(site & cardfacts.phone_numbers(card_value))


@dataclass(frozen=True, kw_only=True)
class EmailMatchesCard(_SiteFactAudit):
    prop: str = "email"
    card_field: str = "email"
    absent_key: str = "email"
    what: str = "адрес электронной почты"

    def same(self, site_values: list[str], card_value: str) -> bool:
        site = set().union(*(cardfacts.emails(v) for v in site_values))
        return bool(site & cardfacts.emails(card_value))


@dataclass(frozen=True, kw_only=True)
class InnMatchesCard(_CardAudit):
    """The ИНН the site writes (1493 does not require it; many sites print it) against the card and the registry."""

    def compare(self, ctx: Context, card: dict[str, Any]) -> AuditResult:
        on_site: dict[str, str] = ctx.computed(_site_facts)["inn"]
        if not on_site:
            return self.result(Status.not_applicable, "ИНН на сайте не указан в размеченных сведениях — сравнивать не с чем")
        known = {"bus.gov.ru": card.get("inn") or "", "реестр": (ctx.registry or {}).get("inn") or ""}
        known = {k: v for k, v in known.items() if v}
        if not known:
            return self.result(Status.not_applicable, "ИНН не указан ни в карточке bus.gov.ru, ни в реестре")
        url = next(iter(on_site.values()))
        evidence = [{"source": "сайт", "value": inn, "url": u} for inn, u in on_site.items()] + [
            {"source": k, "value": v, "url": card.get("card_url", "") if k == "bus.gov.ru" else ""} for k, v in known.items()
        ]
        differs = {k: v for k, v in known.items() if v not in on_site}
        if not differs:
            return self.result(Status.passed, f"ИНН на сайте совпадает: {', '.join(sorted(set(known.values())))}", url, evidence)
        where = ", ".join(f"в {'карточке bus.gov.ru' if k == 'bus.gov.ru' else 'реестре'} {v}" for k, v in differs.items())
        return self.result(Status.needs_review, f"ИНН на сайте ({', '.join(sorted(on_site))}) не совпадает: {where}", url, evidence)


@dataclass(frozen=True, kw_only=True)
class CardSiteIsThisSite(_CardAudit):
    """The card's site address is the site that was checked (BUS002 compares it with the registry)."""

    def compare(self, ctx: Context, card: dict[str, Any]) -> AuditResult:
        if not card.get("site_url"):
            return self.result(Status.not_applicable, "в карточке bus.gov.ru не указан сайт — см. BUS002", card.get("card_url", ""))
        site_urls: list[str] = ctx.computed(_site_facts)["site_urls"]
        checked = {normalize_site_url(u) for u in site_urls} - {None}
        on_card = split_site_urls(card["site_url"])
        evidence = [{"source": "сайт", "value": u, "url": u} for u in site_urls] + [{"source": "bus.gov.ru", "value": card["site_url"], "url": card.get("card_url", "")}]
        if checked & set(on_card):
            return self.result(Status.passed, f"в карточке bus.gov.ru указан проверенный сайт: {card['site_url']}", card.get("card_url", ""), evidence)
        return self.result(
            Status.needs_review,
            f"в карточке bus.gov.ru указан сайт {card['site_url']}, а проверен сайт {site_urls[0] if site_urls else '—'}",
            card.get("card_url", ""),
            evidence,
        )


@dataclass(frozen=True, kw_only=True)
class NokResultsRecent(Audit):
    group: str = "crosscheck"
    requires: tuple[str, ...] = ("busgov",)

    def judge(self, ctx: Context) -> AuditResult:
        bg = ctx.busgov or {}
        status = bg.get("status", "")
        if status in _NOT_RECEIVED:
            return self.result(Status.error, f"не проверено: {_NOT_RECEIVED[status]}")
        if not bg.get("card"):
            return self.result(Status.not_applicable, "карточки организации на bus.gov.ru нет")
        url = bg["card"].get("card_url", "")
        year = (bg.get("nok") or {}).get("year")
        if not isinstance(year, int):
            return self.result(Status.needs_review, "на bus.gov.ru нет результатов независимой оценки качества (НОК) организации", url)
        try:
            now = datetime.fromisoformat(str(bg.get("fetched_at"))).year
        except ValueError:
            return self.result(Status.error, "не проверено: неизвестна дата запроса к bus.gov.ru")
        if now - year <= NOK_PERIOD_YEARS:
            return self.result(Status.passed, f"результаты НОК за {year} год (запрос {now} года)", url)
        return self.result(
            Status.needs_review,
            f"последние результаты НОК на bus.gov.ru — за {year} год: оценка проводится не реже раза в {NOK_PERIOD_YEARS} года (запрос {now} года)",
            url,
        )


def _site_facts(ctx: Context) -> dict[str, Any]:
    assert ctx.site is not None  # the runner checked the required site artifact
    return cardfacts.site_facts(ctx.site)


# ---- examples --------------------------------------------------------------------------------

_CARD = {
    "agency_id": 231547, "inn": "4703012345", "name": "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 2»",
    "short_name": "МБОУ «СОШ № 2»", "address": "187110, Ленинградская обл., г. Кириши, ул. Ленина, д. 5", "phone": "+7 (495) 123-45-67",
    "email": "school2@example.ru", "site_url": "http://school2.example.ru", "source": "compare", "absent_fields": [],
    "card_url": "https://bus.gov.ru/info-card/231547",
}
_REGISTRY = {"org_id": "1", "inn": "4703012345", "site_url": "https://www.school2.example.ru/", "busgov_agency_id": 231547}


def _busgov(nok_year: int | None = 2025, **card: Any) -> dict[str, Any]:
    nok = {"year": nok_year, "group": "школы", "place": 3} if nok_year else None
    return {"kind": "busgov", "version": 2, "org_id": "1", "status": "ok", "agency_id": 231547, "card": {**_CARD, **card}, "nok": nok,
            "message": "карточка получена", "fetched_at": "2026-11-01T00:00:00+00:00"}


def _ex(html: str, expect: Status, title: str, **card: Any) -> Example:
    return Example(html, expect, title, page="home", registry=_REGISTRY, busgov=_busgov(**card))


AUDITS = (
    FullNameMatchesCard(
        code="CRD001",
        title="Полное наименование на сайте совпадает с карточкой bus.gov.ru",
        failure_title="Полное наименование на сайте и в карточке bus.gov.ru различается",
        description="Сравнивает полное наименование (fullName) на сайте с наименованием в карточке учреждения на bus.gov.ru; "
        "регистр, ё, кавычки, знаки препинания и принятые сокращения (МБОУ, СОШ, д/с, им.) различием не считаются.",
        legal=LEGAL,
        examples=(
            _ex('<span itemprop="fullName">МБОУ "СОШ №2"</span>', Status.passed, "сокращение и полная форма — одно наименование"),
            _ex('<span itemprop="fullName">Муниципальное бюджетное общеобразовательное учреждение "Средняя общеобразовательная школа № 2"</span>', Status.passed, "то же с другими кавычками"),
            _ex('<span itemprop="fullName">МБОУ «Лицей № 3»</span>', Status.needs_review, "другое наименование"),
            _ex("<p>Без разметки</p>", Status.not_applicable, "на сайте нет fullName"),
        ),
    ),
    InnMatchesCard(
        code="CRD002",
        title="ИНН на сайте совпадает с карточкой bus.gov.ru и реестром",
        failure_title="ИНН на сайте не совпадает с карточкой bus.gov.ru или реестром",
        description="Если сайт указывает ИНН в размеченных сведениях, сравнивает его с ИНН в карточке bus.gov.ru и в реестре.",
        legal=LEGAL,
        examples=(
            _ex('<p itemprop="fullName">МБОУ «СОШ № 2» (ИНН 4703012345)</p>', Status.passed, "ИНН совпадает"),
            _ex('<p itemprop="fullName">МБОУ «СОШ № 2», ИНН: 4703012340</p>', Status.needs_review, "другой ИНН"),
            _ex('<p itemprop="fullName">МБОУ «СОШ № 2»</p>', Status.not_applicable, "ИНН на сайте не указан"),
        ),
    ),
    AddressMatchesCard(
        code="CRD003",
        title="Адрес на сайте совпадает с карточкой bus.gov.ru",
        failure_title="Адрес на сайте и в карточке bus.gov.ru различается",
        description="Сравнивает место нахождения (address) на сайте с адресом в карточке bus.gov.ru; сокращения (г., ул., д.), "
        "регистр, ё, знаки препинания, отсутствие индекса или области различием не считаются.",
        legal=LEGAL,
        examples=(
            _ex('<p itemprop="address">город Кириши, улица Ленина, 5</p>', Status.passed, "тот же адрес без индекса и сокращений"),
            _ex('<p itemprop="address">187110, г. Кириши, ул. Советская, д. 12</p>', Status.needs_review, "другой адрес"),
            _ex("<p>Без разметки</p>", Status.not_applicable, "на сайте нет address"),
        ),
    ),
    PhoneMatchesCard(
        code="CRD004",
        title="Телефон на сайте совпадает с карточкой bus.gov.ru",
        failure_title="Телефон на сайте и в карточке bus.gov.ru различается",
        description="Сравнивает телефоны (telephone) на сайте с телефоном в карточке bus.gov.ru как номера (библиотека phonenumbers): "
        "+7 (495) 123-45-67 и 84951234567 — один номер; совпадения одного номера достаточно.",
        legal=LEGAL,
        examples=(
            _ex('<p itemprop="telephone">84951234567, 8 (495) 123-45-68</p>', Status.passed, "тот же номер в другой записи"),
            _ex('<p itemprop="telephone">+7 (81368) 2-12-34</p>', Status.needs_review, "другой номер"),
            _ex('<p itemprop="telephone">84951234567</p>', Status.not_applicable, "в карточке телефона нет", phone=None, absent_fields=["phone"]),
        ),
    ),
    EmailMatchesCard(
        code="CRD005",
        title="Адрес электронной почты на сайте совпадает с карточкой bus.gov.ru",
        failure_title="Адрес электронной почты на сайте и в карточке bus.gov.ru различается",
        description="Сравнивает адреса электронной почты (email) на сайте с адресом в карточке bus.gov.ru без учёта регистра.",
        legal=LEGAL,
        examples=(
            _ex('<a itemprop="email" href="mailto:School2@Example.ru">School2@Example.ru</a>', Status.passed, "тот же адрес в другом регистре"),
            _ex('<p itemprop="email">old-school2@mail.example</p>', Status.needs_review, "другой адрес"),
        ),
    ),
    CardSiteIsThisSite(
        code="CRD006",
        title="В карточке bus.gov.ru указан проверенный сайт",
        failure_title="В карточке bus.gov.ru указан другой сайт",
        description="Сравнивает адрес сайта в карточке bus.gov.ru с адресом проверенного сайта (и адресом, на который он переадресует), "
        "без схемы, www. и конечной косой черты.",
        legal=LEGAL,
        examples=(
            Example("<p>Главная</p>", Status.needs_review, "в карточке другой сайт", page="home", registry=_REGISTRY, busgov=_busgov()),
            Example("<p>Главная</p>", Status.passed, "в карточке проверенный сайт", page="home", registry=_REGISTRY, busgov=_busgov(site_url="http://127.0.0.1/")),
            Example("<p>Главная</p>", Status.error, "bus.gov.ru недоступен", page="home", registry=_REGISTRY, busgov={**_busgov(), "status": "unreachable", "card": None}),
        ),
    ),
    NokResultsRecent(
        code="CRD007",
        title="Результаты НОК на bus.gov.ru не старше трёх лет",
        failure_title="Результаты НОК на bus.gov.ru устарели или отсутствуют",
        description="Проверяет год последних результатов независимой оценки качества условий (НОК) в карточке bus.gov.ru: "
        "оценка проводится не реже одного раза в три года.",
        legal=NOK_LEGAL,
        fix="Сообщите учредителю (организатору НОК): результаты независимой оценки качества организации устарели.",
        examples=(
            Example("", Status.passed, "оценка 2025 года", registry=_REGISTRY, busgov=_busgov(nok_year=2025)),
            Example("", Status.needs_review, "оценка 2021 года", registry=_REGISTRY, busgov=_busgov(nok_year=2021)),
            Example("", Status.needs_review, "результатов НОК нет", registry=_REGISTRY, busgov=_busgov(nok_year=None)),
        ),
    ),
)
