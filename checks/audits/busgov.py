"""BUS: the organization's bus.gov.ru card against the registry and the site.

- BUS001: the site's bus.gov.ru link points at the organization's own card (the registry's agencyId);
- BUS002: the card publishes the registry's site address;
- BUS003: the card's ИНН is the registry's (else the registry's agencyId may name another institution).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artifacts.urls import normalize_site_url, split_site_urls
from checks.context import Context
from checks.model import Audit, AuditResult, Example, LegalRef, Status

# НОК results are published on bus.gov.ru (273-ФЗ ст.95.2); the card must be the organization's own.
LEGAL = (LegalRef("273-ФЗ", "ст.95.2"),)
# bus.gov.ru answers that mean «could not decide» rather than «nothing to compare».
_NOT_RECEIVED = {"unreachable": "bus.gov.ru недоступен", "blocked": "bus.gov.ru заблокировал запросы", "changed_shape": "bus.gov.ru изменил формат ответа"}


@dataclass(frozen=True, kw_only=True)
class SiteLinksOwnCard(Audit):
    group: str = "busgov"
    requires: tuple[str, ...] = ("site", "registry")

    def judge(self, ctx: Context) -> AuditResult:
        from checks.audits.feedback import site_scan

        bus = ctx.computed(site_scan)["bus_gov"]
        registry_id = (ctx.registry or {}).get("busgov_agency_id")
        found = sorted({int(a) for a in (bus.get("agency_ids") or ([bus["agency_id"]] if bus.get("agency_id") else []))})
        if not registry_id:
            return self.result(Status.not_applicable, "в реестре не указан номер учреждения на bus.gov.ru")
        if not found:
            return self.result(Status.not_applicable, "на сайте нет ссылки на карточку учреждения на bus.gov.ru")
        if int(registry_id) in found:
            return self.result(Status.passed, f"ссылка ведёт на карточку № {registry_id}", bus.get("url", ""))
        shown = ", ".join(f"№ {i}" for i in found)
        return self.result(Status.fail, f"ссылка на bus.gov.ru ведёт на карточку {shown}, а в реестре указана № {registry_id}", bus.get("url", ""))


@dataclass(frozen=True, kw_only=True)
class _CardAudit(Audit):
    """A comparison of the bus.gov.ru card with the registry."""

    group: str = "busgov"
    requires: tuple[str, ...] = ("busgov", "registry")

    def judge(self, ctx: Context) -> AuditResult:
        bg = ctx.busgov or {}
        card = bg.get("card")
        if card:
            return self.compare(card, ctx.registry or {})
        status = bg.get("status", "")
        if status in _NOT_RECEIVED:
            return self.result(Status.error, f"не проверено: {_NOT_RECEIVED[status]}")
        return self.result(Status.not_applicable, "карточки организации на bus.gov.ru нет")

    def compare(self, card: dict[str, Any], registry: dict[str, Any]) -> AuditResult:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class CardSiteIsRegistrySite(_CardAudit):
    def compare(self, card: dict[str, Any], registry: dict[str, Any]) -> AuditResult:
        registry_site = registry.get("site_url")
        if normalize_site_url(registry_site) is None:
            return self.result(Status.not_applicable, "в реестре нет адреса сайта")
        if "website" in (card.get("absent_fields") or []):
            return self.result(Status.not_applicable, "в ответе bus.gov.ru нет поля с адресом сайта")
        url = card.get("card_url", "")
        if normalize_site_url(registry_site) in split_site_urls(card.get("site_url")):
            return self.result(Status.passed, f"в карточке bus.gov.ru указан сайт из реестра: {card.get('site_url')}", url)
        if card.get("site_url"):
            return self.result(Status.fail, f"сайт в карточке bus.gov.ru ({card['site_url']}) не совпадает с сайтом в реестре ({registry_site})", url)
        return self.result(Status.fail, "в карточке bus.gov.ru не указан сайт организации", url)


@dataclass(frozen=True, kw_only=True)
class CardInnIsRegistryInn(_CardAudit):
    def compare(self, card: dict[str, Any], registry: dict[str, Any]) -> AuditResult:
        registry_inn = registry.get("inn")
        if not registry_inn or not card.get("inn"):
            return self.result(Status.not_applicable, "ИНН не указан в реестре или в карточке")
        url = card.get("card_url", "")
        if registry_inn == card["inn"]:
            return self.result(Status.passed, f"ИНН совпадает: {registry_inn}", url)
        return self.result(
            Status.fail,
            f"ИНН в карточке bus.gov.ru ({card['inn']}) не совпадает с ИНН в реестре ({registry_inn}) — номер учреждения на bus.gov.ru в реестре, возможно, указывает на другое учреждение",
            url,
        )


def _card_example(**card: Any) -> dict[str, Any]:
    base = {"agency_id": 231547, "inn": "4703012345", "name": "МОУ «СОШ № 2»", "site_url": "http://school2.example.ru", "absent_fields": [], "card_url": "https://bus.gov.ru/info-card/231547"}
    return {"kind": "busgov", "version": 2, "org_id": "1", "status": "ok", "agency_id": 231547, "card": {**base, **card}, "nok": None, "message": "карточка получена", "fetched_at": "2026-01-01T00:00:00+00:00"}


_REGISTRY = {"org_id": "1", "inn": "4703012345", "site_url": "https://www.school2.example.ru/", "busgov_agency_id": 231547}

AUDITS = (
    SiteLinksOwnCard(
        code="BUS001",
        title="Ссылка сайта на bus.gov.ru ведёт на карточку своей организации",
        failure_title="Ссылка сайта на bus.gov.ru ведёт на карточку другого учреждения",
        description="Сравнивает номер учреждения (agencyId) в ссылках сайта на bus.gov.ru (оценка качества, карточка) с номером в реестре.",
        legal=LEGAL,
        fix="Исправьте ссылку на bus.gov.ru: https://bus.gov.ru/qrcode/rate/… или https://bus.gov.ru/info-card/… с номером своей организации (он в адресе её карточки на bus.gov.ru).",
        examples=(
            Example('<a href="https://bus.gov.ru/qrcode/rate/231547">Оцените нас</a>', Status.passed, "номер из реестра", page="home", registry=_REGISTRY),
            Example('<a href="https://bus.gov.ru/qrcode/rate/231102">Оцените нас</a>', Status.fail, "номер соседнего учреждения", page="home", registry=_REGISTRY),
            Example("<p>Без ссылок</p>", Status.not_applicable, "ссылки на bus.gov.ru нет", page="home", registry=_REGISTRY),
        ),
    ),
    CardSiteIsRegistrySite(
        code="BUS002",
        title="В карточке bus.gov.ru указан сайт из реестра",
        failure_title="Сайт в карточке bus.gov.ru не совпадает с реестром",
        description="Сравнивает адрес сайта в карточке учреждения на bus.gov.ru с адресом в реестре (без схемы, www., конечной косой черты и index-файлов).",
        legal=LEGAL,
        fix="Попросите учреждение исправить адрес сайта в карточке на bus.gov.ru (через личный кабинет) или исправьте адрес в реестре.",
        examples=(
            Example("", Status.passed, "тот же адрес в другом написании", registry=_REGISTRY, busgov=_card_example()),
            Example("", Status.fail, "старый адрес сайта", registry=_REGISTRY, busgov=_card_example(site_url="http://old-school2.example.ru")),
            Example("", Status.fail, "сайт не указан", registry=_REGISTRY, busgov=_card_example(site_url=None)),
            Example("", Status.error, "bus.gov.ru недоступен", registry=_REGISTRY, busgov={**_card_example(), "status": "unreachable", "card": None}),
        ),
    ),
    CardInnIsRegistryInn(
        code="BUS003",
        title="ИНН в карточке bus.gov.ru совпадает с реестром",
        failure_title="ИНН в карточке bus.gov.ru не совпадает с реестром",
        description="Сравнивает ИНН в карточке bus.gov.ru с ИНН в реестре: расхождение значит, что номер учреждения в реестре, возможно, указывает на другое учреждение.",
        legal=LEGAL,
        fix="Проверьте номер учреждения на bus.gov.ru (столбец реестра с номером организации на bus.gov.ru) и ИНН организации в реестре.",
        examples=(
            Example("", Status.passed, "ИНН совпадает", registry=_REGISTRY, busgov=_card_example()),
            Example("", Status.fail, "ИНН соседнего учреждения", registry=_REGISTRY, busgov=_card_example(inn="4703012340")),
        ),
    ),
)
