"""Benchmark: rendering the reports of a month for 2,000 organizations.

    .venv/bin/python bench/report_render.py [--orgs 2000] [--baseline 200] [--months 3] [--full]

Generates synthetic stored checks (``storage.repository.save_check``, the same path the crawler's
pipeline takes) into temporary SQLite databases — one with ``--baseline`` organizations, one with
``--orgs`` — and times, in the same run:

- ``regional``: loading the month (a few SQL queries, item aggregates by GROUP BY) and rendering
  ``index.html``;
- ``departments``: all department reports (item-level changes since the previous month included);
- ``exports``: XLSX, CSV and JSON;
- ``schools`` (only with ``--full``): every school report.

The result is printed as seconds and as the ratio to the baseline database (linear scaling
gives ``orgs / baseline``). Nothing leaves the machine; the databases are deleted afterwards.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checks import catalogue, scores  # noqa: E402
from checks.feedback import CHANNELS  # noqa: E402
from checks.model import ItemResult, OrgType, Status  # noqa: E402

MUNICIPALITIES = [f"Муниципальный район № {i}" for i in range(1, 19)] + ["Город", "Городской округ Северный"]
TYPES = ["school"] * 5 + ["kindergarten"] * 3 + ["additional", "college"]
BAD_OUTCOMES = ["unreachable", "timeout", "blocked", "http_error", "robots_disallowed", "tls_error"]


def synthetic_check(rng: random.Random, url: str, org_type: str, outcome: str, quality: float, checked_at: datetime) -> dict[str, Any]:
    """A check JSON shaped like ``checks.evaluate.evaluate``'s, with random but consistent statuses."""
    otype = OrgType(org_type)
    reachable = outcome in ("ok", "no_sveden_section")
    items: list[ItemResult] = []
    for rule in catalogue.rules():
        if not rule.applies(otype) or rule.repealed or rule.superseded_by:
            status = Status.not_applicable
        elif not reachable:
            status = Status.error
        elif outcome == "no_sveden_section":
            status = Status.not_applicable if rule.optional else Status.fail
        elif rule.optional:
            status = Status.not_applicable if rng.random() < 0.6 else (Status.passed if rng.random() < quality else Status.fail)
        else:
            x = rng.random()
            status = Status.passed if x < quality else Status.needs_review if x < quality + 0.02 else Status.fail
        message = {
            Status.passed: "найдено",
            Status.fail: f"не найден элемент с itemprop=\"{rule.itemprop}\"",
            Status.needs_review: "ссылка не проверена",
            Status.error: "не проверено: сайт недоступен",
            Status.not_applicable: "не применяется",
        }[status]
        evidence = f"{url}sveden/{rule.section}/" if reachable and status is not Status.not_applicable else ""
        items.append(ItemResult(rule.section, rule.parent, rule.itemprop, rule.code, status, evidence, message))
    by_section: dict[str, Counter] = {}
    for it in items:
        by_section.setdefault(it.section, Counter())[str(it.status)] += 1
    sections = []
    for s in catalogue.sections():
        counts = by_section.get(s.slug, Counter())
        status = next((st for st in ("error", "fail", "needs_review", "pass") if counts.get(st)), "not_applicable")
        sections.append({"slug": s.slug, "title": s.title, "url": f"{url}sveden/{s.slug}/" if outcome == "ok" else "",
                         "found": outcome == "ok", "status": status, "found_by": "link" if outcome == "ok" else "",
                         "http_status": 200 if outcome == "ok" else None, "error": "", "addrefs": [],
                         "counts": dict(sorted(counts.items())), "unknown_itemprops": []})
    feedback = None
    if reachable:
        channels = {c: rng.random() < (0.5 + quality / 2) for c in CHANNELS}
        feedback = {"channels": channels,
                    "evidence": {c: ([{"url": url, "match": f"найдено: {c}"}] if ok else []) for c, ok in channels.items()},
                    "count": sum(channels.values())}
    return {
        "url": url,
        "checked_at": checked_at.isoformat(timespec="seconds"),
        "org_type": org_type,
        "org_type_source": "given",
        "reachable": reachable,
        "outcome": outcome,
        "error": "" if outcome == "ok" else f"синтетический исход: {outcome}",
        "sections": sections,
        "items": [i.as_json() for i in items],
        "feedback": feedback,
        "scores": scores.compute(items, feedback) if reachable else None,
        "rules_version": catalogue.rules_version(),
        "counts": dict(sorted(Counter(str(i.status) for i in items).items())),
    }


def fill(db_url: str, n_orgs: int, months: list[str], seed: int = 7) -> None:
    """A registry of ``n_orgs`` organizations and one finished monthly run per month."""
    from storage import db, repository
    from storage.models import Organization

    rng = random.Random(seed)
    session_factory = db.open_database(db_url)
    orgs = []
    for i in range(n_orgs):
        orgs.append({"id": f"{i + 1:05d}", "name": f"МБОУ «Школа № {i + 1}»", "org_type": rng.choice(TYPES),
                     "municipality": rng.choice(MUNICIPALITIES), "site_url": f"http://school{i + 1}.example.ru/",
                     "quality": rng.uniform(0.4, 0.98)})
    with session_factory() as session, session.begin():
        for o in orgs:
            session.add(Organization(id=o["id"], name=o["name"], short_name="", org_type=o["org_type"],
                                     municipality=o["municipality"], site_url=o["site_url"], extra={}, active=True))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for m, month in enumerate(months):
        with session_factory() as session, session.begin():
            run = repository.start_run(session, "monthly", month, catalogue.rules_version())
            run_id = run.id
        with session_factory() as session, session.begin():
            for o in orgs:
                outcome = "ok"
                x = rng.random()
                if x < 0.06:
                    outcome = rng.choice(BAD_OUTCOMES)
                elif x < 0.08:
                    outcome = "no_sveden_section"
                quality = min(0.99, o["quality"] + 0.03 * m)
                check = synthetic_check(rng, o["site_url"], o["org_type"], outcome, quality, start + timedelta(days=31 * m))
                repository.save_check(session, run_id, o["id"], check)
        with session_factory() as session, session.begin():
            repository.finish_run(session, run_id)
    session_factory.kw["bind"].dispose()


def months_list(n: int) -> list[str]:
    return [f"2026-{m:02d}" for m in range(1, n + 1)]


def time_render(db_url: str, out: Path, full: bool) -> dict[str, float]:
    from reports import build

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    build.build_reports(db_url, out / "regional", formats=("html",), parts=("regional",))
    timings["regional"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    build.build_reports(db_url, out / "departments", formats=("html",), parts=("departments",))
    timings["departments"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    build.build_reports(db_url, out / "exports", formats=("xlsx", "csv", "json"), parts=())
    timings["exports"] = time.perf_counter() - t0
    if full:
        t0 = time.perf_counter()
        build.build_reports(db_url, out / "schools", formats=("html",), parts=("schools",))
        timings["schools"] = time.perf_counter() - t0
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=200)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also every school report")
    args = parser.parse_args()
    months = months_list(args.months)
    with tempfile.TemporaryDirectory(prefix="sveden-bench-") as tmp:
        results = {}
        for n in (args.baseline, args.orgs):
            url = f"sqlite:///{tmp}/bench{n}.sqlite"
            t0 = time.perf_counter()
            fill(url, n, months)
            print(f"{n} организаций × {len(months)} мес.: база заполнена за {time.perf_counter() - t0:.1f} с", flush=True)
            results[n] = time_render(url, Path(tmp) / f"out{n}", args.full)
        base, big = results[args.baseline], results[args.orgs]
        print(f"\n{'часть':<12} {args.baseline:>8} орг. {args.orgs:>8} орг.   отношение (линейно: {args.orgs / args.baseline:.0f})")
        for part in base:
            print(f"{part:<12} {base[part]:>10.2f} с {big[part]:>10.2f} с   {big[part] / base[part]:>6.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
