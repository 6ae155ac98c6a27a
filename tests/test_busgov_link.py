"""The site's bus.gov.ru link compared with the registry's agency id."""

from crawler.pipelines import link_busgov_card


def result(agency_ids):
    return {"feedback": {"bus_gov": {"linked": bool(agency_ids), "agency_id": agency_ids[0] if agency_ids else None, "agency_ids": agency_ids}}}


def test_link_to_own_card_matches():
    r = result([318254])
    link_busgov_card(r, 318254)
    assert r["feedback"]["bus_gov"]["matches_registry"] is True and r["feedback"]["bus_gov"]["registry_agency_id"] == 318254


def test_link_to_another_card_does_not_match():
    r = result([111])
    link_busgov_card(r, 318254)
    assert r["feedback"]["bus_gov"]["matches_registry"] is False


def test_unknown_when_either_side_is_missing():
    r = result([])
    link_busgov_card(r, 318254)
    assert r["feedback"]["bus_gov"]["matches_registry"] is None
    r = result([111])
    link_busgov_card(r, None)
    assert r["feedback"]["bus_gov"]["matches_registry"] is None


def test_unreachable_site_has_no_feedback():
    r = {"feedback": None}
    link_busgov_card(r, 5)
    assert r == {"feedback": None}
