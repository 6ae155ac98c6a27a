"""Regional rules (issue 15): a TOML file of the region's own checks, validated, loaded, judged
as audits of group ``regional``, versioned, re-applied by ``sveden recheck``; and the built-in НОКО
audits (NOK001–NOK004) on a crawled loopback site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from compliant import compliant_site
from sitekit import Route, page, serve
from test_rule_examples import context_for, page_of

from checks import catalogue, regional
from checks.evaluate import evaluate, run_audit
from checks.model import OrgType, Status

EXAMPLE = Path(__file__).parents[1] / "docs" / "regional-rules.example.toml"
SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0", "--set", "DOWNLOAD_TIMEOUT=5", "--set", "SVEDEN_PROBE_OFFSITE=false"]


@pytest.fixture
def rules_file(tmp_path, monkeypatch):
    """The example file in force (through SVEDEN_REGIONAL_RULES), as a copy the test may edit."""
    path = tmp_path / "rules.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv(regional.ENV, str(path))
    return path


def test_the_example_file_loads_into_the_catalogue(rules_file):
    codes = [a.code for a in catalogue.audits_of("regional")]
    assert codes == ["RLO001", "RLO002", "RLO003", "RLO004", "RLO005", "RLO006", "RLO007", "RLO008"]
    by_code = catalogue.by_code()
    rlo1 = by_code["RLO001"]
    assert rlo1.group == "regional" and rlo1.counts_in_score and rlo1.severity == "high"
    assert "Общественного совета по НОКО" in rlo1.basis and rlo1.legal[0].tag.count(":") == 1
    assert by_code["RLO002"].applies_to == frozenset({OrgType.school, OrgType.kindergarten, OrgType.additional})
    assert not by_code["RLO004"].counts_in_score
    assert "/nok/" in catalogue.probe_paths()
    assert any("ответственн" in p for p in catalogue.probe_link_texts())
    assert catalogue.rules_version().count("+r") == 1
    assert catalogue.probe_selectors() == (".news-list, article.news",) and "/news/" in catalogue.probe_paths()
    assert by_code["RLO008"].registry_groups == (("Тип местности", ("село",)),)


def _dated_site(home_html: str, **home: str) -> dict:
    site = _home_site(home_html)
    site["pages"][0].update(home)
    site["stats"] = {"selectors": [], "dates": True}
    return site


def test_updated_by_the_stated_date_or_last_modified(rules_file):
    from datetime import UTC, datetime

    from checks.regional import RegionalAudit

    audit = RegionalAudit(code="RLO900", title="обновлялась", failure_title="не обновлялась", kind="updated", days=30)
    when = datetime(2026, 11, 29, tzinfo=UTC)

    def judge(site: dict) -> tuple[str, str]:
        from checks.context import Context
        from checks.views import SiteView

        r = run_audit(audit, Context(site=SiteView(site), checked_at=when))
        return str(r.status), r.message

    status, message = judge(_dated_site("<p>Новости</p>", updated_on="2026-11-20"))
    assert status == "pass" and "20.11.2026" in message and "дата обновления на странице" in message
    status, message = judge(_dated_site("<p>Новости</p>", last_modified="Mon, 01 Sep 2026 10:00:00 GMT"))
    assert status == "fail" and "01.09.2026" in message and "Last-Modified" in message
    status, message = judge(_dated_site("<p>Новости</p>"))
    assert status == "needs_review" and "не указывает дату" in message
    old = _home_site("<p>Новости</p>")  # gathered before pages kept their dates
    status, message = judge(old)
    assert status == "needs_review" and "нужен новый обход" in message


def test_the_page_states_its_update_date():
    page = page_of("http://127.0.0.1/", "<p>Новости школы</p><footer>Дата последнего обновления: 03.11.2026</footer>", "home", "")
    assert page["updated_on"] == "2026-11-03"
    assert "updated_on" not in page_of("http://127.0.0.1/", "<p>Приказ от 03.11.2026 № 5</p>", "home", "")


def test_registry_groups_decide_where_a_rule_applies(rules_file):
    site = _home_site("<h2>Подвоз обучающихся школьным автобусом</h2>")
    village = {"org_id": "s1", "groups": {"Тип местности": "Село"}}
    town = {"org_id": "s2", "groups": {"Тип местности": "город"}}

    def status(registry: dict | None) -> dict:
        return next(a for a in evaluate(site, "school", registry=registry)["audits"] if a["rule"] == "RLO008")

    assert status(village)["status"] == "pass"
    assert status(town)["status"] == "not_applicable" and "город" in status(town)["message"]
    assert status({"org_id": "s3"})["status"] == "not_applicable"
    assert status(None)["status"] == "not_applicable"  # an ad-hoc check of a bare address: no registry
    no_bus = _home_site("<h2>Новости</h2>")
    assert next(a for a in evaluate(no_bus, "school", registry=village)["audits"] if a["rule"] == "RLO008")["status"] == "fail"


def test_the_example_files_examples_pass(rules_file):
    examples = [(a, ex) for a in catalogue.audits_of("regional") for ex in a.examples]
    assert len(examples) >= 4
    for audit, example in examples:
        result = run_audit(audit, context_for(audit, example))
        assert result.status == example.expect, f"{audit.code} {example.title}: {result.message}"


def test_the_rules_version_follows_the_file(rules_file, monkeypatch):
    with_file = catalogue.rules_version()
    rules_file.write_text(rules_file.read_text(encoding="utf-8").replace("noko.lenreg.ru", "noko.lenobl.ru"), encoding="utf-8")
    os.utime(rules_file, ns=(1, 1))  # another mtime whatever the clock's resolution
    changed = catalogue.rules_version()
    assert changed != with_file and changed.split("+r")[0] == with_file.split("+r")[0]
    monkeypatch.setenv(regional.ENV, "")
    assert "+r" not in catalogue.rules_version() and not catalogue.audits_of("regional")


def _home_site(html: str, probes: dict[str, int] | None = None) -> dict:
    return {"url": "http://127.0.0.1/", "host": "127.0.0.1", "hosts": ["127.0.0.1"], "outcome": {"status": "ok"},
            "pages": [page_of("http://127.0.0.1/", html, "home", "")], "sections": {},
            "probes": {u: {"status": s} for u, s in (probes or {}).items()}}


def test_regional_audits_in_the_check_json_and_their_own_score(rules_file):
    site = _home_site('<a href="http://127.0.0.1/nok/">Независимая оценка качества</a><h2>Центр «Точка роста»</h2>'
                      '<a href="https://noko.lenreg.ru/">Портал НОКО</a>', {"http://127.0.0.1/nok/": 200})
    result = evaluate(site, "school")
    regional_results = {a["rule"]: a for a in result["audits"] if a["group"] == "regional"}
    assert {k: v["status"] for k, v in regional_results.items()} == {
        "RLO001": "pass", "RLO002": "pass", "RLO003": "fail", "RLO004": "pass", "RLO005": "fail", "RLO006": "needs_review",
        "RLO007": "needs_review", "RLO008": "not_applicable"}
    assert regional_results["RLO007"]["cause"] == "needs_crawl"  # no crawl matched its selector
    # An artifact gathered before the crawl kept update dates: the rule asks for a new crawl.
    assert regional_results["RLO006"]["cause"] == "needs_crawl" and "нужен новый обход" in regional_results["RLO006"]["message"]
    assert result["scores"]["regional"]["percent"] == 100.0 and result["scores"]["regional"]["counted"] == 2
    # П1.1 counts item rules only: the regional rules leave it as it was.
    assert result["scores"]["p1_1_required"] == len([i for i in result["items"] if i["status"] != "not_applicable"
                                                      and not catalogue.by_code()[i["rule"]].optional])
    college = evaluate(site, "college")
    assert {a["rule"]: a["status"] for a in college["audits"]}["RLO002"] == "not_applicable"


def test_without_a_file_the_check_json_has_no_regional_audits_and_no_regional_score():
    result = evaluate(_home_site("<p>Школа</p>"), "school")
    assert not [a for a in result["audits"] if a["group"] == "regional"]
    assert result["scores"]["regional"] is None


# ---- malformed files: refused, with the line or the key, nothing half-loaded ------------------

GOOD_CHECK = 'code = "RLO001"\ntitle = "t"\nfailure_title = "f"\nfix = "x"\nkind = "link"\nhost = "a.ru"\n'
HEAD = '[region]\ncode = "LO"\nname = "Область"\ndecision = "Решение № 1"\n\n[[check]]\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEAD + 'code = "RLO001"\ntitle = "t\n', "строка 8"),  # an unterminated string
        (HEAD + GOOD_CHECK + "kind = \"page\"\n", "строка 13, столбец 14: ключ задан повторно"),  # a key given twice
        (HEAD.replace('code = "LO"\n', "") + GOOD_CHECK, "region.code: обязательный ключ отсутствует"),
        (HEAD + GOOD_CHECK.replace('fix = "x"\n', ""), "check[1].fix: обязательный ключ отсутствует"),
        (HEAD + GOOD_CHECK + 'colour = "red"\n', "check[1].colour: неизвестный ключ"),
        (HEAD + GOOD_CHECK.replace("RLO001", "CMN002"), "check[1].code: значение 'CMN002' не подходит под шаблон"),
        (HEAD + GOOD_CHECK.replace("RLO001", "RMO001"), "check[1].code: код RMO001 должен начинаться с RLO"),
        (HEAD + GOOD_CHECK + "\n[[check]]\n" + GOOD_CHECK, "check[2].code: код RLO001 повторяется"),
        (HEAD + GOOD_CHECK.replace('kind = "link"', 'kind = "css"'), "check[1].kind: значение 'css' недопустимо"),
        (HEAD + GOOD_CHECK.replace('host = "a.ru"', 'url_pattern = "(unclosed"'), "check[1].url_pattern: неверное регулярное выражение"),
        (HEAD + GOOD_CHECK.replace('host = "a.ru"', 'pattern = "x"'), "check[1]: проверке вида «link» нужен ключ host или url_pattern"),
        (HEAD + GOOD_CHECK + 'days = 5\n', "check[1]: ключ days не используется проверкой вида «link»"),
        (HEAD + GOOD_CHECK + 'counts_in_score = "yes"\n', "check[1].counts_in_score: неверный тип"),
        (HEAD + GOOD_CHECK + 'applies_to = ["gymnasium"]\n', "check[1].applies_to[1]: значение 'gymnasium' недопустимо"),
        (HEAD.split("[[check]]")[0], "check: обязательный ключ отсутствует"),
    ],
    ids=["toml-string", "toml-duplicate-key", "missing-region-key", "missing-check-key", "unknown-key", "builtin-code", "other-region",
         "duplicate-code", "unknown-kind", "bad-regex", "kind-without-its-key", "key-of-another-kind", "wrong-type", "unknown-org-type", "no-checks"],
)
def test_a_malformed_file_is_refused_with_a_precise_message(text, expected):
    with pytest.raises(regional.RegionalRulesError) as info:
        regional.parse(text, "rules.toml")
    assert expected in str(info.value), str(info.value)
    assert "Traceback" not in str(info.value) and "pydantic" not in str(info.value)


def test_a_valid_minimal_file_parses():
    rules = regional.parse(HEAD + GOOD_CHECK)
    assert rules.check[0].counts_in_score is False and rules.check[0].severity == "medium"


def _cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path), **env}
    full.pop(regional.ENV, None)
    full.update(env)
    return subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=full, timeout=180, cwd=Path(__file__).parents[1])


def test_rules_load_stores_a_valid_file_and_refuses_a_bad_one_keeping_the_old(tmp_path):
    ok = _cli(["rules", "load", str(EXAMPLE)], tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "Ленинградская область" in ok.stdout and "RLO006" in ok.stdout
    listed = _cli(["rules", "--format", "json"], tmp_path)
    payload = json.loads(listed.stdout)
    assert "+r" in payload["rules_version"]
    regional_rules = [r for r in payload["rules"] if r["group"] == "regional"]
    assert len(regional_rules) == 8 and regional_rules[0]["severity"] == "high" and regional_rules[0]["counts_in_score"] is True
    bad = tmp_path / "bad.toml"
    bad.write_text(HEAD + GOOD_CHECK.replace('kind = "link"', 'kind = "css"'), encoding="utf-8")
    refused = _cli(["rules", "load", str(bad)], tmp_path)
    assert refused.returncode == 2 and "check[1].kind" in refused.stderr and "Traceback" not in refused.stderr
    still = json.loads(_cli(["rules", "--format", "json"], tmp_path).stdout)
    assert still["rules_version"] == payload["rules_version"]  # the stored file is the old one
    text = _cli(["rules"], tmp_path).stdout
    assert "Региональные требования" in text and "RLO001" in text


# ---- a crawled loopback site with the НОКО page and the example rules ------------------------


def noko_site() -> dict[str, Route]:
    routes = compliant_site(OrgType.school)
    home = routes["/"].payload().decode("utf-8")
    routes["/"] = Route(home.replace("</body>", '<a href="/nok/">Независимая оценка качества</a><h2>Центр «Точка роста»</h2></body>'))
    routes["/nok/"] = page(
        "<h1>Независимая оценка качества условий осуществления образовательной деятельности</h1>"
        '<a href="https://bus.gov.ru/info-card/231547">Результаты НОК на bus.gov.ru</a>'
        '<a href="/nok/plan.pdf">План по устранению недостатков, выявленных в ходе независимой оценки качества</a>'
        '<a href="/nok/otchet.pdf">Отчёт об исполнении плана по устранению недостатков</a>'
        '<a href="https://noko.lenreg.ru/">Портал НОКО Ленинградской области</a>'
    )
    routes["/nok/plan.pdf"] = Route(b"%PDF-1.4", content_type="application/pdf")
    return routes  # /nok/otchet.pdf answers 404


def test_a_crawled_site_with_the_noko_page_and_the_example_rules(tmp_path, monkeypatch):
    with serve(noko_site()) as srv:
        proc = _cli(["check", srv.url + "/", "--type", "school", "--format", "json", "--no-store", *FAST], tmp_path, SVEDEN_REGIONAL_RULES=str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    statuses = {a["rule"]: a["status"] for a in result["audits"]}
    assert {c: statuses[c] for c in ("NOK001", "NOK002", "NOK003", "NOK004")} == {"NOK001": "pass", "NOK002": "pass", "NOK003": "pass", "NOK004": "fail"}
    nok4 = next(a for a in result["audits"] if a["rule"] == "NOK004")
    assert "404" in nok4["message"]
    assert {c: statuses[c] for c in ("RLO001", "RLO002", "RLO003", "RLO004", "RLO005", "RLO006", "RLO007")} == {
        "RLO001": "pass", "RLO002": "pass", "RLO003": "fail", "RLO004": "pass", "RLO005": "fail", "RLO006": "needs_review", "RLO007": "fail"}
    # The crawl matched the rule's selector and kept the pages' dates: nothing asks for a new crawl.
    assert not [a["rule"] for a in result["audits"] if a.get("cause") == "needs_crawl"]
    assert "+r" in result["rules_version"] and result["scores"]["regional"]["percent"] == 100.0
    assert not [i for i in result["items"] if i["status"] == "fail"]  # the compliant site stays compliant
    _regional_results_in_the_school_report_and_the_xlsx(result, tmp_path, monkeypatch)


def _regional_results_in_the_school_report_and_the_xlsx(result: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The crawled check, stored in a month, shows its regional results as their own group everywhere."""
    from lxml import html as lxml_html
    from openpyxl import load_workbook

    from reports.build import build_reports
    from reports.school import render_html
    from storage import db, repository
    from storage.models import Organization

    monkeypatch.setenv(regional.ENV, str(EXAMPLE))
    school = lxml_html.fromstring(render_html(result))
    rows = {tr.get("data-rule"): tr for tr in school.cssselect('table.audits[data-group="regional"] tbody tr')}
    assert {"RLO003", "RLO005", "RLO006"} <= set(rows) and "RLO001" in rows  # the HTML report lists passes too
    assert "st-fail" in rows["RLO003"].cssselect("td")[2].get("class")
    heading = school.cssselect("#group-regional")[0].text_content()
    assert heading == "Региональные требования"

    url = f"sqlite:///{(tmp_path / 'month.sqlite').as_posix()}"
    sm = db.open_database(url)
    with sm() as s:
        s.add(Organization(id="noko", name="МБОУ «СОШ № 1»", org_type="school", municipality="Город", site_url=result["url"], extra={}))
        run = repository.start_run(s, "monthly", "2026-10", result["rules_version"])
        repository.save_check(s, run.id, "noko", result)
        repository.finish_run(s, run.id)
        s.commit()
    sm.kw["bind"].dispose()
    build_reports(url, tmp_path / "out", month="2026-10", formats=("html", "xlsx"))
    wb = load_workbook(next((tmp_path / "out" / "export").glob("*.xlsx")), read_only=True)
    header, *body = list(wb["Нарушения"].iter_rows(values_only=True))
    found = {r[header.index("Код правила")]: dict(zip(header, r, strict=True)) for r in body}
    assert {"RLO003", "RLO005", "RLO006", "NOK004"} <= set(found)
    assert found["RLO003"]["Подраздел"] == "Региональные требования" and found["RLO003"]["Статус"] == "нарушение"
    assert found["RLO003"]["Основание"]  # the council's decision
    school_page = lxml_html.fromstring((tmp_path / "out" / "schools" / "noko.html").read_text(encoding="utf-8"))
    assert school_page.cssselect('table.audits[data-group="regional"] tr[data-rule="RLO005"]')


# ---- sveden recheck applies a changed file to a stored month -------------------------------


def test_recheck_applies_a_changed_rules_file(tmp_path, rules_file):
    from storage import db, repository
    from storage.models import Check
    from sqlalchemy import select
    from sveden import judging
    from sveden.recheck import recheck_month

    url = f"sqlite:///{tmp_path / 'recheck.sqlite'}"
    artifact = _home_site('<a href="https://noko.lenreg.ru/">Портал НОКО</a>')
    session_factory = db.open_database(url)
    try:
        with session_factory() as session, session.begin():
            run = repository.start_run(session, "monthly", "2026-03", catalogue.rules_version())
            judging.store_site(session, run.id, None, artifact, None, org_type="school")
            repository.finish_run(session, run.id)

        def latest_audits(run_id: int) -> dict:
            with session_factory() as session:
                check = session.scalar(select(Check).where(Check.run_id == run_id))
                result = repository.load_check_json(session, check.id)
                return {a["rule"]: a["status"] for a in result["audits"]}, result["rules_version"]

        before, version_before = latest_audits(run.id)
        assert before["RLO002"] == "pass"
        rules_file.write_text(rules_file.read_text(encoding="utf-8").replace("noko.lenreg.ru", "noko.lenobl.ru"), encoding="utf-8")
        os.utime(rules_file, ns=(1, 1))
        summary = recheck_month(url, "2026-03")
        after, version_after = latest_audits(summary["run_id"])
        assert after["RLO002"] == "fail" and version_after != version_before and summary["rules_version"] == version_after
        assert summary["changed"] == 1  # RLO002 changed: the other audits count as changes too
        # The stored crawl probed neither /nok/ nor /news/ and matched no selector: those rules ask for a new crawl.
        assert summary["needs_crawl"] == {"RLO001": 1, "RLO006": 1, "RLO007": 1}
    finally:
        session_factory.kw["bind"].dispose()


def test_a_bad_rules_file_named_by_the_environment_is_a_russian_error_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    bad = tmp_path / "bad.toml"
    bad.write_text('region = "LO"\n[[check]\n', encoding="utf-8")
    env = {**os.environ, "SVEDEN_REGIONAL_RULES": str(bad), "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    proc = subprocess.run([sys.executable, "-m", "sveden.cli", "check", "http://127.0.0.1:9/", "--no-store"], capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "строка 2" in proc.stderr and "Ошибка:" in proc.stderr


# ---- farm sites checked with the example file ----------------------------------------------


def test_farm_sites_checked_with_the_example_rules(tmp_path, monkeypatch):
    """Farm sites crawled with the example file in force: every regional rule is judged from what the
    crawl gathered (none asks for a new crawl), and the farm's unreachable sites are «не проверено»."""
    from testbed.farm import generate, serve as serve_farm

    monkeypatch.setenv(regional.ENV, str(EXAMPLE))
    farm = generate(12, 4151, faults={}, site_faults={0: ["down"], 1: ["blocked_403"]}, slow_delay=0.0, hang_seconds=5)
    with serve_farm(farm) as running:
        targets = tmp_path / "targets.json"
        targets.write_text(json.dumps(running.targets(), ensure_ascii=False), encoding="utf-8")
        out = tmp_path / "artifacts.jsonl"
        cmd = [sys.executable, "-m", "sveden.gather", "--targets", str(targets), "--out", str(out)]
        for s in ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_TIMEOUT=5", "RETRY_TIMES=0"):
            cmd += ["--set", s]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parents[1], timeout=300,
                              env={**os.environ, regional.ENV: str(EXAMPLE)})
        assert proc.returncode == 0, proc.stderr[-3000:]
        truth = running.truth()
    artifacts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(artifacts) == 12
    checked = 0
    for artifact in artifacts:
        result = evaluate(artifact, artifact.get("org_type"))
        regional_results = {a["rule"]: a for a in result["audits"] if a["group"] == "regional"}
        assert set(regional_results) == {f"RLO00{i}" for i in range(1, 9)}
        if not result["reachable"]:
            assert all(a["status"] in ("not_applicable", "needs_review", "error") or "не проверено" in a["message"]
                       for a in regional_results.values()), regional_results
            assert not any(a["status"] in ("pass", "fail") for a in regional_results.values())
            continue
        checked += 1
        assert not [c for c, a in regional_results.items() if a.get("cause") == "needs_crawl"], artifact["url"]
        assert regional_results["RLO005"]["status"] == "fail"  # the farm publishes no regionalId
        assert regional_results["RLO008"]["status"] == "not_applicable"  # no registry groups in a bare crawl
    assert checked == 10  # the two sites the farm took down or blocked are the two not checked
    assert sum(1 for t in truth["sites"] if t["outcome"] in ("unreachable", "blocked")) == 2
