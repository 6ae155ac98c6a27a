"""Accuracy against the farm's ground truth: crawl ~240 synthetic sites of every type with the
real batch runner, judge them with ``checks.evaluate`` and require 100% precision and recall.

Compared: each item rule of the catalogue (pass vs not-pass, and the exact status wherever the truth has
one), the five feedback channels, and the organization outcome. A disagreement names the site,
the item and both answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from testbed.farm import ALL_FAULTS, generate, serve

REPO = Path(__file__).resolve().parents[1]
N_SITES = 240
SEED = 20251
# Delays off, generous but bounded timeouts (the farm's «timeout» sites hang for a minute; a
# «too_large» site must stream past the size limit well before the timeout on a busy CI machine).
# Every linked document read, however busy the machine (the truth of the FIL audits counts them all; the
# default budget is 60 documents and 60 s a site, past which links are HEAD-probed and their files unknown).
SETTINGS = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=20", "CONCURRENT_REQUESTS=128", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
            "SVEDEN_DOCUMENT_BUDGET=200", "SVEDEN_DOCUMENT_TIME_BUDGET=0"]

pytestmark = [pytest.mark.slow]


def _crawl(farm, tmp: Path) -> dict[str, dict]:
    targets = tmp / "targets.json"
    targets.write_text(json.dumps(farm.targets(), ensure_ascii=False), encoding="utf-8")
    out = tmp / "artifacts.jsonl"
    cmd = [sys.executable, "-m", "sveden.gather", "--targets", str(targets), "--out", str(out)]
    for s in SETTINGS:
        cmd += ["--set", s]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return {a["org_id"]: a for a in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def _where(st: dict) -> str:
    return f"{st['id']} (#{st['index']} {st['type']} {st['style']} {st['url']})"


def test_checker_agrees_with_the_farm_truth(tmp_path):
    from checks.evaluate import evaluate

    # Every fault at least once (sites 6…; the first six sites take the six types).
    farm = generate(N_SITES, SEED, slow_delay=0.2, hang_seconds=60, site_faults={6 + i: [f] for i, f in enumerate(ALL_FAULTS)})
    t0 = time.monotonic()
    with serve(farm) as farm:
        artifacts = _crawl(farm, tmp_path)
        truth = farm.truth()
    crawl_s = time.monotonic() - t0
    assert {t["org_type"] for t in farm.targets()} == {"school", "kindergarten", "college", "university", "additional", "dpo"}

    problems: list[str] = []
    confusion = Counter()  # (truth pass?, checker pass?)
    exact = Counter()
    for st in truth["sites"]:
        art = artifacts.get(st["id"])
        if art is None:
            problems.append(f"{_where(st)}: no artifact")
            continue
        res = evaluate(art, st["type"])
        if res["outcome"] != st["outcome"]:
            problems.append(f"{_where(st)}: outcome: truth {st['outcome']}, checker {res['outcome']} ({res.get('error', '')[:160]})")
        platform = (res.get("platform") or {}).get("key")
        if res["reachable"] and platform != st["platform"]:
            problems.append(f"{_where(st)}: platform: truth {st['platform']}, checker {platform} ({(res.get('platform') or {}).get('evidence')})")
        got = {(i["section"], i["parent"], i["itemprop"]): i for i in res["items"]}
        for it in st["items"]:
            g = got[(it["section"], it["parent"], it["itemprop"])]
            confusion[(it["expect"] == "pass", g["status"] == "pass")] += 1
            if it["status"]:
                exact[it["status"] == g["status"]] += 1
            if (g["status"] == "pass") != (it["expect"] == "pass") or (it["status"] and it["status"] != g["status"]):
                problems.append(
                    f"{_where(st)}: {it['rule']} {it['section']}/{it['parent'] or '-'}/{it['itemprop']}: "
                    f"truth {it['status'] or it['expect']} ({it['why']}), checker {g['status']}: {g['message'][:160]}"
                )
        audits = {a["rule"]: a for a in res.get("audits", [])}
        for code, want in st.get("audits", {}).items():
            if audits[code]["status"] != want:
                problems.append(f"{_where(st)}: {code}: truth {want}, checker {audits[code]['status']}: {audits[code]['message'][:160]}")
        if st["channels"] is not None:
            channels = (res.get("feedback") or {}).get("channels") or {}
            for name, want in st["channels"].items():
                if bool(channels.get(name)) != want:
                    problems.append(f"{_where(st)}: channel {name}: truth {want}, checker {channels.get(name)}")
    tp, fp, fn = confusion[(True, True)], confusion[(False, True)], confusion[(True, False)]
    summary = (f"{len(truth['sites'])} sites, crawl {crawl_s:.0f}s; items pass/not-pass: precision {tp / max(tp + fp, 1):.4f}, "
               f"recall {tp / max(tp + fn, 1):.4f}; exact statuses {exact[True]}/{exact[True] + exact[False]}")
    print(summary)
    assert not problems, summary + f"\n{len(problems)} disagreements:\n" + "\n".join(problems[:80])
