"""Messages a person can act on: the cause of a failed download in Russian, never exception text;
one machine-readable cause for items that one fix covers."""

from __future__ import annotations

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet.error import NoRouteError

from artifacts.failures import is_technical, plain_message
from artifacts.schema import OUTCOMES, SITE_VERSION
from checks.evaluate import evaluate, org_name
from crawler.errors import TimeBudgetExceeded, classify_exception, dropped_connection

LOST = "[<twisted.python.failure.Failure twisted.internet.error.ConnectionLost: Connection to the other side was lost in a non-clean fashion.>]"
TLS = "[<twisted.python.failure.Failure OpenSSL.SSL.Error: [('SSL routines', '', 'certificate verify failed')]>]"


@pytest.mark.parametrize(("exc", "kind", "message"), [
    (CannotResolveHostError("DNS lookup failed: no results for hostname lookup: nope.invalid."), "unreachable", "имя сайта не найдено в DNS"),
    (DownloadConnectionRefusedError("Connection was refused by other side: 111: Connection refused."), "unreachable", "сервер отклонил соединение"),
    (DownloadFailedError(LOST), "unreachable", "соединение оборвалось"),
    (ResponseDataLossError(), "unreachable", "соединение оборвалось"),
    (NoRouteError("113", "No route to host"), "unreachable", "сервер недоступен по сети"),
    (DownloadFailedError(TLS), "tls_error", "не удалось установить защищённое соединение (HTTPS): ошибка сертификата или настройки TLS"),
    (DownloadTimeoutError("Getting http://x/ took longer than 3.0 seconds."), "timeout", "сайт не ответил вовремя"),
    (IgnoreRequest("Forbidden by robots.txt"), "robots_disallowed", "адрес запрещён в robots.txt"),
    (IgnoreRequest("Filtered offsite request to 'x'"), "http_error", "запрос к адресу не выполнялся (отклонён при обходе)"),
    (ValueError("something odd"), "unreachable", "не удалось загрузить страницу"),
    (TimeBudgetExceeded("http://x/"), "time_budget", "исчерпан лимит времени на сайт"),
])
def test_each_download_failure_has_its_own_russian_cause(exc, kind, message):
    assert classify_exception(exc) == (kind, message)
    assert not is_technical(message)


def test_a_dropped_connection_is_not_filed_under_dns():
    assert "DNS" not in OUTCOMES["unreachable"] and "отклонено" not in OUTCOMES["unreachable"]
    assert dropped_connection(DownloadFailedError(LOST)) and dropped_connection(ResponseDataLossError())
    assert not dropped_connection(DownloadConnectionRefusedError("111"))
    assert not dropped_connection(IgnoreRequest("Forbidden by robots.txt"))


@pytest.mark.parametrize(("stored", "shown"), [
    (f"сайт недоступен: {LOST}", "сайт недоступен: соединение оборвалось"),
    ("сайт недоступен: Connection was refused by other side: 111: Connection refused.", "сайт недоступен: сервер отклонил соединение"),
    ("сайт недоступен: An error occurred while connecting: 113: No route to host.", "сайт недоступен: сервер недоступен по сети"),
    (f"ошибка TLS: {TLS}", "ошибка TLS: не удалось установить защищённое соединение (HTTPS): ошибка сертификата или настройки TLS"),
    ("ошибка загрузки: DownloadFailedError: boom", "не удалось загрузить страницу"),
    ("документ не открывается: http://x/a.pdf (сайт недоступен: DNS lookup failed: no results for hostname lookup: x.)",
     "документ не открывается: http://x/a.pdf (сайт недоступен: имя сайта не найдено в DNS)"),
    ("адрес не разбирается: Invalid IPv6 URL", "адрес не разбирается"),
    # Russian messages, URLs and attribute names stay as they are.
    ("ошибка сервера (HTTP 500)", "ошибка сервера (HTTP 500)"),
    ("документ не открывается: http://x/UploadFailed.pdf (404)", "документ не открывается: http://x/UploadFailed.pdf (404)"),
    ('не найден элемент с itemprop="fullName"', 'не найден элемент с itemprop="fullName"'),
])
def test_messages_stored_by_earlier_versions_lose_their_exception_text(stored, shown):
    assert plain_message(stored) == shown


# --- items: one cause for many ----------------------------------------------------------------


def _artifact(probes: dict, outcome: str = "ok", message: str = "") -> dict:
    doc = "http://school.test/sveden/document/"
    nodes = [{"p": "ustavDocLink", "tag": "a", "t": "Устав", "h": ["http://school.test/upload/ustav.pdf"]},
             {"p": "localAct", "tag": "a", "t": "Положение", "h": ["http://school.test/upload/akt.pdf"]}]
    pages = [
        {"url": "http://school.test/", "final_url": "http://school.test/", "status": 200, "role": "home", "section": "", "title": "МБОУ «Школа № 5» — главная",
         "microdata": [], "itemtypes": [], "links": [], "forms": []},
        {"url": doc, "final_url": doc, "status": 200, "role": "section", "section": "document", "microdata": nodes, "itemtypes": [], "links": [], "forms": []},
        {"url": "http://school.test/sveden/budget/", "final_url": "http://school.test/sveden/budget/", "status": 502, "role": "section", "section": "budget",
         "microdata": [], "itemtypes": [], "links": [], "forms": [], "error_kind": "http_error", "error": "ошибка сервера (HTTP 502)"},
    ]
    sections = {
        "document": {"url": doc, "found_by": "link", "page": 1, "addrefs": [], "status": 200},
        "budget": {"url": pages[2]["url"], "found_by": "link", "page": 2, "addrefs": [], "status": 502, "error_kind": "http_error", "error": "ошибка сервера (HTTP 502)"},
        "struct": {"url": "http://school.test/sveden/struct/", "found_by": "path", "page": -1, "addrefs": [], "status": 404, "error_kind": "not_found",
                   "error": "страница не найдена (HTTP 404)"},
    }
    return {"version": SITE_VERSION, "url": "http://school.test/", "host": "school.test", "hosts": ["school.test"], "org_id": None, "org_type": "school",
            "outcome": {"status": outcome, "message": message, "http_status": 200}, "index": {"url": "", "found_by": ""}, "sections": sections,
            "pages": pages, "probes": probes, "stats": {}}


def _item(result: dict, itemprop: str) -> dict:
    return next(i for i in result["items"] if i["itemprop"] == itemprop and not i["parent"] and i["section"] == "document")


def test_items_carry_the_cause_one_fix_covers():
    robots = {"error_kind": "robots_disallowed", "error": "адрес запрещён в robots.txt", "status": None, "method": "HEAD"}
    result = evaluate(_artifact({"http://school.test/upload/ustav.pdf": robots, "http://school.test/upload/akt.pdf": robots}), "school")
    ustav = _item(result, "ustavDocLink")
    assert (ustav["status"], ustav["cause"]) == ("needs_review", "robots_documents")
    assert ustav["message"] == "robots.txt сайта запрещает проверку документа: http://school.test/upload/ustav.pdf"
    budget = [i for i in result["items"] if i["section"] == "budget" and i["status"] == "error"]
    assert budget and {i["cause"] for i in budget} == {"section_unreadable"}
    assert {i["message"] for i in budget} == {"страница подраздела не проверена: ошибка сервера (HTTP 502)"}
    missing = [i for i in result["items"] if i["section"] == "struct" and i["status"] == "fail"]
    assert missing and {i.get("cause") for i in missing} == {"section_missing"}
    sections = {s["slug"]: s for s in result["sections"]}
    assert (sections["budget"]["error_kind"], sections["budget"]["http_status"]) == ("http_error", 502)
    assert sections["struct"]["error_kind"] == "not_found" and sections["document"]["error_kind"] == ""

    unprobed = evaluate(_artifact({}), "school")
    assert (_item(unprobed, "ustavDocLink")["status"], _item(unprobed, "ustavDocLink")["cause"]) == ("needs_review", "probe_budget")
    late = {"error_kind": "time_budget", "error": "исчерпан лимит времени на сайт", "status": None, "method": "HEAD"}
    out_of_time = evaluate(_artifact({"http://school.test/upload/ustav.pdf": late}), "school")
    assert (_item(out_of_time, "ustavDocLink")["status"], _item(out_of_time, "ustavDocLink")["cause"]) == ("error", "time_budget")
    lost = {"error_kind": "unreachable", "error": f"сайт недоступен: {LOST}", "status": None, "method": "GET"}
    broken = _item(evaluate(_artifact({"http://school.test/upload/ustav.pdf": lost}), "school"), "ustavDocLink")
    assert broken["status"] == "fail" and "cause" not in broken
    assert broken["message"] == "документ не открывается: http://school.test/upload/ustav.pdf (сайт недоступен: соединение оборвалось)"
    passed = _item(evaluate(_artifact({"http://school.test/upload/ustav.pdf": {"status": 200, "method": "HEAD"}}), "school"), "ustavDocLink")
    assert passed["status"] == "pass" and "cause" not in passed


def test_a_legacy_outcome_message_is_judged_without_its_exception_text():
    result = evaluate(_artifact({}, "unreachable", "сайт недоступен: Connection was refused by other side: 111: Connection refused."), "school")
    assert result["error"] == "сайт недоступен: сервер отклонил соединение"
    assert not any(is_technical(i["message"]) for i in result["items"])


def test_the_check_names_the_organization_as_its_site_does():
    art = _artifact({})
    assert org_name(art) == "МБОУ «Школа № 5» — главная"  # the home page's title
    art["pages"][1]["microdata"].append({"p": "fullName", "tag": "span", "t": "  Муниципальное бюджетное\n общеобразовательное учреждение «Школа № 5» "})
    assert evaluate(art, "school")["org_name"] == "Муниципальное бюджетное общеобразовательное учреждение «Школа № 5»"
    assert org_name({"pages": []}) == ""
