"""Storage: migrations on SQLite and PostgreSQL, check round trips, runs, bus.gov.ru results."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from checks import catalogue
from checks.evaluate import evaluate
from storage import db, migrate, repository
from storage.models import Artifact, AuditResultRow, BusGovResult, Check, ItemResult, Organization, Run

ROOT = Path(__file__).resolve().parents[1]
TABLES = {"organizations", "runs", "checks", "item_results", "artifacts", "busgov_results", "alembic_version"}
# --- fixtures (pg_url: tests/conftest.py) ---------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'sveden.sqlite').as_posix()}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'sveden.sqlite').as_posix()}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def maker(db_url: str) -> Iterator[sessionmaker[Session]]:
    sm = db.open_database(db_url)
    yield sm
    sm.kw["bind"].dispose()


def _artifact(host: str = "s1.ru") -> dict:
    return {
        "version": 1,
        "url": f"http://{host}",
        "host": host,
        "outcome": {"status": "ok", "message": "", "http_status": 200},
        "index": {"url": f"http://{host}/sveden/", "found_by": "path"},
        "sections": {"common": {"url": f"http://{host}/sveden/common", "found_by": "path", "status": 200, "page": 1, "addrefs": []}},
        "pages": [
            {"url": f"http://{host}/", "role": "home", "title": "МБОУ СОШ №1", "microdata": []},
            {
                "url": f"http://{host}/sveden/common",
                "role": "section",
                "section": "common",
                "status": 200,
                "microdata": [
                    {"p": "fullName", "tag": "td", "t": "Муниципальное бюджетное общеобразовательное учреждение «СОШ №1»"},
                    {"p": "regDate", "tag": "td", "t": "01.01.2000"},
                ],
            },
        ],
        "probes": {f"http://{host}/doc.pdf": {"status": 200, "error_kind": "", "error": "", "method": "HEAD"}},
        "stats": {"pages": 2},
    }


def _add_org(session: Session, org_id: str = "o1") -> None:
    session.add(Organization(id=org_id, name=f"Школа {org_id}", org_type="school", municipality="Тула", site_url=f"http://{org_id}.ru", extra={}))
    session.flush()


# --- migrations ----------------------------------------------------------------------------


def _assert_schema(url: str) -> None:
    engine = db.create_db_engine(url)
    try:
        with engine.connect() as conn:
            assert TABLES <= set(inspect(conn).get_table_names())
            assert db.current_revision(conn) == db.head_revision()
    finally:
        engine.dispose()


def test_migrations_on_empty_sqlite(sqlite_url: str) -> None:
    sm = db.open_database(sqlite_url)
    _assert_schema(sqlite_url)
    with sm() as s:
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    sm.kw["bind"].dispose()
    db.open_database(sqlite_url).kw["bind"].dispose()  # idempotent
    migrate.check(sqlite_url)  # alembic check: the models and the migrations agree
    migrate.check()  # the same on a fresh temporary database


@pytest.mark.postgres
def test_migrations_on_postgresql(pg_url: str) -> None:
    db.open_database(pg_url).kw["bind"].dispose()
    _assert_schema(pg_url)
    db.open_database(pg_url).kw["bind"].dispose()
    migrate.check(pg_url)


def test_database_url_default_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    url = db.database_url()
    assert url.startswith("sqlite:///") and url.endswith("/sveden.sqlite") and "sveden" in url
    monkeypatch.setenv(db.ENV_VAR, "postgresql://u@h/d")
    assert db.database_url() == "postgresql+psycopg://u@h/d"
    monkeypatch.setenv(db.ENV_VAR, str(tmp_path / "x.sqlite"))
    assert db.database_url() == "sqlite:///" + (tmp_path / "x.sqlite").as_posix()


def test_in_memory_sqlite() -> None:
    sm = db.open_database("sqlite://")
    with sm() as s:
        _add_org(s)
        s.commit()
        assert s.scalar(select(func.count()).select_from(Organization)) == 1


def _open_concurrently(url: str, n: int = 4) -> None:
    code = "import sys; from storage.db import open_database; open_database(sys.argv[1]).kw['bind'].dispose()"
    procs = [subprocess.Popen([sys.executable, "-c", code, url], cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(n)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err


def test_concurrent_first_open_sqlite(sqlite_url: str) -> None:
    _open_concurrently(sqlite_url)
    _assert_schema(sqlite_url)


@pytest.mark.postgres
def test_concurrent_first_open_postgresql(pg_url: str) -> None:
    _open_concurrently(pg_url)
    _assert_schema(pg_url)


def test_database_newer_than_code(sqlite_url: str) -> None:
    db.open_database(sqlite_url).kw["bind"].dispose()
    engine = db.create_db_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    with pytest.raises(db.StorageError, match="новее"):
        db.open_database(sqlite_url)


def test_migrate_cli(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert migrate.main(["check"]) == 0
    assert migrate.main(["upgrade", "--url", sqlite_url]) == 0
    assert migrate.main(["current", "--url", sqlite_url]) == 0
    assert db.head_revision() in capsys.readouterr().out


# --- checks --------------------------------------------------------------------------------


def test_check_round_trip(maker: sessionmaker[Session]) -> None:
    artifact = _artifact()
    check = evaluate(artifact)
    check["scores"] = {"p1_1_site": 41.5, "p1_2": 60, "detail": {"channels": ["phone", "email"]}}
    check["feedback"] = {"channels": {"phone": True, "email": True, "form": False}}
    check["future_key"] = {"nested": [1, "два", None]}
    check["items"][0]["confidence"] = 0.9  # an item key added later
    saved = copy.deepcopy(check)
    with maker() as s:
        _add_org(s)
        run = repository.start_run(s, "monthly", "2025-09", check["rules_version"], {"concurrency": 8}, {"municipality": ["Тула"]})
        c = repository.save_check(s, run.id, "o1", check, artifact)
        s.commit()
        check_id = c.id
    assert check == saved  # the input is not modified
    with maker() as s:
        loaded = repository.load_check_json(s, check_id)
        assert loaded == saved
        assert list(loaded) == list(saved)
        assert len(loaded["items"]) == len(catalogue.rules())
        assert repository.load_artifact(s, check_id) == artifact
        row = s.get_one(Check, check_id)
        assert (row.p1_1_site, row.p1_2, row.outcome, row.reachable) == (41.5, 60, "ok", True)
        assert row.checked_at.tzinfo is not None and row.checked_at.utcoffset() == timedelta(0)
        art = s.get_one(Artifact, check_id)
        assert art.size > len(art.data)  # compressed
        fails = s.scalars(select(ItemResult.rule).where(ItemResult.check_id == check_id, ItemResult.status == "fail")).all()
        assert len(fails) == saved["counts"]["fail"]


def test_evaluate_output_round_trip_and_indicator_columns(maker: sessionmaker[Session]) -> None:
    check = evaluate(_artifact())
    saved = copy.deepcopy(check)
    assert check["scores"] is not None and check["feedback"] is not None
    with maker() as s:
        run = repository.start_run(s, "check", None, check["rules_version"])
        c = repository.save_check(s, run.id, None, check, _artifact())
        s.commit()
        assert repository.load_check_json(s, c.id) == saved
        assert c.p1_1_site == saved["scores"]["p1_1_site"]
        assert c.p1_2 == saved["scores"]["p1_2"]


def test_check_round_trip_keeps_odd_timestamps_and_unreachable(maker: sessionmaker[Session]) -> None:
    check = evaluate({"url": "http://down.ru", "outcome": {"status": "unreachable", "message": "DNS"}})
    check["checked_at"] = "2025-09-01T10:00:00.123+03:00"  # does not round-trip through UTC
    saved = copy.deepcopy(check)
    with maker() as s:
        run = repository.start_run(s, "check", None, check["rules_version"])
        c = repository.save_check(s, run.id, None, check)
        s.commit()
        assert repository.load_check_json(s, c.id) == saved
        assert repository.load_artifact(s, c.id) is None
        assert c.checked_at == datetime(2025, 9, 1, 7, 0, 0, 123000, tzinfo=UTC)
        assert c.scores is None and c.p1_1_site is None and c.outcome == "unreachable" and not c.reachable


def test_resave_replaces_not_duplicates(maker: sessionmaker[Session]) -> None:
    first = evaluate(_artifact())
    second = evaluate({"url": "http://s1.ru", "outcome": {"status": "timeout", "message": ""}})
    with maker() as s:
        _add_org(s)
        run = repository.start_run(s, "monthly", "2025-10", first["rules_version"])
        repository.save_check(s, run.id, "o1", first, _artifact())
        s.commit()
        c2 = repository.save_check(s, run.id, "o1", second, {"url": "http://s1.ru", "outcome": {"status": "timeout"}})
        s.commit()
        assert s.scalar(select(func.count()).select_from(Check)) == 1
        assert s.scalar(select(func.count()).select_from(ItemResult)) == len(catalogue.rules())
        assert s.scalar(select(func.count()).select_from(Artifact)) == 1
        assert repository.load_check_json(s, c2.id) == second
        assert repository.load_artifact(s, c2.id) == {"url": "http://s1.ru", "outcome": {"status": "timeout"}}
        # ad-hoc checks (no organization) are never replaced
        adhoc = repository.start_run(s, "check", None, first["rules_version"])
        repository.save_check(s, adhoc.id, None, first)
        repository.save_check(s, adhoc.id, None, first)
        s.commit()
        assert s.scalar(select(func.count()).select_from(Check).where(Check.run_id == adhoc.id)) == 2


def test_unique_run_org_enforced_by_database(maker: sessionmaker[Session]) -> None:
    check = evaluate({"url": "http://x.ru", "outcome": {"status": "bad_url"}})
    with maker() as s:
        _add_org(s)
        run = repository.start_run(s, "monthly", "2025-11", "v")
        repository.save_check(s, run.id, "o1", check)
        s.commit()
        s.add(Check(run_id=run.id, org_id="o1", url="", org_type="school", outcome="ok", reachable=True, checked_at=datetime.now(UTC)))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_foreign_keys_enforced(maker: sessionmaker[Session]) -> None:
    with maker() as s:
        run = repository.start_run(s, "monthly", "2025-11", "v")
        s.commit()
        with pytest.raises(IntegrityError):
            repository.save_check(s, run.id, "no-such-org", evaluate({"url": "http://x.ru", "outcome": {"status": "bad_url"}}))
        s.rollback()


def test_runs_resume_and_finish(maker: sessionmaker[Session]) -> None:
    ok = evaluate(_artifact())
    slow = evaluate({"url": "http://o2.ru", "outcome": {"status": "timeout"}})
    with maker() as s:
        for org in ("o1", "o2", "o3"):
            _add_org(s, org)
        run = repository.start_run(s, "monthly", "2025-09", "v1", {"concurrency": 4}, {"municipality": ["Тула", "Алексин"]})
        repository.save_check(s, run.id, "o1", ok)
        repository.save_check(s, run.id, "o2", slow)
        repository.finish_run(s, run.id, "interrupted")
        s.commit()
        run_id = run.id

    with maker() as s:
        assert s.get_one(Run, run_id).started_at.tzinfo is not None
        # the same filters in another order find the run; other filters or months do not
        found = repository.find_resumable_run(s, "2025-09", {"municipality": ["Алексин", "Тула"], "org_type": None})
        assert found is not None and found.id == run_id
        assert repository.find_resumable_run(s, "2025-09", {"municipality": ["Тула"]}) is None
        assert repository.find_resumable_run(s, "2025-08", {"municipality": ["Тула", "Алексин"]}) is None
        assert repository.done_org_ids(s, run_id) == {"o1", "o2"}
        assert repository.done_org_ids(s, run_id, exclude_outcomes=["timeout"]) == {"o1"}
        repository.resume_run(s, run_id)
        repository.save_check(s, run_id, "o3", ok)
        run = repository.finish_run(s, run_id)
        s.commit()
        assert run.status == "finished" and run.finished_at is not None
        assert run.totals["checks"] == 3
        assert run.totals["outcomes"] == {"ok": 2, "timeout": 1}
        assert sum(run.totals["items"].values()) == 3 * len(catalogue.rules())
        assert repository.find_resumable_run(s, "2025-09", {"municipality": ["Тула", "Алексин"]}) is None
        adhoc = repository.start_run(s, "check", None, "v1")
        s.commit()
        assert [r.id for r in repository.latest_runs(s)] == [adhoc.id, run_id]
        assert [r.id for r in repository.latest_runs(s, kind="monthly", month="2025-09")] == [run_id]
        with pytest.raises(ValueError):
            repository.start_run(s, "monthly", "2025-13", "v1")
        with pytest.raises(ValueError):
            repository.finish_run(s, run_id, "running")


def test_busgov_results(maker: sessionmaker[Session]) -> None:
    with maker() as s:
        _add_org(s)
        run = repository.start_run(s, "monthly", "2025-09", "v1")
        repository.save_busgov(s, run.id, "o1", "unreachable", message="таймаут")
        card = {"name": "МБОУ СОШ №1", "inn": "7707083893", "address": "Тула", "site_url": "http://o1.ru/", "site_url_differs": False}
        nok = {"rating_year": 2024, "openness": 95.2, "comfort": 100.0, "timeout": 60.0, "goodwill": 98.1, "contentment": 97.0}
        repository.save_busgov(s, run.id, "o1", "ok", agency_id=123456, card=card, nok=nok)
        s.commit()
        rows = s.scalars(select(BusGovResult)).all()
        assert len(rows) == 1
        assert (rows[0].status, rows[0].agency_id, rows[0].card, rows[0].nok, rows[0].message) == ("ok", 123456, card, nok, "")
        assert rows[0].fetched_at.tzinfo is not None
        assert repository.busgov_results(s, run.id)["o1"].agency_id == 123456
        assert repository.run_totals(s, run.id)["busgov"] == {"ok": 1}
        with pytest.raises(ValueError):
            repository.save_busgov(s, run.id, "o1", "weird")


def test_batch_load_equals_single_loads(sqlite_url: str) -> None:
    session_factory = db.open_database(sqlite_url)
    try:
        with session_factory() as session, session.begin():
            run = repository.start_run(session, "check", None, "v")
            ids = []
            for n in range(3):
                doc = {"url": f"http://127.0.0.1/{n}/", "outcome": "ok", "checked_at": "2026-11-01T00:00:00+00:00",
                       "items": [{"section": "common", "parent": "", "itemprop": "fullName", "rule": "CMN002", "status": "pass",
                                  "evidence_url": "", "message": str(n)}], "extra_key": n}
                ids.append(repository.save_check(session, run.id, None, doc).id)
        with session_factory() as session:
            batch = dict(repository.load_check_jsons(session, ids, chunk=2))
            assert batch == {i: repository.load_check_json(session, i) for i in ids}
            assert [batch[i]["extra_key"] for i in ids] == [0, 1, 2]
    finally:
        session_factory.kw["bind"].dispose()


def test_audit_results_move_out_of_the_check_json_and_back(db_url: str) -> None:
    """Migration 0006 turns the ``audits`` stored in ``checks.extra`` into rows, and back on downgrade."""
    from alembic import command

    cfg = db.alembic_config(db_url)
    command.upgrade(cfg, "0005")
    audits = [
        {"rule": "FBK001", "group": "feedback", "status": "pass", "evidence_url": "http://a/", "message": "", "evidence": [{"url": "http://a/"}]},
        {"rule": "NOK001", "group": "noko", "status": "fail", "evidence_url": "", "message": "нет страницы"},
    ]
    engine = db.create_db_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organizations (id, name, short_name, org_type, municipality, site_url, extra, active, created_at, updated_at) "
                          "VALUES ('o1', 'Школа', '', 'school', 'Тула', 'http://o1.ru', '{}', true, '2026-01-01', '2026-01-01')"))
        conn.execute(text("INSERT INTO runs (id, kind, month, status, started_at, rules_version, settings, filters, totals) "
                          "VALUES (1, 'monthly', '2026-10', 'finished', '2026-10-01', 'v', '{}', '{}', '{}')"))
        extra = json.dumps({"keys": ["url", "items", "audits"], "values": {"audits": audits}}, ensure_ascii=False)
        conn.execute(text("INSERT INTO checks (id, run_id, org_id, url, org_type, outcome, reachable, error, checked_at, counts, sections, rules_version, extra) "
                          "VALUES (1, 1, 'o1', 'http://o1.ru', 'school', 'ok', true, '', '2026-10-01', '{}', '[]', 'v', :extra)"), {"extra": extra})
    command.upgrade(cfg, "head")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditResultRow)) == 2
        assert "audits" not in (s.get_one(Check, 1).extra["values"])
        assert repository.load_check_json(s, 1)["audits"] == audits
    command.downgrade(cfg, "0005")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT extra FROM checks WHERE id = 1")).scalar_one()
    assert (json.loads(stored) if isinstance(stored, str) else stored)["values"]["audits"] == audits
    engine.dispose()
