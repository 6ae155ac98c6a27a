"""BUS001: the site's bus.gov.ru link compared with the registry's agency id."""

from checks.evaluate import evaluate
from crawler.extract import extract_page


def site(*hrefs: str) -> dict:
    body = "".join(f'<a href="{h}">bus.gov.ru</a>' for h in hrefs)
    page = extract_page("http://127.0.0.1/", "http://127.0.0.1/", f"<html><body>{body}</body></html>".encode(), "text/html; charset=utf-8")
    page.update(url="http://127.0.0.1/", final_url="http://127.0.0.1/", status=200, role="home", section="")
    return {"version": 2, "url": "http://127.0.0.1/", "host": "127.0.0.1", "hosts": ["127.0.0.1"], "outcome": {"status": "ok"}, "pages": [page], "sections": {}, "probes": {}}


def judged(artifact: dict, agency_id):
    result = evaluate(artifact, "school", registry={"org_id": "1", "busgov_agency_id": agency_id})
    return result["feedback"]["bus_gov"], next(a for a in result["audits"] if a["rule"] == "BUS001")


def test_link_to_own_card_matches():
    bus, audit = judged(site("https://bus.gov.ru/qrcode/rate/318254"), 318254)
    assert bus["matches_registry"] is True and bus["registry_agency_id"] == 318254
    assert audit["status"] == "pass"


def test_link_to_another_card_does_not_match():
    bus, audit = judged(site("https://bus.gov.ru/qrcode/rate/111"), 318254)
    assert bus["matches_registry"] is False
    assert audit["status"] == "fail" and "№ 111" in audit["message"] and "№ 318254" in audit["message"]


def test_unknown_when_either_side_is_missing():
    bus, audit = judged(site(), 318254)
    assert bus["matches_registry"] is None and audit["status"] == "not_applicable"
    bus, audit = judged(site("https://bus.gov.ru/qrcode/rate/111"), None)
    assert bus["matches_registry"] is None and audit["status"] == "not_applicable"


def test_without_a_registry_the_json_keeps_its_shape():
    result = evaluate(site("https://bus.gov.ru/qrcode/rate/111"), "school")
    assert "matches_registry" not in result["feedback"]["bus_gov"]
    assert next(a for a in result["audits"] if a["rule"] == "BUS001")["status"] == "not_applicable"


def test_unreachable_site_has_no_feedback_and_the_audit_says_not_checked():
    result = evaluate({"url": "http://127.0.0.1/", "outcome": {"status": "unreachable", "message": "сайт недоступен"}, "pages": [], "sections": {}, "probes": {}},
                      "school", registry={"org_id": "1", "busgov_agency_id": 5})
    assert result["feedback"] is None
    audit = next(a for a in result["audits"] if a["rule"] == "BUS001")
    assert audit["status"] == "error" and "не проверено" in audit["message"]
