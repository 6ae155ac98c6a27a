"""The registry's extra grouping columns as a breakdown of the regional report and the XLSX (issue 15),
and the other audits' findings (НОКО, regional rules…) in the school report, «Нарушения» and «most failed»."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lxml import html as lxml_html
from openpyxl import load_workbook

from reports.build import build_reports
from storage import db, repository
from storage.models import Organization

ORGS = {  # id: (municipality, extra columns of the registry, p1_1, fails, НОКО page)
    "a": ("Город", {"Тип местности": "город", "Директор": "Иванов И. И."}, 90.0, 0, "pass"),
    "b": ("Город", {"Тип местности": "город", "Директор": "Петров П. П."}, 70.0, 2, "fail"),
    "c": ("Район", {"Тип местности": "село", "Директор": "Сидоров С. С."}, 50.0, 3, "fail"),
    "d": ("Район", {"Директор": "Кузнецов К. К."}, 60.0, 1, "pass"),
}


def _check(org_id: str, p11: float, fails: int, noko: str) -> dict:
    items = [{"section": "common", "parent": "", "itemprop": f"prop{i}", "rule": f"CMN00{i + 1}",
              "status": "fail" if i < fails else "pass", "evidence_url": "", "message": "нет" if i < fails else ""} for i in range(4)]
    audits = [{"rule": "NOK001", "group": "noko", "status": noko, "evidence_url": f"http://{org_id}.test/",
               "message": "страница о независимой оценке не найдена" if noko == "fail" else "", "evidence": []}]
    return {
        "url": f"http://{org_id}.test/", "org_type": "school", "outcome": "ok", "reachable": True, "error": "",
        "checked_at": "2026-10-05T10:00:00+00:00", "counts": {"pass": 4 - fails, "fail": fails},
        "scores": {"p1_1_site": p11, "p1_2": 30}, "feedback": None, "sections": [], "rules_version": "test",
        "items": items, "audits": audits,
    }


def _world(tmp_path: Path) -> Path:
    url = f"sqlite:///{(tmp_path / 'db.sqlite').as_posix()}"
    sm = db.open_database(url)
    with sm() as s:
        for org_id, (muni, extra, *_rest) in ORGS.items():
            s.add(Organization(id=org_id, name=f"Школа {org_id}", org_type="school", municipality=muni, site_url=f"http://{org_id}.test/", extra=extra))
        run = repository.start_run(s, "monthly", "2026-10", "test")
        for org_id, (_muni, _extra, p11, fails, noko) in ORGS.items():
            repository.save_check(s, run.id, org_id, _check(org_id, p11, fails, noko))
        repository.finish_run(s, run.id)
        s.commit()
    sm.kw["bind"].dispose()
    out = tmp_path / "out"
    build_reports(url, out, month="2026-10", formats=("html", "xlsx"), generated_at=datetime(2026, 11, 1, tzinfo=UTC))
    return out


def test_registry_groups_break_down_the_regional_report_and_the_xlsx(tmp_path: Path) -> None:
    out = _world(tmp_path)
    doc = lxml_html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    tables = {t.get("data-column"): t for t in doc.cssselect("table.registry-group")}
    # «Директор» names one organization per value: an identifier, not a grouping.
    assert set(tables) == {"Тип местности"}
    rows = {tr.get("data-value"): [td.text_content() for td in tr.cssselect("td")] for tr in tables["Тип местности"].cssselect("tbody tr")}
    assert rows["город"][1] == "2" and rows["село"][1] == "1"
    assert rows["город"][4] == "80,0" and rows["село"][4] == "50,0"
    assert "Без значения в этом столбце: 1" in doc.text_content()

    xlsx = next((out / "export").glob("*.xlsx"))
    wb = load_workbook(xlsx, read_only=True)
    ws = wb["По группам реестра"]
    header, *body = list(ws.iter_rows(values_only=True))
    got = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in body}
    assert set(got) == {("Тип местности", "город"), ("Тип местности", "село")}
    assert got[("Тип местности", "город")]["Средний П1.1 (сайт)"] == 80.0
    assert got[("Тип местности", "село")]["Нарушений (пунктов)"] == 3


def test_other_audits_show_in_findings_most_failed_and_the_school_report(tmp_path: Path) -> None:
    out = _world(tmp_path)
    doc = lxml_html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    top = {tr.get("data-rule"): [td.text_content() for td in tr.cssselect("td")] for tr in doc.cssselect("#top-table tbody tr")}
    assert top["NOK001"][2] == "Независимая оценка качества на сайте организации (НОКО)" and top["NOK001"][3] == "2"
    assert top["NOK001"][5] == "Региональная практика НОКО на сайте организации"

    wb = load_workbook(next((out / "export").glob("*.xlsx")), read_only=True)
    header, *body = list(wb["Нарушения"].iter_rows(values_only=True))
    noko = [dict(zip(header, r, strict=True)) for r in body if r[header.index("Код правила")] == "NOK001"]
    assert sorted(r["Код организации"] for r in noko) == ["b", "c"]
    assert all(r["Подраздел"] == "Независимая оценка качества на сайте организации (НОКО)" and r["Основание"] for r in noko)
    rules = {r[0] for r in wb["Правила"].iter_rows(min_row=2, values_only=True)}
    assert {"NOK001", "FBK001"} <= rules

    school = lxml_html.fromstring(next((out / "schools").glob("b.html")).read_text(encoding="utf-8"))
    row = school.cssselect('table.audits[data-group="noko"] tr[data-rule="NOK001"] td')
    assert row and "страница о независимой оценке не найдена" in row[3].text_content() and row[4].text_content()
