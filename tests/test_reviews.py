"""Review decisions and the life of each finding over three farm months (issue 16).

The farm's sites change between the monthly runs (``Farm.set_edits``): items break, get fixed and
break again; one site is down for a month. Decisions are recorded between the months by
``sveden review add`` and by an edited XLSX export read back with ``sveden review import``; each
is applied to the next month and lapses when the page it was made on changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--no-busgov", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0",
        "--set", "DOWNLOAD_TIMEOUT=5", "--set", "SVEDEN_PROBE_OFFSITE=false"]
SEED = 16
M1, M2, M3 = "2026-09", "2026-10", "2026-11"
# Site index → rule codes whose items lost their markup that month (CMN004 regDate, CMN011 address,
# CMN012 workTime: all on the «Основные сведения» page). Site 3 is down in M2.
EDITS = {
    M1: {0: ["CMN004"], 1: ["CMN012"], 3: ["CMN004"], 4: ["CMN012"]},
    M2: {1: ["CMN012"], 2: ["CMN011"], 4: ["CMN012"], 5: ["CMN012"]},
    M3: {0: ["CMN004"], 1: ["CMN012"], 2: ["CMN011", "CMN004"], 3: ["CMN004"], 4: ["CMN012"]},
}
DOWN = {M2: 3}


def org(i: int) -> str:
    return f"farm{SEED}-{i:05d}"


def sveden(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return proc


def export(env: dict, month: str, out: Path) -> Path:
    ok(sveden(["report", "--month", month, "--format", "xlsx", "-o", str(out)], env))
    return out / "export" / f"sveden-{month}.xlsx"


def edit_xlsx(src: Path, dst: Path, rows: dict[tuple[str, str], dict[str, object]]) -> dict[tuple[str, str], int]:
    """Fill the review cells of the «Нарушения» rows of the given pairs, as a person does in Excel."""
    wb = load_workbook(src)
    ws = wb["Нарушения"]
    header = [c.value for c in ws[1]]
    col = {title: i + 1 for i, title in enumerate(header)}
    where = {}
    for r in range(2, ws.max_row + 1):
        pair = (ws.cell(r, col["Код организации"]).value, ws.cell(r, col["Код правила"]).value)
        if pair in rows:
            where[pair] = r
            for title, value in rows[pair].items():
                ws.cell(r, col[title]).value = value
    assert set(where) == set(rows), set(rows) - set(where)
    wb.save(dst)
    return where


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    from testbed.farm import generate, serve

    tmp = tmp_path_factory.mktemp("reviews")
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp / 'reviews.sqlite'}"}
    farm = generate(6, seed=SEED, types=["school"], faults=None, defect_rate=0.0)
    log: dict[str, object] = {"truth": {}}
    with serve(farm) as farm:
        (tmp / "registry.csv").write_text(farm.registry_csv(), encoding="utf-8")
        ok(sveden(["registry", "import", str(tmp / "registry.csv")], env))
        common = {i: farm.sites[i].origin + "/sveden/common/" for i in range(len(farm.sites))}
        log["common"] = common
        for month in (M1, M2, M3):
            farm.set_edits(EDITS[month])
            for i, site in enumerate(farm.sites):
                site.faults = ("reset",) if DOWN.get(month) == i else ()
            log["truth"][month] = {s["id"]: {it["rule"]: it["expect"] for it in s["items"]} for s in farm.truth()["sites"]}
            ok(sveden(["crawl", "--month", month, *FAST], env))
            if month == M1:
                log["cli"] = [
                    sveden(["review", "add", org(1), "CMN012", "принято к исправлению", "--until", "01.01.2026", "--author", "Иванова И.И."], env),
                    sveden(["review", "add", org(4), "CMN012", "оспорено", "--url", common[4], "--reason", "режим работы в тексте страницы",
                            "--author", "Петров П.П."], env),
                ]
                xlsx = export(env, M1, tmp / "m1")
                bad = tmp / "m1-bad.xlsx"
                log["bad_rows"] = edit_xlsx(xlsx, bad, {
                    (org(3), "CMN004"): {"Решение": "подтверждено"},
                    (org(0), "CMN004"): {"Решение": "может быть", "Комментарий": "?"},
                })
                log["bad"] = sveden(["review", "import", str(bad), "--author", "Сидорова С.С."], env)
                good = tmp / "m1-edited.xlsx"
                edit_xlsx(xlsx, good, {(org(3), "CMN004"): {"Решение": "подтверждено", "Комментарий": "дата создания не размечена"}})
                log["import1"] = sveden(["review", "import", str(good), "--author", "Сидорова С.С."], env)
                log["import1_again"] = sveden(["review", "import", str(good), "--author", "Сидорова С.С."], env)
            if month == M2:
                xlsx = export(env, M2, tmp / "m2")
                good = tmp / "m2-edited.xlsx"
                edit_xlsx(xlsx, good, {
                    (org(2), "CMN011"): {"Решение": "оспорено — сведения размещены", "Где размещены сведения": common[2] + "#contacts"},
                    (org(5), "CMN012"): {"Решение": "принято к исправлению до", "Исправить до": date(2030, 12, 31)},
                })
                log["import2"] = sveden(["review", "import", str(good), "--author", "Сидорова С.С."], env)
    log["out"] = tmp
    return env, log


def review_list(env: dict, month: str) -> dict[tuple[str, str], dict]:
    proc = ok(sveden(["review", "list", "--month", month, "--format", "json"], env))
    return {(d["org_id"], d["rule"]): d for d in json.loads(proc.stdout)["decisions"]}


def load(env: dict, month: str):
    from reports.data import load_dataset
    from reports.decisions import applied_decisions, reviewed_scores
    from reports.lifecycle import lifecycle
    from storage import db

    factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    try:
        with factory() as session:
            ds = load_dataset(session, month)
            life = lifecycle(session, ds)
            applied = applied_decisions(session, ds)
            scores = reviewed_scores(session, ds, applied)
            return ds, life, applied, scores
    finally:
        factory.kw["bind"].dispose()


def test_the_farm_sites_change_between_months_as_planned(months):
    _, log = months
    truth = log["truth"]
    for month, edits in EDITS.items():
        for i, codes in edits.items():
            for code in codes:
                assert truth[month][org(i)][code] == "not_pass", (month, i, code)
    assert truth[M2][org(0)]["CMN004"] == "pass" and truth[M3][org(5)]["CMN012"] == "pass"


def test_every_lifecycle_state(months):
    env, _ = months
    _, life2, _, _ = load(env, M2)
    states2 = {k: (v.state, v.months) for k, v in life2.pairs.items()}
    assert states2[(org(0), "CMN004")] == ("fixed", 1)
    assert states2[(org(1), "CMN012")] == ("persisting", 2)
    assert states2[(org(2), "CMN011")] == ("new", 1)
    assert states2[(org(3), "CMN004")][0] == "not_checked"
    ds3, life3, _, _ = load(env, M3)
    states3 = {k: (v.state, v.months) for k, v in life3.pairs.items()}
    assert states3[(org(0), "CMN004")][0] == "regressed"
    assert states3[(org(1), "CMN012")] == ("persisting", 3)
    assert states3[(org(2), "CMN011")] == ("persisting", 2)
    assert states3[(org(2), "CMN004")] == ("new", 1)
    assert states3[(org(3), "CMN004")] == ("persisting", 3)  # the month it was not checked neither ends nor starts it
    assert states3[(org(5), "CMN012")] == ("fixed", 1)
    # every fix of the months kept took one month: s0 CMN004 in M2, s5 CMN012 in M3
    assert life3.median_time_to_fix(ds3.scope) == 1.0
    assert sorted((o, r, m) for o, r, m, _ in life3.fixes if r in ("CMN004", "CMN011", "CMN012")) == [
        (org(0), "CMN004", M2), (org(5), "CMN012", M3)]


def test_decisions_by_the_command_line_hold_next_month_and_show_overdue(months):
    env, log = months
    for proc in log["cli"]:
        ok(proc)
        assert "Решение записано" in proc.stdout
    m2 = review_list(env, M2)
    planned, disputed = m2[(org(1), "CMN012")], m2[(org(4), "CMN012")]
    assert planned["state"] == "applies" and planned["overdue"] and planned["due_date"] == "2026-01-01"
    assert planned["author"] == "Иванова И.И." and planned["month"] == M1 and planned["basis"]["page_hash"]
    assert disputed["state"] == "applies" and disputed["evidence_url"] == log["common"][4]
    m3 = review_list(env, M3)
    assert m3[(org(4), "CMN012")]["state"] == "applies"  # the page is as it was in M1
    # «с учётом решений»: the disputed item counts as published, the overdue plan changes nothing
    ds, _, _, scores = load(env, M2)
    assert org(1) not in scores
    s4 = scores[org(4)]
    assert s4.fails == ds.current[org(4)].fails - 1 and s4.p1_1 > ds.current[org(4)].p1_1


def test_an_xlsx_with_an_unknown_decision_is_refused_with_its_row_and_nothing_is_written(months):
    env, log = months
    bad = log["bad"]
    row = log["bad_rows"][(org(0), "CMN004")]
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert f"строка {row}: неизвестное решение «может быть»" in bad.stderr and "ничего не записано" in bad.stderr
    history = json.loads(ok(sveden(["review", "history", org(3), "--format", "json"], env)).stdout)["decisions"]
    assert [d["source"] for d in history] == [f"файл m1-edited.xlsx, строка {log['bad_rows'][(org(3), 'CMN004')]}"]


def test_xlsx_round_trip_decisions_apply_next_month_and_lapse_when_the_page_changes(months):
    env, log = months
    first = ok(log["import1"])
    # the two decisions recorded by the command line were prefilled in the export: they come back unchanged
    assert "записано 1, без изменений 2" in first.stdout and org(3) in first.stdout
    assert "записано 0, без изменений 3" in ok(log["import1_again"]).stdout
    assert "записано 2" in ok(log["import2"]).stdout
    m2, m3 = review_list(env, M2), review_list(env, M3)
    assert m2[(org(3), "CMN004")]["state"] == "unchecked"  # the site was down in M2
    assert m3[(org(3), "CMN004")]["state"] == "applies"  # and the same again in M3
    assert m2[(org(2), "CMN011")]["state"] == "applies"
    lapsed = m3[(org(2), "CMN011")]
    assert lapsed["state"] == "lapsed" and "страница изменилась" in lapsed["note"]  # CMN004 broke on the same page
    assert m3[(org(5), "CMN012")]["state"] == "resolved"
    assert m2[(org(5), "CMN012")]["due_date"] == "2030-12-31" and not m2[(org(5), "CMN012")]["overdue"]


def test_the_export_offers_the_decisions_as_a_list_and_prefills_the_one_in_force(months):
    env, log = months
    xlsx = export(env, M3, log["out"] / "m3")
    wb = load_workbook(xlsx)
    ws = wb["Нарушения"]
    header = [c.value for c in ws[1]]
    col = {t: i for i, t in enumerate(header)}
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and "оспорено — сведения размещены" in lists[0].formula1 and lists[0].showErrorMessage
    letter = ws.cell(1, col["Решение"] + 1).column_letter
    assert any(str(r).startswith(f"{letter}2:") for dv in lists for r in dv.sqref.ranges)
    rows = {(r[col["Код организации"]], r[col["Код правила"]]): r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[(org(4), "CMN012")][col["Решение"]] == "оспорено — сведения размещены"
    assert rows[(org(2), "CMN011")][col["Решение"]] in (None, "")
    assert "утратило силу" in rows[(org(2), "CMN011")][col["Решение: примечание"]]
    assert rows[(org(1), "CMN012")][col["Состояние"]] == "сохраняется 3 мес."
    assert rows[(org(0), "CMN004")][col["Состояние"]] == "вернулось"
    # «Организации × подразделы»: П1.1 (сайт) and the failures both ways
    ws = wb["Организации × подразделы"]
    header = [c.value for c in ws[1]]
    by_org = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    o4, o0 = by_org[org(4)], by_org[org(0)]
    assert o4["П1.1 (сайт) с учётом решений"] > o4["П1.1 (сайт)"] and o4["Нарушений с учётом решений"] == o4["Нарушений"] - 1
    assert o0["П1.1 (сайт) с учётом решений"] == o0["П1.1 (сайт)"] and o0["Нарушений с учётом решений"] == o0["Нарушений"]


def _munis(env: dict) -> tuple[dict[str, str], dict[str, str]]:
    """Organization → municipality, municipality → the department report's file name."""
    from sqlalchemy import select

    from reports.assets import unique_slugs
    from storage import db
    from storage.models import Organization

    factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    with factory() as session:
        muni = {o.id: o.municipality for o in session.scalars(select(Organization))}
    factory.kw["bind"].dispose()
    return muni, unique_slugs(sorted(set(muni.values())))


def _text(html_page: str) -> str:
    import html as html_lib
    import re

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html_page)).split())


def test_the_department_report_leads_with_what_changed_overdue_included(months):
    env, log = months
    out = log["out"] / "r2"
    ok(sveden(["report", "--month", M2, "--format", "html", "-o", str(out)], env))
    muni, slugs = _munis(env)
    page = (out / "departments" / f"{slugs[muni[org(1)]]}.html").read_text(encoding="utf-8")
    assert page.index('id="what-changed"') < page.index('id="summary"') < page.index('id="schools"')
    overdue = page[page.index('id="overdue-table"'):]
    overdue = overdue[: overdue.index("</table>")]
    assert f'data-org="{org(1)}" data-rule="CMN012"' in overdue
    assert "01.01.2026" in overdue and "Иванова И.И." in overdue and "сохраняется 2 мес." in _text(overdue)
    # newly broken and fixed, each in its municipality's report
    for i, rule, table in ((2, "CMN011", "newly-broken-table"), (5, "CMN012", "newly-broken-table"), (0, "CMN004", "fixed-table")):
        dept = (out / "departments" / f"{slugs[muni[org(i)]]}.html").read_text(encoding="utf-8")
        part = dept[dept.index(f'id="{table}"'):]
        assert f'data-org="{org(i)}" data-rule="{rule}"' in part[: part.index("</table>")], (i, rule)
    # the verdict and the decision side by side, and the scores both ways
    dept4 = (out / "departments" / f"{slugs[muni[org(4)]]}.html").read_text(encoding="utf-8")
    decided = dept4[dept4.index('id="decisions-table"'):]
    row = _text(decided[decided.index(f'data-org="{org(4)}" data-rule="CMN012"'):].split("</tr>")[0])
    assert "нарушение" in row and "оспорено — сведения размещены" in row
    scores = dept4[dept4.index('id="scores-both-ways"'):].split("</table>")[0]
    assert "По проверке" in scores and "С учётом решений" in scores
    p11 = _text(scores.split("</tr>")[1]).split()
    assert p11[-2] != p11[-1]  # the disputed item counts as published «с учётом решений»
    # the school report: the verdict and the decision side by side
    school = (out / "schools" / f"{org(4)}.html").read_text(encoding="utf-8")
    row = _text(school[school.index('id="decisions-table"'):].split('data-rule="CMN012"')[1].split("</tr>")[0])
    assert "нарушение" in row and "оспорено — сведения размещены" in row and "Петров П.П." in row


def test_the_delivered_department_report_lists_what_is_overdue(months):
    env, _ = months
    from reports import data, review_view, summary
    from storage import db
    from sveden.delivery import department_body

    muni, _ = _munis(env)
    factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    with factory() as session:
        ds = data.load_dataset(session, M2)
        view = review_view.load(session, ds)
        m = muni[org(1)]
        text, body = department_body(ds, summary.trend(ds), m, data.item_changes(session, ds), review_view.department(ds, view, m, {}))
    factory.kw["bind"].dispose()
    assert "Просрочено — не исправлено к обещанному сроку (1):" in text and "CMN012" in text and "срок до 01.01.2026" in text
    assert "Просрочено" in body


def test_the_regional_report_counts_each_state_per_municipality_with_the_median_time_to_fix(months):
    env, log = months
    out = log["out"] / "r3"
    ok(sveden(["report", "--month", M3, "--format", "html", "-o", str(out)], env))
    page = (out / "index.html").read_text(encoding="utf-8")
    table = page[page.index('id="lifecycle-table"'):].split("</table>")[0]
    head = _text(table.split("</thead>")[0])
    assert all(t in head for t in ("Новое", "Сохраняется", "Вернулось", "Исправлено", "Не проверено в этом месяце", "Медиана срока исправления"))
    _, life, _, _ = load(env, M3)
    muni, _ = _munis(env)
    for m in set(muni.values()):
        ids = [o for o in muni if muni[o] == m]
        counts = life.counts(ids)
        row = table[table.index(f'data-muni="{m}"'):]
        row = _text(row[row.index(">") + 1 :].split("</tr>")[0]).split()
        expected = [str(counts.get(s, 0)) for s in ("new", "persisting", "regressed", "fixed", "not_checked")]
        assert row[len(m.split()) : len(m.split()) + 5] == expected, (m, row)
    total = table[table.index('class="total"'):]
    total = _text(total[total.index(">") + 1 :].split("</tr>")[0])
    assert total.startswith("Всего") and "1,0" in total  # both fixes took one month


def test_history_keeps_every_decision_and_a_later_one_supersedes(months):
    env, _ = months
    before = json.loads(ok(sveden(["review", "history", org(4), "CMN012", "--format", "json"], env)).stdout)["decisions"]
    ok(sveden(["review", "add", org(4), "CMN012", "подтверждено", "--month", M3, "--author", "Петров П.П.", "--reason", "пересмотрено"], env))
    after = json.loads(ok(sveden(["review", "history", org(4), "CMN012", "--format", "json"], env)).stdout)["decisions"]
    assert after[: len(before)] == [{**d, "in_force": False} for d in before]
    assert after[-1]["decision"] == "confirmed" and after[-1]["in_force"] and after[-1]["month"] == M3
    assert review_list(env, M3)[(org(4), "CMN012")]["decision"] == "confirmed"
    # a passing item has nothing to decide on
    refused = sveden(["review", "add", org(0), "CMN002", "подтверждено", "--month", M3], env)
    assert refused.returncode == 2 and "выполнено" in refused.stderr
    # an audit that is not an item rule takes a decision too, and leaves П1.1 (item rules only) alone
    nok = ok(sveden(["review", "add", org(2), "NOK001", "не применяется", "--reason", "НОКО в этом году не проводилась", "--month", M3], env))
    assert "NOK001 — не применяется к организации" in nok.stdout
    _, _, applied, scores = load(env, M3)
    assert applied[(org(2), "NOK001")].holds and org(2) not in scores


# --- storage on both databases, and the page fingerprint ----------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'd.sqlite'}"
    return request.getfixturevalue("pg_url")


def test_decisions_are_appended_and_the_newest_is_in_force(db_url):
    from datetime import UTC, datetime, timedelta

    from storage import db
    from storage.models import Organization
    from storage.reviews import NewDecision, add_decision, current_decisions, decision_history

    factory = db.open_database(db_url)
    t0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    try:
        with factory() as session, session.begin():
            session.add(Organization(id="o1", name="Школа", org_type="school", municipality="Город", site_url="http://127.0.0.1:9/"))
            session.flush()
            add_decision(session, NewDecision("o1", "CMN004", "fix_planned", "Иванова", "2026-09", due_date=date(2026, 12, 31),
                                              basis_status="fail", basis_message="нет", basis_hash="abc"), t0)
            add_decision(session, NewDecision("o1", "CMN004", "disputed", "Петров", "2026-10", evidence_url="http://127.0.0.1:9/a"), t0 + timedelta(days=3))
            add_decision(session, NewDecision("o1", "CMN011", "confirmed", "Петров", "2026-10"), t0 + timedelta(days=4))
            with pytest.raises(ValueError):
                add_decision(session, NewDecision("o1", "CMN011", "maybe", "Петров", "2026-10"))
        with factory() as session:
            now = current_decisions(session)
            trail = decision_history(session, "o1", "CMN004")
            assert {k: v.decision for k, v in now.items()} == {("o1", "CMN004"): "disputed", ("o1", "CMN011"): "confirmed"}
            assert [(d.decision, d.author, d.due_date, d.created_at) for d in trail] == [
                ("fix_planned", "Иванова", date(2026, 12, 31), t0), ("disputed", "Петров", None, t0 + timedelta(days=3))]
            assert trail[0].basis_hash == "abc" and current_decisions(session, ["nobody"]) == {}
    finally:
        factory.kw["bind"].dispose()


def test_the_page_fingerprint_follows_the_markup_not_the_news():
    from artifacts.evidence import page_fingerprint

    page = {"url": "http://s/sveden/common/", "status": 200, "microdata": [{"p": "regDate", "tag": "span", "t": "01.09.1990"}],
            "itemtypes": [], "links": [{"href": "http://s/news/1", "text": "Новость дня"}]}
    art = {"pages": [page], "sections": {"common": {"page": 0, "addrefs": []}}}
    base = page_fingerprint(art, "http://s/sveden/common/")
    assert base and base == page_fingerprint(art, "", "common")
    news = {**page, "links": [{"href": "http://s/news/2", "text": "Другая новость"}]}
    assert page_fingerprint({**art, "pages": [news]}, page["url"]) == base
    edited = {**page, "microdata": [{"p": "regDate", "tag": "span", "t": "01.09.1991"}]}
    assert page_fingerprint({**art, "pages": [edited]}, page["url"]) != base
    assert page_fingerprint(art, "http://s/other/") is None and page_fingerprint(None, page["url"]) is None


def test_a_file_that_is_not_an_export_is_refused_in_russian(tmp_path):
    from openpyxl import Workbook

    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'e.sqlite'}"}
    missing = sveden(["review", "import", str(tmp_path / "nope.xlsx")], env)
    assert missing.returncode == 2 and "не найден" in missing.stderr
    (tmp_path / "text.xlsx").write_text("не таблица", encoding="utf-8")
    garbage = sveden(["review", "import", str(tmp_path / "text.xlsx")], env)
    assert garbage.returncode == 2 and "не читается как XLSX" in garbage.stderr
    wb = Workbook()
    wb.active.title = "Лист1"
    wb.save(tmp_path / "other.xlsx")
    other = sveden(["review", "import", str(tmp_path / "other.xlsx")], env)
    assert other.returncode == 2 and "нет листа «Нарушения»" in other.stderr
    wb = Workbook()
    wb.active.title = "Нарушения"
    wb.active.append(["Код организации", "Код правила", "Решение"])
    wb.save(tmp_path / "nomonth.xlsx")
    nomonth = sveden(["review", "import", str(tmp_path / "nomonth.xlsx")], env)
    assert nomonth.returncode == 2 and "месяца выгрузки" in nomonth.stderr
    for proc in (missing, garbage, other, nomonth):
        assert "Traceback" not in proc.stderr
    bad_date = sveden(["review", "add", "X", "CMN004", "принято к исправлению", "--until", "завтра"], env)
    assert bad_date.returncode == 2 and "неверная дата «завтра»" in bad_date.stderr
