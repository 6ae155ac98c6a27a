"""The ``sveden`` command line as other tools use it: exit codes, JSON shape, reports, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from compliant import compliant_site
from sitekit import page, serve

from checks import catalogue
from checks.model import OrgType

SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0", "--set", "DOWNLOAD_TIMEOUT=5", "--set", "SVEDEN_PROBE_OFFSITE=false"]


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    return subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=env, timeout=120, cwd=Path(__file__).parents[1])


def test_compliant_site_exits_0_and_json_has_the_contract(tmp_path):
    with serve(compliant_site(OrgType.school)) as srv:
        proc = run(["check", srv.url + "/", "--type", "school", "--format", "json", *FAST], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["org_type"] == "school" and result["reachable"] is True and result["error"] == ""
    assert len(result["items"]) == len(catalogue.rules())
    site_audits = {a.code for a in catalogue.other_audits() if "site" in a.requires and "busgov" not in a.requires}
    assert {a["rule"] for a in result["audits"]} == site_audits >= {"FBK001", "BUS001", "NOK001", "FIL001", "FIL006"}
    assert not [i for i in result["items"] if i["status"] == "fail"]
    assert not [a for a in result["audits"] if a["rule"].startswith("FIL") and a["status"] == "fail"]  # a real PDF with text
    assert sum(1 for i in result["items"] if i["status"] == "pass") > 100
    assert "Traceback" not in proc.stderr


def test_an_address_without_a_scheme_is_tried_over_https_then_http(tmp_path):
    """`sveden check school.ru` means https://school.ru/, then http:// when https cannot connect; the output says which."""
    with serve(compliant_site(OrgType.school)) as srv:
        bare = srv.url.removeprefix("http://") + "/"  # 127.0.0.1:PORT/, served over plain HTTP only
        as_json = run(["check", bare, "--format", "json", "--no-store", *FAST], tmp_path)
        as_text = run(["check", bare, "--no-store", *FAST], tmp_path)
        explicit = run(["check", srv.url + "/", "--format", "json", "--no-store", *FAST], tmp_path)
    assert as_json.returncode == 0, as_json.stderr[-3000:]
    result = json.loads(as_json.stdout)
    assert result["url"] == srv.url + "/" and result["reachable"] is True
    assert "без протокола" in result["url_note"] and "https://" in result["url_note"] and srv.url in result["url_note"]
    assert "Примечание: адрес указан без протокола" in as_json.stderr
    first = as_text.stdout.splitlines()[0]
    assert as_text.returncode == 0 and first.startswith("Примечание: адрес указан без протокола") and "по http://" in first, as_text.stdout[:500]
    assert json.loads(explicit.stdout)["url_note"] == ""


@pytest.mark.parametrize("org_type", [t for t in OrgType if t is not OrgType.school])
def test_compliant_site_of_every_type_has_no_failures(tmp_path, org_type):
    with serve(compliant_site(org_type, "Организация")) as srv:
        proc = run(["check", srv.url + "/", "--type", org_type.value, "--format", "json", "--no-store", *FAST], tmp_path)
    result = json.loads(proc.stdout)
    fails = [(i["rule"], i["message"]) for i in result["items"] if i["status"] == "fail"]
    assert proc.returncode == 0 and not fails, fails


def test_failures_exit_1_with_a_russian_text_report(tmp_path):
    with serve({"/": page('<a href="/sveden/">Сведения об образовательной организации</a>', "МБОУ СОШ № 4"), "/sveden/": page("<p>Скоро</p>")}) as srv:
        proc = run(["check", srv.url + "/", *FAST], tmp_path)
    assert proc.returncode == 1
    assert "Основные сведения" in proc.stdout and "нарушений" in proc.stdout
    assert "Проверка сохранена" in proc.stderr


def test_unreachable_site_exits_2_and_is_not_scored(tmp_path):
    proc = run(["check", "http://127.0.0.1:9/", "--format", "json", *FAST], tmp_path)
    assert proc.returncode == 2
    result = json.loads(proc.stdout)
    assert result["reachable"] is False and result["error"]
    assert not [i for i in result["items"] if i["status"] in ("fail", "pass")]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("bad", ["not a url", "ftp://school.ru/", "http://"])
def test_bad_url_is_a_clear_error(tmp_path, bad):
    proc = run(["check", bad], tmp_path)
    assert proc.returncode == 2 and "Ошибка" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_type_is_a_clear_error(tmp_path):
    proc = run(["check", "http://127.0.0.1:9/", "--type", "zoo"], tmp_path)
    assert proc.returncode == 2 and "zoo" in proc.stderr and "Traceback" not in proc.stderr


def test_html_report_escapes_site_content(tmp_path):
    evil = '<script>alert(1)</script>МБОУ СОШ № 5'
    routes = {
        "/": page('<a href="/sveden/">Сведения об образовательной организации</a>', "школа"),
        "/sveden/": page('<a href="/sveden/common/">Основные сведения</a>'),
        "/sveden/common/": page(f'<span itemprop="fullName">{evil.replace("<", "&lt;")}</span><span itemprop="RegDate">x<img src=x onerror=alert(2)></span>'),
    }
    out = tmp_path / "report.html"
    with serve(routes) as srv:
        proc = run(["check", srv.url + "/", "--format", "html", "-o", str(out), *FAST], tmp_path)
    assert proc.returncode == 1, proc.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "onerror=alert" not in html.replace("&#34;", '"').split("<body>")[1].split('itemprop="')[0]
    assert "Что исправить" in html and "regDate" in html


def test_rules_catalogue_json_and_rule_docs(tmp_path):
    proc = run(["rules", "--format", "json"], tmp_path)
    data = json.loads(proc.stdout)
    assert len(data["rules"]) == len(catalogue.audits()) and data["rules_version"]
    assert {r["id"] for r in data["rules"]} >= {"CMN002", "FBK001", "BUS003"}
    first = data["rules"][1]
    assert {"id", "section", "parent", "itemprop", "title", "applicability", "legal_basis"} <= set(first)
    doc = run(["rule", first["id"]], tmp_path)
    assert doc.returncode == 0 and first["itemprop"] in doc.stdout and "Как исправить" in doc.stdout
    missing = run(["rule", "XXX999"], tmp_path)
    assert missing.returncode == 2 and "нет правила" in missing.stderr


def test_demo_without_the_testbed_is_a_clear_error(monkeypatch):
    from typer.testing import CliRunner

    from sveden.cli import build_app

    app = build_app()

    monkeypatch.setitem(sys.modules, "testbed.demo", None)  # as if the testbed package were not installed
    result = CliRunner().invoke(app, ["demo", "--sites", "10"])
    assert result.exit_code == 2
    assert "не установлен пакет testbed" in result.output


def test_a_one_site_command_leaves_storage_and_the_scheduler_unimported(tmp_path):
    """`sveden check`/`rule`/`rules` answer without importing the sub-command modules (start-up time of a
    check someone waits for); every other command line, `--help` included, has them all."""
    from sveden.cli import _needs_only_core

    assert _needs_only_core(["check", "https://school.example/"]) and _needs_only_core(["rule", "FIL001"])
    assert not _needs_only_core(["--help"]) and not _needs_only_core(["registry", "list"]) and not _needs_only_core([])
    assert not _needs_only_core(["--install-completion", "check"])
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sveden.cli", "rule", "FIL001"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and "FIL001" in proc.stdout, proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "checks.catalogue" in imported
    assert not imported & {"sqlalchemy", "apscheduler", "sveden.cli_registry", "sveden.cli_schedule"}, sorted(imported & {"sqlalchemy", "apscheduler"})
    whole = subprocess.run([*SVEDEN, "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert whole.returncode == 0 and "registry" in whole.stdout and "schedule" in whole.stdout
