"""bus.gov.ru: parsers on constructed fixtures, the stand-in's layouts, and crawls (subprocesses)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)

from crawler import busgov
from crawler.busgov import Blocked, ChangedShape, NotFound, Status, Unreachable
from crawler.spiders.busgov import GaveUp, describe_failure
from checks.evaluate import judge_busgov
from testbed.busgov_standin import DEFAULT_AGENCIES, FakeAgency, StandIn, demo_targets

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "busgov"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# ИНН → agencyId


def test_search_picks_the_exact_inn_not_the_first_hit():
    found = busgov.parse_search(load("search_found.json"), "4703012345")
    assert (found.agency_id, found.hits, found.total, found.note) == (231547, 1, 2, "")


def test_search_among_branches_prefers_the_registry_site():
    data = load("search_branches.json")
    found = busgov.parse_search(data, "4705004321", "http://gatchina-school5.example.ru")
    assert found.agency_id == 240001 and found.hits == 2
    assert "сайт совпадает" in found.note
    first = busgov.parse_search(data, "4705004321", None)
    assert first.agency_id == 240877 and "первое по рейтингу" in first.note


def test_search_not_found():
    with pytest.raises(NotFound, match="по ИНН 4703012345 на bus.gov.ru ничего не найдено"):
        busgov.parse_search(load("search_empty.json"), "4703012345")
    with pytest.raises(NotFound, match="вернул 2 учрежд., но ни у одного ИНН не равен 4703012399"):
        busgov.parse_search(load("search_found.json"), "4703012399")


def test_search_changed_shape_names_the_key():
    with pytest.raises(ChangedShape, match="нет ключа «agencies»"):
        busgov.parse_search({"content": [], "totalElements": 0}, "4703012345")
    data = load("search_found.json")
    del data["agencies"][0]["inn"]
    with pytest.raises(ChangedShape, match=r"нет ключа «agencies\[0\]\.inn»"):
        busgov.parse_search(data, "4703012345")
    with pytest.raises(ChangedShape, match="«agencies» должен быть массивом"):
        busgov.parse_search({"agencies": {"231547": {}}}, "4703012345")


# ---------------------------------------------------------------------------------------------
# The card


def test_card_from_compare():
    card = busgov.parse_card_compare(load("compare_card.json"), 231547)
    assert card.agency_id == 231547 and card.inn == "4703012345" and card.source == "compare"
    assert card.name.startswith("Муниципальное общеобразовательное учреждение «Средняя")
    assert card.short_name == "МОУ «СОШ № 2» г. Всеволожска"
    assert card.address.startswith("188640, Ленинградская обл.")
    assert (card.phone, card.site_url, card.email) == ("8 (81370) 2-12-34", "http://vsevschool2.example.ru", "school2@vsev.example.ru")
    assert card.absent_fields == []


def test_card_from_agency_json():
    card = busgov.parse_card_agency_json(load("agency_json_card.json"), 240001)
    assert card.source == "agency_json" and card.inn == "4705004321"
    assert card.site_url == "https://www.gatchina-school5.example.ru/"
    assert card.address == "188300, Ленинградская обл., Гатчинский муниципальный округ, г. Гатчина, пр. Победы, д. 17"


def test_card_not_found():
    with pytest.raises(NotFound, match="agencyId 999 на bus.gov.ru нет"):
        busgov.parse_card_compare(load("compare_empty.json"), 999)
    with pytest.raises(NotFound, match="agencyId 999 на bus.gov.ru нет"):
        busgov.parse_card_agency_json(load("agency_json_null.json"), 999)


def test_card_changed_shape_names_the_key():
    with pytest.raises(ChangedShape, match=r"нет ключа «agencies\[0\]\.agency\.inn» \(есть: .*innCode"):
        busgov.parse_card_compare(load("compare_changed_shape.json"), 231547)
    with pytest.raises(ChangedShape, match=r"нет ключа «agency» \(есть: agencyInfo, publicInfo\)"):
        busgov.parse_card_agency_json(load("agency_json_changed_shape.json"), 240001)
    with pytest.raises(ChangedShape, match="запрошен agencyId 1, а в ответе agency.id = 240001"):
        busgov.parse_card_agency_json(load("agency_json_card.json"), 1)
    with pytest.raises(ChangedShape, match="в ответе нет учреждения с agencyId 5"):
        busgov.parse_card_compare(load("compare_card.json"), 5)
    data = load("compare_card.json")
    data["agencies"][0]["agency"]["agencyAddress"] = {"address": "…"}
    with pytest.raises(ChangedShape, match=r"«agencies\[0\]\.agency\.agencyAddress\.fullAddress»"):
        busgov.parse_card_compare(data, 231547)


def test_card_missing_contact_key_is_reported_not_guessed():
    data = load("agency_json_card.json")
    del data["agency"]["website"]
    card = busgov.parse_card_agency_json(data, 240001)
    assert card.absent_fields == ["website"] and card.site_url is None
    payload = busgov.card_payload(card, base_url="https://bus.gov.ru")
    assert "нет полей: website" in "; ".join(busgov.card_notes(payload))
    verdict = judge_busgov(_item(payload), {"org_id": "1", "site_url": "http://gatchina-school5.example.ru", "inn": "4705004321"})
    assert verdict["card"]["site_url_differs"] is None  # unknown, not «differs»
    assert _audit(verdict, "BUS002")["status"] == "not_applicable"


def _item(card: dict, status: str = "ok") -> dict:
    return busgov.make_item("1", status, "карточка получена", agency_id=card["agency_id"], card=card)


def _audit(verdict: dict, code: str) -> dict:
    return next(a for a in verdict["audits"] if a["rule"] == code)


def test_card_is_gathered_without_verdicts_and_the_audits_compare_it_with_the_registry():
    card = busgov.parse_card_compare(load("compare_card.json"), 231547)
    payload = busgov.card_payload(card, base_url="https://bus.gov.ru/")
    assert payload["card_url"] == "https://bus.gov.ru/info-card/231547"
    assert "site_url_differs" not in payload and "inn_differs" not in payload  # the crawler gathers, audits judge
    same = judge_busgov(_item(payload), {"org_id": "1", "site_url": "https://www.vsevschool2.example.ru/", "inn": "4703012345"})
    assert same["card"]["site_url_differs"] is False and same["card"]["inn_differs"] is False
    assert [a["status"] for a in same["audits"] if a["group"] == "busgov"] == ["pass", "pass"]  # the CRD cross-checks: tests/test_crosscheck.py
    other = judge_busgov(_item(payload), {"org_id": "1", "site_url": "https://school2-vsev.example.ru", "inn": "4703012346"})
    assert other["card"]["site_url_differs"] is True and other["card"]["inn_differs"] is True
    assert "не совпадает с сайтом в реестре" in other["message"] and "ИНН в карточке" in other["message"]
    assert _audit(other, "BUS003")["status"] == "fail" and "4703012346" in _audit(other, "BUS003")["message"]
    unknown = judge_busgov(_item(payload), {"org_id": "1", "site_url": None, "inn": None})
    assert unknown["card"]["site_url_differs"] is None and unknown["card"]["inn_differs"] is None
    no_registry = judge_busgov(_item(payload), None)
    assert {a["status"] for a in no_registry["audits"] if a["group"] == "busgov"} == {"not_applicable"}


# ---------------------------------------------------------------------------------------------
# НОК


def test_nok_present():
    nok = busgov.parse_nok(load("nok_present.json"), 231547)
    assert nok.as_dict() == {
        "year": 2023, "group": "Общеобразовательные организации", "openness": 97.4, "comfort": 96.0,
        "accessibility": 68.0, "goodwill": 99.1, "contentment": 98.6, "place": 57,
    }


def test_nok_absent():
    assert busgov.parse_nok(load("nok_absent.json"), 231547) is None
    assert busgov.parse_nok(load("nok_no_scopes.json"), 240001) is None
    assert busgov.parse_nok({"231547": None}, 231547) is None
    data = load("nok_present.json")
    data["231547"]["scopeWithRatingsDtos"][0]["ratingDetailsDto"] = []
    assert busgov.parse_nok(data, 231547) is None


def test_nok_values_as_strings_with_decimal_comma():
    data = load("nok_present.json")
    detail = data["231547"]["scopeWithRatingsDtos"][0]["ratingDetailsDto"][0]
    detail.update({"opennessValue": "97,4", "globalPlaceValue": "57", "comfortValue": None})
    data["231547"]["ratingYear"] = "2023"
    nok = busgov.parse_nok(data, 231547)
    assert (nok.openness, nok.place, nok.comfort, nok.year) == (97.4, 57, None, 2023)


def test_nok_changed_shape_names_the_key():
    with pytest.raises(ChangedShape, match=r"нет ключа «231547\.scopeWithRatingsDtos» \(есть: agencyId, ratingYear, scopes\)"):
        busgov.parse_nok(load("nok_changed_shape.json"), 231547)
    with pytest.raises(ChangedShape, match="не сгруппирован по agencyId"):
        busgov.parse_nok(load("nok_present.json")["231547"], 231547)
    with pytest.raises(ChangedShape, match="запрошен agencyId 5, а в ответе ключи: 231547"):
        busgov.parse_nok(load("nok_present.json"), 5)
    data = load("nok_present.json")
    detail = data["231547"]["scopeWithRatingsDtos"][0]["ratingDetailsDto"][0]
    del detail["timeoutValue"]
    with pytest.raises(ChangedShape, match=r"ratingDetailsDto\[0\]\.timeoutValue»"):
        busgov.parse_nok(data, 231547)
    detail["timeoutValue"] = {"value": 68}
    with pytest.raises(ChangedShape, match="должен быть числом"):
        busgov.parse_nok(data, 231547)
    detail["timeoutValue"] = 680.0
    with pytest.raises(ChangedShape, match="вне шкалы 0–100"):
        busgov.parse_nok(data, 231547)
    with pytest.raises(ChangedShape, match="ожидался объект"):
        busgov.parse_nok([], 231547)


# ---------------------------------------------------------------------------------------------
# Raw answers


def test_decode_json():
    body = (FIXTURES / "compare_card.json").read_bytes()
    assert busgov.decode_response(200, b"application/json;charset=UTF-8", body, step="compare")["selectedYear"] == 2025


def test_decode_challenge_page_is_blocked():
    page = (FIXTURES / "challenge.html").read_bytes()
    with pytest.raises(Blocked, match="вместо JSON получена HTML-страница «DDoS-Guard», HTTP 200 .*ddos-guard"):
        busgov.decode_response(200, "text/html; charset=utf-8", page, step="compare")
    with pytest.raises(Blocked, match="HTML-страница"):  # no Content-Type at all
        busgov.decode_response(200, None, page, step="nok")
    with pytest.raises(Blocked, match="HTTP 503 .*ddos-guard"):
        busgov.decode_response(503, "text/html", page, step="nok")


@pytest.mark.parametrize("status", [401, 403, 429])
def test_decode_refusals_are_blocked(status):
    with pytest.raises(Blocked, match=f"отказал в доступе \\(HTTP {status}\\)"):
        busgov.decode_response(status, "application/json", b'{"status": %d}' % status, step="search")


def test_decode_other_failures():
    with pytest.raises(Unreachable, match="HTTP 502"):
        busgov.decode_response(502, "text/html", b"<html><title>502 Bad Gateway</title></html>", step="compare")
    with pytest.raises(NotFound, match="учреждения с таким agencyId нет"):
        busgov.decode_response(404, "application/json", b"{}", step="agency_json")
    with pytest.raises(NotFound, match="404") as compare_404:
        busgov.decode_response(404, "application/json", b"{}", step="compare")
    assert compare_404.value.http_status == 404
    with pytest.raises(ChangedShape, match="результаты НОК: bus.gov.ru ответил HTTP 404"):
        busgov.decode_response(404, "application/json", b"{}", step="nok")
    with pytest.raises(ChangedShape, match="HTTP 400"):
        busgov.decode_response(400, "application/json", b'{"error": "Bad Request"}', step="search")
    with pytest.raises(ChangedShape, match="не является JSON"):
        busgov.decode_response(200, "application/json", b"{agencies: [", step="search")
    with pytest.raises(ChangedShape, match="пустой ответ"):
        busgov.decode_response(200, "application/json", b"  ", step="search")


def test_download_failures():
    assert isinstance(describe_failure(CannotResolveHostError("bus.gov.ru"), "search"), Unreachable)
    assert "DNS" in describe_failure(CannotResolveHostError("bus.gov.ru"), "search").message
    assert "отклонил соединение" in describe_failure(DownloadConnectionRefusedError("111"), "compare").message
    assert "не ответил вовремя (30 с)" in describe_failure(DownloadTimeoutError("took longer"), "nok", 30).message
    tls = describe_failure(DownloadFailedError("[<twisted.python.failure.Failure OpenSSL.SSL.Error: certificate verify failed>]"), "compare")
    assert isinstance(tls, Unreachable) and "TLS" in tls.message and "Минцифры" in tls.message
    assert "twisted" not in tls.message and "OpenSSL" not in tls.message  # the exception's text stays in the log
    lost = describe_failure(DownloadFailedError("[<twisted.python.failure.Failure twisted.internet.error.ConnectionLost: lost>]"), "nok")
    assert lost.message == "результаты НОК: соединение с bus.gov.ru оборвалось"
    robots = describe_failure(IgnoreRequest("Forbidden by robots.txt"), "compare")
    assert isinstance(robots, Blocked) and "robots.txt" in robots.message
    reason = Blocked("запрос не отправлялся: …")
    assert describe_failure(GaveUp(reason), "nok") is reason


# ---------------------------------------------------------------------------------------------
# Identifiers and URLs


@pytest.mark.parametrize(
    ("card", "registry", "differs"),
    [
        ("http://vsevschool2.example.ru", "https://www.vsevschool2.example.ru/", False),
        ("www.vsevschool2.example.ru", "vsevschool2.example.ru", False),
        ("HTTPS://VsevSchool2.Example.RU/index.php", "http://vsevschool2.example.ru", False),
        ("http://xn--2-7sb3aeo2d.xn--p1ai/", "https://школа2.рф", False),
        ("https://sch2.edu.example.ru/, http://vsevschool2.example.ru", "http://vsevschool2.example.ru/", False),
        ("http://vsevschool2.example.ru/school", "http://vsevschool2.example.ru", True),
        ("http://vsevschool2.example.ru", "https://vsevschool2.gosuslugi.ru", True),
        ("", "http://vsevschool2.example.ru", True),
        (None, "http://vsevschool2.example.ru", True),
        ("http://vsevschool2.example.ru", None, None),
    ],
)
def test_site_url_comparison(card, registry, differs):
    verdict = judge_busgov(_item({"agency_id": 1, "inn": None, "site_url": card, "absent_fields": [], "card_url": ""}), {"org_id": "1", "site_url": registry})
    assert verdict["card"]["site_url_differs"] is differs


def test_identifiers():
    assert busgov.normalize_inn(" 4703 012345 ") == "4703012345"
    assert busgov.normalize_inn("") is None and busgov.normalize_inn(None) is None
    with pytest.raises(ValueError, match="нужно 10 или 12 цифр"):
        busgov.normalize_inn("47-0301")
    assert busgov.normalize_agency_id("231547") == 231547 and busgov.normalize_agency_id(231547.0) == 231547
    assert busgov.normalize_agency_id(None) is None
    with pytest.raises(ValueError):
        busgov.normalize_agency_id("abc")


def test_endpoint_urls():
    assert busgov.search_url("https://bus.gov.ru/", "4703012345") == (
        "https://bus.gov.ru/public-rest/api/agency/extendedSearchAgencyNew?searchString=4703012345"
        "&withBranches=true&page=1&pageSize=10&orderAttributeName=rank&searchTermCondition=or"
    )
    assert busgov.compare_url("https://bus.gov.ru", 231547, 2025) == "https://bus.gov.ru/public-rest/api/agency/compare?selectedYear=2025&compareAgencyIds=231547"
    assert busgov.agency_json_url("https://bus.gov.ru", 231547) == "https://bus.gov.ru/public/agency/agency.json?agency=231547"
    assert busgov.nok_url("https://bus.gov.ru", 231547) == "https://bus.gov.ru/public-rating/api/ratingCompare/commonInfo?compareAgencyIds=231547"


# ---------------------------------------------------------------------------------------------
# The stand-in serves the fixtures' layouts


def _shape(value: Any) -> Any:
    """Keys of objects (recursively; lists by their first element), ignoring values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def _numeric_keys_as_id(shape: Any) -> Any:
    return {"<id>" if k.isdigit() else k: v for k, v in shape.items()} if isinstance(shape, dict) else shape


def _get(url: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_standin_layouts_match_the_fixtures():
    with StandIn() as server:
        base = server.base_url

        def get_json(url: str) -> Any:
            status, _, body = _get(url)
            assert status == 200, url
            return json.loads(body)

        assert _shape(get_json(busgov.search_url(base, "4703012345"))) == _shape(load("search_found.json"))
        assert _shape(get_json(busgov.compare_url(base, 231547, 2025))) == _shape(load("compare_card.json"))
        assert _shape(get_json(busgov.agency_json_url(base, 240001))) == _shape(load("agency_json_card.json"))
        assert get_json(busgov.agency_json_url(base, 999)) == load("agency_json_null.json")
        assert _shape(get_json(busgov.compare_url(base, 999, 2025))) == _shape(load("compare_empty.json"))
        assert _numeric_keys_as_id(_shape(get_json(busgov.nok_url(base, 231547)))) == _numeric_keys_as_id(_shape(load("nok_present.json")))
        assert get_json(busgov.nok_url(base, 240001)) == {}
        # And the parsers read them.
        assert busgov.parse_card_compare(get_json(busgov.compare_url(base, 231547, 2025)), 231547).inn == "4703012345"
        status, ctype, body = _get(busgov.compare_url(base, 250310, 2025))
        assert status == 200 and "html" in ctype
        with pytest.raises(Blocked):
            busgov.decode_response(status, ctype, body, step="compare")


# ---------------------------------------------------------------------------------------------
# Crawls (subprocesses: Twisted's reactor cannot be restarted)


def _crawl(tmp_path: Path, targets: list[dict[str, Any]], base_url: str, *settings: str) -> dict[str, dict[str, Any]]:
    targets_file = tmp_path / "targets.json"
    out_file = tmp_path / "out.jsonl"
    targets_file.write_text(json.dumps(targets, ensure_ascii=False), encoding="utf-8")
    cmd = [sys.executable, "-m", "crawler.busgov_run", "--targets", str(targets_file), "--out", str(out_file),
           "--base-url", base_url, "--delay", "0", "--log-level", "ERROR"]
    for s in settings:
        cmd += ["--set", s]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    by_org = {item["org_id"]: item for item in items}
    assert len(items) == len(by_org) == len(targets), "exactly one item per organization"
    for item in items:
        assert tuple(item) == busgov.ITEM_KEYS and item["kind"] == "busgov"
        assert item["status"] in {s.value for s in Status} and item["message"]
    return by_org


def test_crawl_against_the_standin(tmp_path):
    with StandIn() as server:
        base = server.base_url
        items = _crawl(tmp_path, demo_targets(), base, "SVEDEN_BUSGOV_RETRY_TIMES=1")
        log = list(server.requests)

    status = {org: item["status"] for org, item in items.items()}
    assert status == {
        "busgov-01-by-id": "ok",
        "busgov-02-by-inn": "ok",
        "busgov-03-not-found-inn": "not_found",
        "busgov-04-not-found-id": "not_found",
        "busgov-05-challenge": "blocked",
        "busgov-06-forbidden": "blocked",
        "busgov-07-changed-card": "changed_shape",
        "busgov-08-changed-nok": "changed_shape",
        "busgov-09-server-error": "unreachable",
        "busgov-10-compare-missing": "ok",
        "busgov-11-no-ids": "not_found",
        "busgov-12-bad-inn": "not_found",
    }

    # Found by agencyId, with НОК results; the registry's site equals the card's.
    by_id = items["busgov-01-by-id"]
    assert by_id["agency_id"] == 231547
    assert by_id["card"]["source"] == "compare" and by_id["card"]["inn"] == "4703012345"
    judged = {t["org_id"]: judge_busgov(items[t["org_id"]], {**t, "busgov_agency_id": t["agency_id"]}) for t in demo_targets()}
    assert judged["busgov-01-by-id"]["card"]["site_url_differs"] is False and judged["busgov-01-by-id"]["card"]["inn_differs"] is False
    assert by_id["card"]["card_url"] == f"{base}/info-card/231547"
    assert by_id["nok"] == {"year": 2023, "group": "Общеобразовательные организации", "openness": 97.4, "comfort": 96.0,
                            "accessibility": 68.0, "goodwill": 99.1, "contentment": 98.6, "place": 57}
    assert by_id["message"] == "карточка и результаты НОК получены"

    # Found by ИНН among neighbours; another site on the card; no НОК results.
    by_inn = items["busgov-02-by-inn"]
    assert by_inn["agency_id"] == 240001 and by_inn["nok"] is None
    assert judged["busgov-02-by-inn"]["card"]["site_url_differs"] is True
    assert "не совпадает с сайтом в реестре" in judged["busgov-02-by-inn"]["message"] and "результатов НОК на bus.gov.ru нет" in by_inn["message"]

    assert "ни у одного ИНН не равен 4703012399" in items["busgov-03-not-found-inn"]["message"]
    assert items["busgov-04-not-found-id"]["agency_id"] == 999999
    assert "agencyId 999999 на bus.gov.ru нет" in items["busgov-04-not-found-id"]["message"]
    assert "«DDoS-Guard»" in items["busgov-05-challenge"]["message"]
    assert "HTTP 403" in items["busgov-06-forbidden"]["message"] and items["busgov-06-forbidden"]["agency_id"] is None

    # Both card sources changed: the message names the missing keys of each.
    changed = items["busgov-07-changed-card"]
    assert changed["card"] is None
    assert "«agencies[0].agency.inn»" in changed["message"] and "нет ключа «agency»" in changed["message"]

    # The card arrived, the НОК answer changed: the card is kept.
    nok_changed = items["busgov-08-changed-nok"]
    assert nok_changed["card"]["agency_id"] == 260121 and nok_changed["nok"] is None
    assert "«260121.scopeWithRatingsDtos»" in nok_changed["message"]

    assert "HTTP 503" in items["busgov-09-server-error"]["message"]

    # compare answers 404, the older agency.json is used.
    fallback = items["busgov-10-compare-missing"]
    assert fallback["card"]["source"] == "agency_json" and fallback["nok"]["place"] == 5

    assert "ни agencyId" in items["busgov-11-no-ids"]["message"]
    assert "некорректен" in items["busgov-12-bad-inn"]["message"]

    # Every API request asked for JSON; 503 was retried (RETRY_TIMES=1) and nothing else was.
    api = [r for r in log if r.path != "/robots.txt"]
    assert api and all(r.accept and r.accept.startswith("application/json") for r in api)
    compare_503 = [r for r in api if r.path.endswith("/compare") and r.query.get("compareAgencyIds") == ["270400"]]
    assert len(compare_503) == 2
    nok_requests = [r for r in api if r.path.endswith("/commonInfo")]
    assert sorted(r.query["compareAgencyIds"][0] for r in nok_requests) == ["231547", "240001", "260121", "280500"]
    # The organizations without identifiers sent nothing.
    assert not [r for r in api if "badinn" in str(r.query) or r.query.get("searchString") == ["47-0301"]]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_crawl_unreachable_base_url_gives_up_politely(tmp_path):
    targets = [
        {"org_id": "a", "agency_id": 231547, "inn": None, "site_url": "http://a.example.ru"},
        {"org_id": "b", "agency_id": None, "inn": "4705004321", "site_url": "http://b.example.ru"},
        {"org_id": "c", "agency_id": 240001, "inn": None, "site_url": "http://c.example.ru"},
        {"org_id": "d", "agency_id": 250310, "inn": None, "site_url": "http://d.example.ru"},
    ]
    items = _crawl(tmp_path, targets, f"http://127.0.0.1:{_closed_port()}", "SVEDEN_BUSGOV_RETRY_TIMES=0", "SVEDEN_BUSGOV_GIVE_UP_AFTER=2")
    assert {item["status"] for item in items.values()} == {"unreachable"}
    skipped = [o for o, item in items.items() if item["message"].startswith("запрос не отправлялся")]
    refused = [o for o, item in items.items() if o not in skipped and "сервер bus.gov.ru отклонил соединение" in item["message"]]
    assert len(refused) >= 2 and skipped, items
    assert sorted(refused + skipped) == ["a", "b", "c", "d"]
    assert "2 организаций подряд" in items[skipped[0]]["message"]


SLOW = FakeAgency(290900, "4712003003", "Муниципальное общеобразовательное учреждение «Приозерская средняя общеобразовательная школа № 4»",
                  "МОУ «Приозерская СОШ № 4»", "188760, Ленинградская обл., Приозерский р-н, г. Приозерск, ул. Кирова, д. 8",
                  "8 (81379) 3-14-15", "priozersk-school4.example.ru", None, mode="slow")


def test_crawl_timeout_is_unreachable(tmp_path):
    targets = [
        {"org_id": "slow", "agency_id": 290900, "inn": None, "site_url": "http://priozersk-school4.example.ru"},
        {"org_id": "fine", "agency_id": 231547, "inn": None, "site_url": "http://vsevschool2.example.ru"},
    ]
    with StandIn([SLOW, DEFAULT_AGENCIES[0]], slow_seconds=2.5) as server:
        items = _crawl(tmp_path, targets, server.base_url, "SVEDEN_BUSGOV_TIMEOUT=1", "SVEDEN_BUSGOV_RETRY_TIMES=0")
    assert items["slow"]["status"] == "unreachable"
    assert items["slow"]["message"] == "карточка учреждения (compare): bus.gov.ru не ответил вовремя (1 с)"
    assert items["fine"]["status"] == "ok"


def test_crawl_ends_an_organization_whose_answer_never_comes(tmp_path):
    """The safety net: an organization silent for SVEDEN_BUSGOV_LOST_AFTER still gets its one item,
    and the late answer does not produce a second one."""
    targets = [{"org_id": "slow", "agency_id": 290900, "inn": None, "site_url": "http://priozersk-school4.example.ru"}]
    with StandIn([SLOW], slow_seconds=2.0) as server:
        items = _crawl(tmp_path, targets, server.base_url, "SVEDEN_BUSGOV_LOST_AFTER=0.5", "SVEDEN_BUSGOV_RETRY_TIMES=0")
    assert items["slow"]["status"] == "unreachable"
    assert items["slow"]["message"] == "ответ bus.gov.ru не получен за 0.5 с (запрос потерян)"
