"""The interactive crawl profile of one-site checks (``SVEDEN_PROFILE``, ``sveden check --profile``) and
robots.txt ``Crawl-delay``, which every profile obeys (crawler/crawldelay.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from crawlkit import FAST, REPO
from sitekit import Route, page, serve

from crawler.runner import SettingsError, project_settings, validate_settings


def test_the_interactive_profile_and_the_polite_default():
    polite = project_settings()
    assert (polite.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), polite.getfloat("DOWNLOAD_DELAY"), polite.getbool("AUTOTHROTTLE_ENABLED")) == (2, 0.5, True)
    fast = project_settings({"SVEDEN_PROFILE": "interactive"})
    assert fast.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 4
    assert 0 < fast.getfloat("DOWNLOAD_DELAY") <= 0.1
    assert fast.getbool("AUTOTHROTTLE_ENABLED") is False and fast.getbool("ROBOTSTXT_OBEY") is True
    # --set wins over the profile
    assert project_settings({"SVEDEN_PROFILE": "interactive", "DOWNLOAD_DELAY": 0.07}).getfloat("DOWNLOAD_DELAY") == 0.07
    with pytest.raises(SettingsError, match="нет профиля обхода «turbo»; есть: interactive, polite"):
        validate_settings({"SVEDEN_PROFILE": "turbo"})


class Timed(list):
    """A server log that notes when each request came."""

    def append(self, entry):
        super().append((*entry, time.monotonic()))


def site(robots: str) -> dict[str, Route]:
    links = "".join(f"<a href='/sveden/{slug}/'>{slug}</a>" for slug in ("common", "struct", "document", "education", "managers"))
    routes = {"/": page(f"<a href='/sveden/'>Сведения об образовательной организации</a>{links}"),
              "/sveden/": page(links), "/robots.txt": Route(robots, content_type="text/plain")}
    routes.update({f"/sveden/{slug}/": page(f"<h1>{slug}</h1>") for slug in ("common", "struct", "document", "education", "managers")})
    return routes


def gaps(tmp_path, robots: str) -> list[float]:
    """Seconds between the site's requests after robots.txt, crawled with the interactive profile."""
    with serve(site(robots)) as srv:
        srv.RequestHandlerClass.log = Timed()
        srv_log = srv.RequestHandlerClass.log
        crawl_one(srv.url, tmp_path)
    times = [t for method, path, t in srv_log if path != "/robots.txt"]
    assert len(times) >= 6, srv_log
    return [b - a for a, b in zip(times, times[1:])]


def crawl_one(url: str, tmp_path) -> None:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "targets.json").write_text(json.dumps([{"org_id": "s", "url": url + "/", "org_type": "school"}]), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "sveden.gather", "--targets", str(tmp_path / "targets.json"), "--out", str(tmp_path / "a.jsonl"),
                           *FAST, "--set", "SVEDEN_PROFILE=interactive"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_robots_crawl_delay_is_obeyed_by_the_interactive_profile(tmp_path):
    # FAST sets DOWNLOAD_DELAY=0: the site's own Crawl-delay still spaces the requests.
    slow = gaps(tmp_path / "slow", "User-agent: *\nCrawl-delay: 0.4\n")
    assert min(slow) >= 0.35, slow
    fast = gaps(tmp_path / "fast", "User-agent: *\nDisallow: /private/\n")
    assert min(fast) < 0.2, fast  # without it the profile's own small delay


def test_a_current_database_is_opened_without_migration_work(tmp_path):
    """Start-up of a one-site check: the schema is current, so Alembic is not even imported."""
    from storage import db

    assert db.quick_head() == db.head_revision()
    env = {**__import__("os").environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    code = "import sys; from storage import db; db.open_database(); print('alembic' in sys.modules)"
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120) for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], [r.stderr[-1500:] for r in runs]


def test_sveden_check_names_an_unknown_profile():
    proc = subprocess.run([sys.executable, "-m", "sveden.cli", "check", "http://127.0.0.1:9/", "--profile", "turbo", "--no-store"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert "нет профиля обхода «turbo»; есть: interactive, polite" in proc.stderr and "Traceback" not in proc.stderr
