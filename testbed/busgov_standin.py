"""A local stand-in for bus.gov.ru: the JSON endpoints the crawler reads, for tests and the demo.

    python -m testbed.busgov_standin --port 8765 [--host 127.0.0.1] [--agencies AGENCIES.json]
        [--print-targets]

Serves, for a set of fake agencies, the layouts of ``tests/fixtures/busgov/`` (constructed, see
its README):

    /public-rest/api/agency/extendedSearchAgencyNew?searchString=<ИНН>…
    /public-rest/api/agency/compare?selectedYear=YYYY&compareAgencyIds=<id>
    /public/agency/agency.json?agency=<id>
    /public-rating/api/ratingCompare/commonInfo?compareAgencyIds=<id>
    /info-card/<id>   (a plain HTML page, for people following the demo's links)
    /robots.txt       (allows everything)

Each agency has a ``mode`` that makes its answers misbehave (see :data:`MODES`). Unknown ids
are not found; the search matches ИНН by their first 8 digits, as a full-text search returns
neighbours, so the crawler must pick the exact ИНН.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MODES = {
    "ok": "answers normally",
    "challenge": "an HTML bot-check page (HTTP 200) instead of JSON, for every request about it",
    "forbidden": "HTTP 403 with an HTML page for every request about it",
    "rate_limited": "HTTP 429 for every request about it",
    "server_error": "HTTP 503 for its card (the crawler retries, then gives up)",
    "changed_card": "card keys renamed: compare has innCode, agency.json wraps it in agencyInfo",
    "changed_nok": "НОК answer with scopeWithRatingsDtos renamed to scopes",
    "compare_missing": "HTTP 404 from compare (the older agency.json still answers)",
    "slow": "its card is answered only after StandIn.slow_seconds (timeouts)",
}

CHALLENGE_PAGE = """<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>DDoS-Guard</title>
<script src="/.well-known/ddos-guard/check?context=free_splash" async></script></head>
<body><div class="ddg-captcha"><h1>Проверка браузера перед переходом на bus.gov.ru</h1>
<p>Это может занять несколько секунд. Пожалуйста, подождите.</p></div></body></html>
"""
FORBIDDEN_PAGE = """<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>403 Доступ запрещён</title></head>
<body><h1>Доступ запрещён</h1><p>Ваш IP-адрес временно заблокирован.</p></body></html>
"""


@dataclass
class FakeNok:
    year: int
    group: str
    place: int
    openness: float
    comfort: float
    accessibility: float  # served as timeoutValue
    goodwill: float
    contentment: float


@dataclass
class FakeAgency:
    agency_id: int
    inn: str
    full_name: str
    short_name: str
    address: str
    phone: str | None = None
    website: str | None = None
    email: str | None = None
    kpp: str = "470301001"
    nok: FakeNok | None = None
    mode: str = "ok"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; expected one of {sorted(MODES)}")
        if isinstance(self.nok, dict):
            self.nok = FakeNok(**self.nok)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FakeAgency:
        return cls(**data)


def _nok(year=2023, group="Общеобразовательные организации", place=57, openness=97.4, comfort=96.0, accessibility=68.0, goodwill=99.1, contentment=98.6) -> FakeNok:
    return FakeNok(year, group, place, openness, comfort, accessibility, goodwill, contentment)


# The demo/test set: one agency per behaviour. ИНН and domains are fictitious.
DEFAULT_AGENCIES: tuple[FakeAgency, ...] = (
    FakeAgency(231547, "4703012345", "Муниципальное общеобразовательное учреждение «Средняя общеобразовательная школа № 2» г. Всеволожска",
               "МОУ «СОШ № 2» г. Всеволожска", "188640, Ленинградская обл., Всеволожский р-н, г. Всеволожск, ул. Школьная, д. 4",
               "8 (81370) 2-12-34", "http://vsevschool2.example.ru", "school2@vsev.example.ru", nok=_nok()),
    # A neighbour in the search results: same first 8 digits of the ИНН.
    FakeAgency(231102, "4703012340", "Муниципальное дошкольное образовательное учреждение «Детский сад комбинированного вида № 3» г. Всеволожска",
               "МДОУ «ДСКВ № 3»", "188643, Ленинградская обл., Всеволожский р-н, г. Всеволожск, ул. Садовая, д. 12",
               "8 (81370) 2-45-11", "http://ds3-vsev.example.ru", "ds3@vsev.example.ru",
               nok=_nok(group="Дошкольные образовательные организации", place=12, openness=93.2, comfort=100.0, accessibility=44.0, goodwill=98.0, contentment=97.5)),
    # Found by ИНН; publishes another site than the registry's; no НОК results.
    FakeAgency(240001, "4705004321", "Муниципальное бюджетное общеобразовательное учреждение «Гатчинская средняя общеобразовательная школа № 5»",
               "МБОУ «Гатчинская СОШ № 5»", "188300, Ленинградская обл., Гатчинский муниципальный округ, г. Гатчина, пр. Победы, д. 17",
               "8 (81371) 2-10-05", "https://www.gatchina-school5-old.example.ru/", "school5@gtn.example.ru", kpp="470501001"),
    FakeAgency(250310, "4711007788", "Муниципальное общеобразовательное учреждение «Лужская средняя общеобразовательная школа № 3»",
               "МОУ «Лужская СОШ № 3»", "188230, Ленинградская обл., Лужский р-н, г. Луга, ул. Мира, д. 9",
               "8 (81372) 2-33-10", "luga-school3.example.ru", "school3@luga.example.ru", nok=_nok(place=120), mode="challenge"),
    FakeAgency(250311, "4711007789", "Муниципальное общеобразовательное учреждение «Лужская основная общеобразовательная школа № 6»",
               "МОУ «Лужская ООШ № 6»", "188231, Ленинградская обл., Лужский р-н, г. Луга, ул. Лесная, д. 2",
               "8 (81372) 2-40-06", "luga-school6.example.ru", None, mode="forbidden"),
    FakeAgency(260120, "4716001234", "Муниципальное бюджетное общеобразовательное учреждение «Тихвинская средняя общеобразовательная школа № 1»",
               "МБОУ «Тихвинская СОШ № 1»", "187550, Ленинградская обл., Тихвинский р-н, г. Тихвин, ул. Советская, д. 1",
               "8 (81367) 7-11-01", "tikhvin-school1.example.ru", "school1@tikhvin.example.ru", nok=_nok(place=3), mode="changed_card"),
    FakeAgency(260121, "4716001235", "Муниципальное бюджетное общеобразовательное учреждение «Тихвинская средняя общеобразовательная школа № 2»",
               "МБОУ «Тихвинская СОШ № 2»", "187550, Ленинградская обл., Тихвинский р-н, г. Тихвин, ул. Гагарина, д. 6",
               "8 (81367) 7-12-02", "tikhvin-school2.example.ru", "school2@tikhvin.example.ru", nok=_nok(place=8), mode="changed_nok"),
    FakeAgency(270400, "4707015550", "Муниципальное общеобразовательное учреждение «Кингисеппская средняя общеобразовательная школа № 1»",
               "МОУ «Кингисеппская СОШ № 1»", "188480, Ленинградская обл., Кингисеппский р-н, г. Кингисепп, ул. Октябрьская, д. 5",
               "8 (81375) 4-10-10", "kingisepp-school1.example.ru", "school1@kgp.example.ru", nok=_nok(place=31), mode="server_error"),
    FakeAgency(280500, "4710020202", "Муниципальное бюджетное дошкольное образовательное учреждение «Детский сад № 8 «Ромашка»",
               "МБДОУ «Детский сад № 8»", "188410, Ленинградская обл., Волосовский р-н, г. Волосово, ул. Пионерская, д. 3",
               "8 (81373) 2-18-08", "https://romashka8.example.ru", "ds8@volosovo.example.ru",
               nok=_nok(group="Дошкольные образовательные организации", place=5), mode="compare_missing"),
)


def demo_targets() -> list[dict[str, Any]]:
    """Registry-side targets exercising every behaviour of :data:`DEFAULT_AGENCIES`."""
    return [
        {"org_id": "busgov-01-by-id", "agency_id": 231547, "inn": "4703012345", "site_url": "https://vsevschool2.example.ru/"},
        {"org_id": "busgov-02-by-inn", "agency_id": None, "inn": "4705004321", "site_url": "https://gatchina-school5.example.ru"},
        {"org_id": "busgov-03-not-found-inn", "agency_id": None, "inn": "4703012399", "site_url": "https://nowhere.example.ru"},
        {"org_id": "busgov-04-not-found-id", "agency_id": 999999, "inn": None, "site_url": "https://nowhere2.example.ru"},
        {"org_id": "busgov-05-challenge", "agency_id": 250310, "inn": "4711007788", "site_url": "http://luga-school3.example.ru"},
        {"org_id": "busgov-06-forbidden", "agency_id": None, "inn": "4711007789", "site_url": "http://luga-school6.example.ru"},
        {"org_id": "busgov-07-changed-card", "agency_id": 260120, "inn": "4716001234", "site_url": "http://tikhvin-school1.example.ru"},
        {"org_id": "busgov-08-changed-nok", "agency_id": 260121, "inn": "4716001235", "site_url": "http://tikhvin-school2.example.ru"},
        {"org_id": "busgov-09-server-error", "agency_id": 270400, "inn": "4707015550", "site_url": "http://kingisepp-school1.example.ru"},
        {"org_id": "busgov-10-compare-missing", "agency_id": 280500, "inn": "4710020202", "site_url": "http://romashka8.example.ru/"},
        {"org_id": "busgov-11-no-ids", "agency_id": None, "inn": None, "site_url": "http://noids.example.ru"},
        {"org_id": "busgov-12-bad-inn", "agency_id": None, "inn": "47-0301", "site_url": "http://badinn.example.ru"},
    ]


# ---------------------------------------------------------------------------------------------
# Response layouts (the same as tests/fixtures/busgov/*.json)


def agency_object(a: FakeAgency) -> dict[str, Any]:
    postal = a.address.split(",", 1)[0] if a.address[:6].isdigit() else None
    second, first, middle = ("Смирнова", "Ольга", "Викторовна")
    return {
        "id": a.agency_id,
        "inn": a.inn,
        "kpp": a.kpp,
        "ogrn": f"10247{a.inn[:8]}",
        "fullClientName": a.full_name,
        "shortClientName": a.short_name,
        "agencyType": {"code": "03", "name": "Бюджетное"},
        "agencyAddress": {"postalIndex": postal, "fullAddress": a.address},
        "phone": a.phone,
        "website": a.website,
        "email": a.email,
        "managerSecondName": second,
        "managerFirstName": first,
        "managerMiddleName": middle,
        "managerPosition": "Директор",
    }


def search_entry(a: FakeAgency) -> dict[str, Any]:
    return {
        "agencyId": a.agency_id,
        "fullName": a.full_name,
        "shortName": a.short_name,
        "inn": a.inn,
        "kpp": a.kpp,
        "ogrn": f"10247{a.inn[:8]}",
        "fullAddress": a.address,
        "phone": a.phone,
        "website": a.website,
        "rank": round(0.05 + (a.agency_id % 97) / 1000, 7),
    }


def search_response(agencies: list[FakeAgency]) -> dict[str, Any]:
    return {"agencies": [search_entry(a) for a in agencies], "total": len(agencies), "page": 1, "pageSize": 10}


def compare_response(agencies: list[FakeAgency], year: int) -> dict[str, Any]:
    entries = []
    for a in agencies:
        agency = agency_object(a)
        if a.mode == "changed_card":
            agency["innCode"] = agency.pop("inn")
            agency["kppCode"] = agency.pop("kpp")
        entries.append({
            "agency": agency,
            "financialIndicators": {"year": year, "planIncome": 98312400.0, "planExpense": 98312400.0},
            "stateTaskExecution": {"year": year, "servicesCount": 4},
        })
    return {"selectedYear": year, "agencies": entries}


def agency_json_response(a: FakeAgency | None) -> dict[str, Any]:
    if a is None:
        return {"agency": None}
    agency = agency_object(a)
    for key in ("agencyType", "managerPosition"):  # the older endpoint's object is plainer
        agency.pop(key)
    district = _district(a.address)
    agency.update({"shortClientAltName": None, "oktmo": {"code": "41618101001", "name": district}, "branch": None})
    key = "agencyInfo" if a.mode == "changed_card" else "agency"
    return {key: agency, "publicInfo": {"ppo": {"name": district, "settlementType": "город"}}}


def _district(address: str) -> str:
    parts = [p.strip() for p in address.split(",")]
    return parts[2] if len(parts) > 2 else parts[-1]


def nok_response(agencies: list[FakeAgency]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in agencies:
        if a.nok is None:
            continue
        n = a.nok
        details = {
            "organizationGroup": {"groupId": 4, "groupName": n.group},
            "globalPlaceValue": n.place,
            "globalPlaceCount": 412,
            "totalValue": round((n.openness + n.comfort + n.accessibility + n.goodwill + n.contentment) / 5, 2),
            "opennessValue": n.openness,
            "comfortValue": n.comfort,
            "timeoutValue": n.accessibility,
            "goodwillValue": n.goodwill,
            "contentmentValue": n.contentment,
        }
        scope_key = "scopes" if a.mode == "changed_nok" else "scopeWithRatingsDtos"
        out[str(a.agency_id)] = {
            "agencyId": a.agency_id,
            "ratingYear": n.year,
            scope_key: [{"scopeCode": "EDUCATION", "scopeName": "Образование", "ratingDetailsDto": [details]}],
        }
    return out


def info_card_page(a: FakeAgency) -> str:
    rows = [("Полное наименование", a.full_name), ("ИНН", a.inn), ("Адрес", a.address), ("Телефон", a.phone or "—"),
            ("Сайт", a.website or "—"), ("Эл. почта", a.email or "—")]
    if a.nok:
        rows += [("Год НОК", str(a.nok.year)), ("Место в группе", f"{a.nok.place} ({a.nok.group})")]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (f"<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>{a.short_name} — bus.gov.ru (имитация)</title></head>"
            f"<body><h1>{a.short_name}</h1><p>Локальная имитация карточки bus.gov.ru для демонстрации.</p><table>{body}</table></body></html>")


# ---------------------------------------------------------------------------------------------
# The server


@dataclass
class LoggedRequest:
    path: str
    query: dict[str, list[str]]
    accept: str | None
    user_agent: str | None


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def _json(data: Any, status: int = 200) -> _Answer:
    return _Answer(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json;charset=UTF-8")


def _html(text: str, status: int = 200) -> _Answer:
    return _Answer(status, text.encode("utf-8"), "text/html; charset=utf-8")


class StandIn:
    """A threaded HTTP server; ``with StandIn() as s: … s.base_url …``; ``port=0`` picks a free one."""

    def __init__(self, agencies: list[FakeAgency] | tuple[FakeAgency, ...] | None = None, host: str = "127.0.0.1", port: int = 0,
                 slow_seconds: float = 3.0):
        self.slow_seconds = slow_seconds
        self.agencies: dict[int, FakeAgency] = {a.agency_id: a for a in (agencies if agencies is not None else DEFAULT_AGENCIES)}
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, name="busgov-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    # -- routing ---------------------------------------------------------------------

    def _ids(self, query: dict[str, list[str]], name: str) -> list[int]:
        out = []
        for raw in query.get(name, []):
            for part in raw.split(","):
                if part.strip().isdigit():
                    out.append(int(part.strip()))
        return out

    def _maybe_slow(self, agencies: list[FakeAgency]) -> None:
        if any(a.mode == "slow" for a in agencies):
            time.sleep(self.slow_seconds)

    @staticmethod
    def _misbehave(agencies: list[FakeAgency], *, card: bool = False) -> _Answer | None:
        for a in agencies:
            if a.mode == "challenge":
                return _html(CHALLENGE_PAGE)
            if a.mode == "forbidden":
                return _html(FORBIDDEN_PAGE, 403)
            if a.mode == "rate_limited":
                answer = _json({"status": 429, "error": "Too Many Requests"}, 429)
                answer.headers["Retry-After"] = "60"
                return answer
            if card and a.mode == "server_error":
                return _html("<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>", 503)
        return None

    def answer(self, path: str, query: dict[str, list[str]]) -> _Answer:
        if path == "/robots.txt":
            return _Answer(200, b"User-agent: *\nDisallow:\n", "text/plain")
        if path == "/public-rest/api/agency/extendedSearchAgencyNew":
            needle = "".join(query.get("searchString", [""])).strip()
            if not needle:
                return _json({"status": 400, "error": "Bad Request", "message": "searchString is required"}, 400)
            found = [a for a in sorted(self.agencies.values(), key=lambda a: a.agency_id)
                     if needle in a.inn or (len(needle) >= 8 and a.inn[:8] == needle[:8])]
            return self._misbehave([a for a in found if a.inn == needle]) or _json(search_response(found))
        if path == "/public-rest/api/agency/compare":
            ids = self._ids(query, "compareAgencyIds")
            year = int((query.get("selectedYear") or ["2025"])[0] or 2025)
            found = [self.agencies[i] for i in ids if i in self.agencies]
            self._maybe_slow(found)
            if any(a.mode == "compare_missing" for a in found):
                return _json({"timestamp": "2026-01-01T00:00:00.000+00:00", "status": 404, "error": "Not Found", "path": path}, 404)
            return self._misbehave(found, card=True) or _json(compare_response(found, year))
        if path == "/public/agency/agency.json":
            ids = self._ids(query, "agency")
            agency = self.agencies.get(ids[0]) if ids else None
            self._maybe_slow([agency] if agency else [])
            return self._misbehave([agency] if agency else [], card=True) or _json(agency_json_response(agency))
        if path == "/public-rating/api/ratingCompare/commonInfo":
            found = [self.agencies[i] for i in self._ids(query, "compareAgencyIds") if i in self.agencies]
            return self._misbehave(found) or _json(nok_response(found))
        if path.startswith("/info-card/") and path.rsplit("/", 1)[-1].isdigit():
            agency = self.agencies.get(int(path.rsplit("/", 1)[-1]))
            if agency:
                return _html(info_card_page(agency))
        return _html("<html><head><title>404 Not Found</title></head><body>Страница не найдена</body></html>", 404)

    def _handler_class(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                with standin._lock:
                    standin.requests.append(LoggedRequest(parts.path, query, self.headers.get("Accept"), self.headers.get("User-Agent")))
                try:
                    answer = standin.answer(parts.path, query)
                except Exception as exc:  # noqa: BLE001 - a stand-in bug must show, not hang the client
                    answer = _Answer(500, f"stand-in error: {exc!r}".encode(), "text/plain; charset=utf-8")
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format, *args):  # noqa: A002 - quiet
                pass

        return Handler


def load_agencies(path: str) -> list[FakeAgency]:
    with open(path, encoding="utf-8") as fh:
        return [FakeAgency.from_dict(d) for d in json.load(fh)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--agencies", help="JSON list of FakeAgency fields (default: the built-in set)")
    ap.add_argument("--print-targets", action="store_true", help="print targets for the built-in set and exit")
    args = ap.parse_args(argv)
    if args.print_targets:
        print(json.dumps(demo_targets(), ensure_ascii=False, indent=2))
        return 0
    agencies = load_agencies(args.agencies) if args.agencies else list(DEFAULT_AGENCIES)
    server = StandIn(agencies, args.host, args.port)
    print(f"Имитация bus.gov.ru: {server.base_url} (учреждений: {len(agencies)}; Ctrl+C — остановить)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def dump_agencies(agencies: list[FakeAgency] | tuple[FakeAgency, ...] = DEFAULT_AGENCIES) -> list[dict[str, Any]]:
    """The built-in set as JSON (a starting point for ``--agencies``)."""
    return [asdict(a) for a in agencies]


if __name__ == "__main__":
    raise SystemExit(main())
