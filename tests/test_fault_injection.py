"""Fault injection: one monthly run over farm sites of every fault and the hostile cases.

Asserted: the run completes; every organization ends with exactly one named outcome; no site is
«compliant» without judged items; every site stays within its time budget.
"""

from __future__ import annotations

import csv
import gzip
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from sitekit import Route, page, serve
from sqlalchemy import select

from artifacts.schema import OUTCOMES
from checks import catalogue
from testbed.farm import ALL_FAULTS, generate
from testbed.farm import serve as serve_farm

REPO = Path(__file__).resolve().parents[1]
SITE_BUDGET = 10
SETTINGS = ["--no-busgov", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0",
            "--set", "DOWNLOAD_TIMEOUT=4", "--set", f"SVEDEN_SITE_TIME_BUDGET={SITE_BUDGET}", "--set", "SVEDEN_PROBE_TIME_BUDGET=4",
            "--set", "SVEDEN_PROBE_OFFSITE=false"]
MENU = '<a href="/sveden/">Сведения об образовательной организации</a>'

pytestmark = [pytest.mark.slow]


def _bomb() -> Route:
    return Route(gzip.compress(b"<html><body>" + b" " * (30 * 1024 * 1024)), headers={"Content-Encoding": "gzip"})


def hostile_sites() -> dict[str, tuple[dict[str, Route], set[str]]]:
    """name → (routes, acceptable outcomes)."""
    index = page("".join(f'<a href="/sveden/{s.slug}/">{s.title}</a>' for s in catalogue.sections()))
    sites: dict[str, tuple[dict[str, Route], set[str]]] = {}
    sites["control_chars"] = ({"/": Route(f"<html><head><script>1</script>\x0c</head><body>{MENU}</body></html>"), "/sveden/": index,
                               "/sveden/common/": Route("<html><head><style>p{}</style>\x0c\x00</head><body><p itemprop='fullName'>Школа\x0c</p></body></html>")}, {"ok"})
    all5xx = {"/": page(MENU), "/sveden/": Route("упало", status=500)}
    all5xx.update({f"/sveden/{s.slug}/": Route("упало", status=502) for s in catalogue.sections()})
    sites["all_5xx"] = (all5xx, {"http_error"})
    sites["bomb_home"] = ({"/": _bomb()}, {"too_large"})
    sites["bomb_section"] = ({"/": page(MENU), "/sveden/": index, "/sveden/common/": _bomb(), "/sveden/document/": page("<p>Документы</p>")}, {"ok"})
    tarpit = {"/": page(MENU), "/sveden/": index,
              "/sveden/document/": page("".join(f'<a itemprop="ustavDocLink" href="/d/{i}.pdf">Устав</a>' for i in range(30)))}
    tarpit.update({f"/d/{i}.pdf": Route(b"%PDF", content_type="application/pdf", delay=20) for i in range(30)})
    sites["tarpit_docs"] = (tarpit, {"ok"})
    drip = {"/": page(MENU), "/sveden/": index}
    drip.update({f"/sveden/{s.slug}/": Route(page(s.title).body, delay=3.5) for s in catalogue.sections()})
    sites["drip_pages"] = (drip, {"ok", "time_budget"})
    return sites


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp / 'faults.sqlite'}"}
    farm = generate(len(ALL_FAULTS) + 6, 777, slow_delay=0.3, hang_seconds=30, site_faults={6 + i: [f] for i, f in enumerate(ALL_FAULTS)})
    hostile = hostile_sites()
    with ExitStack() as stack:
        farm = stack.enter_context(serve_farm(farm))
        servers = {name: stack.enter_context(serve(routes)) for name, (routes, _) in hostile.items()}
        rows = [s.registry_row() for s in farm.sites]
        rows += [{"id": name, "inn": "", "name": f"Школа «{name}»", "type": "school", "municipality": "Район", "url": srv.url + "/", "busgov_agency_id": ""}
                 for name, srv in servers.items()]
        with open(tmp / "registry.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        cli = [sys.executable, "-m", "sveden.cli"]
        imported = subprocess.run([*cli, "registry", "import", str(tmp / "registry.csv")], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        started = time.monotonic()
        crawl = subprocess.run([*cli, "crawl", "--month", "2026-11", *SETTINGS], capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
        wall = time.monotonic() - started
        truth = {st["id"]: st["outcome"] for st in farm.truth()["sites"]}
    return env, crawl, wall, truth, {name: ok for name, (_, ok) in hostile.items()}


def _stored(env: dict) -> tuple[str, dict[str, dict], dict[str, dict]]:
    from storage import db, repository
    from storage.models import Check, Run

    factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    try:
        with factory() as session:
            run = session.scalar(select(Run).where(Run.month == "2026-11"))
            checks = list(session.scalars(select(Check).where(Check.run_id == run.id)))
            results = {c.org_id: repository.load_check_json(session, c.id) for c in checks}
            artifacts = {c.org_id: repository.load_artifact(session, c.id) for c in checks}
            return run.status, results, artifacts
    finally:
        factory.kw["bind"].dispose()


def test_the_run_completes_with_one_named_outcome_per_organization(run):
    env, crawl, wall, truth, hostile = run
    assert crawl.returncode == 0, crawl.stdout[-3000:] + crawl.stderr[-3000:]
    assert "Traceback" not in crawl.stderr
    status, results, _ = _stored(env)
    assert status == "finished"
    assert set(results) == set(truth) | set(hostile)
    for org, result in results.items():
        assert result["outcome"] in OUTCOMES, (org, result["outcome"])
    for org, outcome in truth.items():
        assert results[org]["outcome"] == outcome, (org, results[org]["outcome"], results[org]["error"])
    for org, acceptable in hostile.items():
        assert results[org]["outcome"] in acceptable, (org, results[org]["outcome"], results[org]["error"])


def test_nothing_is_compliant_without_judged_items(run):
    from reports.data import CheckRow

    env, *_ = run
    _, results, _ = _stored(env)
    for org, r in results.items():
        row = CheckRow(id=0, run_id=0, org_id=org, outcome=r["outcome"], reachable=r["reachable"], error=r["error"], counts=r["counts"], p1_1=None, p1_2=None, channels=None)
        if row.compliant:
            assert r["counts"].get("pass", 0) > 0 and not r["counts"].get("error"), org
        if not r["reachable"]:
            assert not r["counts"].get("pass") and not r["counts"].get("fail"), org
    assert results["bomb_section"]["counts"].get("error"), "an unreadable subsection leaves items unjudged"
    tarpit = {i["itemprop"]: i for i in results["tarpit_docs"]["items"] if i["section"] == "document"}
    assert tarpit["ustavDocLink"]["status"] == "error" and "лимит времени" in tarpit["ustavDocLink"]["message"]


def test_every_site_stays_within_its_time_budget(run):
    env, _, wall, *_ = run
    _, _, artifacts = _stored(env)
    for org, artifact in artifacts.items():
        seconds = (artifact.get("stats") or {}).get("seconds", 0)
        assert seconds <= SITE_BUDGET + 5, (org, seconds)
    assert wall < 240, wall
