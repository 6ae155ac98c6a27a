"""``sveden demo``: the whole monthly job on a farm of synthetic sites served on 127.0.0.1.

Starts the farm and a local stand-in for bus.gov.ru, imports the farm's registry, runs two
monthly monitoring runs (the previous month with more defects, so that reports show trends)
and renders the month's reports. Results go to ``SVEDEN_DATABASE_URL`` when it is set,
otherwise to a separate demo database that never mixes with real data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

# Loopback sites need no politeness delay; timeouts are short so the farm's hanging sites end fast.
DEMO_SETTINGS = [
    "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=8", "RETRY_TIMES=1",
    "CONCURRENT_REQUESTS=96", "SVEDEN_BUSGOV_DOWNLOAD_DELAY=0",
]


@dataclass
class DemoResult:
    db_url: str
    month: str
    previous_month: str
    reports_dir: Path
    sites: int


def previous_month(month: str) -> str:
    year, mon = map(int, month.split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def demo_database_url() -> str:
    explicit = os.environ.get("SVEDEN_DATABASE_URL")
    if explicit:
        return explicit
    path = Path(user_data_dir("sveden")) / "demo.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def standin_agencies(farm):
    """bus.gov.ru cards for the farm's organizations (some with НОК results, a few unknown, a few
    out of date against the site: ``testbed.farm.cards``)."""
    from testbed.farm.cards import farm_agencies

    return farm_agencies(farm)


def _sveden(args: list[str], env: dict[str, str]) -> int:
    return subprocess.call([sys.executable, "-m", "sveden.cli", *args], env=env)


def run_demo(sites: int, seed: int, month: str, reports_dir: Path | None, echo=print) -> DemoResult:
    from testbed.busgov_standin import StandIn
    from testbed.farm import generate, serve

    db_url = demo_database_url()
    # The farm and the bus.gov.ru stand-in are on 127.0.0.x: switch off the SSRF protection for these runs.
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
    prev = previous_month(month)
    out = reports_dir or Path.cwd() / "sveden-demo" / month
    echo(f"Демонстрация: {sites} сайтов организаций на 127.0.0.x, база данных: {db_url}")
    # The same organizations both months; the earlier month has more defects (things get fixed).
    farm_now = generate(sites, seed=seed, defect_rate=1.0)
    farm_before = generate(sites, seed=seed, defect_rate=1.6)
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry.csv"
        with serve(farm_before) as farm, StandIn(standin_agencies(farm)) as busgov:
            registry.write_text(farm.registry_csv(), encoding="utf-8")
            if _sveden(["registry", "import", str(registry)], env) != 0:
                raise RuntimeError("не удалось загрузить реестр фермы")
            settings = [arg for s in [*DEMO_SETTINGS, f"SVEDEN_BUSGOV_BASE_URL={busgov.base_url}"] for arg in ("--set", s)]
            echo(f"Обход за {prev} (прошлый месяц)…")
            started = time.monotonic()
            _sveden(["crawl", "--month", prev, *settings], env)
            echo(f"  готово за {time.monotonic() - started:.0f} с")
        with serve(farm_now, port=farm.port) as farm, StandIn(standin_agencies(farm)) as busgov:
            settings = [arg for s in [*DEMO_SETTINGS, f"SVEDEN_BUSGOV_BASE_URL={busgov.base_url}"] for arg in ("--set", s)]
            echo(f"Обход за {month}…")
            started = time.monotonic()
            _sveden(["crawl", "--month", month, *settings], env)
            echo(f"  готово за {time.monotonic() - started:.0f} с")
    code = _sveden(["report", "--month", month, "-o", str(out)], env)
    if code != 0:
        raise RuntimeError("отчёты не построены")
    return DemoResult(db_url, month, prev, out, sites)
