"""Every SVEDEN_* crawler setting can be set in the environment, typed like its default; --set wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import settings

REPO = Path(__file__).resolve().parents[1]
NAMES = sorted(n for n in dir(settings) if n.startswith("SVEDEN_") and n not in ("SVEDEN_CONTACT_URL", "SVEDEN_ALLOW_PRIVATE_ADDRESSES"))


def sample(default: object) -> tuple[str, object]:
    """An environment text for a setting of this default, and the value it must give."""
    if isinstance(default, bool):
        return ("false" if default else "true"), not default
    if isinstance(default, int):
        return str(default + 7), default + 7
    if isinstance(default, float):
        return str(default + 1.5), default + 1.5
    if isinstance(default, list):
        return json.dumps(["x", "y"]), ["x", "y"]
    if isinstance(default, dict):  # SVEDEN_PROFILES
        return json.dumps({"quick": {"DOWNLOAD_DELAY": 0}}), {"quick": {"DOWNLOAD_DELAY": 0}}
    return "https://example.test/", "https://example.test/"


def test_every_sveden_setting_is_read_from_the_environment():
    assert {"SVEDEN_PAGE_BUDGET", "SVEDEN_BUSGOV_BASE_URL", "SVEDEN_PRIVATE_ALLOWLIST", "SVEDEN_PROBE_OFFSITE"} <= set(NAMES)
    namespace = {n: getattr(settings, n) for n in NAMES}
    environ, wanted = {}, {}
    for name, default in namespace.items():
        environ[name], wanted[name] = sample(default)
    assert settings.from_environment(namespace, environ) == []
    assert namespace == wanted
    assert {type(namespace[n]) for n in NAMES} == {type(getattr(settings, n)) for n in NAMES}  # typed like the defaults


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [("SVEDEN_PAGE_BUDGET", "много", "нужно целое число"), ("SVEDEN_SITE_TIME_BUDGET", "5 минут", "нужно число"),
     ("SVEDEN_PROBE_OFFSITE", "может быть", "нужно true или false"), ("SVEDEN_PRIVATE_ALLOWLIST", "127.0.0.1", "нужен JSON-список")],
)
def test_a_value_that_does_not_fit_is_a_russian_problem_and_the_default_stays(name, text, said):
    namespace = {name: getattr(settings, name)}
    problems = settings.from_environment(namespace, {name: text})
    assert len(problems) == 1 and said in problems[0] and name in problems[0]
    assert namespace[name] == getattr(settings, name)


def run(code: str, **environ: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **environ}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)


def test_the_environment_reaches_the_crawl_settings_and_set_wins():
    code = (
        "import json; from crawler.runner import project_settings, parse_sets, validate_settings\n"
        "s = project_settings(); t = project_settings(validate_settings(parse_sets(['SVEDEN_PAGE_BUDGET=9'])))\n"
        "print(json.dumps([s.get('SVEDEN_BUSGOV_BASE_URL'), s.getint('SVEDEN_PAGE_BUDGET'), s.getbool('SVEDEN_PROBE_OFFSITE'),"
        " s.getlist('SVEDEN_BUSGOV_CARD_SOURCES'), t.getint('SVEDEN_PAGE_BUDGET')]))"
    )
    proc = run(code, SVEDEN_BUSGOV_BASE_URL="http://127.0.0.1:8999", SVEDEN_PAGE_BUDGET="120", SVEDEN_PROBE_OFFSITE="0",
               SVEDEN_BUSGOV_CARD_SOURCES='["agency_json"]')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["http://127.0.0.1:8999", 120, False, ["agency_json"], 9]


def test_a_bad_environment_value_stops_the_check_with_a_russian_error(tmp_path):
    env = {**os.environ, "SVEDEN_PAGE_BUDGET": "много", "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'e.sqlite'}"}
    proc = subprocess.run([sys.executable, "-m", "sveden.cli", "check", "http://127.0.0.1:9/", "--no-store"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert proc.returncode == 2 and "Ошибка: переменная окружения SVEDEN_PAGE_BUDGET='много': нужно целое число" in proc.stderr
    assert "Traceback" not in proc.stderr
