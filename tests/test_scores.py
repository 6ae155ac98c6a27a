"""НОКО openness scores: П1.2 from the channels, the site part of П1.1 from the item results."""

from __future__ import annotations

import pytest

from checks import catalogue
from checks.model import ItemResult, Status
from checks.scores import compute, p1_2, percent

REQUIRED = [r for r in catalogue.rules() if not r.optional]
OPTIONAL = [r for r in catalogue.rules() if r.optional]
CHANNELS = ("phone", "email", "e_service", "faq", "opinion")


def result(rule, status: Status | str) -> ItemResult:
    return ItemResult(rule.section, rule.parent, rule.itemprop, rule.code, Status(status))


def channels(n: int) -> dict:
    return {"channels": {c: i < n for i, c in enumerate(CHANNELS)}}


def required_in(section: str, count: int):
    rules = [r for r in REQUIRED if r.section == section]
    assert len(rules) >= count, section
    return rules[:count]


# ---- П1.2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("found", "points"), [(0, 0), (1, 30), (2, 60), (3, 90), (4, 100), (5, 100)])
def test_p1_2_is_30_points_per_channel_capped_at_100(found, points):
    scores = compute([], channels(found))
    assert scores["p1_2"] == points and isinstance(scores["p1_2"], int)
    assert scores["p1_2_channels"] == found
    assert scores["p1_2_found"] == sorted(CHANNELS[:found])
    assert p1_2(found) == points


def test_p1_2_is_not_measured_without_feedback():
    assert compute([], None)["p1_2"] is None


def test_p1_2_ignores_unknown_shapes_of_feedback():
    assert compute([], {})["p1_2"] == 0
    assert compute([], {"channels": {"phone": True, "email": False}})["p1_2"] == 30


# ---- П1.1, site part ----------------------------------------------------------------------


def test_all_required_items_passed_is_100():
    items = [result(r, Status.passed) for r in REQUIRED]
    scores = compute(items, None)
    assert scores["p1_1_site"] == 100.0
    assert scores["p1_1_required"] == len(REQUIRED) == scores["p1_1_passed"]
    assert all(v == 100.0 for v in scores["by_section"].values() if v is not None)


def test_nothing_passed_is_zero():
    scores = compute([result(r, Status.fail) for r in REQUIRED], None)
    assert scores["p1_1_site"] == 0.0 and scores["p1_1_passed"] == 0


@pytest.mark.parametrize(
    ("passed", "required", "expected"),
    [(1, 3, 33.3), (2, 3, 66.7), (1, 8, 12.5), (1, 16, 6.3), (1, 80, 1.3), (3, 80, 3.8), (5, 6, 83.3), (0, 7, 0.0), (7, 7, 100.0)],
)
def test_rounding_to_one_decimal_half_up(passed, required, expected):
    assert percent(passed, required) == expected
    items = [result(r, Status.passed if i < passed else Status.fail) for i, r in enumerate(REQUIRED[:required])]
    assert compute(items, None)["p1_1_site"] == expected


def test_half_up_differs_from_bankers_rounding():
    # 1/16 = 6.25: Python's round() gives 6.2, the score rule gives 6.3.
    assert round(100 / 16, 1) == 6.2
    assert percent(1, 16) == 6.3


@pytest.mark.parametrize("status", [Status.error, Status.needs_review, Status.fail])
def test_error_needs_review_and_fail_count_as_not_passed(status):
    items = [result(REQUIRED[0], Status.passed), result(REQUIRED[1], status)]
    scores = compute(items, None)
    assert scores["p1_1_site"] == 50.0
    assert scores["p1_1_required"] == 2 and scores["p1_1_passed"] == 1
    assert scores["p1_1_by_status"] == {"pass": 1, str(status): 1}


def test_not_applicable_and_optional_items_are_excluded():
    items = [
        result(REQUIRED[0], Status.passed),
        result(REQUIRED[1], Status.fail),
        result(REQUIRED[2], Status.not_applicable),
        result(OPTIONAL[0], Status.fail),
        result(OPTIONAL[1], Status.passed),
        result(OPTIONAL[2], Status.needs_review),
    ]
    scores = compute(items, None)
    assert scores["p1_1_required"] == 2
    assert scores["p1_1_site"] == 50.0


def test_nothing_applicable_is_none_not_zero():
    scores = compute([result(REQUIRED[0], Status.not_applicable), result(OPTIONAL[0], Status.passed)], None)
    assert scores["p1_1_site"] is None
    assert all(v is None for v in scores["by_section"].values())


def test_status_given_as_string():
    assert compute([result(REQUIRED[0], "pass"), result(REQUIRED[1], "error")], None)["p1_1_site"] == 50.0


def test_by_section():
    common = required_in("common", 4)
    budget = required_in("budget", 3)
    grants = [r for r in OPTIONAL if r.section == "grants"][:2]  # «при наличии» only
    items = [result(r, Status.passed) for r in common[:3]] + [result(common[3], Status.fail)]
    items += [result(budget[0], Status.passed)] + [result(r, Status.needs_review) for r in budget[1:]]
    items += [result(r, Status.passed) for r in grants]
    scores = compute(items, None)
    assert list(scores["by_section"]) == [s.slug for s in catalogue.sections()]
    assert scores["by_section"]["common"] == 75.0
    assert scores["by_section"]["budget"] == 33.3
    assert scores["by_section"]["struct"] is None  # no result given
    assert len(grants) == 2 and scores["by_section"]["grants"] is None  # optional items only
    assert scores["by_section_counts"]["common"] == {"required": 4, "passed": 3}
    assert scores["p1_1_site"] == percent(4, 7) == 57.1


def test_rule_unknown_to_the_catalogue_counts_as_required():
    stray = ItemResult("common", "", "legacyThing", "ZZZ999", Status.passed)
    scores = compute([stray, result(REQUIRED[0], Status.fail)], None)
    assert scores["p1_1_required"] == 2 and scores["p1_1_site"] == 50.0


def test_output_states_the_limits_of_a_site_measurement():
    scores = compute([result(REQUIRED[0], Status.passed)], channels(2))
    assert scores["p1_1_stand"] is None
    assert "стенд" in scores["p1_1_note"] and "не оценивается" in scores["p1_1_note"]
    assert "344н" in scores["basis"] and "114" in scores["basis"]
    assert scores["p1_2_note"].startswith("Показатель 1.2")


def test_whole_rule_set_with_mixed_statuses():
    """Every rule once, as the check JSON carries them: the arithmetic over one result per rule."""
    cycle = [Status.passed, Status.fail, Status.needs_review, Status.error, Status.not_applicable]
    items = [result(r, cycle[i % len(cycle)]) for i, r in enumerate(catalogue.rules())]
    counted = [it for it in items if it.status is not Status.not_applicable and not catalogue.by_code()[it.rule].optional]
    passed = [it for it in counted if it.status is Status.passed]
    scores = compute(items, channels(3))
    assert scores["p1_1_required"] == len(counted) and scores["p1_1_passed"] == len(passed)
    assert scores["p1_1_site"] == percent(len(passed), len(counted))
    assert scores["p1_2"] == 90
