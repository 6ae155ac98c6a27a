"""Run the real spider (as a subprocess: the reactor cannot restart) over loopback sites."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from sitekit import Route, page, serve

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "DOWNLOAD_TIMEOUT=5", "--set", "RETRY_TIMES=0",
        # Real pages link documents on their original hosts: never let a test reach the internet.
        "--set", "SVEDEN_PROBE_OFFSITE=false"]
REPO = Path(__file__).resolve().parents[1]


def crawl(sites: dict[str, dict[str, Route]], tmp: Path, org_types: dict[str, str] | None = None, extra: list[str] | None = None,
          ports: dict[str, int] | None = None) -> tuple[dict[str, dict], dict]:
    """Serve every site on its own port (``ports``: a given one, e.g. a site's again), crawl them all in one process, return artifacts by name."""
    with ExitStack() as stack:
        servers = {name: stack.enter_context(serve(routes, port=(ports or {}).get(name, 0))) for name, routes in sites.items()}
        targets = [{"org_id": name, "url": srv.url + "/", "org_type": (org_types or {}).get(name)} for name, srv in servers.items()]
        (tmp / "targets.json").write_text(json.dumps(targets), encoding="utf-8")
        out = tmp / "artifacts.jsonl"
        proc = subprocess.run(
            [sys.executable, "-m", "sveden.gather", "--targets", str(tmp / "targets.json"), "--out", str(out), *FAST, *(extra or [])],
            capture_output=True, text=True, cwd=REPO, timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        artifacts = {a["org_id"]: a for a in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
        logs = {name: list(srv.log) for name, srv in servers.items()}
    assert set(artifacts) == set(sites), (set(sites) - set(artifacts), proc.stderr[-3000:])
    return artifacts, logs


def item(result: dict, section: str, itemprop: str, parent: str = "") -> dict:
    matches = [i for i in result["items"] if i["section"] == section and i["itemprop"] == itemprop and i["parent"] == parent]
    assert len(matches) == 1, (section, parent, itemprop)
    return matches[0]


def import_slow_schools(stack: ExitStack, n: int, tmp: Path, env: dict[str, str]) -> list:
    """Serve ``n`` schools whose home page takes 1.5 s and import them as the registry (``env`` names the
    database): a site stays in a process's hands long enough for a second process to take its share."""
    site = {"/": Route(page('<a href="/sveden/">Сведения об образовательной организации</a>', "МБОУ СОШ").body, delay=1.5),
            "/sveden/": page('<a href="/sveden/common/">Основные сведения</a>'),
            "/sveden/common/": page('<span itemprop="fullName">МБОУ СОШ</span>')}
    servers = [stack.enter_context(serve(site)) for _ in range(n)]
    lines = ["id,name,type,municipality,url"] + [f"org{i:02d},Школа {i},school,Город,{s.url}/" for i, s in enumerate(servers)]
    (tmp / "r.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "sveden.cli", "registry", "import", str(tmp / "r.csv")], env=env, cwd=REPO, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr[-2000:]
    return servers
