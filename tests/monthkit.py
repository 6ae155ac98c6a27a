"""A month of loopback schools through the real commands: ``sveden registry import``, ``sveden crawl``
and ``sveden report`` (HTML and XLSX), for tests of what the reports show."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from sitekit import Route, serve

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--no-busgov", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0",
        "--set", "DOWNLOAD_TIMEOUT=5", "--set", "SVEDEN_PROBE_OFFSITE=false"]


def crawl_and_report(schools: dict[str, dict[str, Route]], tmp: Path, month: str) -> tuple[Path, str]:
    """Serve each school (its registry code is its key), crawl the month, write its reports; (the
    reports' folder, the database URL)."""
    db_url = f"sqlite:///{tmp / 'db.sqlite'}"
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
    with ExitStack() as stack:
        urls = {name: stack.enter_context(serve(routes)).url + "/" for name, routes in schools.items()}
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=";")
        writer.writerow(["Код", "Полное наименование", "Тип", "Муниципалитет", "Адрес сайта"])
        for name, url in urls.items():
            writer.writerow([name, f"МБОУ «Школа {name}»", "школа", "Кировский район", url])
        (tmp / "registry.csv").write_text(buf.getvalue(), encoding="utf-8")
        for args in (["registry", "import", str(tmp / "registry.csv")], ["crawl", "--month", month, *FAST]):
            proc = subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
            assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    report = subprocess.run([*SVEDEN, "report", "--month", month, "-o", str(tmp / "out"), "--format", "html", "--format", "xlsx"],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert report.returncode == 0, report.stdout + report.stderr[-3000:]
    return tmp / "out", db_url
