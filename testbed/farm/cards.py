"""bus.gov.ru cards of the farm's organizations for the stand-in (``testbed.busgov_standin``), with
their ground truth: each card states the site's facts in another spelling (abbreviated legal form,
«город»/«улица», the telephone as +7XXXXXXXXXX, the e-mail in capitals), and a few cards are out
of date on purpose — a different telephone, e-mail, address, name or site, an old НОК year.

``card_truth(farm)`` says, per organization, which facts the card gives differently on purpose
(``mismatch``: fact → (the site's value, the card's value)); every other fact is the same fact.
"""

from __future__ import annotations

import random
import re
from typing import Any

from testbed.busgov_standin import FakeAgency, FakeNok

NOT_FOUND_RATE = 0.08  # not published on bus.gov.ru
NOK_RATE = 0.7
MISMATCH_RATE = 0.12  # per fact and card
OLD_NOK_RATE = 0.15
# Legal forms and school kinds as bus.gov.ru often abbreviates them (the other spelling of one name).
_ABBREVIATIONS = (
    ("Муниципальное бюджетное общеобразовательное учреждение", "МБОУ"),
    ("Муниципальное казённое общеобразовательное учреждение", "МКОУ"),
    ("Муниципальное автономное общеобразовательное учреждение", "МАОУ"),
    ("Муниципальное бюджетное дошкольное образовательное учреждение", "МБДОУ"),
    ("Муниципальное автономное дошкольное образовательное учреждение", "МАДОУ"),
    ("Средняя общеобразовательная школа", "СОШ"),
)
_ADDRESS_WORDS = (("г. ", "город "), ("ул. ", "улица "), (" ул.", " улица"), ("д. ", "дом "), ("пр. ", "проспект "), ("Ленинградская область", "Ленинградская обл."))
FACTS = ("name", "address", "phone", "email", "site_url")


def _rng(farm: Any, site: Any) -> random.Random:
    return random.Random(f"busgov-{farm.seed}-{site.index}")


def _respell_name(name: str) -> str:
    for full, short in _ABBREVIATIONS:
        name = name.replace(full, short)
    return name.replace("«", '"').replace("»", '"').replace("ё", "е")


def _respell_address(address: str) -> str:
    out = re.sub(r"^\d{6}, ", "", address)  # no index
    for short, full in _ADDRESS_WORDS:
        out = out.replace(short, full)
    return out.upper() if len(out) % 2 else out


def _digits_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return "+7" + digits[1:] if len(digits) == 11 else phone


def _other(kind: str, value: str, rng: random.Random) -> str:
    """The same kind of fact, out of date."""
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        return f"+7 ({digits[1:4]}) {(int(digits[4:]) + 1 + rng.randrange(999)) % 10 ** (len(digits) - 4):0{len(digits) - 4}d}"
    if kind == "email":
        return "old-" + value
    if kind == "address":
        return re.sub(r"д\. \d+", f"д. {100 + rng.randrange(50)}", value)
    if kind == "name":
        return re.sub(r"«.*", "«Лицей № 99»", value) if "«" in value else value + " (прежнее наименование)"
    return value.replace("http://", "http://old-")


def _cards(farm: Any) -> list[tuple[Any, FakeAgency | None, dict[str, tuple[str, str]]]]:
    out = []
    for site in farm.sites:
        rng = _rng(farm, site)
        if rng.random() < NOT_FOUND_RATE:
            out.append((site, None, {}))
            continue
        facts = site.content.facts
        same = {"name": _respell_name(site.name), "address": _respell_address(facts["address"]), "phone": _digits_phone(facts["phone"]),
                "email": facts["email"].upper(), "site_url": site.url}
        on_site = {"name": site.name, "address": facts["address"], "phone": facts["phone"], "email": facts["email"], "site_url": site.url}
        card, mismatch = dict(same), {}
        for fact in FACTS:
            if rng.random() < MISMATCH_RATE:
                card[fact] = _other(fact, on_site[fact], rng)
                mismatch[fact] = (on_site[fact], card[fact])
        nok = None
        if rng.random() < NOK_RATE:
            year = 2019 if rng.random() < OLD_NOK_RATE else 2024
            nok = FakeNok(year, "Общеобразовательные организации", rng.randint(1, 500), *(round(rng.uniform(60, 100), 1) for _ in range(5)))
        agency = FakeAgency(site.busgov_agency_id, site.inn, card["name"], site.short_name, card["address"], phone=card["phone"],
                            website=card["site_url"], email=card["email"], nok=nok)
        out.append((site, agency, mismatch))
    return out


def farm_agencies(farm: Any) -> list[FakeAgency]:
    """The stand-in's cards for the farm's organizations (a few are not on bus.gov.ru)."""
    return [agency for _, agency, _ in _cards(farm) if agency is not None]


def card_truth(farm: Any) -> dict[str, dict[str, Any]]:
    """Per organization id: ``found`` (the card exists), ``mismatch`` (fact → (site value, card value))
    and ``nok_year`` (None without НОК results)."""
    return {
        site.org_id: {"found": agency is not None, "mismatch": mismatch, "nok_year": agency.nok.year if agency is not None and agency.nok else None}
        for site, agency, mismatch in _cards(farm)
    }
