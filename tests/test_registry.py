"""Registry import: reading CSV/XLSX as offices write them, validation, import in place, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from checks.evaluate import evaluate
from storage import db, repository
from storage.models import Check, Organization
from storage.registry import list_organizations
from sveden.cli_registry import import_registry_file, registry_app
from sveden.registry_io import RegistryFileError, normalize_inn, normalize_site_url, read_registry

HEADER_RU = ["№", "Код", "ИНН", "Полное наименование", "Тип", "Муниципальное образование", "Адрес сайта", "Округ"]
ROWS_RU = [
    ["1", "s1", "7707083893", "МБОУ «Средняя общеобразовательная школа №1»", "школа", "г. Тула", "school1.ru", "Центральный"],
    ["2", "d5", "", "МБДОУ «Детский сад №5»", "МБДОУ", "г. Тула", "https://ds5.tula.ru/", "Центральный"],
    ["3", "c1", "", "ГПОУ ТО «Алексинский химико-технологический техникум»", "college", "Алексин", "http://ahtt.ru", ""],
]


def _csv(rows: list[list[str]], delimiter: str = ";") -> str:
    def q(v: str) -> str:
        return f'"{v}"' if any(c in v for c in (delimiter, '"', "\n")) else v

    return "".join(delimiter.join(q(v) for v in r) + "\r\n" for r in rows)


def _write(tmp_path: Path, name: str, text: str, encoding: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def maker(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    sm = db.open_database(f"sqlite:///{(tmp_path / 'db.sqlite').as_posix()}")
    yield sm
    sm.kw["bind"].dispose()


# --- reading -------------------------------------------------------------------------------


def test_cp1251_semicolon_csv_with_title_row(tmp_path: Path) -> None:
    text = "Реестр образовательных организаций;;;\r\n\r\n" + _csv([HEADER_RU, *ROWS_RU])
    reg = read_registry(_write(tmp_path, "реестр.csv", text, "cp1251"))
    assert (reg.format, reg.encoding, reg.delimiter, reg.header_row) == ("csv", "cp1251", ";", 3)
    assert reg.errors == [] and reg.total_rows == 3
    assert reg.columns == {
        "id": "Код",
        "inn": "ИНН",
        "name": "Полное наименование",
        "type": "Тип",
        "municipality": "Муниципальное образование",
        "url": "Адрес сайта",
    }
    assert reg.extra_columns == ["Округ"]  # «№» is ignored
    s1, d5, c1 = reg.records
    assert (s1.id, s1.inn, s1.org_type, s1.municipality, s1.site_url, s1.extra) == (
        "s1",
        "7707083893",
        "school",
        "г. Тула",
        "http://school1.ru",
        {"Округ": "Центральный"},
    )
    assert (d5.org_type, d5.site_url, d5.inn) == ("kindergarten", "https://ds5.tula.ru/", None)
    assert (c1.org_type, c1.extra, c1.row) == ("college", {}, 6)


def test_utf8_bom_comma_csv_english_headers(tmp_path: Path) -> None:
    rows = [
        ["inn", "name", "type", "municipality", "site", "busgov", "cluster"],
        ["7707083893", "School No. 1, Tula", "school", "Tula", "HTTPS://School1.RU/sveden/", "https://bus.gov.ru/info-card/123456", "A"],
        ["500100732259", "Kindergarten 5", "kindergarten", "Tula", "www.ds5.ru", "654321", "B"],
    ]
    reg = read_registry(_write(tmp_path, "r.csv", _csv(rows, ","), "utf-8-sig"))
    assert (reg.encoding, reg.delimiter) == ("utf-8-sig", ",")
    assert reg.errors == []
    a, b = reg.records
    assert (a.id, a.name, a.site_url, a.busgov_agency_id, a.extra) == ("7707083893", "School No. 1, Tula", "https://school1.ru/sveden/", 123456, {"cluster": "A"})
    assert (b.id, b.site_url, b.busgov_agency_id) == ("500100732259", "http://www.ds5.ru", 654321)


def test_xlsx_made_with_openpyxl(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Пояснения"
    wb.active["A1"] = "Лист с пояснениями, без таблицы"
    ws = wb.create_sheet("Реестр")
    ws.append(["Реестр ОО на 01.09.2025"])
    ws.append(["ИД", "ИНН", "Наименование", "Тип", "МОУО", "Сайт", "bus.gov.ru", "Кластер"])
    ws.append([101, 274062111, "МАОУ «Лицей №2»", "Общеобразовательная организация", "Уфа", "лицей2.рф", 98765.0, 3])
    ws.append([102, None, "МБУ ДО «Дом детского творчества»", "additional", "Уфа", "сайт", None, None])
    ws["F4"].hyperlink = "https://ddt-ufa.ru/"
    ws["H5"] = "   "  # rows 5 and 6 are empty (a blank cell): skipped, numbering kept
    for col, value in enumerate([103, None, "ГАУ ДПО ИРО РБ", "ДПО", "Уфа", "https://irorb.ru", "not-a-number"], start=1):
        ws.cell(row=7, column=col, value=value)
    path = tmp_path / "реестр.xlsx"
    wb.save(path)

    reg = read_registry(path)
    assert (reg.format, reg.sheet, reg.header_row, reg.total_rows) == ("xlsx", "Реестр", 2, 3)
    lyceum, ddt = reg.records
    assert (lyceum.id, lyceum.inn, lyceum.org_type, lyceum.site_url, lyceum.busgov_agency_id, lyceum.extra) == (
        "101",
        "0274062111",  # the leading zero a number cell lost
        "school",
        "http://лицей2.рф",
        98765,
        {"Кластер": 3},
    )
    assert (ddt.id, ddt.org_type, ddt.site_url) == ("102", "additional", "https://ddt-ufa.ru/")  # from the hyperlink
    assert [(e.row, e.column, e.value) for e in reg.errors] == [(7, "bus.gov.ru", "not-a-number")]


def test_xlsx_merged_cells_and_formulas_without_values_are_named(tmp_path: Path) -> None:
    """Excel shows a value, the file holds none: say why, with the row and the cell, never «не указан»."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Код", "Наименование", "Тип", "МОУО", "Сайт", "bus.gov.ru", "Кластер"])
    ws.append(["1", "Школа 1", "school", "Тула", "s1.ru", None, "A"])  # row 2
    ws.append(["2", "Школа 2", "school", None, "s2.ru", None, None])  # row 3: МОУО merged from D2
    ws.append(["3", "Школа 3", "school", None, "=LOWER(\"S3.RU\")", "=1+1", None])  # row 4: formulas never calculated
    ws.append(["4", "Гимназия 4", None, "Тула", "s4.ru", None, None])  # row 5: the name merged over the type
    ws.merge_cells("D2:D4")
    ws.merge_cells("G2:G5")  # a grouping column merged over four rows: one warning, not three
    ws.merge_cells("B5:C5")
    path = tmp_path / "merged.xlsx"
    wb.save(path)

    reg = read_registry(path)
    got = {(e.row, e.column): e.reason for e in reg.errors}
    assert set(got) == {(3, "МОУО"), (4, "МОУО"), (4, "Сайт"), (5, "Тип")}
    assert got[(3, "МОУО")].startswith("объединённая ячейка D2:D4: в D3 значения нет, оно только в первой ячейке D2")
    assert got[(4, "МОУО")].startswith("объединённая ячейка D2:D4: в D4")
    assert got[(4, "Сайт")].startswith('формула без значения в ячейке E4 (=LOWER("S3.RU"))')
    assert got[(5, "Тип")].startswith("объединённая ячейка B5:C5: в C5")
    assert not any("не указан" in r for r in got.values())
    assert [(w.row, w.column, w.reason.split(": ")[0]) for w in reg.warnings] == [
        (3, "Кластер", "объединённая ячейка G2:G5"),
        (4, "bus.gov.ru", "формула без значения в ячейке F4 (=1+1)"),
    ]
    assert "значение не загружено" in reg.warnings[0].reason
    assert [r.id for r in reg.records] == ["1"]


def test_csv_cell_over_the_field_limit_names_its_row(tmp_path: Path) -> None:
    rows = [HEADER_RU, ROWS_RU[0], ["2", "s2", "", "Школа 2" + "я" * 2_000_000, "school", "Тула", "s2.ru", ""]]
    with pytest.raises(RegistryFileError, match=r"строка 3: ячейка длиннее \d+ символов") as exc:
        read_registry(_write(tmp_path, "big.csv", _csv(rows), "utf-8"))
    assert "кавычка" in str(exc.value)


def test_ragged_rows_extra_cells_are_warned_about(tmp_path: Path) -> None:
    """Cells beyond the header are not loaded: a warning names the row, the columns and the values."""
    text = _csv([HEADER_RU, ROWS_RU[0]]) + ";".join([*ROWS_RU[1], "лишнее", "", "ещё"]) + "\r\n" + _csv([ROWS_RU[2]])
    reg = read_registry(_write(tmp_path, "ragged.csv", text, "utf-8"))
    assert reg.errors == [] and [r.id for r in reg.records] == ["s1", "d5", "c1"]
    (w,) = reg.warnings
    assert (w.row, w.column, w.value) == (3, "I, K (без заголовка)", "лишнее; ещё")
    assert str(w).startswith("строка 3, столбец «I, K (без заголовка)» «лишнее; ещё»: ячейки за пределами таблицы не загружены")
    assert reg.records[1].extra == {"Округ": "Центральный"}


def test_ipv6_literal_is_a_site_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert normalize_site_url("http://[::1]:8080/") == "http://[::1]:8080/"
    assert normalize_site_url("[2001:DB8::1]/sveden/") == "http://[2001:db8::1]/sveden/"
    for bad in ("http://[x/", "http://[::1", "http://[x]/"):
        with pytest.raises(ValueError, match="квадратная скобка"):
            normalize_site_url(bad)
    with pytest.raises(ValueError, match="неверный порт"):
        normalize_site_url("http://s.ru:99999/")
    rows = [HEADER_RU, ["1", "s1", "", "Школа 1", "school", "Тула", "http://[::1]:8080/", ""]]
    monkeypatch.delenv("SVEDEN_ALLOW_PRIVATE_ADDRESSES", raising=False)
    reg = read_registry(_write(tmp_path, "r.csv", _csv(rows), "utf-8"))
    assert reg.errors == [] and reg.records[0].site_url == "http://[::1]:8080/"
    # Loopback is refused by the crawl's address guard: its warning, not «неверное имя сайта».
    assert [w.row for w in reg.warnings] == [2] and "внутреннюю сеть" in reg.warnings[0].reason


def test_validation_errors_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    rows = [
        HEADER_RU,
        ROWS_RU[0],
        ["2", "s2", "7707083894", "Школа 2", "школа", "Тула", "http//s2.ru", ""],  # bad INN checksum, bad URL
        ["3", "s1", "", "Школа 3", "school", "Тула", "s3.ru", ""],  # duplicate id
        ["4", "s4", "", "Что-то", "клуб", "", "ftp://s4.ru", ""],  # unknown type, no municipality, bad scheme
        ["5", "", "", "", "school", "Тула", "", ""],  # no id, no name, no site
        ["6", "s6", "", "Школа 6", "school", "Тула", "s6.ru, s6.com", ""],
        ["7", "s7", "", "Школа 7", "school", "Тула", "school1.ru", ""],  # valid, but the same site as s1
    ]
    reg = read_registry(_write(tmp_path, "r.csv", _csv(rows), "cp1251"))
    got = {(e.row, e.column): e for e in reg.errors}
    assert set(got) == {
        (3, "ИНН"),
        (3, "Адрес сайта"),
        (4, "Код"),
        (5, "Тип"),
        (5, "Муниципальное образование"),
        (5, "Адрес сайта"),
        (6, "Код"),
        (6, "Полное наименование"),
        (6, "Адрес сайта"),
        (7, "Адрес сайта"),
    }
    assert "контрольная сумма" in got[(3, "ИНН")].reason
    assert "повторяется" in got[(4, "Код")].reason and "строке 2" in got[(4, "Код")].reason
    assert got[(5, "Тип")].value == "клуб" and "тип" in got[(5, "Тип")].reason
    assert "http" in got[(5, "Адрес сайта")].reason
    assert "несколько" in got[(7, "Адрес сайта")].reason
    assert str(got[(3, "Адрес сайта")]).startswith("строка 3, столбец «Адрес сайта» «http//s2.ru»:")
    assert [r.id for r in reg.records] == ["s1", "s7"]
    assert [(w.row, w.value) for w in reg.warnings] == [(8, "http://school1.ru")]
    assert reg.invalid_rows == 5


def test_same_site_in_unicode_and_punycode_is_a_duplicate(tmp_path: Path) -> None:
    """«школа.рф» and «xn--80atdl2c.xn--p1ai» are one site (IDNA 2008), whatever www. and the scheme."""
    rows = [
        HEADER_RU,
        ["1", "s1", "", "Школа 1", "school", "Тула", "http://школа.рф", ""],
        ["2", "s2", "", "Школа 2", "school", "Тула", "https://www.xn--80atdl2c.xn--p1ai/", ""],
        ["3", "s3", "", "Школа 3", "school", "Тула", "ШКОЛА.РФ", ""],
        ["4", "s4", "", "Школа 4", "school", "Тула", "школа2.рф", ""],
    ]
    reg = read_registry(_write(tmp_path, "r.csv", _csv(rows), "utf-8"))
    assert reg.errors == [] and [r.site_url for r in reg.records] == [
        "http://школа.рф",  # kept as written: the address users read
        "https://www.xn--80atdl2c.xn--p1ai/",
        "http://школа.рф",
        "http://школа2.рф",
    ]
    assert [(w.row, w.value) for w in reg.warnings] == [(3, "https://www.xn--80atdl2c.xn--p1ai/"), (4, "http://школа.рф")]
    both_forms, same_form = (str(w) for w in reg.warnings)
    assert both_forms == (
        "строка 3, столбец «Адрес сайта» «https://www.xn--80atdl2c.xn--p1ai/»: "
        "этот же сайт указан у организации в строке 2 («http://школа.рф»)"
    )
    assert same_form.startswith("строка 4,") and same_form.endswith("этот же сайт указан у организации в строке 2")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("school1.ru", "http://school1.ru"),
        ("HTTPS://Sch1.Tula.RU/sveden/", "https://sch1.tula.ru/sveden/"),
        ("https://школа1.рф", "https://школа1.рф"),
        ("www.s.ru:8080/a?b=1", "http://www.s.ru:8080/a?b=1"),
        ("<http://s.ru>", "http://s.ru"),
    ],
)
def test_site_url_normalized(raw: str, expected: str) -> None:
    assert normalize_site_url(raw) == expected


@pytest.mark.parametrize("raw", ["", "нет", "http://xn--zz.ru", "http://школа.xn--p1ai-", "http:/s.ru", "ftp://s.ru", "mailto:a@s.ru", "a@s.ru", "localhost", "s .ru", "http://s.123", "http://u:p@s.ru"])
def test_site_url_rejected(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_site_url(raw)


def test_inn() -> None:
    assert normalize_inn("7707083893") == "7707083893"
    assert normalize_inn(500100732259) == "500100732259"
    for bad in ("7707083894", "12345", "77O7083893"):
        with pytest.raises(ValueError):
            normalize_inn(bad)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "не найден"),
        ("empty.csv", b"  \r\n", "пуст"),
        ("broken.xlsx", b"PK\x03\x04 this is not really a zip", "книгу Excel"),
        ("fake.xlsx", b"just text", "не является книгой Excel"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "97–2003"),
        ("bad-encoding.csv", "Код;Наименование\r\n".encode("cp1251") + b"\x98\x98\xff\xfe\x98", "кодировк"),
        ("koi8.csv", "Код;Наименование;Тип;Сайт\r\n1;Школа;school;s.ru\r\n".encode("koi8-r"), "заголовков"),
        ("no-columns.csv", "Код;Наименование;Сайт\r\n1;Школа;s.ru\r\n".encode(), "нет обязательных столбцов"),
        ("no-rows.csv", "Код;Наименование;Тип;МОУО;Сайт\r\n".encode(), "нет ни одной строки"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RegistryFileError, match=message):
        read_registry(path)


# --- import --------------------------------------------------------------------------------


def test_nothing_imported_when_invalid_unless_skip_invalid(tmp_path: Path, maker: sessionmaker[Session]) -> None:
    rows = [HEADER_RU, *ROWS_RU, ["4", "s4", "", "Школа 4", "школа", "Тула", "not a url", ""]]
    path = _write(tmp_path, "r.csv", _csv(rows), "cp1251")
    with maker() as s:
        result = import_registry_file(s, path)
        assert not result.imported and len(result.errors) == 1
        s.commit()
        assert s.scalars(select(Organization)).all() == []
        result = import_registry_file(s, path, skip_invalid=True)
        s.commit()
        assert result.imported
        assert (result.added, result.updated, result.unchanged, result.skipped) == (3, 0, 0, 1)
        assert sorted(o.id for o in list_organizations(s)) == ["c1", "d5", "s1"]


def test_reimport_updates_in_place(tmp_path: Path, maker: sessionmaker[Session]) -> None:
    header = [*HEADER_RU, "bus.gov.ru"]
    first = [[*r, ""] for r in ROWS_RU]
    first[0][-1] = "111"
    with maker() as s:
        r1 = import_registry_file(s, _write(tmp_path, "r1.csv", _csv([header, *first]), "cp1251"))
        s.commit()
        assert (r1.added, r1.updated, r1.unchanged) == (3, 0, 0)
        s1 = s.get_one(Organization, "s1")
        created, updated = s1.created_at, s1.updated_at
        assert s1.busgov_agency_id == 111 and created.tzinfo is not None
        # a check refers to s1: the organization must stay the same row
        run = repository.start_run(s, "monthly", "2025-09", "v")
        check_id = repository.save_check(s, run.id, "s1", evaluate({"url": "http://school1.ru", "outcome": {"status": "timeout"}})).id
        s.commit()

    second = [list(r) for r in first]
    second[0][6] = "https://school1.ru/"  # new site
    second[0][-1] = ""  # empty bus.gov.ru cell keeps the agencyId found before
    second[1][7] = "Заречный"  # another group
    second.append(["4", "k9", "", "МБДОУ «Детский сад №9»", "детский сад", "Алексин", "ds9.ru", "", ""])
    with maker() as s:
        r2 = import_registry_file(s, _write(tmp_path, "r2.csv", _csv([header, *second]), "cp1251"))
        s.commit()
        assert (r2.added, r2.updated, r2.unchanged, r2.skipped) == (1, 2, 1, 0)
        s1 = s.get_one(Organization, "s1")
        assert (s1.site_url, s1.busgov_agency_id, s1.created_at) == ("https://school1.ru/", 111, created)
        assert s1.updated_at > updated
        assert s.get_one(Organization, "d5").extra == {"Округ": "Заречный"}
        assert s.get_one(Check, check_id).org_id == "s1"

        # the same file again changes nothing
        r3 = import_registry_file(s, tmp_path / "r2.csv")
        s.commit()
        assert (r3.added, r3.updated, r3.unchanged) == (0, 0, 4)

        # a full registry without c1: deactivated (kept for history), then reactivated
        r4 = import_registry_file(s, _write(tmp_path, "r4.csv", _csv([header, *[r for r in second if r[1] != "c1"]]), "cp1251"), deactivate_missing=True)
        s.commit()
        assert r4.deactivated == 1 and not s.get_one(Organization, "c1").active
        assert "c1" not in {o.id for o in list_organizations(s)}
        assert "c1" in {o.id for o in list_organizations(s, active_only=False)}
        r5 = import_registry_file(s, tmp_path / "r2.csv")
        s.commit()
        assert r5.updated == 1 and s.get_one(Organization, "c1").active
        assert [o.id for o in list_organizations(s, "алексин")] == ["c1", "k9"]


def test_dry_run_writes_nothing(tmp_path: Path, maker: sessionmaker[Session]) -> None:
    path = _write(tmp_path, "r.csv", _csv([HEADER_RU, *ROWS_RU]), "utf-8")
    with maker() as s:
        result = import_registry_file(s, path, dry_run=True)
        assert result.added == 3 and not result.imported
        s.rollback()
        assert s.scalars(select(Organization)).all() == []


# --- CLI -----------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path):
    runner = CliRunner()
    env = {db.ENV_VAR: f"sqlite:///{(tmp_path / 'cli.sqlite').as_posix()}"}

    def invoke(*args: str):
        return runner.invoke(registry_app, list(args), env=env)

    return invoke


def _no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def test_cli_import_and_list(tmp_path: Path, cli) -> None:
    path = _write(tmp_path, "r.csv", _csv([HEADER_RU, *ROWS_RU]), "cp1251")
    result = cli("import", str(path))
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "Windows-1251" in result.output and "добавлено 3" in result.output
    result = cli("import", str(path), "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["unchanged"] == 3

    result = cli("list", "--format", "json", "--municipality", "Алексин")
    assert result.exit_code == 0
    assert [o["id"] for o in json.loads(result.stdout)] == ["c1"]
    result = cli("list")
    assert result.exit_code == 0 and "Всего: 3." in result.output and "school1.ru" in result.output


def test_cli_invalid_rows(tmp_path: Path, cli) -> None:
    rows = [HEADER_RU, *ROWS_RU, ["4", "s4", "", "Школа 4", "кружок", "Тула", "http:/s4.ru", ""]]
    path = _write(tmp_path, "r.csv", _csv(rows), "cp1251")
    result = cli("import", str(path))
    _no_traceback(result)
    assert result.exit_code == 1
    assert "строка 5, столбец «Тип» «кружок»" in result.stderr
    assert "строка 5, столбец «Адрес сайта» «http:/s4.ru»" in result.stderr
    assert "Ничего не загружено" in result.stderr and "--skip-invalid" in result.stderr
    assert "Реестр пуст" in cli("list").output

    result = cli("import", str(path), "--skip-invalid")
    _no_traceback(result)
    assert result.exit_code == 0
    assert "добавлено 3" in result.output and "пропущено 1" in result.output


def test_cli_prints_no_terminal_escapes_from_the_file(tmp_path: Path, cli) -> None:
    """Names and addresses copied from sites may carry ANSI escapes: they never reach the terminal."""
    rows = [HEADER_RU, ["1", "s1", "", "Школа\x1b[31m 1\x9b2J", "school", "Тула\x1b]8;;http://evil\x07", "s1.ru", ""],
            ["2", "s2", "", "Школа 2", "school", "Тула", "s2.ru\x1b[2J", ""]]
    path = _write(tmp_path, "r.csv", _csv(rows), "utf-8")
    result = cli("import", str(path), "--skip-invalid")
    _no_traceback(result)
    assert "строка 3, столбец «Адрес сайта» «s2.ru[2J»" not in result.stderr and "s2.ru" in result.stderr
    result = cli("list")
    assert "Школа 1" in result.output and "Тула" in result.output
    for text in (result.output, result.stderr):
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "файл не найден"),
        ("broken.xlsx", b"PK\x03\x04garbage", "не удалось прочитать книгу Excel"),
        ("bad.csv", b"\x98\x98\x98;\xff\n", "кодировк"),
    ],
)
def test_cli_unreadable_file(tmp_path: Path, cli, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = cli("import", str(path))
    _no_traceback(result)
    assert result.exit_code == 1
    assert "Ошибка:" in result.stderr and message in result.stderr


def test_cli_bad_database_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(registry_app, ["list", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    _no_traceback(result)
    assert result.exit_code == 1 and "не удалось открыть базу данных" in result.stderr
