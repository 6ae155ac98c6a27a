"""What one farm site publishes: its subsections as blocks of marked-up cells, its documents,
its feedback channels, and the defects drawn into them.

Everything is a pure function of ``(farm seed, site index)``. The renderer turns the blocks
into HTML; the truth module judges the very same blocks, so a page and its ground truth can
never drift apart.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from checks import catalogue
from checks.model import Kind, Rule
from testbed.farm import names, platforms
from testbed.farm.spec import SiteSpec, _rng

# Probability that a given applicable item of a site gets a defect, before the site's own
# quality factor (drawn per site from QUALITY) and the farm's ``defect_rate``.
ITEM_DEFECT_RATE = 0.03
QUALITY = ((0.0, 0.25), (0.5, 0.35), (1.0, 0.25), (3.0, 0.15))  # (factor, share of sites)
# Defect kinds by the shape of the item, with weights.
TOP_TEXT_DEFECTS = {"missing": 4, "empty": 3, "legacy": 2, "elsewhere": 1}
TOP_LINK_DEFECTS = {"missing": 3, "empty": 2, "legacy": 2, "elsewhere": 1, "doc_404": 3, "doc_500": 1, "statement": 1}
PARENT_DEFECTS = {"no_parent_markup": 2, "legacy": 2, "elsewhere": 1}
CHILD_TEXT_DEFECTS = {"missing": 4, "empty": 3, "legacy": 2, "outside": 2}
CHILD_LINK_DEFECTS = {"missing": 3, "empty": 2, "legacy": 1, "outside": 1, "doc_404": 3, "doc_500": 1, "statement": 1}
# Whole subsections: rates per present subsection.
SECTION_MISSING_RATE = 0.02
SECTION_ERROR_RATE = 0.008
SECTION_LOOP_RATE = 0.006
# Sections often absent on real sites (everything in them is «при наличии» for most types).
OFTEN_MISSING = {"inter": 0.35, "grants": 0.08, "vacant": 0.06, "eduStandarts": 0.05}
# obrnadzor 2014 group microformats (itemtype instead of itemprop on the group).
LEGACY_ITEMTYPES = {"uchredLaw": "UchredLaw", "volume": "Volume", "vacant": "Vacant"}

CDN_PREFIX = "cdn:"  # a document on the farm's CDN host: http://<cdn host>:<port>/s<site index><path>
SECTION_UNMARKED_RATE = 0.008  # a subsection published without any microdata
# Visibility defects (order 1493 п.27, п.23), per checked site: a table shown without markup beside a
# marked copy hidden from visitors, and a subsection page of scans instead of text.
HIDDEN_COPY_RATE = 0.05
HIDE_METHODS = ("inline_display", "hidden_attr", "sr_only", "offscreen", "css_rule")
IMAGE_ONLY_RATE = 0.03
# Document defects (issue 13), per checked site and kind; the regulations of structural units are
# signed PDFs this often (order 1493 п.8 «е»), the rest unsigned.
DOC_DEFECT_RATES = {"soft404": 0.05, "login": 0.02, "scan": 0.06, "encrypted": 0.02}
SIGNED_POSITIONS = 0.75
SOFT_404_PATH = "/error-404/"
LOGIN_PATH = "/login/"  # not /auth/: Bitrix sites forbid it in robots.txt
DOC_TYPES = {".pdf": "application/pdf", ".doc": "application/msword", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(slots=True)
class Cell:
    prop: str | None  # the itemprop attribute as written; None: the value carries no markup
    text: str = ""
    hrefs: tuple[str, ...] = ()  # site paths or absolute URLs the element links to
    key: str = ""  # the rule's itemprop this cell stands for
    label: str = ""


@dataclass(slots=True)
class Group:
    """A «главный тег» and its children: a table (one parent element per row) or cards."""

    parent: str
    written: str | None  # the parent's itemprop as written; None: no itemprop on it
    keys: list[str]
    headers: list[str]
    rows: list[list[Cell]]
    on: str = "row"  # "row": each row is a parent element; "table": one element around all rows
    itemtype: str = ""
    title: str = ""
    page: int = 0
    hide: str = ""  # a copy kept from visitors, one of HIDE_METHODS (order 1493 п.27 defect); "" shown


@dataclass(slots=True)
class Field:
    cell: Cell
    page: int = 0


@dataclass
class SectionContent:
    slug: str
    title: str
    state: str = "ok"  # ok | missing (404) | error (500) | loop (redirect loop)
    blocks: list[Any] = field(default_factory=list)
    n_pages: int = 1  # the main page and its addRef pages
    images: int = 0  # > 0: the page shows this many scans instead of its content (п.23 defect)
    intro: str = ""


@dataclass
class SiteContent:
    spec: SiteSpec
    sections: dict[str, SectionContent]
    docs: dict[str, int]  # site path → HTTP status of the document
    defects: list[dict[str, Any]]
    features: dict[str, Any]
    facts: dict[str, Any]
    channels: dict[str, bool]
    site_nodes: list[Cell]  # itemprop elements in every page's header/footer
    paths: dict[str, str]  # named pages → site paths
    # What a document's file is when it is not the plain one (issue 13): "signed" (a PDF with a signature
    # dictionary), "scan" (no text layer), "encrypted" (a password to open), "soft404"/"login" (the
    # link redirects to an error or login page answering 200; ``docs`` holds 404/401 for the truth).
    doc_variants: dict[str, str] = field(default_factory=dict)


def doc_key(href: str) -> str:
    """The document registry key of an href (the site path, also for CDN-hosted documents)."""
    return href.removeprefix(CDN_PREFIX)


# -- rule metadata helpers ---------------------------------------------------------------------------


@cache
def rules_by_key() -> dict[tuple[str, str, str], Rule]:
    return {r.key: r for r in catalogue.rules()}


@cache
def parent_props(section: str) -> frozenset[str]:
    return frozenset(r.parent for r in catalogue.section_rules()[section] if r.parent)


@cache
def section_props(section: str) -> frozenset[str]:
    return frozenset(r.itemprop for r in catalogue.section_rules()[section]) | parent_props(section)


def legacy_variant(prop: str, rng: random.Random) -> str:
    """A 2014/2020-format spelling: capitalised, underscored or hyphenated."""
    if prop == "email":
        return rng.choice(("E-mail", "Email", "E_mail"))
    if prop.endswith("DocLink"):
        stem = prop[: -len("DocLink")]
        return rng.choice((stem[0].upper() + stem[1:] + "_DocLink", prop[0].upper() + prop[1:]))
    return prop[0].upper() + prop[1:]


# -- the site ----------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, spec: SiteSpec):
        self.spec = spec
        self.t = spec.org_type
        self.rng = _rng(spec.farm.seed, spec.index, "content")
        self.docs: dict[str, int] = {}
        self.defects: list[dict[str, Any]] = []
        self.doc_counter = 0
        self.cdn = False

    # documents ---------------------------------------------------------------------------
    def doc(self, stem: str, ext: str | None = None) -> str:
        """A document's site path (``cdn:``-prefixed when the site keeps documents on the CDN host)."""
        ext = ext or self.rng.choice((".pdf", ".pdf", ".pdf", ".docx", ".doc"))
        self.doc_counter += 1
        token = hashlib.blake2b(f"{self.spec.farm.seed}:{self.spec.index}:{self.doc_counter}".encode(), digest_size=3).hexdigest()
        style = self.spec.style
        if style == "bitrix":
            path = f"/upload/iblock/{token[:3]}/{stem}{ext}"
        elif style == "joomla":
            path = f"/images/docs/{stem}_{token}{ext}"
        elif style == "wordpress":
            path = f"/wp-content/uploads/2024/{self.doc_counter % 12 + 1:02d}/{stem}-{token}{ext}"
        elif style == "gosweb":
            path = f"/upload/documents/{token}/{stem}{ext}"
        else:
            path = f"/files/{stem}_{self.doc_counter}{ext}"
        self.docs[path] = 200
        return CDN_PREFIX + path if self.cdn else path

    def link(self, key: str, stem: str, text: str = "", label: str = "") -> Cell:
        return Cell(key, text or self.rng.choice(("Скачать", "Открыть документ", "Документ", "Просмотреть")), (self.doc(stem),), key, label)

    # facts ----------------------------------------------------------------------------------
    def facts(self) -> dict[str, Any]:
        r, s = self.rng, self.spec
        street = r.choice(names.STREETS)
        address = f"{188000 + r.randrange(999)}, Ленинградская область, г. {s.town}, {street}, д. {r.randrange(1, 80)}"
        latin = hashlib.blake2b(s.name.encode(), digest_size=3).hexdigest()
        domain = r.choice(("mail.ru", "yandex.ru", "edu.lenobl.ru", f"{s.town and 'sch'}{latin}.ru"))
        return {
            "address": address,
            "phone": names.phone(r),
            "phone2": names.phone(r),
            "email": f"{self.t[:3]}{latin}@{domain}",
            "director": names.person(r),
            "reg_date": f"{r.randrange(1, 29):02d}.{r.randrange(1, 13):02d}.{r.randrange(1935, 2015)}",
            "work_time": r.choice((
                "Понедельник — пятница: 8:00–18:00, суббота, воскресенье — выходные дни",
                "Пн–Пт с 7:00 до 19:00 (12-часовое пребывание), выходные — сб, вс, праздничные дни",
                "Понедельник — суббота: 8:30–17:00; приём граждан директором — вторник 15:00–17:00",
            )),
        }

    def programs(self) -> list[dict[str, str]]:
        r, t = self.rng, self.t
        if t == "school":
            levels = [("Начальное общее образование", "начального общего образования", "4 года"),
                      ("Основное общее образование", "основного общего образования", "5 лет"),
                      ("Среднее общее образование", "среднего общего образования", "2 года")]
            if r.random() < 0.2:
                levels = levels[:2]
            out = [{"code": "", "name": f"Основная образовательная программа {g}", "level": lvl, "prof": "Общеобразовательная", "term": term, "form": "Очная"} for lvl, g, term in levels]
            if r.random() < 0.3:
                out.append({"code": "", "name": "Адаптированная основная общеобразовательная программа для обучающихся с ЗПР", "level": "Начальное общее образование", "prof": "Адаптированная", "term": "5 лет", "form": "Очная"})
            return out
        if t == "kindergarten":
            out = [{"code": "", "name": "Образовательная программа дошкольного образования", "level": "Дошкольное образование", "prof": "Общеразвивающая", "term": "5 лет", "form": "Очная"}]
            if r.random() < 0.4:
                out.append({"code": "", "name": "Адаптированная образовательная программа дошкольного образования для детей с ТНР", "level": "Дошкольное образование", "prof": "Компенсирующая", "term": "2 года", "form": "Очная"})
            return out
        if t == "college":
            picks = r.sample(names.SPECIALTIES, r.randrange(2, 6))
            return [{"code": c, "name": n, "level": "Среднее профессиональное образование", "prof": "Программа подготовки специалистов среднего звена", "term": r.choice(("2 года 10 месяцев", "3 года 10 месяцев")), "form": r.choice(("Очная", "Очная, заочная"))} for c, n in picks]
        if t == "university":
            picks = r.sample(names.DIRECTIONS, r.randrange(3, 7))
            return [{"code": c, "name": n, "level": "Высшее образование — бакалавриат", "prof": n, "term": "4 года", "form": r.choice(("Очная", "Очная, заочная", "Очно-заочная"))} for c, n in picks]
        if t == "additional":
            picks = r.sample(names.ADDITIONAL_PROGRAMS, r.randrange(2, 6))
            return [{"code": "", "name": f"Дополнительная общеразвивающая программа «{p}»", "level": "Дополнительное образование детей и взрослых", "prof": r.choice(("Техническая", "Художественная", "Физкультурно-спортивная", "Естественнонаучная")), "term": r.choice(("1 год", "2 года", "3 года")), "form": "Очная"} for p in picks]
        picks = r.sample(names.DPO_PROGRAMS, r.randrange(2, 6))
        return [{"code": "", "name": f"Дополнительная профессиональная программа повышения квалификации «{p}»", "level": "Дополнительное профессиональное образование", "prof": "Повышение квалификации", "term": r.choice(("36 часов", "72 часа", "108 часов")), "form": r.choice(("Очная", "Очно-заочная с применением ДОТ", "Заочная с применением ДОТ"))} for p in picks]


def _cells(builder: _Builder, spec: list[tuple[str, str, Any]]) -> list[Cell]:
    out = []
    for key, label, value in spec:
        if isinstance(value, Cell):
            value.key, value.label = key, label
            out.append(value)
        else:
            out.append(Cell(key, str(value), (), key, label))
    return out


def _group(b: _Builder, parent: str, headers_keys: list[tuple[str, str]], rows: list[list[Any]], title: str = "", on: str = "row") -> Group:
    keys = [k for k, _ in headers_keys]
    headers = [h for _, h in headers_keys]
    built = []
    for row in rows:
        built.append(_cells(b, [(k, h, v) for (k, h), v in zip(headers_keys, row, strict=True) if v is not None]))
    return Group(parent, parent, keys, headers, built, on=on, title=title)


def _top(key: str, label: str, value: Any) -> Field:
    if isinstance(value, Cell):
        value.key, value.label = key, label
        return Field(value)
    return Field(Cell(key, str(value), (), key, label))


def build_site(spec: SiteSpec) -> SiteContent:
    b = _Builder(spec)
    r, t = b.rng, b.t
    facts = b.facts()
    progs = b.programs()
    feat: dict[str, Any] = {}
    # Site-level traits.
    feat["has_phone"] = r.random() > 0.05
    feat["has_email"] = r.random() > 0.05
    feat["branches"] = r.random() < {"university": 0.4, "college": 0.2, "school": 0.05}.get(t, 0.02)
    feat["hostel"] = r.random() < {"university": 0.8, "college": 0.6, "school": 0.04}.get(t, 0.0)
    feat["copy_link"] = r.random() < 0.35
    feat["schema_footer"] = feat["has_phone"] and feat["has_email"] and r.random() < 0.08
    feat["large_staff"] = t == "university" and r.random() < 0.15
    feat["addref_sections"] = r.sample(["employees", "education", "document", "objects"], r.choice((0, 0, 0, 0, 1, 1, 2)))
    feat["redirect_slash"] = spec.style != "static" and r.random() < 0.04  # index links /sveden/x, which 301s to /sveden/x/
    feat["redirect_home"] = r.random() < 0.02  # / answers 302 to /index.php (or /ru/)
    feat["subsections_in_home_menu"] = r.random() < 0.15
    feat["index_link_text"] = r.choice(("Сведения об образовательной организации",) * 6 + ("Сведения об организации", "Сведения об ОО"))
    feat["search_form"] = spec.style != "static" or r.random() < 0.3
    feat["newsletter"] = r.random() < 0.3
    feat["lookalike_news"] = r.random() < 0.3
    feat["lookalike_results_pdf"] = r.random() < 0.15
    feat["large_table_rows"] = 1500 if feat["large_staff"] else 0
    feat["no_index_page"] = spec.style in ("bitrix", "wordpress", "dl") and r.random() < 0.06  # a «#» menu item with a dropdown instead
    feat["robots_upload"] = spec.style == "bitrix" and r.random() < 0.12  # robots.txt: Disallow: /upload/ (documents cannot be probed)
    feat["cookie_gate"] = r.random() < 0.04  # the first request is answered 302 + Set-Cookie (a hosting's bot filter)
    feat["cdn_docs"] = spec.style in ("wordpress", "joomla", "gosweb") and r.random() < 0.12  # documents on the farm's CDN host
    feat["noise_props"] = r.random() < 0.12  # names of old formats that MR v9 dropped (fax, fullnameUchred)
    feat["gzip"] = spec.style in ("bitrix", "wordpress", "gosweb") and r.random() < 0.6
    feat["chunked"] = spec.style in ("joomla", "wordpress") and r.random() < 0.5
    # Feedback channels (НОКО 1.2).
    appeal = r.random()
    feat["appeal"] = "form" if appeal < 0.55 else ("info_only" if appeal < 0.7 else "none")
    feat["appeal_text"] = r.choice(("Обращения граждан", "Электронная приёмная", "Обратная связь", "Задать вопрос директору"))
    feat["pos_widget"] = r.random() < 0.35
    feat["faq"] = r.random() < 0.55
    feat["faq_text"] = r.choice(("Вопрос-ответ", "Часто задаваемые вопросы", "Вопросы и ответы"))
    feat["anketa"] = r.random() < 0.45
    feat["anketa_text"] = r.choice(("Анкета для родителей", "Опрос о качестве условий", "Анкета получателя услуг"))
    feat["busgov_link"] = r.random() < 0.4
    feat["contacts_page"] = r.random() < 0.85
    feat["phone_as_link"] = r.random() < 0.5
    feat["email_as_link"] = r.random() < 0.6
    b.cdn = feat["cdn_docs"]
    quality = r.choices([q for q, _ in QUALITY], weights=[w for _, w in QUALITY])[0]
    feat["quality"] = quality
    channels = {
        "phone": feat["has_phone"],
        "email": feat["has_email"],
        "e_service": feat["appeal"] == "form" or feat["pos_widget"],
        "faq": feat["faq"],
        "opinion": feat["anketa"] or feat["busgov_link"],
    }

    sections = {s.slug: SectionContent(s.slug, s.title) for s in catalogue.sections()}
    phone_txt = facts["phone"] if feat["has_phone"] else None
    email_txt = facts["email"] if feat["has_email"] else None

    # «Основные сведения» --------------------------------------------------------------------
    sec = sections["common"]
    sec.blocks.append(_top("fullName", "Полное наименование образовательной организации", spec.name))
    if r.random() < 0.9:
        sec.blocks.append(_top("shortName", "Сокращённое наименование", spec.short_name))
    sec.blocks.append(_top("regDate", "Дата создания образовательной организации", facts["reg_date"]))
    founders = [r.choice(names.FOUNDERS).format(mun=spec.municipality, mun_gen=names.municipality_genitive(spec.municipality))] if t in ("school", "kindergarten", "additional") else [r.choice(names.REGIONAL_FOUNDERS)]
    if r.random() < 0.15:
        founders.append(names.REGIONAL_FOUNDERS[0])
    optional_cols = [k for k, p in (("addressUchred", 0.85), ("telUchred", 0.7), ("mailUchred", 0.7), ("websiteUchred", 0.7)) if r.random() < p]
    if not feat["has_phone"] and "telUchred" in optional_cols:
        optional_cols.remove("telUchred")
    if not feat["has_email"] and "mailUchred" in optional_cols:
        optional_cols.remove("mailUchred")
    hk = [("nameUchred", "Наименование учредителя")] + [(k, {"addressUchred": "Адрес", "telUchred": "Телефон", "mailUchred": "E-mail", "websiteUchred": "Сайт"}[k]) for k in optional_cols]
    rows = []
    for f in founders:
        row = [f]
        for k in optional_cols:
            row.append({
                "addressUchred": f"{188000 + r.randrange(999)}, Ленинградская область, г. {spec.town}, {r.choice(names.STREETS)}, д. {r.randrange(1, 50)}",
                "telUchred": names.phone(r),
                "mailUchred": f"komobr{r.randrange(10, 99)}@lenreg.ru",
                "websiteUchred": Cell("websiteUchred", "https://edu.lenobl.ru/", ("https://edu.lenobl.ru/",)),
            }[k])
        rows.append(row)
    sec.blocks.append(_group(b, "uchredLaw", hk, rows, "Учредитель"))
    if feat["noise_props"]:
        sec.blocks.append(_top("fax", "Факс", facts["phone2"] if feat["has_phone"] else "нет"))
    sec.blocks.append(_top("address", "Место нахождения", facts["address"]))
    sec.blocks.append(_top("workTime", "Режим и график работы", facts["work_time"]))
    sec.blocks.append(_top("telephone", "Контактные телефоны", f"{phone_txt}, {facts['phone2']}" if phone_txt and r.random() < 0.3 else (phone_txt or "")))
    sec.blocks.append(_top("email", "Адрес электронной почты", email_txt or ""))
    sec.blocks.append(_top("licenseDocLink", "Лицензия на осуществление образовательной деятельности", b.link("licenseDocLink", "vypiska_licenzia", "Выписка из реестра лицензий")))
    if t in ("school", "college", "university") and r.random() < 0.35:
        sec.blocks.append(_top("accreditationDocLink", "Государственная аккредитация", b.link("accreditationDocLink", "vypiska_akkreditacia", "Выписка из реестра аккредитованных программ")))
    for key, label in (("addressPlaceSet", "Места осуществления образовательной деятельности при сетевой форме"), ("addressPlacePrac", "Места проведения практики"),
                       ("addressPlacePodg", "Места практической подготовки"), ("addressPlaceGia", "Места проведения ГИА")):
        value = "отсутствует" if r.random() < 0.5 or t in ("kindergarten",) else facts["address"]
        sec.blocks.append(_top(key, label, value))
    if t == "dpo" or r.random() < 0.1:
        sec.blocks.append(_top("addressPlaceDop", "Места осуществления деятельности по ДПП", facts["address"]))
    if t == "college" and r.random() < 0.5:
        sec.blocks.append(_top("addressPlaceOppo", "Места осуществления деятельности по программам профобучения", facts["address"]))

    # «Структура и органы управления» ------------------------------------------------------------
    sec = sections["struct"]
    units = r.sample(names.STRUCT_UNITS, r.randrange(3, 7))
    optional_cols = [k for k, p in (("site", 0.3), ("email", 0.5), ("divisionClauseDocLink", 0.7)) if r.random() < p]
    if not feat["has_email"] and "email" in optional_cols:
        optional_cols.remove("email")
    hk = [("name", "Наименование органа управления (подразделения)"), ("fio", "ФИО руководителя"), ("post", "Должность"), ("addressStr", "Место нахождения")]
    hk += [(k, {"site": "Сайт", "email": "E-mail", "divisionClauseDocLink": "Положение"}[k]) for k in optional_cols]
    rows = []
    for u in units:
        row = [u, names.person(r), r.choice(("Председатель", "Руководитель", "Заведующий")), facts["address"]]
        for k in optional_cols:
            row.append({"site": "отсутствует", "email": email_txt, "divisionClauseDocLink": None}[k] or b.link("divisionClauseDocLink", "polozhenie", "Положение"))
        rows.append(row)
    sec.blocks.append(_group(b, "structOrgUprav", hk, rows, "Органы управления", on="table" if r.random() < 0.1 else "row"))
    if feat["branches"]:
        hk = [("nameFil", "Наименование филиала"), ("fioFil", "Руководитель"), ("postFil", "Должность"), ("addressFil", "Адрес")]
        if feat["has_email"]:
            hk.append(("emailFil", "E-mail"))
        hk += [("websiteFil", "Сайт"), ("divisionClauseDocLink", "Положение о филиале")]
        rows = []
        for k in range(r.randrange(1, 3)):
            town = r.choice(names.TOWNS)
            row = [f"Филиал в г. {town}", names.person(r), "Директор филиала", f"г. {town}, {r.choice(names.STREETS)}, д. {r.randrange(1, 40)}"]
            if feat["has_email"]:
                row.append(f"fil{k + 1}@{email_txt.split('@')[1]}")
            row += ["отсутствует", b.link("divisionClauseDocLink", "polozhenie_filial", "Положение о филиале")]
            rows.append(row)
        sec.blocks.append(_group(b, "filInfo", hk, rows, "Филиалы"))
    if t == "university" and r.random() < 0.1:
        hk = [("nameRep", "Наименование представительства"), ("fioRep", "Руководитель"), ("postRep", "Должность"), ("addressRep", "Адрес"), ("websiteRep", "Сайт"), ("divisionClauseDocLink", "Положение")]
        rows = [["Представительство в г. Мурманске", names.person(r), "Руководитель представительства", "г. Мурманск, пр. Ленина, д. 5", "отсутствует", b.link("divisionClauseDocLink", "polozhenie_pred", "Положение")]]
        sec.blocks.append(_group(b, "repInfo", hk, rows, "Представительства"))

    # «Документы» -------------------------------------------------------------------------------
    sec = sections["document"]
    for key, stem, label, optional in (
        ("ustavDocLink", "ustav", "Устав", False), ("localActStud", "pravila_vnutr_rasporyadka_obuch", "Правила внутреннего распорядка обучающихся", False),
        ("localActOrder", "pravila_trudovogo_rasporyadka", "Правила внутреннего трудового распорядка", False),
        ("localActCollec", "kollektivny_dogovor", "Коллективный договор", True), ("reportEduDocLink", "otchet_samoobsledovanie", "Отчёт о самообследовании", False),
        ("prescriptionDocLink", "predpisaniya", "Предписания органов контроля", True), ("priemDocLink", "pravila_priema", "Правила приёма", False),
        ("modeDocLink", "rezhim_zanyatiy", "Режим занятий", False), ("tekKontrolDocLink", "tekuschiy_kontrol", "Формы, периодичность и порядок текущего контроля", False),
        ("perevodDocLink", "poryadok_perevoda", "Порядок перевода, отчисления и восстановления", False),
        ("vozDocLink", "otnosheniya", "Порядок оформления возникновения, приостановления и прекращения отношений", False),
    ):
        if optional and r.random() < 0.25:
            continue
        if key == "prescriptionDocLink" and r.random() < 0.5:
            sec.blocks.append(_top(key, label, Cell(key, "Предписаний нет")))
        else:
            sec.blocks.append(_top(key, label, b.link(key, stem, label)))

    # «Образование» -----------------------------------------------------------------------------
    sec = sections["education"]
    with_code = t in ("college", "university")
    accred_na_cols = t == "kindergarten" and r.random() < 0.3  # a template column that does not apply
    hk = ([("eduCode", "Код")] if with_code else []) + [("eduName", "Наименование"), ("eduProf", "Направленность"), ("eduLevel", "Уровень образования")]
    if t != "kindergarten" or accred_na_cols:
        hk.append(("eduForm", "Формы обучения"))
    hk.append(("learningTerm", "Нормативный срок обучения"))
    if t != "kindergarten" or accred_na_cols:
        hk += [("eduPred", "Учебные предметы, курсы, дисциплины"), ("eduPrac", "Практики")]
    rows = []
    for p in progs:
        row = ([p["code"]] if with_code else []) + [p["name"], p["prof"], p["level"]]
        if t != "kindergarten" or accred_na_cols:
            row.append(p["form"])
        row.append(p["term"])
        if t != "kindergarten" or accred_na_cols:
            preds = ", ".join(r.sample(names.SUBJECTS, 5)) if t in ("school", "kindergarten") else f"Дисциплины учебного плана программы «{p['name'][:40]}»"
            row += [preds, "не предусмотрены" if t in ("school", "kindergarten", "additional") else "Учебная и производственная практика"]
        rows.append(row)
    sec.blocks.append(_group(b, "eduAccred", hk, rows, "Реализуемые образовательные программы"))
    if t in ("school", "college", "university"):
        sec.blocks.append(_top("accreditationDocLink", "Государственная аккредитация", b.link("accreditationDocLink", "vypiska_akkreditacia", "Выписка из реестра организаций, имеющих государственную аккредитацию")))
    sec.blocks.append(_top("languageEl", "Языки образования", b.link("languageEl", "yazyk_obucheniya", "Положение о языке образования")))
    sec.blocks.append(_top("eduChislenEl", "Численность обучающихся", b.link("eduChislenEl", "chislennost", "Численность обучающихся")))
    if t in ("college", "university"):
        sec.blocks.append(_top("eduPriemEl", "Результаты приёма", b.link("eduPriemEl", "rezultaty_priema", "Результаты приёма")))
    sec.blocks.append(_top("eduPerevodEl", "Результаты перевода, восстановления и отчисления", b.link("eduPerevodEl", "perevod_otchislenie", "Результаты перевода")))
    hk = ([("eduCode", "Код")] if with_code else []) + [("eduName", "Наименование"), ("eduLevel", "Уровень"), ("eduProf", "Направленность"), ("eduForm", "Формы обучения"),
           ("opMain", "Образовательная программа"), ("educationPlan", "Учебный план"), ("educationRpd", "Рабочие программы"), ("educationShedule", "Календарный учебный график"),
           ("eduPr", "Программы практик"), ("methodology", "Методические и иные документы")]
    rows = []
    for i, p in enumerate(progs):
        no_practice = t in ("school", "kindergarten", "additional", "dpo")
        row = ([p["code"]] if with_code else []) + [p["name"], p["level"], p["prof"], p["form"],
               b.link("opMain", f"oop_{i + 1}", "ООП"), b.link("educationPlan", f"uchebny_plan_{i + 1}", "Учебный план"),
               Cell("educationRpd", "Рабочие программы", tuple(b.doc(f"rp_{i + 1}_{k}") for k in range(r.randrange(1, 4)))),
               b.link("educationShedule", f"kug_{i + 1}", "Календарный учебный график"),
               Cell("eduPr", r.choice(("не предусмотрены", "отсутствуют"))) if no_practice else b.link("eduPr", f"praktiki_{i + 1}", "Программы практик"),
               b.link("methodology", f"rpv_{i + 1}", "Рабочая программа воспитания")]
        rows.append(row)
    sec.blocks.append(_group(b, "eduOp", hk, rows, "Образовательные программы и документы"))
    if t in ("university", "dpo"):
        hk = [("eduCode", "Код"), ("eduName", "Наименование"), ("perechenNir", "Перечень научных направлений"), ("eduProf", "Профиль"), ("eduLevel", "Уровень"),
              ("napravNir", "Научное направление"), ("resultNir", "Результаты"), ("baseNir", "Научно-исследовательская база")]
        rows = []
        for p in progs[: r.randrange(1, 4)]:
            rows.append([p["code"] or "—", p["name"], "Педагогические науки; информационные технологии", p["prof"], p["level"], "Научная школа профессора " + names.person(r),
                         f"Опубликовано {r.randrange(3, 40)} статей, {r.randrange(0, 4)} монографии", "Лаборатория, научная библиотека"])
        if t == "dpo":
            for row in rows:
                row[0] = f"5.8.{r.randrange(1, 8)}"
        sec.blocks.append(_group(b, "eduNir", hk, rows, "Научная деятельность"))
    if t in ("college", "university"):
        hk = [("eduCode", "Код"), ("eduName", "Наименование"), ("eduProf", "Профиль"), ("v1", "Выпущено"), ("t1", "Трудоустроено")]
        rows = []
        for p in progs:
            v1 = r.randrange(10, 120)
            rows.append([p["code"], p["name"], p["prof"], str(v1), str(r.randrange(0, v1))])
        sec.blocks.append(_group(b, "graduateJob", hk, rows, "Трудоустройство выпускников"))

    # «Образовательные стандарты» ---------------------------------------------------------------
    sec = sections["eduStandarts"]
    if t in ("college", "kindergarten", "school", "university"):
        stems = {"school": ["fgos_noo", "fgos_ooo", "fgos_soo"], "kindergarten": ["fgos_do"], "college": ["fgos_spo"], "university": ["fgos_vo"]}[t]
        sec.blocks.append(_top("eduFedDoc", "Федеральные государственные образовательные стандарты", Cell("eduFedDoc", "ФГОС", tuple(b.doc(s, ".pdf") for s in stems))))
    if t == "university" and r.random() < 0.4:
        sec.blocks.append(_top("eduStandartDoc", "Образовательные стандарты, установленные самостоятельно", b.link("eduStandartDoc", "os_vo", "Образовательные стандарты")))
    if (t == "additional" and r.random() < 0.5) or (t == "university" and r.random() < 0.2):
        sec.blocks.append(_top("eduFedTreb", "Федеральные государственные требования", b.link("eduFedTreb", "fgt", "ФГТ")))
    if t == "university" and r.random() < 0.3:
        sec.blocks.append(_top("eduStandartTreb", "Самостоятельно установленные требования", b.link("eduStandartTreb", "trebovaniya", "Требования")))
    if not sec.blocks:
        sec.state = "missing"

    # «Руководство» -------------------------------------------------------------------------------
    sec = sections["managers"]
    keys = [("fio", "ФИО"), ("post", "Должность")] + ([("telephone", "Телефон")] if feat["has_phone"] else []) + ([("email", "E-mail")] if feat["has_email"] else [])

    def person_row(post: str) -> list[str]:
        row = [names.person(r), post]
        if feat["has_phone"]:
            row.append(names.phone(r))
        if feat["has_email"]:
            row.append(email_txt)
        return row

    head = {"kindergarten": "Заведующий", "university": "Ректор", "dpo": "Ректор", "college": "Директор"}.get(t, "Директор")
    sec.blocks.append(_group(b, "rucovodstvo", keys, [person_row(head)], "Руководитель"))
    sec.blocks.append(_group(b, "rucovodstvoZam", keys, [person_row(p) for p in r.sample(names.POSTS_ZAM, r.randrange(1, 4))], "Заместители руководителя"))
    if feat["branches"]:
        fk = [("nameFil", "Филиал")] + keys
        sec.blocks.append(_group(b, "rucovodstvoFil", fk, [[f"Филиал в г. {r.choice(names.TOWNS)}", *person_row("Директор филиала")]], "Руководители филиалов"))
    for key in ("telephone", "email"):
        if not feat["has_phone" if key == "telephone" else "has_email"]:
            b.defects.append({"kind": "missing", "section": "managers", "parent": "rucovodstvo", "itemprop": key, "note": "no_channel"})
            b.defects.append({"kind": "missing", "section": "managers", "parent": "rucovodstvoZam", "itemprop": key, "note": "no_channel"})

    # «Педагогический состав» -------------------------------------------------------------------
    sec = sections["employees"]
    n_staff = feat["large_table_rows"] or {"school": (12, 40), "kindergarten": (6, 20), "college": (15, 45), "university": (25, 70), "additional": (6, 25), "dpo": (8, 25)}[t]
    n_staff = n_staff if isinstance(n_staff, int) else r.randrange(*n_staff)
    opt = [k for k, p in (("degree", 1.0 if t == "university" else 0.6), ("academStat", 1.0 if t == "university" else 0.5), ("qualification", 0.8), ("profDevelopment", 0.85)) if r.random() < p]
    hk = [("fio", "ФИО"), ("post", "Должность"), ("teachingDiscipline", "Преподаваемые дисциплины"), ("teachingLevel", "Уровень образования")]
    hk += [(k, {"degree": "Учёная степень", "academStat": "Учёное звание", "qualification": "Квалификация", "profDevelopment": "Повышение квалификации"}[k]) for k in opt]
    hk += [("specExperience", "Стаж работы по специальности"), ("teachingOp", "Образовательные программы")]
    rows = []
    for _ in range(n_staff):
        row = [names.person(r), r.choice(("Учитель", "Воспитатель", "Преподаватель", "Педагог дополнительного образования", "Доцент", "Старший преподаватель")),
               ", ".join(r.sample(names.SUBJECTS, r.randrange(1, 3))), r.choice(("Высшее — специалитет", "Высшее — бакалавриат", "Среднее профессиональное"))]
        for k in opt:
            row.append({"degree": r.choice(("не имеет", "кандидат педагогических наук")), "academStat": r.choice(("не имеет", "доцент")),
                        "qualification": r.choice(("Учитель математики", "Воспитатель детей дошкольного возраста", "Преподаватель")),
                        "profDevelopment": f"{r.randrange(2021, 2025)}, «{r.choice(names.DPO_PROGRAMS)}», {r.choice((36, 72, 108))} ч."}[k])
        row += [f"{r.randrange(1, 40)} лет", r.choice(progs)["name"]]
        rows.append(row)
    sec.blocks.append(_group(b, "teachingStaff", hk, rows, "Педагогические работники"))

    # «Материально-техническое обеспечение. Доступная среда» ----------------------------------
    sec = sections["objects"]
    rooms = r.sample(("Кабинет математики", "Кабинет физики", "Кабинет химии", "Кабинет информатики", "Музыкальный зал", "Кабинет логопеда", "Мастерская", "Кабинет биологии", "Лингафонный кабинет"), r.randrange(3, 8))
    sec.blocks.append(_group(b, "purposeCab", [("addressCab", "Адрес"), ("nameCab", "Наименование"), ("osnCab", "Оснащённость"), ("ovzCab", "Приспособленность для лиц с ОВЗ")],
                             [[facts["address"], room, "Интерактивная доска, компьютер, проектор", r.choice(("Приспособлен", "Не приспособлен"))] for room in rooms], "Учебные кабинеты"))
    sec.blocks.append(_group(b, "purposePrac", [("addressPrac", "Адрес"), ("namePrac", "Наименование"), ("osnPrac", "Оснащённость"), ("ovzPrac", "Приспособленность для лиц с ОВЗ")],
                             [[facts["address"], r.choice(("Учебно-опытный участок", "Спортивный зал", "Лаборатория", "Мастерская")), "Необходимое оборудование", "Приспособлен"] for _ in range(r.randrange(1, 3))], "Объекты для проведения практических занятий"))
    sec.blocks.append(_group(b, "purposeLibr", [("objName", "Наименование"), ("objAddress", "Адрес"), ("objOvz", "Приспособленность для лиц с ОВЗ")],
                             [["Библиотека" + r.choice(("", " с читальным залом")), facts["address"], "Приспособлена"]], "Библиотеки"))
    sec.blocks.append(_group(b, "purposeSport", [("objName", "Наименование"), ("objAddress", "Адрес"), ("objOvz", "Приспособленность для лиц с ОВЗ")],
                             [[name, facts["address"], "Приспособлен"] for name in r.sample(("Спортивный зал", "Стадион", "Бассейн", "Тренажёрный зал"), r.randrange(1, 3))], "Объекты спорта"))
    for key, label, value in (
        ("ovz", "Специальные условия для обучающихся с ОВЗ", "Обеспечен доступ в здание: пандус, кнопка вызова, тактильные указатели"),
        ("purposeFacil", "Средства обучения и воспитания", "Интерактивные доски, ноутбуки, микроскопы, спортивный инвентарь"),
        ("purposeFacilOvz", "Средства обучения для инвалидов и лиц с ОВЗ", "Специальные технические средства обучения отсутствуют" if r.random() < 0.3 else "Портативная индукционная система, ПО экранного доступа"),
        ("comNet", "Доступ к информационным системам и сетям", "Скорость доступа к сети Интернет — 100 Мбит/с, контент-фильтрация"),
        ("comNetOvz", "Доступ к информационным системам для лиц с ОВЗ", "Обеспечен с использованием версии сайта для слабовидящих"),
    ):
        sec.blocks.append(_top(key, label, value))
    sec.blocks.append(_top("erList", "Электронные образовательные ресурсы", b.link("erList", "eor", "Перечень ЭОР")))
    if r.random() < 0.4:
        sec.blocks.append(_top("erListOvz", "ЭОР для лиц с ОВЗ", b.link("erListOvz", "eor_ovz", "Перечень ЭОР для лиц с ОВЗ")))
    if r.random() < 0.5:
        sec.blocks.append(_top("techOvz", "Специальные технические средства", "Отсутствуют" if r.random() < 0.5 else "Мобильный лестничный подъёмник"))
    hostel_items = []
    if feat["hostel"]:
        beds = r.randrange(50, 600)
        hostel_items = [("hostelInfo", "Общежитие", f"Общежитие на {beds} мест, г. {spec.town}, {r.choice(names.STREETS)}, д. {r.randrange(1, 60)}"),
                        ("hostelNum", "Количество мест в общежитии", str(beds)), ("hostelNumOvz", "Мест для лиц с ОВЗ", str(r.randrange(0, 5))),
                        ("localActObSt", "Размер платы за проживание", b.link("localActObSt", "plata_obschezhitie", "Приказ о размере платы"))]
    elif r.random() < 0.2:
        hostel_items = [("hostelInfo", "Общежитие", "Общежитие отсутствует"), ("interInfo", "Интернат", "Интернат отсутствует")]
    for key, label, value in hostel_items:
        sec.blocks.append(_top(key, label, value))

    # «Стипендии и меры поддержки» -------------------------------------------------------------
    sec = sections["grants"]
    if t in ("college", "university"):
        sec.blocks.append(_top("grant", "Стипендии", "Государственная академическая и социальная стипендии в соответствии с Положением о стипендиальном обеспечении"))
    elif r.random() < 0.5:
        sec.blocks.append(_top("grant", "Стипендии", "Выплата стипендий не предусмотрена"))
    if r.random() < 0.8:
        sec.blocks.append(_top("support", "Меры социальной поддержки", "Бесплатное питание обучающихся из многодетных и малоимущих семей, компенсация проезда"))
    for key, label, value in hostel_items:  # the same hostel facts are published in both subsections
        value = Cell(key, value.text, value.hrefs) if isinstance(value, Cell) else value
        sec.blocks.append(_top(key, label, value))
    if not sec.blocks:
        sec.state = "missing"

    # «Платные образовательные услуги» ------------------------------------------------------------
    sec = sections["paid_edu"]
    for key, stem, label in (("paidEdu", "poryadok_platnyh_uslug", "Порядок оказания платных образовательных услуг"), ("paidDog", "dogovor_obrazec", "Образец договора"),
                             ("paidSt", "stoimost_obucheniya", "Стоимость обучения")):
        if r.random() < 0.15:
            sec.blocks.append(_top(key, label, Cell(key, "Платные образовательные услуги не оказываются")))
        else:
            sec.blocks.append(_top(key, label, b.link(key, stem, label)))
    if t in ("kindergarten", "school") and r.random() < (0.8 if t == "kindergarten" else 0.3):
        sec.blocks.append(_top("paidParents", "Плата за присмотр и уход", b.link("paidParents", "roditelskaya_plata", "Постановление о размере родительской платы")))

    # «Финансово-хозяйственная деятельность» -----------------------------------------------------
    sec = sections["budget"]
    for key, label in (("finBFVolume", "за счёт федерального бюджета"), ("finBRVolume", "за счёт бюджета субъекта РФ"), ("finBMVolume", "за счёт местного бюджета"), ("finPVolume", "по договорам об оказании платных услуг")):
        value = f"{r.randrange(0, 300000) / 10:,.1f} тыс. руб.".replace(",", " ") if r.random() < 0.7 else "0,0 тыс. руб."
        sec.blocks.append(_top(key, f"Объём образовательной деятельности {label}", value))
    rows = [[str(y), f"{r.randrange(10000, 900000) / 10:,.1f} тыс. руб.".replace(",", " "), f"{r.randrange(10000, 900000) / 10:,.1f} тыс. руб.".replace(",", " ")] for y in (2024,)]
    sec.blocks.append(_group(b, "volume", [("finYear", "Год"), ("finPost", "Поступление средств"), ("finRas", "Расходование средств")], rows, "Поступление и расходование средств"))
    sec.blocks.append(_top("finPlanDocLink", "План финансово-хозяйственной деятельности", b.link("finPlanDocLink", "pfhd_2025", "План ФХД на 2025 год")))

    # «Вакантные места» --------------------------------------------------------------------------
    sec = sections["vacant"]
    if r.random() < 0.85:
        hk = ([("eduCode", "Код")] if with_code else []) + [("eduName", "Наименование"), ("eduLevel", "Уровень"), ("eduProf", "Направленность"), ("eduCourse", "Класс/курс"), ("eduForm", "Форма"),
               ("numberBFVacant", "ФБ"), ("numberBRVacant", "БС"), ("numberBMVacant", "МБ"), ("numberPVacant", "Договоры")]
        rows = []
        for p in progs:
            for course in range(1, r.randrange(2, 4)):
                rows.append(([p["code"]] if with_code else []) + [p["name"], p["level"], p["prof"], str(course), p["form"], "0", str(r.randrange(0, 10)), str(r.randrange(0, 10)), str(r.randrange(0, 5))])
        sec.blocks.append(_group(b, "vacant", hk, rows, "Вакантные места для приёма (перевода)", on="table" if r.random() < 0.08 else "row"))
    if not sec.blocks:
        sec.state = "missing"

    # «Международное сотрудничество» --------------------------------------------------------------
    sec = sections["inter"]
    if r.random() < {"university": 0.7, "college": 0.3}.get(t, 0.05):
        rows = [[r.choice(("Республика Беларусь", "Республика Казахстан", "КНР")), r.choice(("Белорусский государственный университет", "Университет Цинхуа", "КазНУ")), f"Договор № {r.randrange(1, 99)} от {r.randrange(2018, 2025)} г."] for _ in range(r.randrange(1, 4))]
        sec.blocks.append(_group(b, "internationalDog", [("stateName", "Государство"), ("orgName", "Организация"), ("dogReg", "Реквизиты договора")], rows, "Договоры с иностранными организациями"))
    elif r.random() < 0.5:
        sec.intro = "Международное сотрудничество не осуществляется."

    # «Организация питания» ----------------------------------------------------------------------
    sec = sections["catering"]
    sec.blocks.append(_group(b, "meals", [("objName", "Наименование"), ("objAddress", "Адрес"), ("objOvz", "Приспособленность для лиц с ОВЗ")],
                             [[r.choice(("Столовая на 120 посадочных мест", "Пищеблок", "Буфет-раздаточная")), facts["address"], "Приспособлена"] for _ in range(r.randrange(1, 3))], "Объекты питания"))
    sec.blocks.append(_top("health", "Условия охраны здоровья", "Медицинский кабинет, договор с ГБУЗ ЛО «ЦРБ» о медицинском обслуживании"))

    _complete_from_catalogue(b, sections)
    content = SiteContent(spec=spec, sections=sections, docs=b.docs, defects=b.defects, features=feat, facts=facts, channels=channels, site_nodes=[], paths={})
    _apply_site_defects(b, content, quality * spec.farm.options.get("defect_rate", 1.0))
    _apply_edits(b, content, spec.farm.options.get("edits", {}).get(spec.index, ()))
    _apply_edits(b, content, platforms.template_defects(spec), note="template")  # the platform's template loses the markup
    _finish(b, content)
    _apply_visibility_defects(b, content)
    _apply_document_defects(b, content)
    return content


def probed_documents(content: SiteContent) -> list[tuple[str, str]]:
    """(itemprop, href) of the documents the marked link items of the site's readable subsections link
    (site paths, robots.txt permitting, and ``cdn:`` ones): what a crawl downloads."""
    links = {r.itemprop for r in catalogue.rules() if r.kind is Kind.link}
    disallowed = robots_disallow(content)
    out = []
    for sec in content.sections.values():
        if sec.state != "ok":
            continue
        cells = [bl.cell for bl in sec.blocks if isinstance(bl, Field)] + [c for bl in sec.blocks if isinstance(bl, Group) for row in bl.rows for c in row]
        for c in cells:
            if c.prop in links and c.prop == c.key:
                out += [(c.prop, h) for h in c.hrefs if h.startswith(CDN_PREFIX) or (h.startswith("/") and not h.startswith(disallowed))]
    return out


def robots_disallow(content: SiteContent) -> tuple[str, ...]:
    """Site path prefixes robots.txt forbids documents under (render.robots_txt)."""
    return ("/upload/",) if content.features.get("robots_upload") else ()


def _apply_document_defects(b: _Builder, content: SiteContent) -> None:
    """Signed regulations of structural units, and documents that are scans, encrypted, or gone behind
    an error or login page answering 200; from their own random stream (other sites stay as they were)."""
    rng = _rng(b.spec.farm.seed, b.spec.index, "documents")
    rate = b.spec.farm.options.get("defect_rate", 1.0)
    if content.spec.outcome != "ok":
        return
    # Variants are served by the site itself, not by the CDN host.
    linked = [(prop, h) for prop, h in probed_documents(content) if h.startswith("/") and content.docs.get(h) == 200]
    for prop, h in linked:
        if prop == "divisionClauseDocLink" and h.endswith(".pdf") and rng.random() < (SIGNED_POSITIONS if rate > 0 else 1.0):
            content.doc_variants[h] = "signed"
    if rate <= 0:
        return
    for kind, p in DOC_DEFECT_RATES.items():
        if rng.random() >= p * rate:
            continue
        pool = [h for _, h in linked if h not in content.doc_variants and (kind in ("soft404", "login") or h.endswith(".pdf"))]
        if not pool:
            continue
        h = rng.choice(pool)
        content.doc_variants[h] = kind
        if kind in ("soft404", "login"):
            content.docs[h] = 404 if kind == "soft404" else 401  # the item's truth: the document is gone
        b.defects.append({"kind": f"doc_{kind}", "path": h})


def _apply_visibility_defects(b: _Builder, content: SiteContent) -> None:
    """Hidden marked copies and pages of scans, from their own random stream (other sites stay as they were)."""
    rng = _rng(b.spec.farm.seed, b.spec.index, "visibility")
    rate = b.spec.farm.options.get("defect_rate", 1.0)  # a farm of flawless sites has none
    if content.spec.outcome != "ok" or rate <= 0:
        return
    if rng.random() < HIDDEN_COPY_RATE * rate:
        groups = [(slug, bl) for slug, sec in content.sections.items() if sec.state == "ok" for bl in sec.blocks if isinstance(bl, Group) and bl.written]
        if groups:
            slug, group = rng.choice(groups)
            blocks = content.sections[slug].blocks
            copy = Group(group.parent, group.written, list(group.keys), list(group.headers), [[Cell(c.prop, c.text, c.hrefs, c.key, c.label) for c in row] for row in group.rows],
                         group.on, group.itemtype, "", group.page, rng.choice(HIDE_METHODS))
            group.written, group.itemtype = None, ""
            for row in group.rows:
                for c in row:
                    c.prop = None
            blocks.insert(blocks.index(group) + 1, copy)
            b.defects.append({"kind": "hidden_copy", "section": slug, "parent": group.parent, "method": copy.hide})
    if rng.random() < IMAGE_ONLY_RATE * rate:
        single = sorted(slug for slug, sec in content.sections.items() if sec.state == "ok" and sec.n_pages == 1 and sec.blocks)
        if single:
            slug = rng.choice(single)
            sec = content.sections[slug]
            sec.blocks, sec.intro, sec.images = [], "", rng.randrange(1, 4)
            b.defects.append({"kind": "image_only", "section": slug, "images": sec.images})


# -- every rule of the catalogue -----------------------------------------------------------------

OPTIONAL_PUBLISHED = 0.5  # a «при наличии» item the hand-written model leaves out is published this often


def _generic_value(b: _Builder, rule: Rule, rng: random.Random) -> Cell:
    if rule.kind is Kind.link:
        return b.link(rule.itemprop, rule.itemprop.lower(), "Документ")
    return Cell(rule.itemprop, f"Сведения: {rule.title[:60].lower()}", (), rule.itemprop, rule.title)


def _complete_from_catalogue(b: _Builder, sections: dict[str, SectionContent]) -> None:
    """Publish, from its declaration, every rule the hand-written model above leaves out.

    A new rule in ``checks/sections`` then appears on the farm's pages (and in its truth) with no
    edit here; the hand-written content stays the realistic part. Its own random stream keeps the
    rest of the site as it was.
    """
    rng = _rng(b.spec.farm.seed, b.spec.index, "catalogue")
    decided: dict[str, bool] = {}  # an itemprop of two subsections (interNum) is in both or in neither

    homes: dict[str, set[str]] = {}
    for r in catalogue.rules():
        homes.setdefault(f"{r.parent}/{r.itemprop}", set()).add(r.section)
    by_hand = {bl.cell.key for sec in sections.values() for bl in sec.blocks if isinstance(bl, Field)}
    by_hand |= {k for sec in sections.values() for bl in sec.blocks if isinstance(bl, Group) for k in (bl.parent, *bl.keys)}

    def publish(rule: Rule) -> bool:
        key = f"{rule.parent}/{rule.itemprop}"
        if len(homes[key]) > 1 and (rule.itemprop in by_hand or any(sections[h].state != "ok" for h in homes[key])):
            return False  # the hand-written model places it, or it could only be misplaced
        if not rule.optional:
            return True
        if key not in decided:
            decided[key] = rng.random() < OPTIONAL_PUBLISHED
        return decided[key]

    for slug, sec in sections.items():
        if sec.state != "ok":
            continue
        rules = [r for r in catalogue.section_rules()[slug] if r.applies(b.t) and not r.repealed and not r.superseded_by]
        published = {bl.cell.key for bl in sec.blocks if isinstance(bl, Field)} | {bl.parent for bl in sec.blocks if isinstance(bl, Group)}
        for rule in rules:
            if rule.parent or rule.itemprop in published:
                continue
            if not publish(rule):
                continue
            kids = [c for c in rules if c.parent == rule.itemprop]
            if kids and rule.optional:
                continue  # optional groups (branches, offices) are the hand-written model's: their rows need real facts
            children = [c for c in kids if publish(c)]
            if children:
                row = [_generic_value(b, c, rng) for c in children]
                sec.blocks.append(_group(b, rule.itemprop, [(c.itemprop, c.title[:40]) for c in children], [row], rule.title[:60]))
            elif rule.itemprop not in parent_props(slug):
                sec.blocks.append(_top(rule.itemprop, rule.title[:60], _generic_value(b, rule, rng)))
        for rule in rules:
            group = _find_group(sec, rule.parent) if rule.parent else None
            # An itemprop the hand-written model uses anywhere (email) is its decision: never a second guess.
            if group is None or rule.itemprop in group.keys or rule.itemprop in by_hand or not publish(rule):
                continue
            group.keys.append(rule.itemprop)
            group.headers.append(rule.title[:40])
            for row in group.rows:
                row.append(_generic_value(b, rule, rng))


# -- defects ---------------------------------------------------------------------------------------


def _weighted(rng: random.Random, table: dict[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _find_group(sec: SectionContent, parent: str) -> Group | None:
    return next((bl for bl in sec.blocks if isinstance(bl, Group) and bl.parent == parent), None)


def _find_fields(sec: SectionContent, key: str) -> list[Field]:
    return [bl for bl in sec.blocks if isinstance(bl, Field) and bl.cell.key == key]


def _elsewhere_target(rng: random.Random, content: SiteContent, rule: Rule, props: set[str]) -> str | None:
    targets = [s for s, sec in content.sections.items() if s != rule.section and sec.state == "ok" and not (props & section_props(s))]
    return rng.choice(sorted(targets)) if targets else None


def _apply_site_defects(b: _Builder, content: SiteContent, factor: float) -> None:
    rng = _rng(b.spec.farm.seed, b.spec.index, "defects")
    t = b.t
    sections = content.sections
    # Whole subsections.
    for slug, sec in sections.items():
        if sec.state != "ok" or factor <= 0:
            continue
        x = rng.random()
        all_optional = all(r.optional or not r.applies(t) or r.repealed for r in catalogue.section_rules()[slug])
        miss = OFTEN_MISSING.get(slug, SECTION_MISSING_RATE) if all_optional else SECTION_MISSING_RATE * factor
        if x < miss:
            sec.state = "missing"
        elif x < miss + SECTION_ERROR_RATE * factor:
            sec.state = "error"
        elif x < miss + (SECTION_ERROR_RATE + SECTION_LOOP_RATE) * factor:
            sec.state = "loop"
        elif x < miss + (SECTION_ERROR_RATE + SECTION_LOOP_RATE + SECTION_UNMARKED_RATE) * factor and sec.blocks:
            for bl in sec.blocks:
                if isinstance(bl, Field):
                    bl.cell.prop = None
                else:
                    bl.written, bl.itemtype = None, ""
                    for row in bl.rows:
                        for c in row:
                            c.prop = None
            b.defects.append({"kind": "section_unmarked", "section": slug})
            continue
        if sec.state != "ok":
            b.defects.append({"kind": {"missing": "section_missing", "error": "section_500", "loop": "section_loop"}[sec.state], "section": slug})
    p_item = ITEM_DEFECT_RATE * factor
    if p_item <= 0:
        return
    for rule in catalogue.rules():
        if not rule.applies(t) or rule.repealed or rule.superseded_by:
            continue
        sec = sections[rule.section]
        if sec.state != "ok" or rng.random() >= p_item:
            continue
        is_parent = rule.itemprop in parent_props(rule.section) and not rule.parent
        if is_parent:
            group = _find_group(sec, rule.itemprop)
            if group is None:
                continue
            kind = _weighted(rng, PARENT_DEFECTS)
            if kind == "no_parent_markup":
                group.written = None
            elif kind == "legacy":
                if rule.itemprop in LEGACY_ITEMTYPES and rng.random() < 0.5:
                    group.written = None
                    group.itemtype = f"http://obrnadzor.gov.ru/microformats/{LEGACY_ITEMTYPES[rule.itemprop]}"
                    kind = "legacy_itemtype"
                else:
                    group.written = legacy_variant(rule.itemprop, rng)
            else:
                target = _elsewhere_target(rng, content, rule, {rule.itemprop, *group.keys})
                if target is None:
                    continue
                sec.blocks.remove(group)
                group.page = 0
                sections[target].blocks.append(group)
                b.defects.append({"kind": kind, "section": rule.section, "parent": "", "itemprop": rule.itemprop, "to": target})
                continue
            b.defects.append({"kind": kind, "section": rule.section, "parent": "", "itemprop": rule.itemprop})
            continue
        if rule.parent:
            group = _find_group(sec, rule.parent)
            if group is None or rule.itemprop not in group.keys:
                continue
            cells = [c for row in group.rows for c in row if c.key == rule.itemprop]
            if not cells:
                continue
            kind = _weighted(rng, CHILD_LINK_DEFECTS if rule.kind is Kind.link else CHILD_TEXT_DEFECTS)
            if kind in ("doc_404", "doc_500", "statement") and not any(c.hrefs for c in cells):
                continue
            if group.on == "table" and kind in ("missing", "empty"):
                victims = cells
            else:
                victims = [rng.choice(cells)] if kind in ("missing", "empty", "doc_404", "doc_500", "statement") else cells
            if rule.optional and kind == "missing":
                continue
            _spoil(rng, b, victims, kind, rule)
            if kind == "outside":
                for row in group.rows:
                    row[:] = [c for c in row if c.key != rule.itemprop]
                col = group.keys.index(rule.itemprop)
                del group.keys[col], group.headers[col]
                for c in victims:
                    sec.blocks.append(Field(c, page=group.page))
            b.defects.append({"kind": kind, "section": rule.section, "parent": rule.parent, "itemprop": rule.itemprop, "rows": len(victims), "of": len(cells)})
            continue
        fields = _find_fields(sec, rule.itemprop)
        if not fields:
            continue
        kind = _weighted(rng, TOP_LINK_DEFECTS if rule.kind is Kind.link else TOP_TEXT_DEFECTS)
        if rule.optional and kind == "missing":
            continue
        if kind in ("doc_404", "doc_500", "statement") and not any(f.cell.hrefs for f in fields):
            continue
        if kind == "missing":
            for f in fields:
                sec.blocks.remove(f)
        elif kind == "elsewhere":
            target = _elsewhere_target(rng, content, rule, {rule.itemprop})
            if target is None:
                continue
            for f in fields:
                sec.blocks.remove(f)
                f.page = 0
                sections[target].blocks.append(f)
            b.defects.append({"kind": kind, "section": rule.section, "parent": "", "itemprop": rule.itemprop, "to": target})
            continue
        else:
            _spoil(rng, b, [f.cell for f in fields], kind, rule)
        b.defects.append({"kind": kind, "section": rule.section, "parent": "", "itemprop": rule.itemprop})


def _apply_edits(b: _Builder, content: SiteContent, codes: tuple[str, ...] | list[str], note: str = "edit") -> None:
    """The site's edits of this month (``Farm.set_edits``): each named rule's item is published
    without its markup, as a site editor loses it when a page is rewritten. Items the site does not
    publish (or in a subsection that is not there) are left alone."""
    by_code = catalogue.by_code()
    for code in codes:
        rule = by_code[code]
        sec = content.sections[rule.section]
        if sec.state != "ok" or not isinstance(rule, Rule):
            continue
        if rule.parent:
            group = _find_group(sec, rule.parent)
            cells = [c for row in group.rows for c in row if c.key == rule.itemprop] if group else []
        elif rule.itemprop in parent_props(rule.section):
            group = _find_group(sec, rule.itemprop)
            if group is not None:
                group.written = None
                b.defects.append({"kind": "no_parent_markup", "section": rule.section, "parent": "", "itemprop": rule.itemprop, "note": note})
            continue
        else:
            cells = [f.cell for f in _find_fields(sec, rule.itemprop)]
        if cells:
            for c in cells:
                c.prop = None
            b.defects.append({"kind": "missing", "section": rule.section, "parent": rule.parent, "itemprop": rule.itemprop, "note": note})


def _spoil(rng: random.Random, b: _Builder, cells: list[Cell], kind: str, rule: Rule) -> None:
    if kind == "missing":
        for c in cells:
            c.prop = None  # the value stays, unmarked (the usual way an item goes missing)
    elif kind == "empty":
        filler = rng.choice(("", " ", "-", "—", "&nbsp;"))
        for c in cells:
            c.text, c.hrefs = filler, ()
    elif kind == "legacy":
        written = legacy_variant(rule.itemprop, rng)
        for c in cells:
            c.prop = written
    elif kind in ("doc_404", "doc_500"):
        for c in cells:
            broken = doc_key(c.hrefs[rng.randrange(len(c.hrefs))])
            if kind == "doc_404":
                b.docs.pop(broken, None)  # a dead link: the file is gone
            else:
                b.docs[broken] = 500
    elif kind == "statement":
        for c in cells:
            for h in c.hrefs:
                b.docs.pop(doc_key(h), None)
            c.text, c.hrefs = rng.choice(("отсутствует", "Отсутствует", "не предусмотрено", "нет")), ()
    elif kind == "outside":
        pass


def _finish(b: _Builder, content: SiteContent) -> None:
    """Forced consequences of site traits, addRef pages and the shared header/footer items."""
    feat = content.features
    r = _rng(b.spec.farm.seed, b.spec.index, "finish")
    common = content.sections["common"]
    for key, has in (("telephone", feat["has_phone"]), ("email", feat["has_email"])):
        if not has:
            for f in _find_fields(common, key):
                common.blocks.remove(f)
            b.defects.append({"kind": "missing", "section": "common", "parent": "", "itemprop": key, "note": "no_channel"})
    # addRef pages: split big groups of chosen subsections over extra pages.
    for slug in feat["addref_sections"]:
        sec = content.sections[slug]
        if sec.state != "ok":
            continue
        movable = [bl for bl in sec.blocks if isinstance(bl, Group)] or [bl for bl in sec.blocks if isinstance(bl, Field)]
        if not movable:
            continue
        n_extra = r.randrange(1, 4)
        sec.n_pages = 1 + n_extra
        for bl in movable:
            if isinstance(bl, Group) and len(bl.rows) > n_extra and bl.on == "row" and r.random() < 0.5:
                # The same table continued over several pages (e.g. staff by department).
                chunks = [bl.rows[k::n_extra + 1] for k in range(n_extra + 1)]
                bl.rows = chunks[0]
                for k, chunk in enumerate(chunks[1:], start=1):
                    if chunk:
                        sec.blocks.append(Group(bl.parent, bl.written, list(bl.keys), list(bl.headers), chunk, bl.on, bl.itemtype, bl.title, page=k))
            else:
                bl.page = r.randrange(0, n_extra + 1)
    if feat["copy_link"]:
        content.site_nodes.append(Cell("copy", "Версия для слабовидящих", ("?special=Y",), "copy"))
    if feat["schema_footer"]:
        f = content.facts
        content.site_nodes += [Cell("name", b.spec.short_name, (), "name"), Cell("address", f["address"], (), "address"),
                               Cell("telephone", f["phone"], (), "telephone"), Cell("email", f["email"], (), "email")]
    if content.spec.outcome == "no_sveden_section":
        for sec in content.sections.values():
            sec.state = "missing"
        b.defects[:] = [{"kind": "no_sveden_section"}]
