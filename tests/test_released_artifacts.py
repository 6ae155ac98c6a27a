"""Artifacts and results stored by the released version (artifact version 1, commit bca09bb),
re-judged by the current code: identical items, channels and scores; identical bus.gov.ru
comparisons. See ``tests/fixtures/released/README.md``."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from artifacts.failures import plain_message
from checks import scores
from checks.evaluate import evaluate
from checks.model import ItemResult, Status

FIXTURES = Path(__file__).parent / "fixtures" / "released"
MONTH = "2026-10"


def released_sites() -> list[dict]:
    with gzip.open(FIXTURES / "sites.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def released_busgov() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "busgov.jsonl").read_text(encoding="utf-8").splitlines()]


def facts(row: dict) -> dict:
    return {"org_id": row["org_id"], "busgov_agency_id": row["registry"]["busgov_agency_id"]}


# Changed on purpose since the release, and nothing else: items may carry a ``cause`` (an added
# key); exception text in messages became its Russian cause (``plain_message``); a document link
# nobody probed says why — robots.txt or the probe limit — instead of the old «… или …».
OLD_UNPROBED = "ссылку не удалось проверить (лимит запросов или robots.txt): "


def released_form(item: dict, old: dict) -> dict:
    """The current item as the released version would have worded it."""
    out = {k: v for k, v in item.items() if k != "cause"}
    if old["message"].startswith(OLD_UNPROBED):
        assert item.get("cause") in ("robots_documents", "probe_budget"), item
        assert old["message"].removeprefix(OLD_UNPROBED) in item["message"], item
        out["message"] = old["message"]
    elif plain_message(old["message"]) != old["message"]:
        assert item["message"] == plain_message(old["message"]), item
        out["message"] = old["message"]
    return out


def assert_same_verdicts(old: dict, new: dict, where: str) -> None:
    """Identical verdicts for every rule the released version had (rules added since are new
    results, not changes), identical scores over those rules, identical channels and outcome."""
    released = {i["rule"] for i in old["items"]}
    items = [i for i in new["items"] if i["rule"] in released]
    assert [released_form(i, o) for i, o in zip(items, old["items"], strict=True)] == old["items"], where
    kept = [ItemResult(i["section"], i["parent"], i["itemprop"], i["rule"], Status(i["status"]), i["evidence_url"], i["message"]) for i in items]
    assert (scores.compute(kept, new["feedback"]) if new["reachable"] else None) == old["scores"], where
    assert new["feedback"] == old["feedback"], where  # channels, evidence, bus.gov.ru link verdict
    keys = ("slug", "title", "url", "found", "found_by", "http_status", "error", "addrefs")
    assert [{k: s.get(k) for k in keys} for s in new["sections"]] == [{k: s.get(k) for k in keys} for s in old["sections"]], where
    assert dict(Counter(i["status"] for i in items)) == old["counts"], where
    assert (new["outcome"], new["reachable"], new["error"]) == (old["outcome"], old["reachable"], plain_message(old["error"])), where


def test_the_fixtures_are_of_the_released_version():
    rows = released_sites()
    assert {r["artifact"]["version"] for r in rows} == {1}
    assert len({r["result"]["outcome"] for r in rows}) >= 8  # checked sites and every kind of failure
    assert {r["result"]["feedback"]["bus_gov"]["matches_registry"] for r in rows if r["result"]["feedback"]} == {True, False, None}


def test_version_1_artifacts_rejudged_give_identical_results():
    for row in released_sites():
        new = evaluate(row["artifact"], row["org_type"], checked_at=datetime.fromisoformat(row["result"]["checked_at"]), registry=facts(row))
        assert_same_verdicts(row["result"], new, row["org_id"])
        # Audits added since give new results; those of the released version are all there.
        assert {"FBK001", "FBK002", "FBK003", "FBK004", "FBK005", "BUS001", "NOK001", "NOK002", "NOK003", "NOK004"} <= {a["rule"] for a in new["audits"]}
        # The released crawler kept no scan of the page text: the personal data audits say so, never «не найдено».
        assert all(a["status"] in ("not_applicable", "error") for a in new["audits"] if a["group"] == "personal" and a["rule"] != "PDN007"), row["org_id"]


def test_a_stored_released_month_rechecked_by_the_current_code(tmp_path):
    """Store the released month as the released version stored it, then ``recheck`` it."""
    from storage import db, repository
    from storage.models import BusGovResult, Check, Organization, Run
    from sveden.recheck import recheck_month

    url = f"sqlite:///{tmp_path / 'released.sqlite'}"
    sites, cards = released_sites(), released_busgov()
    session_factory = db.open_database(url)
    try:
        with session_factory() as session, session.begin():
            for row in sites:
                session.add(Organization(id=row["org_id"], name=row["org_id"], org_type=row["org_type"], municipality="М", site_url=row["artifact"]["url"],
                                         busgov_agency_id=row["registry"]["busgov_agency_id"]))
            for row in cards:
                reg = row["registry"]
                session.add(Organization(id=reg["org_id"], name=reg["org_id"], inn=reg["inn"], org_type="school", municipality="М",
                                         site_url=reg["site_url"] or "", busgov_agency_id=reg["agency_id"]))
            session.flush()
            run = repository.start_run(session, "monthly", MONTH, sites[0]["result"]["rules_version"])
            for row in sites:
                repository.save_check(session, run.id, row["org_id"], row["result"], row["artifact"])
            for row in cards:  # the released rows: comparisons inside the card, no artifact column
                item = row["item"]
                repository.save_busgov(session, run.id, item["org_id"], item["status"], agency_id=item["agency_id"], card=item["card"],
                                       nok=item["nok"], message=item["message"], fetched_at=datetime.fromisoformat(item["fetched_at"]))
            repository.finish_run(session, run.id)
            source_id = run.id

        summary = recheck_month(url, MONTH)
        assert summary["changed"] == 0 and summary["checks"] == len(sites)

        with session_factory() as session:
            old = {row["org_id"]: row["result"] for row in sites}
            for check in session.scalars(select(Check).where(Check.run_id == summary["run_id"])):
                new = repository.load_check_json(session, check.id)
                assert_same_verdicts(old[check.org_id], new, check.org_id)
                assert new["rules_version"] != old[check.org_id]["rules_version"]  # judged by other rules: another version
            before = {b.org_id: b for b in session.scalars(select(BusGovResult).where(BusGovResult.run_id == source_id))}
            after = {b.org_id: b for b in session.scalars(select(BusGovResult).where(BusGovResult.run_id == summary["run_id"]))}
            assert before.keys() == after.keys() == {row["registry"]["org_id"] for row in cards}
            for org, b in before.items():
                a = after[org]
                assert (a.status, a.agency_id, a.nok, a.fetched_at) == (b.status, b.agency_id, b.nok, b.fetched_at), org
                for flag in ("site_url_differs", "inn_differs"):
                    assert (a.card or {}).get(flag) == (b.card or {}).get(flag), (org, flag)
                assert set(a.message.split("; ")) == set(b.message.split("; ")), org
                assert a.artifact["version"] == 2 and a.audits, org  # upgraded on read, judged by BUS002/BUS003
            assert session.get(Run, summary["run_id"]).status == "finished"
    finally:
        session_factory.kw["bind"].dispose()


@pytest.mark.parametrize("version", [0, "2", 99])
def test_unreadable_artifact_versions_are_refused_in_russian(version):
    from artifacts.schema import ArtifactError, upgrade_site

    with pytest.raises(ArtifactError, match="верси"):
        upgrade_site({"version": version})


def test_a_report_of_results_judged_by_other_rules_says_so():
    from reports.school import render_html, render_text

    row = next(r for r in released_sites() if r["result"]["outcome"] == "ok")
    old = row["result"]
    assert 'id="rules-changed"' in render_html(old) and "Правила изменились" in render_text(old)
    current = evaluate(row["artifact"], row["org_type"], registry=facts(row))
    assert 'id="rules-changed"' not in render_html(current) and "Правила изменились" not in render_text(current)
