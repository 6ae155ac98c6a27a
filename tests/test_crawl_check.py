"""The spider and the checks together, on loopback sites in several markup styles.

One crawl (one subprocess) covers every site of this module; each test asserts on one site.
"""

from __future__ import annotations

import pytest
from crawlkit import crawl, item
from sitekit import Route, page, redirect

from checks import catalogue
from checks.evaluate import evaluate

MENU = '<nav><a href="/">Главная</a> <a href="/sveden/">Сведения об образовательной организации</a> <a href="/news/">Новости</a></nav>'
PDF = Route(b"%PDF-1.4 test", content_type="application/pdf")


def sveden_index(*slugs: str) -> Route:
    titles = {"common": "Основные сведения", "document": "Документы", "struct": "Структура и органы управления образовательной организацией",
              "managers": "Руководство", "budget": "Финансово-хозяйственная деятельность", "education": "Образование"}
    return page(MENU + "".join(f'<a href="/sveden/{s}/">{titles.get(s, s)}</a><br>' for s in slugs))


# --- site «bitrix»: table rows with itemprop on <tr>, legacy names, empty and misplaced cells ------------------
BITRIX_COMMON = """
<table class="table">
<tr><td>Полное наименование</td><td itemprop="fullName">Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 1»</td></tr>
<tr><td>Дата создания</td><td itemprop="RegDate">01.09.1961</td></tr>
<tr><td>Адрес</td><td itemprop="address">г. Тверь, ул. Школьная, д. 1</td></tr>
<tr><td>Режим работы</td><td itemprop="workTime">   </td></tr>
<tr><td>Телефон</td><td itemprop="telephone">+7 (4822) 11-22-33</td></tr>
<tr><td>E-mail</td><td itemprop="E-mail">school1@example.org</td></tr>
<tr><td>Места ГИА</td><td itemprop="addressPlaceGia">отсутствует</td></tr>
</table>
<table>
<tr itemprop="uchredLaw"><td itemprop="nameUchred">Администрация города Твери</td><td itemprop="addressUchred">г. Тверь</td></tr>
<tr itemprop="uchredLaw"><td>Министерство образования Тверской области</td></tr>
</table>
<p itemprop="telUchred">+7 4822 000000</p>
<a itemprop="Ustav_DocLink" href="/docs/ustav.pdf">Устав</a>
"""
BITRIX_DOCUMENT = """
<table>
<tr><td><a itemprop="ustavDocLink" href="/docs/ustav.pdf">Устав</a></td></tr>
<tr><td><a itemprop="localActStud" href="/docs/missing.pdf">Правила внутреннего распорядка обучающихся</a></td></tr>
<tr><td itemprop="prescriptionDocLink">Предписаний нет</td></tr>
<tr><td itemprop="localActOrder">Правила внутреннего трудового распорядка</td></tr>
<tr><td><a itemprop="licenseDocLink" href="/docs/license.pdf">Выписка из реестра лицензий</a></td></tr>
<tr><td><a itemprop="reportEduDocLink" href="/docs/report.pdf">Отчёт о самообследовании</a></td></tr>
</table>
"""

BITRIX = {
    "/": page(MENU, "МБОУ СОШ № 1 г. Твери"),
    "/sveden/": sveden_index("common", "document", "budget", "struct"),
    "/sveden/common/": page(BITRIX_COMMON),
    "/sveden/document/": page(BITRIX_DOCUMENT),
    "/sveden/budget/": Route("Internal error", status=500),
    "/sveden/struct/": redirect("/sveden/struct/a/"),
    "/sveden/struct/a/": redirect("/sveden/struct/b/"),
    "/sveden/struct/b/": redirect("/sveden/struct/"),
    "/docs/ustav.pdf": PDF,
    "/docs/report.pdf": Route(b"%PDF-1.4", content_type="application/pdf", head_status=405),  # HEAD refused: GET fallback
    "/docs/license.pdf": PDF,
}

# --- site «cp1251»: windows-1251 declared only in <meta>, div cards, definition lists, addRef pages ------------
CP1251_COMMON = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><title>Детский сад № 5</title></head><body>
<div class="card"><h3>Наименование</h3><div itemprop="fullName">Муниципальное автономное дошкольное образовательное учреждение «Детский сад № 5 „Ёлочка“»</div></div>
<dl><dt>Дата создания</dt><dd itemprop="regDate">12.03.1985</dd><dt>Адрес</dt><dd itemprop="address">г. Псков, ул. Садовая, 5</dd></dl>
<a itemprop="addRef" href="/sveden/common/uchrediteli/">Учредители</a>
</body></html>"""
CP1251_UCHRED = """<html><head><meta charset="windows-1251"></head><body>
<div itemprop="uchredLaw"><p>Учредитель: <span itemprop="nameUchred">Управление образования Администрации города Пскова</span></p>
<p>Почта: <span itemprop="mailUchred">uo@example.org</span></p></div></body></html>"""
CP1251 = {
    "/": Route(
        f"<html><head><meta charset='windows-1251'><title>МАДОУ Детский сад № 5</title></head><body>{MENU}</body></html>".encode("cp1251"),
        content_type="text/html",
    ),
    "/sveden/": Route(f"<html><head><meta charset='windows-1251'></head><body>{MENU}<a href='/sveden/common/'>Основные сведения</a></body></html>".encode("cp1251"), content_type="text/html"),
    # The header lies (utf-8): the bytes and the <meta> say windows-1251.
    "/sveden/common/": Route(CP1251_COMMON.encode("cp1251"), content_type="text/html; charset=utf-8"),
    "/sveden/common/uchrediteli/": Route(CP1251_UCHRED.encode("cp1251"), content_type="text/html"),
}

# --- site «gosweb»: template paths, found by the menu texts ------------------------------------------------------
GW = "/svedeniya-ob-obrazovatelnoy-organizatsii"
GOSWEB = {
    "/": page(f'<a href="{GW}/">Сведения об образовательной организации</a>', "МБОУ «Лицей № 2»"),
    f"{GW}/": page(
        f'<a href="{GW}/osnovnye-svedeniya/">Основные сведения</a><a href="{GW}/rukovodstvo/">Руководство</a>'
        f'<a href="{GW}/pedagogicheskiy-sostav/">Педагогический состав</a><a href="{GW}/dokumenty/">Документы</a>'
    ),
    f"{GW}/osnovnye-svedeniya/": page('<p itemprop="fullName">Муниципальное бюджетное общеобразовательное учреждение «Лицей № 2»</p><p itemprop="telephone">8 800 000-00-00</p>'),
    f"{GW}/rukovodstvo/": page(
        '<table><tr itemprop="rucovodstvo"><td itemprop="fio">Иванова Мария Петровна</td><td itemprop="post">Директор</td>'
        '<td itemprop="telephone">8 800 000-00-01</td><td itemprop="email">director@example.org</td></tr></table>'
    ),
    f"{GW}/pedagogicheskiy-sostav/": page(
        '<table><tr itemprop="teachingStaff"><td itemprop="fio">Петров П. П.</td><td itemprop="post">учитель</td></tr>'
        '<tr itemprop="teachingStaff"><td itemprop="fio">Сидорова С. С.</td><td itemprop="post"></td></tr></table>'
    ),
    # The licence is published here, in «Документы», not in «Основные сведения».
    f"{GW}/dokumenty/": page('<a itemprop="licenseDocLink" href="/files/license.pdf">Лицензия</a>'),
    "/files/license.pdf": PDF,
}

# --- site «legacy»: the 2014 obrnadzor microformats -------------------------------------------------------------
LEGACY = {
    "/": page(MENU, "ГБПОУ «Колледж связи»"),
    "/sveden/": sveden_index("common"),
    "/sveden/common/": page(
        '<div itemscope itemtype="http://obrnadzor.gov.ru/microformats/UchredLaw"><span itemprop="NameUchred">Министерство образования</span></div>'
        '<span itemprop="fullName">ГБПОУ «Колледж связи»</span>'
    ),
}

# --- site «shared»: two subsection titles link one page (its addRef pages count for both) ---------------------
SHARED = {
    "/": page(MENU, "МБОУ СОШ № 8"),
    "/sveden/": page('<a href="/sveden/kadry/">Руководство</a><a href="/sveden/kadry/">Педагогический состав</a>'),
    "/sveden/kadry/": page('<a itemprop="addRef" href="/sveden/kadry/staff/">Педагоги</a>'
                           '<table><tr itemprop="rucovodstvo"><td itemprop="fio">Иванов И. И.</td></tr></table>'),
    "/sveden/kadry/staff/": page('<table><tr itemprop="teachingStaff"><td itemprop="fio">Петрова А. А.</td></tr></table>'),
}

# --- site «staffdocs»: staff published per programme as documents (order 1353), no microdata ---------------
STAFFDOCS = {
    "/": page(MENU, "МБОУ СОШ № 11"),
    "/sveden/": page('<a href="/sveden/employees/">Педагогический состав</a>'),
    "/sveden/employees/": page('<ul><li><a href="/docs/staff-noo.pdf">Педагогический состав: ООП НОО</a></li>'
                               '<li><a href="/docs/staff-ooo.pdf">Педагогический состав: ООП ООО</a></li></ul>'),
    "/docs/staff-noo.pdf": PDF,
    "/docs/staff-ooo.pdf": PDF,
}

SITES = {"staffdocs": STAFFDOCS, "shared": SHARED, "bitrix": BITRIX, "cp1251": CP1251, "gosweb": GOSWEB, "legacy": LEGACY, "nosection": {"/": page("<p>Сайт на реконструкции</p>", "МБОУ ООШ № 7")}}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    artifacts, logs = crawl(SITES, tmp_path_factory.mktemp("crawl"))
    return artifacts, logs


@pytest.fixture(scope="module")
def results(crawled):
    artifacts, _ = crawled
    return {name: evaluate(a) for name, a in artifacts.items()}


def test_every_rule_has_one_item_and_contract_keys(results):
    for r in results.values():
        assert {"url", "checked_at", "org_type", "reachable", "error", "sections", "items", "feedback", "scores", "rules_version"} <= set(r)
        assert len(r["items"]) == len(catalogue.rules())
        assert {(i["section"], i["parent"], i["itemprop"]) for i in r["items"]}.__len__() == len(catalogue.rules())
        for i in r["items"]:
            # the contract's keys, and ``cause`` where one cause covers many items (keys may be added)
            assert set(i) - {"cause"} == {"section", "parent", "itemprop", "rule", "status", "evidence_url", "message"}
            assert i["status"] in {"pass", "fail", "needs_review", "not_applicable", "error"}
        assert [s["slug"] for s in r["sections"]][:3] == ["common", "struct", "document"]


def test_org_type_inferred_from_the_site(results):
    assert results["bitrix"]["org_type"] == "school"
    assert results["cp1251"]["org_type"] == "kindergarten"
    assert results["legacy"]["org_type"] == "college"


def test_exact_attribute_and_content(results):
    r = results["bitrix"]
    assert item(r, "common", "fullName")["status"] == "pass"
    assert item(r, "common", "address")["status"] == "pass"
    # empty (whitespace only) is not a pass
    assert item(r, "common", "workTime")["status"] == "fail"
    assert "пуст" in item(r, "common", "workTime")["message"]
    # «отсутствует» is a published statement
    assert item(r, "common", "addressPlaceGia")["status"] == "pass"


@pytest.mark.parametrize(("itemprop", "legacy"), [("regDate", "RegDate"), ("email", "E-mail"), ("licenseDocLink", None)])
def test_legacy_names_fail_and_name_the_correct_attribute(results, itemprop, legacy):
    it = item(results["bitrix"], "common", itemprop)
    assert it["status"] == "fail"
    if legacy:
        assert f'itemprop="{legacy}"' in it["message"] and f'itemprop="{itemprop}"' in it["message"]


def test_child_counts_only_inside_its_parent(results):
    r = results["bitrix"]
    # the second uchredLaw row has no nameUchred: a required child must be in every parent instance
    name = item(r, "common", "nameUchred", "uchredLaw")
    assert name["status"] == "fail" and "1 из 2" in name["message"]
    # telUchred stands outside any uchredLaw element
    tel = item(r, "common", "telUchred", "uchredLaw")
    assert tel["status"] == "fail" and "вне родительского" in tel["message"]
    # an optional child present in a parent passes
    assert item(r, "common", "addressUchred", "uchredLaw")["status"] == "pass"


def test_link_items_need_a_resolving_document(results, crawled):
    r = results["bitrix"]
    assert item(r, "document", "ustavDocLink")["status"] == "pass"
    broken = item(r, "document", "localActStud")
    assert broken["status"] == "fail" and "missing.pdf" in broken["message"] and "404" in broken["message"]
    assert item(r, "document", "prescriptionDocLink")["status"] == "pass"  # «Предписаний нет»
    no_link = item(r, "document", "localActOrder")
    assert no_link["status"] == "fail" and "ссылки" in no_link["message"]
    # HEAD would answer 405: documents are downloaded with GET (the HEAD fallback: tests/test_documents_crawl.py)
    assert item(r, "document", "reportEduDocLink")["status"] == "pass"
    _, logs = crawled
    assert ("GET", "/docs/report.pdf") in logs["bitrix"]


def test_item_found_only_in_another_subsection(results):
    it = item(results["bitrix"], "common", "licenseDocLink")
    assert it["status"] == "fail" and "«Документы»" in it["message"]
    it = item(results["gosweb"], "common", "licenseDocLink")
    assert it["status"] == "fail" and "«Документы»" in it["message"]


def test_erroring_and_looping_subsections_are_not_pass(results):
    r = results["bitrix"]
    for i in r["items"]:
        if i["section"] in ("budget", "struct") and i["status"] != "not_applicable":
            assert i["status"] == "error", i
    assert "500" in item(r, "budget", "finBFVolume")["message"]
    assert "переадресац" in item(r, "struct", "structOrgUprav")["message"]
    statuses = {s["slug"]: s["status"] for s in r["sections"]}
    assert statuses["budget"] == "error" and statuses["struct"] == "error"


def test_missing_subsection_fails_required_items(results):
    it = item(results["bitrix"], "managers", "rucovodstvo")
    assert it["status"] == "fail" and "не найден" in it["message"]


def test_windows1251_meta_only_and_lying_header(results, crawled):
    artifacts, _ = crawled
    r = results["cp1251"]
    assert item(r, "common", "fullName")["status"] == "pass"
    common_page = next(p for p in artifacts["cp1251"]["pages"] if p["url"].endswith("/sveden/common/"))
    texts = [n["t"] for n in common_page["microdata"] if n["p"] == "fullName"]
    assert texts == ["Муниципальное автономное дошкольное образовательное учреждение «Детский сад № 5 „Ёлочка“»"]


def test_addref_pages_count_for_their_subsection(results):
    r = results["cp1251"]
    it = item(r, "common", "nameUchred", "uchredLaw")
    assert it["status"] == "pass" and it["evidence_url"].endswith("/sveden/common/uchrediteli/")
    assert item(r, "common", "regDate")["status"] == "pass"  # <dd> in a definition list
    common = next(s for s in r["sections"] if s["slug"] == "common")
    assert len(common["addrefs"]) == 1


def test_template_site_paths_found_by_menu_text(results):
    r = results["gosweb"]
    sections = {s["slug"]: s for s in r["sections"]}
    assert sections["common"]["found"] and "osnovnye-svedeniya" in sections["common"]["url"]
    assert sections["managers"]["found"] and sections["employees"]["found"]
    assert item(r, "common", "fullName")["status"] == "pass"
    for prop in ("fio", "post", "telephone", "email"):
        assert item(r, "managers", prop, "rucovodstvo")["status"] == "pass"
    # the second teacher's post is empty: not a pass
    assert item(r, "employees", "post", "teachingStaff")["status"] == "fail"
    assert item(r, "employees", "fio", "teachingStaff")["status"] == "pass"


def test_legacy_itemtype_microformat(results):
    it = item(results["legacy"], "common", "uchredLaw")
    assert it["status"] == "fail" and "obrnadzor.gov.ru/microformats/UchredLaw" in it["message"]
    assert 'itemprop="uchredLaw"' in it["message"]


def test_site_without_section(results):
    r = results["nosection"]
    assert r["reachable"] and r["outcome"] == "no_sveden_section"
    assert item(r, "common", "fullName")["status"] == "fail"


def test_repealed_and_superseded_items(results):
    r = results["bitrix"]
    assert item(r, "common", "copy")["status"] == "not_applicable"
    assert "1353" in item(r, "common", "copy")["message"]
    assert item(r, "common", "accreditationDocLink")["status"] == "not_applicable"


def test_checks_rerun_on_stored_artifacts_give_the_same_result(crawled, results, tmp_path):
    from storage import db, repository

    artifacts, _ = crawled
    session_factory = db.open_database(f"sqlite:///{tmp_path / 'a.sqlite'}")
    try:
        with session_factory() as session, session.begin():
            run = repository.start_run(session, "check", None, results["bitrix"]["rules_version"])
            check = repository.save_check(session, run.id, None, results["bitrix"], artifacts["bitrix"])
        with session_factory() as session:
            stored = repository.load_artifact(session, check.id)
    finally:
        session_factory.kw["bind"].dispose()
    again = evaluate(stored)
    assert [(i["rule"], i["status"], i["message"]) for i in again["items"]] == [
        (i["rule"], i["status"], i["message"]) for i in results["bitrix"]["items"]
    ]


def test_subsections_sharing_one_page_both_get_its_addref_pages(results):
    r = results["shared"]
    sections = {s["slug"]: s for s in r["sections"]}
    assert len(sections["managers"]["addrefs"]) == len(sections["employees"]["addrefs"]) == 1
    assert item(r, "employees", "fio", "teachingStaff")["status"] == "pass"
    assert item(r, "managers", "fio", "rucovodstvo")["status"] == "pass"


def test_staff_published_as_documents_per_programme_needs_review(results):
    r = results["staffdocs"]
    staff = item(r, "employees", "teachingStaff")
    assert staff["status"] == "needs_review" and "1353" in staff["message"] and "staff-noo.pdf" in staff["message"]
    assert item(r, "employees", "fio", "teachingStaff")["status"] == "needs_review"
    # with no documents either, the same subsection fails (see the «bitrix» site)
    assert item(results["bitrix"], "employees", "teachingStaff")["status"] == "fail"
