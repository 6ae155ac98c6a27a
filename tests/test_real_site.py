"""Robustness on real pages: a university's /sveden/ section of 2019 (megabyte tables, old names).

The pages are read from ../shared/real-sites/ and never copied into the repository.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cikit import REAL_SITES, real_sites
from crawlkit import crawl, item
from sitekit import Route, page

from checks import catalogue
from checks.evaluate import evaluate

REAL = REAL_SITES


@pytest.fixture(autouse=True, scope="module")
def _real_pages_present():
    real_sites()


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    routes = {"/": page('<a href="/sveden/">Сведения об образовательной организации</a>', "СПбГАСУ")}
    slugs = sorted(p.stem for p in REAL.glob("*.html"))
    routes["/sveden/"] = page("".join(f'<a href="/sveden/{s}/">{s}</a>' for s in slugs))
    for s in slugs:
        routes[f"/sveden/{s}/"] = Route((REAL / f"{s}.html").read_bytes(), content_type="text/html")
    artifacts, _ = crawl({"spbgasu": routes}, tmp_path_factory.mktemp("real"), {"spbgasu": "university"})
    return artifacts["spbgasu"]


def test_megabyte_pages_are_gathered(real):
    sizes = {p["url"].rstrip("/").rsplit("/", 1)[-1]: p.get("size", 0) for p in real["pages"]}
    assert sizes["objects"] > 1_500_000 and sizes["employees"] > 1_000_000
    employees = next(p for p in real["pages"] if p["url"].endswith("/sveden/employees/"))
    assert sum(1 for n in employees["microdata"] if n["p"] == "fio") > 600


def test_checks_cope_with_real_markup(real):
    started = time.perf_counter()
    result = evaluate(real, "university")
    elapsed = time.perf_counter() - started
    assert result["reachable"] and len(result["items"]) == len(catalogue.rules())
    assert not [i for i in result["items"] if i["status"] == "error"]
    # still-valid names of the old format are recognised
    assert item(result, "common", "regDate")["status"] == "pass"
    assert item(result, "common", "nameUchred", "uchredLaw")["status"] == "pass"
    # the 2019 site has no fullName and no «Руководство» page
    assert item(result, "common", "fullName")["status"] == "fail"
    assert item(result, "managers", "rucovodstvo")["status"] == "fail"
    # names that no longer exist are listed, not crashed on
    common = next(s for s in result["sections"] if s["slug"] == "common")
    assert {"fullnameUchred", "fax"} <= set(common["unknown_itemprops"])
    assert elapsed < 30  # sanity bound only; speed is measured in bench/, not here
