"""The monthly monitoring run: registry → one crawl of all organizations → stored results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from compliant import compliant_site
from sitekit import Route, page, redirect, serve
from sqlalchemy import func, select

from checks.model import OrgType

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--no-busgov", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0",
        "--set", "DOWNLOAD_TIMEOUT=2", "--set", "DOWNLOAD_MAXSIZE=200000", "--set", "SVEDEN_PROBE_OFFSITE=false"]

SITES = {
    "ok": compliant_site(OrgType.school),
    "blocked": {"/": Route("Forbidden", status=403)},
    "challenge": {"/": page("<p>Проверка браузера… Подтвердите, что вы не робот (captcha)</p>")},
    "robots": {"/robots.txt": Route("User-agent: *\nDisallow: /\n", content_type="text/plain"), "/": page("x")},
    "http500": {"/": Route("error", status=500)},
    "loop": {"/": redirect("/a"), "/a": redirect("/")},
    "timeout": {"/": Route(page("медленно").body, delay=4)},
    "large": {"/": page("<p>" + "очень большая страница " * 20000 + "</p>")},
    "nosection": {"/": page("<p>Сайт школы</p>")},
}
EXPECTED = {
    "ok": "ok", "blocked": "blocked", "challenge": "blocked", "robots": "robots_disallowed", "http500": "http_error",
    "loop": "redirect_loop", "timeout": "timeout", "large": "too_large", "nosection": "no_sveden_section",
    "refused": "unreachable", "tls": "tls_error",
}


def sveden(args: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300, **kw)


def write_registry(path: Path, urls: dict[str, str]) -> None:
    lines = ["Код;Полное наименование;Тип;Муниципалитет;Адрес сайта"]
    for i, (name, url) in enumerate(sorted(urls.items())):
        lines.append(f"{name};Организация «{name}»;школа;{'Город' if i % 2 else 'Район'};{url}")
    path.write_text("\n".join(lines) + "\n", encoding="cp1251")


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mon")
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp / 'mon.sqlite'}"}
    with ExitStack() as stack:
        servers = {name: stack.enter_context(serve(routes)) for name, routes in SITES.items()}
        urls = {name: srv.url + "/" for name, srv in servers.items()}
        urls["refused"] = "http://127.0.0.1:9/"
        urls["tls"] = servers["ok"].url.replace("http://", "https://") + "/"  # TLS spoken to a plain HTTP server
        write_registry(tmp / "registry.csv", urls)
        imported = sveden(["registry", "import", str(tmp / "registry.csv")], env)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        first = sveden(["crawl", "--month", "2026-10", *FAST], env)
        second = sveden(["crawl", "--month", "2026-11", *FAST], env)
    return env, first, second


def checks_by_org(env: dict, month: str) -> dict[str, dict]:
    from storage import db, repository
    from storage.models import Check, Run

    session_factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    with session_factory() as session:
        run = session.scalar(select(Run).where(Run.month == month))
        out = {}
        for check in session.scalars(select(Check).where(Check.run_id == run.id)):
            out[check.org_id] = repository.load_check_json(session, check.id)
        out["_run"] = {"status": run.status, "rules_version": run.rules_version}
    session_factory.kw["bind"].dispose()
    return out


def test_run_finishes_and_reports(monitored):
    _, first, _ = monitored
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    assert "Проверено организаций: 11 из 11" in first.stdout
    assert "Traceback" not in first.stderr
    # progress lines are INFO on stderr, not warnings
    progress = [line for line in first.stderr.splitlines() if "Обход начат за 2026-10" in line or "Итого: организаций 11 из 11" in line]
    assert len(progress) == 2 and not [line for line in progress if "WARNING" in line], first.stderr[-3000:]


def test_every_organization_ends_with_its_named_status(monitored):
    env, _, _ = monitored
    checks = checks_by_org(env, "2026-10")
    assert checks["_run"]["status"] == "finished"
    assert {org: c["outcome"] for org, c in checks.items() if org != "_run"} == EXPECTED


def test_unreachable_sites_are_not_checked_never_all_missing(monitored):
    env, _, _ = monitored
    checks = checks_by_org(env, "2026-10")
    for org, outcome in EXPECTED.items():
        c = checks[org]
        statuses = {i["status"] for i in c["items"]}
        if outcome in ("ok", "no_sveden_section"):
            assert c["reachable"]
        else:
            assert not c["reachable"] and c["error"], org
            assert statuses <= {"error", "not_applicable"}, (org, statuses)
            assert c["scores"] is None


def test_rerun_is_deterministic(monitored):
    env, _, second = monitored
    assert second.returncode == 0, second.stderr[-3000:]
    a, b = checks_by_org(env, "2026-10"), checks_by_org(env, "2026-11")
    for org in EXPECTED:
        assert [(i["rule"], i["status"], i["message"]) for i in a[org]["items"]] == [(i["rule"], i["status"], i["message"]) for i in b[org]["items"]], org
        assert a[org]["feedback"] == b[org]["feedback"]


@pytest.mark.parametrize("store_process", ["0", "1"])  # judged and stored in the crawl process, or in a store process
def test_kill_9_and_resume_loses_and_duplicates_nothing(tmp_path, store_process):
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'kill.sqlite'}", "SVEDEN_STORE_PROCESS": store_process}
    slow = {"/": Route(page('<a href="/sveden/">Сведения об образовательной организации</a>', "МБОУ СОШ").body, delay=0.6),
            "/sveden/": page('<a href="/sveden/common/">Основные сведения</a>'),
            "/sveden/common/": page('<span itemprop="fullName">МБОУ СОШ</span>')}
    n = 12
    with ExitStack() as stack:
        servers = [stack.enter_context(serve(slow)) for _ in range(n)]
        write_registry(tmp_path / "r.csv", {f"org{i:02d}": s.url + "/" for i, s in enumerate(servers)})
        assert sveden(["registry", "import", str(tmp_path / "r.csv")], env).returncode == 0
        args = [*SVEDEN, "crawl", "--month", "2026-09", *FAST, "--set", "CONCURRENT_REQUESTS=2"]
        proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from storage import db
        from storage.models import Check

        session_factory = db.open_database(env["SVEDEN_DATABASE_URL"])
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline:
            with session_factory() as session:
                done = session.scalar(select(func.count()).select_from(Check))
            if done >= 3:
                break
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with session_factory() as session:
            stored_before_kill = set(session.scalars(select(Check.org_id)))
        assert 3 <= len(stored_before_kill) < n, f"the crawl should be killed half-way, {len(stored_before_kill)} of {n} done"
        resumed = sveden(["crawl", "--month", "2026-09", "--resume", *FAST], env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-3000:]
        assert "Проверено организаций: 12 из 12" in resumed.stdout
        with session_factory() as session:
            rows = session.execute(select(Check.org_id, func.count()).group_by(Check.org_id)).all()
            run_ids = set(session.scalars(select(Check.run_id)))
        session_factory.kw["bind"].dispose()
        assert sorted(org for org, _ in rows) == [f"org{i:02d}" for i in range(n)]
        assert all(count == 1 for _, count in rows) and len(run_ids) == 1
        # organizations stored before the kill were not crawled again by the resumed run
        for i, srv in enumerate(servers):
            if f"org{i:02d}" in stored_before_kill:
                assert srv.log.count(("GET", "/")) == 1, f"org{i:02d} crawled again after resume"


def test_resume_without_unfinished_run_is_a_clear_error(tmp_path):
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite'}"}
    write_registry(tmp_path / "r.csv", {"a": "http://127.0.0.1:9/"})
    assert sveden(["registry", "import", str(tmp_path / "r.csv")], env).returncode == 0
    proc = sveden(["crawl", "--month", "2026-01", "--resume", *FAST], env)
    assert proc.returncode == 2 and "нет незавершённого обхода" in proc.stderr and "Traceback" not in proc.stderr
    bad = sveden(["crawl", "--month", "2026-13", *FAST], env)
    assert bad.returncode == 2 and "ГГГГ-ММ" in bad.stderr


def test_filters_that_select_nothing_say_why(tmp_path):
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'f.sqlite'}"}
    write_registry(tmp_path / "f.csv", {"a": "http://127.0.0.1:9/", "b": "http://127.0.0.1:9/b/"})  # a: Район, b: Город
    assert sveden(["registry", "import", str(tmp_path / "f.csv")], env).returncode == 0
    nosuch = sveden(["crawl", "--month", "2026-01", "--org", "NOSUCH", *FAST], env)
    assert nosuch.returncode == 2 and "NOSUCH — нет в реестре" in nosuch.stderr, nosuch.stderr
    assert "загрузите реестр" not in nosuch.stderr
    elsewhere = sveden(["crawl", "--month", "2026-01", "--org", "a", "--municipality", "Город", *FAST], env)
    assert elsewhere.returncode == 2 and "a — не относятся к муниципалитету Город" in elsewhere.stderr, elsewhere.stderr
    mars = sveden(["crawl", "--month", "2026-01", "--municipality", "Марс", *FAST], env)
    assert mars.returncode == 2 and "нет действующих организаций муниципалитета Марс" in mars.stderr and "Город, Район" in mars.stderr
    empty = {**env, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"}
    none = sveden(["crawl", "--month", "2026-01", *FAST], empty)
    assert none.returncode == 2 and "загрузите реестр" in none.stderr, none.stderr


def test_recheck_rejudges_stored_artifacts_without_crawling(monitored):
    env, _, _ = monitored  # the sites are no longer served: a recheck must not need them
    proc = sveden(["recheck", "--month", "2026-10"], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "изменились результаты у 0" in proc.stdout
    from storage import db, repository
    from storage.models import Check, Run

    session_factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    with session_factory() as session:
        runs = list(session.scalars(select(Run).where(Run.month == "2026-10").order_by(Run.id)))
        assert len(runs) == 2 and runs[1].settings["recheck_of"] == runs[0].id and runs[1].status == "finished"
        old = {c.org_id: repository.load_check_json(session, c.id) for c in session.scalars(select(Check).where(Check.run_id == runs[0].id))}
        new = {c.org_id: repository.load_check_json(session, c.id) for c in session.scalars(select(Check).where(Check.run_id == runs[1].id))}
    session_factory.kw["bind"].dispose()
    assert old.keys() == new.keys()
    for org in old:
        assert old[org]["items"] == new[org]["items"] and old[org]["outcome"] == new[org]["outcome"]
    missing = sveden(["recheck", "--month", "2020-01"], env)
    assert missing.returncode == 2 and "нет завершённого обхода" in missing.stderr


def test_monthly_run_includes_the_busgov_step(tmp_path):
    from testbed.busgov_standin import StandIn, demo_targets

    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'bg.sqlite'}"}
    targets = {t["org_id"]: t for t in demo_targets()[:5]}  # by id, by ИНН, not found ×2, challenge page
    from storage import db, repository
    from storage.models import Organization, Run

    # The stand-in's ИНН are made up (no valid checksum), so the organizations go in directly.
    session_factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    with session_factory() as session, session.begin():
        for org_id, t in targets.items():
            session.add(Organization(id=org_id, inn=t["inn"], name=f"Школа {org_id}", org_type="school", municipality="Город",
                                     site_url=f"http://127.0.0.1:9/{org_id}/", busgov_agency_id=t["agency_id"]))
    with StandIn() as standin:
        proc = sveden(["crawl", "--month", "2026-07", *FAST[1:], "--set", f"SVEDEN_BUSGOV_BASE_URL={standin.base_url}",
                       "--set", "SVEDEN_BUSGOV_DOWNLOAD_DELAY=0"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    with session_factory() as session:
        run = session.scalar(select(Run).where(Run.month == "2026-07"))
        stored = repository.busgov_results(session, run.id)
        statuses = {org: r.status for org, r in stored.items()}
        by_id = stored["busgov-01-by-id"]
        nok, agency = by_id.nok, by_id.agency_id
        by_inn_agency = stored["busgov-02-by-inn"].agency_id
    session_factory.kw["bind"].dispose()
    assert statuses == {"busgov-01-by-id": "ok", "busgov-02-by-inn": "ok", "busgov-03-not-found-inn": "not_found",
                        "busgov-04-not-found-id": "not_found", "busgov-05-challenge": "blocked"}
    assert agency == 231547 and nok and nok["openness"] and nok["year"]
    assert by_inn_agency  # found through the ИНН search
