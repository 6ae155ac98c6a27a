"""bus.gov.ru (ГМУ): parsing of the JSON endpoints its public front end uses. No Scrapy here.

bus.gov.ru has no documented API. The pages ``/info-card/<agencyId>`` and ``/agency/<agencyId>``
are rendered by JavaScript from JSON endpoints (observed in the site's front end; the project's
requirement notes describe them). Those endpoints may change without notice, so
every parser here checks the shape it relies on and raises :class:`ChangedShape` naming the
missing or mistyped key, instead of guessing. The spider (``crawler/spiders/busgov.py``) turns
these exceptions into the item statuses:

``ok``             the card was read (НОК results may still be absent: ``nok`` is then None);
``not_found``      no agency with this ИНН / agencyId;
``unreachable``    DNS, connection, timeout, TLS, or 5xx after retries;
``changed_shape``  the JSON is not what the parsers know (or an endpoint answers 4xx);
``blocked``        403/401/429, or an HTML page (a bot challenge) instead of JSON.

Response layouts the parsers accept are in ``tests/fixtures/busgov/`` (see its README: they
are constructed from the observed field names, not recorded verbatim).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit

from artifacts.schema import BUSGOV_VERSION
from artifacts.urls import normalize_site_url, split_site_urls

DEFAULT_BASE_URL = "https://bus.gov.ru"


class Status(StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"
    UNREACHABLE = "unreachable"
    CHANGED_SHAPE = "changed_shape"
    BLOCKED = "blocked"


STATUS_TITLES = {
    Status.OK: "данные получены",
    Status.NOT_FOUND: "учреждение не найдено на bus.gov.ru",
    Status.UNREACHABLE: "bus.gov.ru недоступен",
    Status.CHANGED_SHAPE: "ответ bus.gov.ru изменил формат",
    Status.BLOCKED: "bus.gov.ru заблокировал запросы",
}

# What each request is, in messages («поиск по ИНН: …»).
STEP_TITLES = {
    "search": "поиск по ИНН",
    "compare": "карточка учреждения (compare)",
    "agency_json": "карточка учреждения (agency.json)",
    "nok": "результаты НОК",
}


class BusGovError(Exception):
    """A per-organization failure; ``status`` is the item status, ``str()`` the Russian message."""

    status: Status = Status.CHANGED_SHAPE

    def __init__(self, message: str, *, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.http_status = http_status


class ChangedShape(BusGovError):
    status = Status.CHANGED_SHAPE


class NotFound(BusGovError):
    status = Status.NOT_FOUND


class Blocked(BusGovError):
    status = Status.BLOCKED


class Unreachable(BusGovError):
    status = Status.UNREACHABLE


# ---------------------------------------------------------------------------------------------
# Endpoints


def _base(base_url: str) -> str:
    return (base_url or DEFAULT_BASE_URL).rstrip("/")


def search_url(base_url: str, inn: str) -> str:
    return (
        f"{_base(base_url)}/public-rest/api/agency/extendedSearchAgencyNew?searchString={quote(inn)}"
        "&withBranches=true&page=1&pageSize=10&orderAttributeName=rank&searchTermCondition=or"
    )


def compare_url(base_url: str, agency_id: int, year: int) -> str:
    return f"{_base(base_url)}/public-rest/api/agency/compare?selectedYear={int(year)}&compareAgencyIds={int(agency_id)}"


def agency_json_url(base_url: str, agency_id: int) -> str:
    return f"{_base(base_url)}/public/agency/agency.json?agency={int(agency_id)}"


def nok_url(base_url: str, agency_id: int) -> str:
    return f"{_base(base_url)}/public-rating/api/ratingCompare/commonInfo?compareAgencyIds={int(agency_id)}"


def info_card_url(base_url: str, agency_id: int) -> str:
    """The citizen card (ratings, reviews, НОК): the link to show people."""
    return f"{_base(base_url)}/info-card/{int(agency_id)}"


CARD_SOURCES = ("compare", "agency_json")


def card_url(source: str, base_url: str, agency_id: int, year: int) -> str:
    if source == "compare":
        return compare_url(base_url, agency_id, year)
    if source == "agency_json":
        return agency_json_url(base_url, agency_id)
    raise ValueError(f"unknown card source {source!r}; expected one of {CARD_SOURCES}")


# ---------------------------------------------------------------------------------------------
# Identifiers

_INN = re.compile(r"^\d{10}(?:\d{2})?$")


def normalize_inn(value: Any) -> str | None:
    """ИНН as 10 (legal entity) or 12 digits; None when empty. Raises ValueError when malformed."""
    if value is None:
        return None
    text = re.sub(r"[\s\u00a0-]", "", str(value))
    if not text:
        return None
    if not _INN.match(text):
        raise ValueError(f"ИНН «{value}» некорректен: нужно 10 или 12 цифр")
    return text


def normalize_agency_id(value: Any) -> int | None:
    """agencyId as a positive int; None when empty. Raises ValueError when malformed."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"agencyId «{value}» некорректен")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValueError(f"agencyId «{value}» некорректен: нужно целое число")
    if number <= 0:
        raise ValueError(f"agencyId «{value}» некорректен: нужно положительное число")
    return number


# ---------------------------------------------------------------------------------------------
# Raw responses → JSON

# Bot-protection pages seen in front of Russian state sites (DDoS-Guard, Qrator, ServicePipe,
# Variti, Cloudflare-like challenges) and their Russian wording.
CHALLENGE_MARKERS = (
    "ddos-guard", "ddos guard", "qrator", "servicepipe", "variti", "captcha", "challenge",
    "checking your browser", "access denied", "проверка браузера", "проверяем ваш браузер",
    "не робот", "доступ ограничен", "доступ запрещ",
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def _html_title(body: bytes) -> str:
    match = _TITLE.search(body[:20000])
    if not match:
        return ""
    raw = match.group(1)
    for enc in ("utf-8", "cp1251"):
        try:
            return re.sub(r"\s+", " ", raw.decode(enc)).strip()[:120]
        except UnicodeDecodeError:
            continue
    return ""


def _looks_like_html(content_type: str, body: bytes) -> bool:
    if "html" in content_type:
        return True
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<meta"))


def _challenge_message(body: bytes, http_status: int, what: str) -> str:
    lowered = body[:50000].decode("utf-8", "replace").lower()
    marker = next((m for m in CHALLENGE_MARKERS if m in lowered), None)
    title = _html_title(body)
    described = f"HTML-страница «{title}»" if title else "HTML-страница"
    reason = f" (признак защиты от ботов: «{marker}»)" if marker else ""
    return f"{what}: вместо JSON получена {described}, HTTP {http_status}{reason}"


def decode_response(http_status: int, content_type: str | bytes | None, body: bytes, *, step: str) -> Any:
    """Decoded JSON of a bus.gov.ru answer, or a :class:`BusGovError` saying what came instead.

    ``step`` is one of :data:`STEP_TITLES` (it words the message). A 404 is :class:`NotFound` for
    the card endpoints (no such agency) and :class:`ChangedShape` for the others (the endpoint
    itself is gone).
    """
    what = STEP_TITLES.get(step, step)
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    ctype = (content_type or "").lower()
    if http_status in (401, 403, 429):
        detail = ""
        if body and _looks_like_html(ctype, body):
            detail = "; " + _challenge_message(body, http_status, what).split(": ", 1)[1]
        raise Blocked(f"{what}: bus.gov.ru отказал в доступе (HTTP {http_status}){detail}", http_status=http_status)
    if http_status >= 500:
        if body and _looks_like_html(ctype, body) and any(
            m in body[:50000].decode("utf-8", "replace").lower() for m in CHALLENGE_MARKERS
        ):
            raise Blocked(_challenge_message(body, http_status, what), http_status=http_status)
        raise Unreachable(f"{what}: сервер bus.gov.ru ответил HTTP {http_status} (после повторных попыток)", http_status=http_status)
    if http_status == 404 and step == "agency_json":
        raise NotFound(f"{what}: bus.gov.ru ответил 404 — учреждения с таким agencyId нет", http_status=http_status)
    if http_status == 404 and step == "compare":  # no such agency, or the endpoint moved
        raise NotFound(f"{what}: bus.gov.ru ответил 404 (учреждения нет или адрес запроса изменился)", http_status=http_status)
    if http_status >= 400:
        raise ChangedShape(f"{what}: bus.gov.ru ответил HTTP {http_status} — адрес или параметры запроса, видимо, изменились", http_status=http_status)
    if 300 <= http_status < 400:
        raise ChangedShape(f"{what}: неожиданная переадресация (HTTP {http_status})", http_status=http_status)
    if body and _looks_like_html(ctype, body):
        raise Blocked(_challenge_message(body, http_status, what), http_status=http_status)
    if not body.strip():
        raise ChangedShape(f"{what}: пустой ответ вместо JSON (HTTP {http_status})", http_status=http_status)
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        shown = ctype or "не указан"
        raise ChangedShape(f"{what}: ответ не является JSON (Content-Type: {shown})", http_status=http_status) from exc


# ---------------------------------------------------------------------------------------------
# Shape checking helpers


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "объект", list: "массив", str: "строка", bool: "логическое", int: "число", float: "число"}.get(type(value), type(value).__name__)


def _require(obj: Any, key: str, path: str, what: str) -> Any:
    if not isinstance(obj, dict):
        raise ChangedShape(f"{what}: ожидался объект в «{path}», получено: {_kind(obj)}")
    if key not in obj:
        present = ", ".join(sorted(map(str, obj))[:12]) or "нет ключей"
        where = f"{path}.{key}" if path else key
        raise ChangedShape(f"{what}: в ответе нет ключа «{where}» (есть: {present})")
    return obj[key]


def _expect_list(value: Any, path: str, what: str, *, nullable: bool = False) -> list[Any] | None:
    if value is None and nullable:
        return None
    if not isinstance(value, list):
        raise ChangedShape(f"{what}: «{path}» должен быть массивом, получено: {_kind(value)}")
    return value


def _text(value: Any, path: str, what: str) -> str | None:
    """A string field: None/'' → None; numbers (ИНН as a number) → str; anything else → ChangedShape."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ChangedShape(f"{what}: «{path}» должен быть строкой, получено: {_kind(value)}")
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise ChangedShape(f"{what}: «{path}» должен быть строкой, получено: {_kind(value)}")
    text = re.sub(r"\s+", " ", value).strip()
    return text or None


def _agency_id(value: Any, path: str, what: str) -> int:
    try:
        number = normalize_agency_id(value)
    except ValueError:
        number = None
    if number is None:
        raise ChangedShape(f"{what}: «{path}» должен быть целым agencyId, получено: {value!r}")
    return number


def _number(value: Any, path: str, what: str) -> float | None:
    """Indicator values: numbers, numeric strings (with a decimal comma), or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ChangedShape(f"{what}: «{path}» должен быть числом, получено: {_kind(value)}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not text or text == "-":
            return None
        try:
            return float(text)
        except ValueError:
            pass
    raise ChangedShape(f"{what}: «{path}» должен быть числом, получено: {value!r}")


def _year(value: Any, path: str, what: str) -> int | None:
    number = _number(value, path, what)
    if number is None:
        return None
    if not number.is_integer() or not 2000 <= number <= 2100:
        raise ChangedShape(f"{what}: «{path}» должен быть годом, получено: {value!r}")
    return int(number)


# ---------------------------------------------------------------------------------------------
# ИНН → agencyId


@dataclass(frozen=True)
class SearchHit:
    agency_id: int
    inn: str | None
    name: str | None
    website: str | None


@dataclass(frozen=True)
class SearchResult:
    agency_id: int
    hits: int  # agencies with exactly this ИНН (a head and its branches share it)
    total: int  # agencies the search returned
    note: str = ""  # Russian; set when the choice among several was not obvious


def parse_search(data: Any, inn: str, site_url: str | None = None) -> SearchResult:
    """Pick the agency whose ИНН equals ``inn`` from an ``extendedSearchAgencyNew`` answer.

    The search is full-text (``searchTermCondition=or``): it may return agencies with other
    ИНН. Branches share the head's ИНН; among several exact matches the one whose published
    site matches ``site_url`` wins, otherwise the first in the search's rank order.
    """
    what = STEP_TITLES["search"]
    agencies = _expect_list(_require(data, "agencies", "", what), "agencies", what, nullable=True) or []
    hits: list[SearchHit] = []
    for i, entry in enumerate(agencies):
        path = f"agencies[{i}]"
        agency_id = _agency_id(_require(entry, "agencyId", path, what), f"{path}.agencyId", what)
        entry_inn = _text(_require(entry, "inn", path, what), f"{path}.inn", what)
        if entry_inn != inn:
            continue
        name = _text(entry.get("shortName") or entry.get("fullName"), f"{path}.shortName", what)
        website = _text(entry.get("website"), f"{path}.website", what)
        hits.append(SearchHit(agency_id, entry_inn, name, website))
    if not hits:
        if agencies:
            raise NotFound(f"{what}: bus.gov.ru вернул {len(agencies)} учрежд., но ни у одного ИНН не равен {inn}")
        raise NotFound(f"{what}: по ИНН {inn} на bus.gov.ru ничего не найдено")
    chosen = hits[0]
    note = ""
    if len(hits) > 1:
        wanted = normalize_site_url(site_url)
        by_site = [h for h in hits if wanted is not None and wanted in split_site_urls(h.website)]
        if by_site:
            chosen = by_site[0]
            note = f"по ИНН {inn} найдено {len(hits)} учрежд. (головное и филиалы?); выбрано agencyId {chosen.agency_id} — его сайт совпадает с сайтом в реестре"
        else:
            note = f"по ИНН {inn} найдено {len(hits)} учрежд. (головное и филиалы?); выбрано первое по рейтингу поиска — agencyId {chosen.agency_id}"
    return SearchResult(chosen.agency_id, len(hits), len(agencies), note)


# ---------------------------------------------------------------------------------------------
# The card

# Keys that identify the institution: their absence means the format changed.
CARD_REQUIRED_KEYS = ("id", "inn", "fullClientName")
# Contact keys: a missing key (not a null value) is reported in ``absent_fields`` and the
# message, not as a changed format: serializers often drop nulls.
CARD_CONTACT_KEYS = ("shortClientName", "agencyAddress", "phone", "website", "email")


@dataclass
class Card:
    agency_id: int
    inn: str | None
    name: str | None  # fullClientName
    short_name: str | None
    address: str | None  # agencyAddress.fullAddress
    phone: str | None
    site_url: str | None  # website, as published on bus.gov.ru
    email: str | None
    source: str  # "compare" | "agency_json"
    absent_fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_agency_object(agency: Any, *, source: str, path: str = "agency") -> Card:
    """The ``agency{…}`` object both card endpoints return."""
    what = STEP_TITLES[source]
    if not isinstance(agency, dict):
        raise ChangedShape(f"{what}: «{path}» должен быть объектом, получено: {_kind(agency)}")
    for key in CARD_REQUIRED_KEYS:
        _require(agency, key, path, what)
    absent = [k for k in CARD_CONTACT_KEYS if k not in agency]
    address_obj = agency.get("agencyAddress")
    address = None
    if address_obj is not None:
        if isinstance(address_obj, str):  # a flat address string is still an address
            address = _text(address_obj, f"{path}.agencyAddress", what)
        else:
            address = _text(_require(address_obj, "fullAddress", f"{path}.agencyAddress", what), f"{path}.agencyAddress.fullAddress", what)
    return Card(
        agency_id=_agency_id(agency["id"], f"{path}.id", what),
        inn=_text(agency["inn"], f"{path}.inn", what),
        name=_text(agency["fullClientName"], f"{path}.fullClientName", what),
        short_name=_text(agency.get("shortClientName"), f"{path}.shortClientName", what),
        address=address,
        phone=_text(agency.get("phone"), f"{path}.phone", what),
        site_url=_text(agency.get("website"), f"{path}.website", what),
        email=_text(agency.get("email"), f"{path}.email", what),
        source=source,
        absent_fields=absent,
    )


def parse_card_agency_json(data: Any, agency_id: int) -> Card:
    """``/public/agency/agency.json?agency=<id>`` → ``{"agency": {...}, "publicInfo": {...}}``.

    ``{"agency": null}`` means there is no such agency.
    """
    what = STEP_TITLES["agency_json"]
    agency = _require(data, "agency", "", what)
    if agency is None:
        raise NotFound(f"{what}: учреждения с agencyId {agency_id} на bus.gov.ru нет")
    card = parse_agency_object(agency, source="agency_json")
    if card.agency_id != agency_id:
        raise ChangedShape(f"{what}: запрошен agencyId {agency_id}, а в ответе agency.id = {card.agency_id}")
    return card


def parse_card_compare(data: Any, agency_id: int) -> Card:
    """``/public-rest/api/agency/compare?selectedYear=…&compareAgencyIds=<id>``.

    Layout (constructed, see tests/fixtures/busgov/README.md):
    ``{"selectedYear": 2025, "agencies": [{"agency": {...}, ...}, ...]}``, one entry per
    requested id; an empty ``agencies`` means there is no such agency.
    """
    what = STEP_TITLES["compare"]
    entries = _expect_list(_require(data, "agencies", "", what), "agencies", what, nullable=True) or []
    for i, entry in enumerate(entries):
        agency = _require(entry, "agency", f"agencies[{i}]", what)
        if agency is None:
            continue
        card = parse_agency_object(agency, source="compare", path=f"agencies[{i}].agency")
        if card.agency_id == agency_id:
            return card
    if entries:
        raise ChangedShape(f"{what}: в ответе нет учреждения с agencyId {agency_id} (пришло записей: {len(entries)})")
    raise NotFound(f"{what}: учреждения с agencyId {agency_id} на bus.gov.ru нет")


def parse_card(source: str, data: Any, agency_id: int) -> Card:
    if source == "compare":
        return parse_card_compare(data, agency_id)
    if source == "agency_json":
        return parse_card_agency_json(data, agency_id)
    raise ValueError(f"unknown card source {source!r}")


# ---------------------------------------------------------------------------------------------
# НОК

NOK_VALUE_KEYS = {
    "place": "globalPlaceValue",
    "openness": "opennessValue",  # 1. открытость и доступность информации
    "comfort": "comfortValue",  # 2. комфортность условий
    # 3. Before 2018 the third criterion was «время ожидания»; since 344н it is «доступность
    # услуг для инвалидов». The field kept its old name (the README's reading, unconfirmed).
    "accessibility": "timeoutValue",
    "goodwill": "goodwillValue",  # 4. доброжелательность, вежливость работников
    "contentment": "contentmentValue",  # 5. удовлетворённость условиями
}


@dataclass
class Nok:
    year: int | None
    group: str | None  # organizationGroup.groupName: the group the place is counted in
    openness: float | None
    comfort: float | None
    accessibility: float | None
    goodwill: float | None
    contentment: float | None
    place: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_nok(data: Any, agency_id: int) -> Nok | None:
    """``/public-rating/api/ratingCompare/commonInfo?compareAgencyIds=<id>`` → :class:`Nok`.

    The answer is keyed by agencyId. No key (or null, or an empty list of scopes or details)
    means the institution has no published НОК results: None.
    """
    what = STEP_TITLES["nok"]
    if not isinstance(data, dict):
        raise ChangedShape(f"{what}: ожидался объект с ключами-agencyId, получено: {_kind(data)}")
    key = str(agency_id)
    if key not in data:
        if not data:
            return None
        others = sorted(map(str, data))
        if all(k.isdigit() for k in others):
            raise ChangedShape(f"{what}: запрошен agencyId {agency_id}, а в ответе ключи: {', '.join(others[:5])}")
        raise ChangedShape(f"{what}: ответ не сгруппирован по agencyId — нет ключа «{key}» (есть: {', '.join(others[:12])})")
    info = data[key]
    if info is None:
        return None
    year = _year(_require(info, "ratingYear", key, what), f"{key}.ratingYear", what)
    scopes = _expect_list(_require(info, "scopeWithRatingsDtos", key, what), f"{key}.scopeWithRatingsDtos", what, nullable=True)
    if not scopes:
        return None
    scope_path = f"{key}.scopeWithRatingsDtos[0]"
    details = _expect_list(_require(scopes[0], "ratingDetailsDto", scope_path, what), f"{scope_path}.ratingDetailsDto", what, nullable=True)
    if not details:
        return None
    dpath = f"{scope_path}.ratingDetailsDto[0]"
    detail = details[0]
    group_obj = _require(detail, "organizationGroup", dpath, what)
    group = None
    if group_obj is not None:
        group = _text(_require(group_obj, "groupName", f"{dpath}.organizationGroup", what), f"{dpath}.organizationGroup.groupName", what)
    values = {name: _number(_require(detail, src, dpath, what), f"{dpath}.{src}", what) for name, src in NOK_VALUE_KEYS.items()}
    place = values.pop("place")
    if place is not None and (not place.is_integer() or place < 1):
        raise ChangedShape(f"{what}: «{dpath}.globalPlaceValue» должен быть местом (целое ≥ 1), получено: {place}")
    for name, value in values.items():
        if value is not None and not 0 <= value <= 100:
            raise ChangedShape(f"{what}: «{dpath}.{NOK_VALUE_KEYS[name]}» вне шкалы 0–100: {value}")
    return Nok(year=year, group=group, place=int(place) if place is not None else None, **values)


# ---------------------------------------------------------------------------------------------
# Items

ITEM_KIND = "busgov"
ITEM_VERSION = BUSGOV_VERSION
ITEM_KEYS = ("kind", "version", "org_id", "status", "agency_id", "card", "nok", "message", "fetched_at")


def card_payload(card: Card, *, base_url: str) -> dict[str, Any]:
    """The item's ``card``: what bus.gov.ru publishes, and where a person can see it.

    Comparisons with the registry are verdicts: the audits BUS002/BUS003 make them."""
    payload = card.as_dict()
    payload["card_url"] = info_card_url(base_url, card.agency_id)
    return payload


def card_notes(payload: dict[str, Any]) -> list[str]:
    """Russian notes about how the card was received (for the item message)."""
    absent = payload.get("absent_fields") or []
    return ["в ответе bus.gov.ru нет полей: " + ", ".join(absent)] if absent else []


def make_item(
    org_id: Any,
    status: Status | str,
    message: str,
    *,
    agency_id: int | None = None,
    card: dict[str, Any] | None = None,
    nok: Nok | dict[str, Any] | None = None,
    fetched_at: datetime | None = None,
) -> dict[str, Any]:
    """One item per organization (the ``busgov_results`` row)."""
    return {
        "kind": ITEM_KIND,
        "version": ITEM_VERSION,
        "org_id": org_id,
        "status": str(Status(status)),
        "agency_id": agency_id,
        "card": card,
        "nok": nok.as_dict() if isinstance(nok, Nok) else nok,
        "message": message,
        "fetched_at": (fetched_at or datetime.now(UTC)).isoformat(timespec="seconds"),
    }
