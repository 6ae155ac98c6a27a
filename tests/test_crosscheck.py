"""The bus.gov.ru card cross-check (CRD001–CRD007): normalisation, both values shown, one path
from the artifacts to the stored verdicts whichever artifact arrives first, and recheck."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from checks import cardfacts
from checks.evaluate import evaluate, judge_busgov
from crawler.extract import extract_page

SITE_URL = "http://school7.example.ru/"
CARD = {
    "agency_id": 555001, "inn": "4703077777", "short_name": "МБОУ «СОШ № 7»",
    "name": "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 7 имени А. С. Пушкина»",
    "address": "187110, Ленинградская обл., г. Кириши, ул. Ленина, д. 5", "phone": "+7 (81368) 2-12-34",
    "email": "school7@example.ru", "site_url": "school7.example.ru", "source": "compare", "absent_fields": [],
    "card_url": "https://bus.gov.ru/info-card/555001",
}
REGISTRY = {"org_id": "7", "name": "МБОУ СОШ № 7", "org_type": "school", "inn": "4703077777", "site_url": SITE_URL, "busgov_agency_id": 555001}


def busgov(**card) -> dict:
    return {"kind": "busgov", "version": 2, "org_id": "7", "status": "ok", "agency_id": 555001, "card": {**CARD, **card},
            "nok": {"year": 2024, "group": "школы", "place": 4}, "message": "карточка получена", "fetched_at": "2026-11-02T10:00:00+00:00"}


def site(common_html: str) -> dict:
    url = SITE_URL + "sveden/common/"
    page = extract_page(url, url, f"<html><body>{common_html}</body></html>".encode(), "text/html; charset=utf-8")
    page.update(url=url, final_url=url, status=200, role="section", section="common")
    home = extract_page(SITE_URL, SITE_URL, b"<html><body><p>Home</p></body></html>", "text/html")
    home.update(url=SITE_URL, final_url=SITE_URL, status=200, role="home", section="")
    return {"version": 2, "url": SITE_URL, "host": "school7.example.ru", "hosts": ["school7.example.ru"], "org_id": "7", "org_type": "school",
            "outcome": {"status": "ok", "message": "", "http_status": 200}, "index": None,
            "sections": {"common": {"url": url, "found_by": "link", "page": 1, "addrefs": []}},
            "pages": [home, page], "probes": {}, "stats": {}}


SAME_FACTS = (
    '<span itemprop="fullName">МБОУ "СОШ №7 им. А.С. Пушкина"</span>'
    '<span itemprop="address">город Кириши, улица Ленина, дом 5</span>'
    '<span itemprop="telephone">8 (81368) 21234</span>'
    '<a itemprop="email" href="mailto:School7@example.ru">School7@example.ru</a>'
    "<p itemprop=\"fullName\">ИНН 4703077777</p>"
)
OTHER_FACTS = (
    '<span itemprop="fullName">МБОУ «Лицей № 7»</span>'
    '<span itemprop="address">г. Кириши, пр. Героев, д. 12</span>'
    '<span itemprop="telephone">+7 (81368) 5-55-55</span>'
    '<span itemprop="email">old7@example.ru</span>'
)


def by_rule(verdict: dict) -> dict:
    return {a["rule"]: a for a in verdict["audits"]}


# ---- normalisation: the same fact in another spelling is no mismatch -------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("МБОУ «СОШ № 2»", "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа №2»"),
    ('МАДОУ "Детский сад № 5"', "муниципальное автономное дошкольное образовательное учреждение «д/с №5»"),
    ("МБУ ДО «ЦДТ»", "Муниципальное бюджетное учреждение дополнительного образования \"Центр детского творчества\""),
    ("МОУ «СОШ им. Героя Ё. Ёлкина»", "муниципальное общеобразовательное учреждение средняя общеобразовательная школа имени героя е елкина"),
])
def test_abbreviated_and_full_names_are_one_name(a, b):
    assert cardfacts.same_name(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("МБОУ «СОШ № 2»", "МБОУ «СОШ № 3»"),
    ("МБОУ «СОШ № 2»", "МАОУ «СОШ № 2»"),
    ("МБОУ «СОШ № 2»", "МБОУ «ООШ № 2»"),
])
def test_different_names_differ(a, b):
    assert not cardfacts.same_name(a, b)


def test_one_phone_number_in_any_format():
    assert cardfacts.phone_numbers("+7 (495) 123-45-67") == cardfacts.phone_numbers("84951234567") == {"+74951234567"}
    assert cardfacts.phone_numbers("8 (81368) 2-12-34, факс 8-81368-2-12-35") == {"+78136821234", "+78136821235"}
    assert not cardfacts.phone_numbers("+7 (495) 123-45-67") & cardfacts.phone_numbers("+7 (495) 123-45-68")


@pytest.mark.parametrize(("a", "b", "same"), [
    ("187110, Ленинградская обл., г. Кириши, ул. Ленина, д. 5", "город Кириши, улица Ленина, 5", True),
    ("г. Кириши, ул. Лёнина, д.5", "Г.КИРИШИ УЛ.ЛЕНИНА Д.5", True),
    ("Российская Федерация, 187110, г. Кириши, пр-т Победы, 3", "187110 г Кириши проспект Победы д 3", True),
    ("г. Кириши, ул. Ленина, д. 5", "г. Кириши, ул. Ленина, д. 7", False),
    ("г. Кириши, ул. Ленина, д. 5", "г. Кириши, пр. Ленина, д. 5", False),
    ("187110, г. Кириши, ул. Ленина, 5", "187111, г. Кириши, ул. Ленина, 5", False),
])
def test_address_spelling(a, b, same):
    assert cardfacts.same_address(a, b) is same


# ---- the audits ------------------------------------------------------------------------------


def test_the_same_facts_in_other_spellings_pass():
    audits = by_rule(judge_busgov(busgov(), REGISTRY, site(SAME_FACTS)))
    for code in ("CRD001", "CRD002", "CRD003", "CRD004", "CRD005", "CRD006", "CRD007"):
        assert audits[code]["status"] == "pass", (code, audits[code]["message"])


def test_mismatches_need_review_with_both_values():
    audits = by_rule(judge_busgov(busgov(site_url="http://old-school7.example.ru"), REGISTRY, site(OTHER_FACTS + "<p itemprop=\"fullName\">ИНН 4703070000</p>")))
    expected = {
        "CRD001": ("МБОУ «Лицей № 7»", CARD["name"]),
        "CRD002": ("4703070000", "4703077777"),
        "CRD003": ("г. Кириши, пр. Героев, д. 12", CARD["address"]),
        "CRD004": ("+7 (81368) 5-55-55", CARD["phone"]),
        "CRD005": ("old7@example.ru", CARD["email"]),
        "CRD006": ("http://old-school7.example.ru", SITE_URL),
    }
    for code, (on_site, on_card) in expected.items():
        a = audits[code]
        assert a["status"] == "needs_review", (code, a["message"])
        assert on_site in a["message"] and on_card in a["message"], (code, a["message"])
        assert {e["source"] for e in a["evidence"]} >= {"сайт"}, code


def test_without_the_site_the_cross_checks_are_not_applicable_and_an_unreachable_site_is_not_checked():
    audits = by_rule(judge_busgov(busgov(), REGISTRY))
    assert audits["CRD001"]["status"] == "not_applicable" and "сайт не проверялся" in audits["CRD001"]["message"]
    assert audits["CRD007"]["status"] == "pass"  # the НОК year needs only the card
    down = {"version": 2, "url": SITE_URL, "outcome": {"status": "unreachable", "message": "", "http_status": None}, "pages": [], "sections": {}, "probes": {}}
    audits = by_rule(judge_busgov(busgov(), REGISTRY, down))
    assert audits["CRD003"]["status"] == "error" and audits["CRD003"]["message"].startswith("не проверено")


def test_the_site_check_json_leaves_the_cross_checks_to_the_card():
    result = evaluate(site(SAME_FACTS), "school")
    assert not [a for a in result["audits"] if a["rule"].startswith("CRD")]


# ---- one path: stored together whichever artifact arrives first, and on recheck -----------------


@pytest.mark.parametrize("site_first", [True, False])
def test_stored_cross_checks_whichever_artifact_arrives_first(tmp_path, site_first):
    from checks import catalogue
    from storage import db, repository
    from storage.models import BusGovResult, Organization
    from sveden import judging
    from sveden.recheck import recheck_month

    url = f"sqlite:///{tmp_path / 'crd.sqlite'}"
    session_factory = db.open_database(url)
    try:
        with session_factory() as session, session.begin():
            org = Organization(id="7", inn="4703077777", name="МБОУ СОШ № 7", org_type="school", municipality="Киришский", site_url=SITE_URL, busgov_agency_id=555001)
            session.add(org)
            session.flush()
            facts = judging.registry_facts(org)
            run = repository.start_run(session, "monthly", "2026-11", catalogue.rules_version())
            steps = [lambda: judging.store_site(session, run.id, "7", site(OTHER_FACTS), facts), lambda: judging.store_busgov(session, run.id, busgov(), facts)]
            for step in steps if site_first else reversed(steps):
                step()
            repository.finish_run(session, run.id)

        def stored(run_id: int) -> dict:
            with session_factory() as session:
                row = session.scalar(select(BusGovResult).where(BusGovResult.run_id == run_id))
                return {a["rule"]: a for a in row.audits}

        audits = stored(run.id)
        assert audits["CRD004"]["status"] == "needs_review"
        assert "+7 (81368) 5-55-55" in audits["CRD004"]["message"] and CARD["phone"] in audits["CRD004"]["message"]
        summary = recheck_month(url, "2026-11")
        again = stored(summary["run_id"])
        assert {k: (v["status"], v["message"]) for k, v in again.items()} == {k: (v["status"], v["message"]) for k, v in audits.items()}
    finally:
        session_factory.kw["bind"].dispose()


def test_a_race_between_two_workers_is_completed_when_the_run_closes(tmp_path):
    """Workers storing the site and the card at one moment each miss the other: closing the run judges the pair."""
    from checks import catalogue
    from storage import db, repository
    from storage.models import Organization
    from sveden import judging

    session_factory = db.open_database(f"sqlite:///{tmp_path / 'race.sqlite'}")
    try:
        with session_factory() as session, session.begin():
            org = Organization(id="7", inn="4703077777", name="МБОУ СОШ № 7", org_type="school", municipality="Киришский", site_url=SITE_URL, busgov_agency_id=555001)
            session.add(org)
            session.flush()
            facts = judging.registry_facts(org)
            run = repository.start_run(session, "monthly", "2026-11", catalogue.rules_version())
            row = judging.store_busgov(session, run.id, busgov(), facts)  # no site yet
            artifact = site(OTHER_FACTS)
            repository.save_check(session, run.id, "7", judging.judge_site(artifact, facts), artifact)  # the other worker's store
            assert {a["rule"]: a["status"] for a in row.audits}["CRD004"] == "not_applicable"
            assert judging.complete_cross_checks(session, run.id) == 1
            assert {a["rule"]: a["status"] for a in repository.busgov_result(session, run.id, "7").audits}["CRD004"] == "needs_review"
            assert judging.complete_cross_checks(session, run.id) == 0  # nothing left
    finally:
        session_factory.kw["bind"].dispose()
