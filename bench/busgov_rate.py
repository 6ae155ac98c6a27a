"""The bus.gov.ru step's rate: one shared host, polite by design (issue 19, part 5).

    .venv/bin/python bench/busgov_rate.py [--orgs 60] [--json]

N organizations with bus.gov.ru agency ids are crawled by ``sveden crawl`` against the local
stand-in (testbed.busgov_standin) twice in one invocation: with the product's bus.gov.ru
defaults (SVEDEN_BUSGOV_DOWNLOAD_DELAY, AutoThrottle), and with the delay at 0 (the machine's
own cost). Their sites point at a closed port, so the site crawl ends at once. Printed: seconds
per organization of each and what the polite rate means for a region and for the country.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import farmkit  # noqa: E402
from limit import MONTH  # noqa: E402


def measure(n: int, sets: list[str]) -> dict:
    from storage import db
    from storage.models import Organization
    from testbed.busgov_standin import FakeAgency, StandIn

    agencies = [FakeAgency(agency_id=500000 + i, inn=f"47{i:08d}", full_name=f"МБОУ СОШ № {i}", short_name=f"СОШ № {i}",
                           address="г. Город", phone="+7 (813) 000-00-00", website=f"http://school{i}.example.ru") for i in range(n)]
    with StandIn(agencies) as standin, farmkit.database("sqlite") as url:
        factory = db.open_database(url)
        with factory() as session, session.begin():
            for i, a in enumerate(agencies):
                session.add(Organization(id=f"bg{i:05d}", inn=a.inn, name=a.full_name, org_type="school", municipality="Город",
                                         site_url=f"http://127.0.0.1:9/s{i}/", busgov_agency_id=a.agency_id))
        factory.kw["bind"].dispose()
        args = ["crawl", "--month", MONTH, "--set", f"SVEDEN_BUSGOV_BASE_URL={standin.base_url}", *[a for s in sets for a in ("--set", s)]]
        r = farmkit.run_sveden(args, url)
    return {"orgs": n, "sets": sets, "seconds": r["seconds"], "per_org_s": r["seconds"] / n, "cpu": r["cpu"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=60)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    polite = measure(args.orgs, [])
    fast = measure(args.orgs, ["SVEDEN_BUSGOV_DOWNLOAD_DELAY=0", "SVEDEN_BUSGOV_AUTOTHROTTLE=false"])
    result = {"polite": polite, "no_delay": fast, "region_2000_min": polite["per_org_s"] * 2000 / 60,
              "country_90000_h": polite["per_org_s"] * 90000 / 3600}
    if args.json:
        farmkit.emit(result, True)
        return
    print(f"bus.gov.ru step, {args.orgs} organizations: polite defaults {polite['seconds']:.0f} s ({polite['per_org_s']:.2f} s/org), "
          f"no delay {fast['seconds']:.0f} s ({fast['per_org_s']:.2f} s/org)")
    print(f"at the polite rate (extrapolated): 2,000 organizations ≈ {result['region_2000_min']:.0f} min, "
          f"90,000 ≈ {result['country_90000_h']:.0f} h — one shared host, whatever the number of workers")


if __name__ == "__main__":
    main()
