"""PDN: what must not be published — personal data and restricted documents (group ``personal``).

The crawler scans the text of every page and document it already holds (``artifacts.personal``)
and keeps only facts: the kind, where (page or document, line, page number, element path), a
masked snippet and a salted hash. These audits read those facts: a finding is always
«требует проверки» — a person decides whether the publication is lawful (consent, a required
item) — never a violation; without findings the audit passes. They count in no score.

Each audit can be switched off: ``SVEDEN_PERSONAL_DATA_AUDITS_OFF=PDN003,PDN005`` (``all`` for
every one) in the environment of the judging process; a switched-off audit is «не применяется»
and stays out of the reports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from artifacts import personal
from checks import sitelinks
from checks.context import Context
from checks.model import Audit, AuditResult, Example, LegalRef, Status

OFF_SETTING = "SVEDEN_PERSONAL_DATA_AUDITS_OFF"
SHOWN = 5  # findings named in the message; the evidence lists every one kept

PD_LAW = LegalRef("152-ФЗ", "ст.7")
PD_SPECIAL = LegalRef("152-ФЗ", "ст.10")
SITE_RULES = LegalRef("1802", "п.19")
WHAT_IS_PUBLISHED = (LegalRef("273-ФЗ", "ст.29 ч.2"), LegalRef("1493", "п.11"), LegalRef("1493", "п.12"), LegalRef("1802", "п.10"), LegalRef("1802", "п.11"))
RISK = (
    "Проверка указывает на риск, а не выносит юридическое заключение: публикация может быть законной "
    "(согласие человека, обязательные сведения) — решает человек, поэтому найденное всегда «требует проверки», а не «нарушение»."
)
BASIS = (
    "Правила размещения информации на официальном сайте (постановление Правительства РФ № 1802, п.19) требуют соблюдать "
    "законодательство о персональных данных. Что сайт обязан публиковать о людях, перечислены в ч.2 ст.29 Федерального закона "
    "№ 273-ФЗ (в правовой базе проекта она цитируется разъяснениями Рособрнадзора от 11.11.2024), в п.10–11 Правил № 1802 и "
    "в п.11–12 приказа № 1493: фамилия, имя, отчество, должность, телефон, электронная почта руководителей, образование и стаж "
    "педагогов; документов, удостоверяющих личность, номеров СНИЛС и ИНН, дат рождения детей, домашних адресов, сведений о "
    "здоровье и социальном положении в этих перечнях нет, и для их размещения нужно основание по Федеральному закону № 152-ФЗ "
    "«О персональных данных» (ст.7 — конфиденциальность; ст.10 — специальные категории, в том числе состояние здоровья). "
    "Текста закона № 152-ФЗ в правовой базе проекта нет: статьи названы по действующей редакции закона, не по приложенному тексту."
)
HOW = "Ищет в тексте прочитанных страниц сайта и скачанных документов (PDF, DOCX, ODT); в отчёт попадают только вид данных, место и замаскированный фрагмент."


def _setting() -> set[str]:
    raw = os.environ.get(OFF_SETTING, "")
    return {c.strip().upper() for c in raw.replace(";", ",").split(",") if c.strip()}


def switched_off() -> frozenset[str]:
    """Codes switched off by ``SVEDEN_PERSONAL_DATA_AUDITS_OFF`` (``all``: every one)."""
    codes = _setting()
    return frozenset({a.code for a in AUDITS} if "ALL" in codes else codes)


def setting_problem() -> str:
    """A Russian message when ``SVEDEN_PERSONAL_DATA_AUDITS_OFF`` names codes that are not these audits', else ""."""
    unknown = sorted(_setting() - {a.code for a in AUDITS} - {"ALL"})
    if not unknown:
        return ""
    return (f"в переменной {OFF_SETTING} неизвестные коды: {', '.join(unknown)}; "
            f"отключить можно {', '.join(a.code for a in AUDITS)} (через запятую) или all")


def _where(f: dict[str, Any]) -> str:
    parts = []
    if f.get("page"):
        parts.append(f"стр. {f['page']}")
    if f.get("line"):
        parts.append(f"строка {f['line']}")
    if f.get("path"):
        parts.append(str(f["path"]))
    return ", ".join(parts)


def _documents(site: Any) -> list[tuple[str, dict[str, Any]]]:
    """(address, facts) of every document the crawler read (``documents`` of the site artifact)."""
    docs = site.artifact.get("documents") or {}
    if isinstance(docs, dict):
        return [(str(url), facts) for url, facts in docs.items() if isinstance(facts, dict)]
    return [(str(d.get("url", "")), d) for d in docs if isinstance(d, dict)]


def all_findings(ctx: Context) -> dict[str, Any]:
    """Every finding of the site, pages then documents: ``{"scanned": bool, "found": [...]}``.

    ``scanned`` is False for artifacts gathered before the scan existed (no page carries it)."""
    found: list[dict[str, str]] = []
    scanned = False
    for page in sitelinks.read_pages(ctx.site):
        if "personal" not in page:
            continue
        scanned = True
        url = sitelinks.page_url(page)
        found += [{"kind": f["kind"], "url": url, "match": f["masked"], "where": _where(f), "hash": f["hash"], "source": "page"} for f in page["personal"]]
    for url, facts in _documents(ctx.site):
        for f in facts.get("personal") or []:
            found.append({"kind": f["kind"], "url": url, "match": f["masked"], "where": _where(f), "hash": f["hash"], "source": "document"})
    return {"scanned": scanned, "found": found}


def restricted_titles(ctx: Context) -> list[dict[str, str]]:
    """Links, headings and page titles naming a restricted document, as their site shows them."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for page in sitelinks.read_pages(ctx.site):
        url = sitelinks.page_url(page)
        for link in page.get("links") or []:
            text, href = str(link.get("text") or ""), str(link.get("href") or "")
            if personal.restricted_title(text) and href not in seen:
                seen.add(href)
                out.append({"kind": "restricted", "url": href, "match": text[:personal.SNIPPET], "where": f"ссылка на странице {url}",
                            "hash": personal.fingerprint("restricted", urlsplit(href).path + text), "source": "link"})
        for text in [page.get("title") or "", *(page.get("headings") or [])]:
            if personal.restricted_title(text) and url not in seen:
                seen.add(url)
                out.append({"kind": "restricted", "url": url, "match": text[:personal.SNIPPET], "where": "заголовок страницы",
                            "hash": personal.fingerprint("restricted", urlsplit(url).path + text), "source": "page"})
    return out


@dataclass(frozen=True, kw_only=True)
class PersonalDataAudit(Audit):
    kind: str  # a key of ``artifacts.personal.KINDS``
    group: str = "personal"

    def judge(self, ctx: Context) -> AuditResult:
        if self.code in switched_off():
            return self.result(Status.not_applicable, f"проверка отключена настройкой {OFF_SETTING}")
        scan = ctx.computed(all_findings)
        found = [f for f in scan["found"] if f["kind"] == self.kind]
        if self.kind == "restricted":
            found = ctx.computed(restricted_titles) + found
        elif not scan["scanned"]:
            return self.result(Status.not_applicable, "тексты страниц не проверялись: данные обхода собраны прежней версией программы")
        if not found:
            return self.result(Status.passed, f"не найдено: {personal.KINDS[self.kind]}")
        evidence = [{k: v for k, v in f.items() if k != "kind"} for f in found]
        shown = "; ".join(f"{f['match']} — {f['url']}" + (f" ({f['where']})" if f["where"] else "") for f in found[:SHOWN])
        more = f" и ещё {len(found) - SHOWN}" if len(found) > SHOWN else ""
        return self.result(Status.needs_review, f"найдено {len(found)}: {shown}{more}", found[0]["url"], evidence)


# Synthetic examples (made-up people and numbers with valid checksums).
_HOME = "home"


def _audit(code: str, kind: str, title: str, what: str, fix: str, found: tuple[tuple[str, str], ...], clean: tuple[tuple[str, str], ...],
           legal: tuple[LegalRef, ...] = (SITE_RULES, PD_LAW, *WHAT_IS_PUBLISHED), extra: str = "") -> PersonalDataAudit:
    return PersonalDataAudit(
        code=code,
        kind=kind,
        title=f"На сайте не найдено: {title}",
        failure_title=f"Возможно, опубликовано лишнее: {title}",
        description=f"{what} {HOW} {BASIS}{(' ' + extra) if extra else ''} {RISK}",
        legal=legal,
        fix=fix,
        note=f"Отключается настройкой {OFF_SETTING}={code}; в оценки (П1.1, П1.2) не входит.",
        examples=(
            *(Example(html, Status.needs_review, t, page=_HOME) for html, t in found),
            *(Example(html, Status.passed, t, page=_HOME) for html, t in clean),
        ),
    )


RESTRICTED_BASIS = (
    "Паспорт безопасности (антитеррористической защищённости) объекта образования составляется по требованиям к "
    "антитеррористической защищённости объектов (постановление Правительства РФ № 1006 от 02.08.2019) и относится к служебной "
    "информации ограниченного распространения с пометкой «Для служебного пользования»; текста постановления в правовой базе "
    "проекта нет, поэтому пункт не назван. «Паспорт доступности» объекта для инвалидов, напротив, публикуется и не отмечается."
)

AUDITS = (
    _audit(
        "PDN001", "snils", "номера СНИЛС",
        "Ищет номера СНИЛС (ххх-ххх-ххх хх, или 11 цифр подряд рядом со словом «СНИЛС») и проверяет их контрольное число: "
        "телефон или другой номер той же формы с неверным контрольным числом не отмечается.",
        "Удалите номера СНИЛС со страниц и из документов (в документах — закройте их или замените копией без номеров) и проверьте, нет ли их в старых файлах.",
        (("<p>Кузьмина Ольга Петровна, СНИЛС 123-456-789 64</p>", "номер СНИЛС с верным контрольным числом"),),
        (("<p>Телефон: 812-345-678 90</p>", "номер той же формы с неверным контрольным числом — не СНИЛС"),),
    ),
    _audit(
        "PDN002", "passport", "паспортные данные",
        "Ищет серию и номер паспорта (две пары цифр и шесть цифр) сразу после слова «паспорт»; «паспорт доступности», "
        "«паспорт безопасности» и другие документы, называемые паспортом, не отмечаются.",
        "Удалите серии и номера паспортов со страниц и из документов.",
        (("<p>Кузьмина О.П., паспорт 41 05 112233, выдан ТП УФМС</p>", "серия и номер после слова «паспорт»"),),
        (("<p>Паспорт доступности объекта № 12 34 567890</p>", "паспорт доступности — не документ человека"),),
    ),
    _audit(
        "PDN003", "inn", "ИНН физических лиц",
        "Ищет 12-значные ИНН с верными контрольными цифрами на одной строке с фамилией, именем, отчеством человека; "
        "10-значный ИНН — это ИНН организации, он не отмечается.",
        "Удалите ИНН работников и обучающихся со страниц и из документов; ИНН организации публикуется как прежде.",
        (("<p>Кузьмина Ольга Петровна, ИНН 500100732259</p>", "ИНН человека с верными контрольными цифрами"),),
        (("<p>Директор Кузьмина О.П.; ИНН школы 4703012345</p>", "ИНН организации (10 цифр)"),),
    ),
    _audit(
        "PDN004", "birth_date", "даты рождения детей рядом с ФИО",
        "Ищет в списках детей (приказы о зачислении, списки классов, протоколы соревнований и конкурсов) даты рождения "
        "рядом с фамилией, именем, отчеством; даты старше 22 лет (взрослых) и даты приказов не отмечаются.",
        "Опубликуйте приказы о зачислении и списки без дат рождения (номер заявления или инициалы вместо ФИО) или уберите их из открытого доступа.",
        (("<p>Приказ о зачислении в 1 класс</p><table><tr><th>ФИО</th><th>Дата рождения</th></tr>"
          "<tr><td>Орлова Вера Игоревна</td><td>14.02.2018</td></tr></table>", "список зачисленных с датами рождения"),),
        (("<p>Приказ о зачислении № 12 от 01.09.2024: зачислено 25 человек</p>", "приказ без ФИО и дат рождения"),),
    ),
    _audit(
        "PDN005", "address", "домашние адреса рядом с ФИО",
        "Ищет рядом с фамилией, именем, отчеством адрес с номером квартиры или адрес, названный местом жительства; "
        "адрес школы рядом с именем директора не отмечается.",
        "Удалите домашние адреса со страниц и из документов (сканов заявлений, приказов, протоколов).",
        (("<p>Орлов Игорь Петрович, проживающий по адресу: ул. Лесная, д. 3, кв. 8</p>", "адрес с квартирой рядом с ФИО"),),
        (("<p>Директор Кузьмина Ольга Петровна. Адрес: ул. Школьная, д. 5</p>", "адрес школы рядом с именем директора"),),
    ),
    _audit(
        "PDN006", "health", "сведения о здоровье или социальном положении рядом с ФИО",
        "Ищет рядом с фамилией, именем, отчеством слова об инвалидности, ОВЗ, диагнозе, заболевании, многодетности, "
        "малоимущности, опеке, сиротстве, льготной категории; обязанности работника («ответственный за работу с детьми-инвалидами») не отмечаются.",
        "Удалите сведения о здоровье и социальном положении конкретных людей; публикуйте только обезличенные числа.",
        (("<p>Орлова Вера Игоревна — ребёнок-инвалид</p>", "инвалидность рядом с ФИО"),),
        (("<p>Ответственный за работу с детьми-инвалидами: Кузьмина Ольга Петровна</p>", "обязанность работника, не сведения о человеке"),),
        legal=(SITE_RULES, PD_LAW, PD_SPECIAL, *WHAT_IS_PUBLISHED),
    ),
    _audit(
        "PDN007", "restricted", "документы ограниченного доступа",
        "Ищет по названию ссылки, заголовку страницы и началу текста документа: «паспорт безопасности», «паспорт "
        "антитеррористической защищённости», «для служебного пользования», «ДСП» (но не ДСП-плиту в описании мебели); паспорт дорожной безопасности "
        "(безопасности дорожного движения) и паспорт безопасности химической продукции публикуются и не отмечаются.",
        "Уберите паспорт безопасности и документы с пометкой «Для служебного пользования» с сайта; «паспорт доступности» оставьте.",
        (('<a href="http://127.0.0.1/docs/pasport-bezopasnosti.pdf">Паспорт безопасности МБОУ СОШ № 1</a>', "ссылка на паспорт безопасности"),),
        (('<a href="http://127.0.0.1/docs/pasport-dostupnosti.pdf">Паспорт доступности объекта</a>', "паспорт доступности публикуется"),),
        legal=(SITE_RULES, LegalRef("1006", "паспорт безопасности объекта")),
        extra=RESTRICTED_BASIS,
    ),
)
