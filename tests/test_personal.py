"""Personal data detectors (``artifacts.personal``): each kind found, checksums, masking, negatives."""

from __future__ import annotations

import pytest

from artifacts import personal as P
import personal_data as D


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("SVEDEN_PERSONAL_SALT", "test-salt")
    P._salt.cache_clear()
    yield
    P._salt.cache_clear()


def kinds(text: str, **kw) -> list[str]:
    return [f["kind"] for f in P.scan(text, {"url": "http://127.0.0.1/"}, **kw)]


def test_snils_checksum():
    assert P.snils_valid("11223344595")
    assert not P.snils_valid("11223344596")
    assert not P.snils_valid("81234567890")
    assert not P.snils_valid("00100100100")  # below 001-001-998: no check number at all
    # total 100 and 101 give check number 00
    assert P.snils_valid("11223319900")


def test_inn12_checksum():
    assert P.inn12_valid(D.INN_PERSON)
    assert not P.inn12_valid(D.INN_PERSON[:-1] + str((int(D.INN_PERSON[-1]) + 1) % 10))
    assert not P.inn12_valid(D.INN_SCHOOL)


def test_snils_found_and_masked():
    found = P.scan(f"Кузнецова Мария Ивановна, СНИЛС {D.SNILS}", {"url": "u"})
    assert [f["kind"] for f in found] == ["snils"]
    assert found[0]["masked"] == "112-***-*** **" and found[0]["line"] == 1 and found[0]["url"] == "u"
    assert kinds(f"СНИЛС: {D.SNILS_PLAIN}") == ["snils"]
    assert kinds(f"номер {D.SNILS_PLAIN}") == []  # 11 digits in a row only beside the word


def test_phone_that_looks_like_snils_is_not_flagged():
    assert kinds(f"Телефон приёмной: {D.PHONE_LIKE}") == []
    assert kinds("тел. +7 812 345 678 90") == []


def test_passport_near_the_word_only():
    found = P.scan(f"Иванов И.И., паспорт серия {D.PASSPORT}", {})
    assert [f["kind"] for f in found] == ["passport"]
    assert D.PASSPORT_NUMBER not in found[0]["masked"] and found[0]["masked"].endswith("40 ** ******")
    assert kinds(f"номер {D.PASSPORT}") == []
    assert kinds("Паспорт доступности № 12 34 567890 от 01.02.2020") == []
    assert kinds("Паспорт безопасности 2024 1234 567890") == []
    # a table row under the «Паспорт» header
    assert kinds(f"ФИО | Паспорт\nИванов И.И. | {D.PASSPORT}") == ["passport"]


def test_individual_inn_needs_a_name_and_a_checksum():
    assert kinds(f"Кузнецова Мария Ивановна, ИНН {D.INN_PERSON}") == ["inn"]
    assert kinds(f"ИНН {D.INN_PERSON}") == []  # no person on the line
    assert kinds(f"Директор Васильева О.Н., ИНН школы {D.INN_SCHOOL}") == []
    bad = D.INN_PERSON[:-1] + str((int(D.INN_PERSON[-1]) + 1) % 10)
    assert kinds(f"Кузнецова Мария Ивановна, ИНН {bad}") == []


def test_birth_dates_in_a_list_of_children():
    text = f"Приказ о зачислении в 1 класс\nФИО | Дата рождения\n{D.CHILD_1} | {D.BIRTH_1}\n{D.CHILD_2} | {D.BIRTH_2}"
    found = P.scan(text, {})
    assert [f["kind"] for f in found] == ["birth_date", "birth_date"]
    assert [f["line"] for f in found] == [3, 4]
    assert found[0]["masked"] == "П****** А*** С********, **.**.****"
    assert kinds(f"1. {D.CHILD_1}, {D.BIRTH_1} г.р.") == ["birth_date"]
    # an adult's date, a date without a name, an order's date: not a child's birth date
    assert kinds("Список педагогов\nДата рождения\nВасильева Ольга Николаевна | 01.02.1975") == []
    assert kinds(f"Приказ о зачислении от {D.BIRTH_1} № 12") == []
    assert kinds(f"Назначить Васильеву Ольгу Николаевну ответственной с {D.BIRTH_1}") == []


def test_home_address_beside_a_name():
    found = P.scan(f"Иванов И.И., проживает по адресу: {D.ADDRESS}", {})
    assert [f["kind"] for f in found] == ["address"]
    assert "17" not in found[0]["masked"] and "43" not in found[0]["masked"] and "Садовая" not in found[0]["masked"]
    assert kinds(f"Иванова Анна Петровна, {D.ADDRESS}") == ["address"]  # a flat: a home
    assert kinds("Директор Васильева Ольга Николаевна. Адрес школы: ул. Школьная, д. 5") == []
    assert kinds(f"Адрес: {D.ADDRESS}") == []  # nobody named


def test_health_and_social_status_beside_a_name():
    assert kinds("Смирнов Олег Петрович — ребёнок-инвалид") == ["health"]
    assert kinds("Петрова А.С. (многодетная семья)") == ["health"]
    assert kinds("Опекаемый: Сидоров Илья Павлович") == ["health"]
    assert kinds("Ответственный за работу с детьми-инвалидами: Васильева Ольга Николаевна") == []
    assert kinds("В школе обучаются 12 детей-инвалидов") == []


def test_restricted_titles():
    assert P.restricted_title("Паспорт безопасности МБОУ СОШ № 1")
    assert P.restricted_title("Паспорт антитеррористической защищённости объекта")
    assert P.restricted_title("Инструкция (для служебного пользования)")
    assert P.restricted_title("Экз. № 2 ДСП")
    assert not P.restricted_title("Паспорт доступности объекта")
    assert not P.restricted_title("Паспорт дорожной безопасности")
    assert not P.restricted_title("Паспорт безопасности дорожного движения МБОУ СОШ № 1")
    assert not P.restricted_title("Паспорт безопасности химической продукции «Ника-Хлор»")
    assert P.restricted_title("Паспорт безопасности (антитеррористической защищённости) объекта")
    assert not P.restricted_title("Стол ученический, ЛДСП 16 мм")
    assert not P.restricted_title("Шкаф из ДСП")
    assert kinds("Паспорт безопасности\nутверждаю", title_lines=5) == ["restricted"]
    assert kinds("Паспорт безопасности", title_lines=0) == []


def test_director_without_personal_data_is_not_flagged():
    assert kinds("Директор: Васильева Ольга Николаевна, тел. +7 (812) 123-45-67, приём: пн 10:00–12:00") == []


def test_hash_is_salted_stable_and_value_free(monkeypatch):
    one = P.scan(f"СНИЛС {D.SNILS}", {})[0]["hash"]
    assert one == P.scan(f"Кузнецова М.И., СНИЛС {D.SNILS}", {})[0]["hash"]  # the same value: the same hash
    assert D.SNILS_PLAIN not in one
    monkeypatch.setenv("SVEDEN_PERSONAL_SALT", "another")
    P._salt.cache_clear()
    assert P.scan(f"СНИЛС {D.SNILS}", {})[0]["hash"] != one


def test_salt_file_created_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SVEDEN_PERSONAL_SALT")
    monkeypatch.setenv("SVEDEN_PERSONAL_SALT_FILE", str(tmp_path / "salt"))
    P._salt.cache_clear()
    first = P.fingerprint("snils", D.SNILS)
    assert (tmp_path / "salt").stat().st_mode & 0o077 == 0
    P._salt.cache_clear()
    assert P.fingerprint("snils", D.SNILS) == first


def test_pages_and_paths():
    found = P.scan(f"титул\fстрока\nСНИЛС {D.SNILS}", {"document": "d.pdf"}, line_paths=None)
    assert found[0]["page"] == 2 and found[0]["line"] == 2 and found[0]["document"] == "d.pdf"
    found = P.scan(f"a\nСНИЛС {D.SNILS}", {}, line_paths=["body/p[1]", "body/p[2]"])
    assert found[0]["path"] == "body/p[2]"


def test_redact_masks_the_value_in_kept_texts():
    text = f"Кузнецова Мария Ивановна, СНИЛС {D.SNILS}, паспорт {D.PASSPORT}"
    red = P.redact(text)
    assert D.SNILS not in red and D.PASSPORT_NUMBER not in red and red.startswith("Кузнецова Мария Ивановна")
    assert P.redact("Телефон: +7 (812) 123-45-67") == "Телефон: +7 (812) 123-45-67"


def test_findings_never_carry_the_value():
    html_text = "\n".join([D.STAFF, D.ENROLMENT])
    for f in P.scan(html_text, {}):
        for secret in D.SECRETS:
            assert secret not in str(f), (secret, f)


def test_page_scan_with_element_paths_and_kept_texts_masked():
    from crawler.extract import extract_page

    html = f"<html><body>{D.ENROLMENT}{D.STAFF}{D.NEGATIVES}<a href='/s.pdf'>Кузнецова М.И., СНИЛС {D.SNILS_2}</a></body></html>"
    page = extract_page("http://127.0.0.1/", "http://127.0.0.1/", html.encode(), "text/html; charset=utf-8")
    got = {(f["kind"], f.get("path")) for f in page["personal"]}
    assert ("birth_date", "table[1]/tr[2]") in got and ("birth_date", "table[1]/tr[3]") in got
    assert {"snils", "inn", "passport", "address", "health"} <= {k for k, _ in got}
    assert len([f for f in page["personal"] if f["kind"] == "snils"]) == 2
    # the negatives on the same page (director, school's ИНН, phone, accessibility passport, school address)
    assert all("В******" not in f["masked"] for f in page["personal"])
    import json

    kept = json.dumps(page, ensure_ascii=False)
    for secret in D.SECRETS:
        assert secret not in kept, secret
    assert any(link["text"] == "Кузнецова М.И., СНИЛС ***-***-*** **" for link in page["links"])


def test_document_text_pages_and_title():
    text = P.DocumentText()
    for piece in ("Паспорт безопасности объекта\nМБОУ СОШ № 1", "Список сотрудников\nКузнецова Мария Ивановна, СНИЛС " + D.SNILS):
        text.add(piece)
    found = text.findings("pdf")
    assert [(f["kind"], f.get("page"), f["line"]) for f in found] == [("restricted", 1, 1), ("snils", 2, 2)]
    text.add("Кузнецова Мария Ивановна, СНИЛС " + D.SNILS)
    assert [(f["kind"], f.get("page"), f["line"]) for f in text.findings("docx")] == [("snils", None, 1)]


def test_names_in_capitals_and_not_names():
    assert [m.group(0) for m in P.names("1 | ПЕТРОВА АННА СЕРГЕЕВНА | 12.03.2018")] == ["ПЕТРОВА АННА СЕРГЕЕВНА"]
    assert kinds(f"Протокол соревнований\nДата рождения\nПЕТРОВА АННА СЕРГЕЕВНА | {D.BIRTH_1} | 1 место") == ["birth_date"]
    assert P.names("МБОУ СОШ ПРИКАЗ ДИРЕКТОРА") == []
    assert P.names("Положение о порядке приёма") == []


def test_real_pages_publish_names_but_no_personal_data():
    """Real pages (a university's staff lists: hundreds of full names with positions and degrees,
    which the law requires) give no finding: a name alone is never personal data to flag."""
    from cikit import real_sites

    from crawler.extract import decode_body, extract_page, parse_html
    from crawler.pagetext import text_lines

    pages = sorted(real_sites().rglob("*.html"))
    assert pages
    names = 0
    for path in pages:
        page = extract_page("http://127.0.0.1/", "http://127.0.0.1/", path.read_bytes(), "text/html")
        assert page["personal"] == [], (path.name, page["personal"])
        lines, _ = text_lines(parse_html(decode_body(path.read_bytes(), "text/html")[0]))
        names += sum(len(P.names(line)) for line in lines)
    assert names >= 500  # the detector saw the names: the pages were really read


def test_a_mistyped_code_in_the_switch_is_a_russian_error():
    import os
    import subprocess
    import sys

    env = {**os.environ, "SVEDEN_PERSONAL_DATA_AUDITS_OFF": "PDN003, pdn099"}
    proc = subprocess.run([sys.executable, "-m", "sveden.cli", "rules"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "SVEDEN_PERSONAL_DATA_AUDITS_OFF" in proc.stderr and "PDN099" in proc.stderr
    env["SVEDEN_PERSONAL_DATA_AUDITS_OFF"] = "PDN003, all"
    assert subprocess.run([sys.executable, "-m", "sveden.cli", "rules"], capture_output=True, text=True, env=env, timeout=120).returncode == 0


def test_a_name_in_separate_cells():
    found = P.scan(f"Список класса\nДата рождения\n1 | Петрова | Анна | Сергеевна | {D.BIRTH_1} |", {})
    assert [(f["kind"], f["masked"]) for f in found] == [("birth_date", "П****** А*** С********, **.**.****")]
