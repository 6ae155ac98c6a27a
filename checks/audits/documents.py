"""FIL: the documents the site links to, judged from the facts of their files (``documents``).

The crawler downloads each linked document (``crawler.docfetch``) and records what it is; these
audits judge those facts, one result per site listing the documents at fault:

- FIL001: a link to a document leads to a document, not to an error page, a login page, the home
  page or a file of another type (1493 п.24: files to download);
- FIL002: the documents open (not damaged, not empty);
- FIL003: the documents have searchable text, not scans without a text layer (1493 п.24, п.25 «в»);
- FIL004: the documents open without a password and allow copying text (1493 п.24, п.25 «а»);
- FIL005: the regulations of structural units are electronic documents signed with an electronic
  signature (1493 п.8 «е», 1802 п.4 «е», 63-ФЗ);
- FIL006: the signatures of the other documents are intact, and a stamp «подписан электронной
  подписью» stands for a real signature (1493 п.9 allows copies; 1802 п.18; 63-ФЗ).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from artifacts.doctypes import KIND_TITLES
from checks import documents
from checks.context import Context
from checks.model import Audit, AuditResult, Example, LegalRef, Status, order_1493

SIGNED_ITEMPROPS = ("divisionClauseDocLink",)  # п.8 «е»: regulations of structural units, signed
NOT_READ = "не проверено: документы сайта не скачивались (данные обхода без сведений о документах)"
TEXT_KINDS = ("pdf", "docx", "odt", "rtf", "doc", "xlsx", "xls", "ods", "text")
SHOWN = 3


class Doc(NamedTuple):
    url: str
    facts: dict[str, Any]
    itemprops: frozenset[str]


def linked_documents(ctx: Context) -> list[Doc]:
    """Every downloaded target that answered 2xx, with the itemprops that link it."""
    site = ctx.site
    props: dict[str, set[str]] = {}
    for page in site.pages:
        for node in page.get("microdata") or []:
            for h in node.get("h") or []:
                props.setdefault(h, set()).update(node["p"].split())
    return [Doc(url, facts, frozenset(props.get(url, ()))) for url, facts in site.documents.items() if facts.get("status") in range(200, 300)]


def needs_document(doc: Doc) -> bool:
    return not doc.itemprops or not doc.itemprops <= documents.PAGE_TARGETS


def real_documents(ctx: Context) -> list[Doc]:
    """The targets that are documents (FIL001 judges the others)."""
    return [d for d in ctx.computed(linked_documents) if d.facts.get("kind") != "html" and documents.finding(ctx.site, d.url, needs_document(d)) is None]


def _listed(items: list[str]) -> str:
    return "; ".join(items[:SHOWN]) + (f" и ещё {len(items) - SHOWN}" if len(items) > SHOWN else "")


def _kind(facts: dict[str, Any]) -> str:
    return KIND_TITLES.get(facts.get("kind") or "unknown", facts.get("kind") or "")


@dataclass(frozen=True, kw_only=True)
class DocumentAudit(Audit):
    group: str = "documents"

    def judge(self, ctx: Context) -> AuditResult:
        if not ctx.site.documents_gathered:
            return self.result(Status.not_applicable, NOT_READ)
        return self.judge_documents(ctx)

    def judge_documents(self, ctx: Context) -> AuditResult:
        raise NotImplementedError

    def findings(self, status: Status, what: str, found: list[tuple[str, str]], total: int) -> AuditResult:
        """One result for the site: ``found`` are (url, detail) of the documents at fault."""
        evidence = [{"url": url, "match": detail} for url, detail in found[:20]]
        return self.result(status, f"{what} ({len(found)} из {total}): " + _listed([f"{url} — {detail}" for url, detail in found]), found[0][0], evidence)


@dataclass(frozen=True, kw_only=True)
class TargetsAreDocuments(DocumentAudit):
    def judge_documents(self, ctx: Context) -> AuditResult:
        docs = ctx.computed(linked_documents)
        if not docs:
            return self.result(Status.not_applicable, "на сайте нет скачанных документов")
        fails, reviews = [], []
        for d in docs:
            found = documents.finding(ctx.site, d.url, needs_document(d))
            if found is not None:
                (fails if found.status is Status.fail else reviews).append((d.url, found.what))
        if fails:
            return self.findings(Status.fail, "по ссылкам на документы — не документы", fails, len(docs))
        if reviews:
            return self.findings(Status.needs_review, "по ссылкам на документы — веб-страницы, проверьте, что на них текст документа", reviews, len(docs))
        return self.result(Status.passed, f"все ссылки ведут на документы ({len(docs)})")


@dataclass(frozen=True, kw_only=True)
class DocumentsOpen(DocumentAudit):
    def judge_documents(self, ctx: Context) -> AuditResult:
        docs = ctx.computed(real_documents)
        read = [d for d in docs if not d.facts.get("truncated")]
        if not read:
            return self.result(Status.not_applicable, "нет документов, которые можно было прочитать" + (f" (слишком большие: {len(docs)})" if docs else ""))
        broken = [(d.url, f"{_kind(d.facts)} повреждён или пуст") for d in read if d.facts.get("opens") is False]
        if broken:
            return self.findings(Status.fail, "документы не открываются", broken, len(read))
        big = len(docs) - len(read)
        return self.result(Status.passed, f"документы открываются ({len(read)})" + (f"; не проверено из-за размера: {big}" if big else ""))


@dataclass(frozen=True, kw_only=True)
class TextLayer(DocumentAudit):
    def judge_documents(self, ctx: Context) -> AuditResult:
        docs = [d for d in ctx.computed(real_documents) if not d.facts.get("truncated") and d.facts.get("opens") is not False and not d.facts.get("password")]
        fails, reviews, checked = [], [], 0
        for d in docs:
            f = d.facts
            kind = f.get("kind")
            if kind == "image":
                checked += 1
                fails.append((d.url, "изображение вместо документа с текстом"))
            elif kind == "pdf" and f.get("pages_checked"):
                checked += 1
                with_text, pages = f.get("text_pages", 0), f["pages_checked"]
                if with_text == 0:
                    fails.append((d.url, f"скан без текстового слоя ({pages} стр. без текста)"))
                elif with_text * 2 < pages:
                    reviews.append((d.url, f"текст есть только на {with_text} из {pages} стр."))
            elif kind in ("docx", "odt", "rtf") and "text_chars" in f:
                checked += 1
                if not f["text_chars"]:
                    fails.append((d.url, f"{_kind(f)} без текста (вставлены изображения)"))
        if not checked:
            return self.result(Status.not_applicable, "нет документов, текст которых можно проверить")
        if fails:
            return self.findings(Status.fail, "документы без текста, который можно найти и скопировать", fails, checked)
        if reviews:
            return self.findings(Status.needs_review, "в документах часть страниц — сканы без текста", reviews, checked)
        return self.result(Status.passed, f"в документах есть текстовый слой ({checked})")


@dataclass(frozen=True, kw_only=True)
class NoPassword(DocumentAudit):
    def judge_documents(self, ctx: Context) -> AuditResult:
        docs = [d for d in ctx.computed(real_documents) if not d.facts.get("truncated")]
        if not docs:
            return self.result(Status.not_applicable, "нет документов, которые можно было прочитать")
        found = [(d.url, "открывается только по паролю") for d in docs if d.facts.get("password")]
        found += [(d.url, "защищён: копирование текста запрещено") for d in docs if d.facts.get("copy_allowed") is False and not d.facts.get("password")]
        if found:
            return self.findings(Status.fail, "документы защищены", found, len(docs))
        return self.result(Status.passed, f"документы открываются без пароля ({len(docs)})")


def signature_state(facts: dict[str, Any]) -> tuple[str, str]:
    """signed | broken | stamp | none, with what was found."""
    sigs = facts.get("signatures") or []
    broken = [s for s in sigs if s.get("intact") is False]
    if broken:
        return "broken", f"подпись {broken[0].get('signer') or ''} нарушена: документ изменён после подписания".replace("подпись  ", "подпись ")
    if sigs:
        s = sigs[0]
        who = f": {s['signer']}" if s.get("signer") else ""
        when = f", {s['signed_at'][:10]}" if s.get("signed_at") else ""
        note = "" if s.get("intact") else " (целостность не проверена: алгоритм не поддерживается)" if s.get("form") == "pdf" else ""
        return "signed", f"подпись в документе{who}{when}{note}"
    detached = facts.get("detached")
    if detached:
        if detached.get("kind") == "signature":
            return "signed", f"файл подписи {detached.get('url', '')}"
        return "broken", f"«файл подписи» {detached.get('url', '')} — не подпись ({KIND_TITLES.get(detached.get('kind', ''), detached.get('kind', ''))})"
    if facts.get("stamp"):
        return "stamp", "только надпись «подписан электронной подписью», самой подписи нет"
    return "none", "электронной подписи нет"


@dataclass(frozen=True, kw_only=True)
class SignatureAudit(DocumentAudit):
    """Signatures of the documents linked by ``itemprops`` (``required``: each must be signed),
    or of every other document (``required`` False: a copy without a signature is lawful)."""

    itemprops: tuple[str, ...] = SIGNED_ITEMPROPS
    required: bool = True

    def judge_documents(self, ctx: Context) -> AuditResult:
        mine = set(self.itemprops)
        docs = [d for d in ctx.computed(real_documents) if bool(d.itemprops & mine) == self.required and d.facts.get("kind") in TEXT_KINDS]
        if not docs:
            what = "положений о структурных подразделениях" if self.required else "других документов"
            return self.result(Status.not_applicable, f"нет скачанных {what}")
        states = [(d.url, *signature_state(d.facts)) for d in docs]
        bad = [(u, why) for u, state, why in states if state == "broken" or (self.required and state == "none")]
        stamps = [(u, why) for u, state, why in states if state == "stamp"]
        signed = [(u, why) for u, state, why in states if state == "signed"]
        if bad:
            return self.findings(Status.fail, "документы без действительной электронной подписи", bad, len(docs))
        if stamps:
            return self.findings(Status.needs_review, "отметка о подписи без самой подписи — проверьте вручную", stamps, len(docs))
        if not signed:
            return self.result(Status.not_applicable, f"документы размещены как копии, без электронной подписи ({len(docs)}) — это допускается")
        return self.result(Status.passed, f"подписаны электронной подписью: {len(signed)} из {len(docs)}; например {signed[0][0]} — {signed[0][1]}", signed[0][0])


# ---- examples ---------------------------------------------------------------------------------

DOC = "http://127.0.0.1/docs/ustav.pdf"
POS = "http://127.0.0.1/docs/polozhenie.pdf"
PDF = {"status": 200, "final_url": DOC, "content_type": "application/pdf", "kind": "pdf", "opens": True, "pages": 12, "pages_checked": 12, "text_pages": 12, "text_chars": 24000}
SIGNED = {**PDF, "signatures": [{"form": "pdf", "signer": "Common Name: Иванова Мария Петровна", "signed_at": "2026-09-01T10:00:00+03:00", "intact": True}]}


def _page(prop: str, url: str) -> str:
    return f'<a itemprop="{prop}" href="{url}">Документ</a>'


def _ex(expect: Status, title: str, facts: dict[str, Any], prop: str = "ustavDocLink", url: str = DOC) -> Example:
    return Example(_page(prop, url), expect, title, probes={url: 200}, page="home", documents={url: {"final_url": url, **facts}})


LEGAL_FILES = (order_1493("п.24"),)
LEGAL_63 = LegalRef("63-ФЗ", "ст.5 ч.2")  # what a simple electronic signature is
AUDITS = (
    TargetsAreDocuments(
        code="FIL001",
        title="Ссылки на документы ведут на документы",
        failure_title="По ссылке на документ — не документ (страница ошибки, входа, главная или файл другого типа)",
        description=(
            "Скачивает каждый документ, на который ссылается размеченный элемент, и определяет его тип по содержимому, а не по "
            "расширению. Сервер часто отвечает 200 страницей ошибки, входа или главной страницей вместо пропавшего файла: "
            "такая ссылка не даёт скачать документ (п.24). Веб-страница сайта вместо файла документа требует проверки человеком."
        ),
        legal=(order_1493("п.24"), order_1493("п.9")),
        fix="Загрузите файл документа заново и поставьте ссылку прямо на него; проверьте, что ссылка открывает сам документ, а не страницу сайта.",
        examples=(
            _ex(Status.passed, "ссылка на PDF", PDF),
            _ex(Status.fail, "пропавший .pdf переадресован на страницу ошибки, отвечающую 200",
                {"status": 200, "final_url": "http://127.0.0.1/error-404", "kind": "html", "content_type": "text/html", "html": {"title": "Ошибка", "heading": "Страница не найдена", "text": "", "password": False}}),
            _ex(Status.fail, "по ссылке на .pdf — изображение JPEG", {**PDF, "kind": "image", "content_type": "image/jpeg"}),
            _ex(Status.fail, "по ссылке — страница входа", {"status": 200, "kind": "html", "content_type": "text/html", "html": {"title": "Вход", "heading": "", "text": "Логин Пароль", "password": True}},
                url="http://127.0.0.1/bitrix/docs?id=5"),
            _ex(Status.needs_review, "ссылка без расширения ведёт на страницу сайта",
                {"status": 200, "kind": "html", "content_type": "text/html", "html": {"title": "Устав", "heading": "Устав школы", "text": "Устав школы…", "password": False}},
                url="http://127.0.0.1/sveden/document/ustav/"),
        ),
    ),
    DocumentsOpen(
        code="FIL002",
        title="Документы открываются",
        failure_title="Файл документа повреждён или пуст",
        description="Открывает каждый скачанный документ (PDF, DOCX, ODT, XLSX…): повреждённый или пустой файл нельзя прочитать после скачивания (п.24).",
        legal=LEGAL_FILES,
        fix="Сохраните документ заново из исходного файла (PDF — «Сохранить как PDF» или печать в PDF) и замените файл на сайте.",
        examples=(
            _ex(Status.passed, "PDF открывается", PDF),
            _ex(Status.fail, "обрезанный PDF не открывается", {**PDF, "opens": False, "pages": 0, "pages_checked": 0, "text_pages": 0}),
        ),
    ),
    TextLayer(
        code="FIL003",
        title="В документах есть текст, который можно найти и скопировать",
        failure_title="Документ — скан без текстового слоя",
        description=(
            "Читает текст скачанных PDF (первые страницы), DOCX и ODT. Документ должен допускать поиск и копирование "
            "произвольного фрагмента текста (п.24), в том числе отсканированный документ (п.25 «в»): скан без "
            "распознанного текста — нарушение."
        ),
        legal=(order_1493("п.24"), order_1493("п.25 «в»")),
        fix="Разместите документ, сохранённый из текстового редактора в PDF, или распознайте скан (OCR) и сохраните PDF с текстовым слоем.",
        examples=(
            _ex(Status.passed, "PDF с текстом на всех страницах", PDF),
            _ex(Status.fail, "скан без текстового слоя", {**PDF, "text_pages": 0, "text_chars": 0}),
            _ex(Status.needs_review, "текст только на 2 из 12 страниц", {**PDF, "text_pages": 2}),
        ),
    ),
    NoPassword(
        code="FIL004",
        title="Документы открываются без пароля и позволяют копировать текст",
        failure_title="Документ защищён паролем или запретом копирования",
        description=(
            "Документ, который открывается только по паролю или запрещает копировать текст, нельзя прочитать, найти в нём "
            "и скопировать фрагмент (п.24), а доступ к нему обусловлен дополнительными средствами (п.25 «а»)."
        ),
        legal=(order_1493("п.24"), order_1493("п.25 «а»")),
        fix="Сохраните документ без пароля и без ограничений на копирование и замените файл на сайте.",
        examples=(
            _ex(Status.passed, "PDF без защиты", PDF),
            _ex(Status.fail, "PDF открывается только по паролю", {"status": 200, "kind": "pdf", "content_type": "application/pdf", "opens": True, "encrypted": True, "password": True}),
            _ex(Status.fail, "PDF запрещает копирование текста", {**PDF, "encrypted": True, "password": False, "copy_allowed": False}),
        ),
    ),
    SignatureAudit(
        code="FIL005",
        title="Положения о структурных подразделениях подписаны электронной подписью",
        failure_title="Положение о структурном подразделении без электронной подписи",
        description=(
            "Положения о структурных подразделениях (органах управления) размещаются в виде электронных документов, подписанных "
            "простой электронной подписью. Ищет подпись в PDF (словарь подписи: кто и когда подписал, цела ли подпись), "
            "в пакете DOCX/ODT и отдельный файл подписи .sig/.p7s рядом с документом. Надпись «подписан электронной "
            "подписью» без самой подписи — не подпись: требует проверки."
        ),
        legal=(order_1493("п.8 «е»"), LegalRef("1802", "п.4 «е»"), LEGAL_63),
        fix="Подпишите положение электронной подписью руководителя (подпись в PDF или файл .sig рядом с документом) и разместите подписанный файл.",
        examples=(
            _ex(Status.passed, "PDF с целой подписью", SIGNED, "divisionClauseDocLink", POS),
            _ex(Status.passed, "рядом — файл подписи .sig", {**PDF, "detached": {"url": POS + ".sig", "kind": "signature", "linked": True}}, "divisionClauseDocLink", POS),
            _ex(Status.fail, "подписи нет", PDF, "divisionClauseDocLink", POS),
            _ex(Status.fail, "документ изменён после подписания", {**SIGNED, "signatures": [{**SIGNED["signatures"][0], "intact": False}]}, "divisionClauseDocLink", POS),
            _ex(Status.needs_review, "только надпись «Документ подписан электронной подписью»", {**PDF, "stamp": True}, "divisionClauseDocLink", POS),
        ),
    ),
    SignatureAudit(
        code="FIL006",
        title="Электронные подписи документов действительны",
        failure_title="Подпись документа нарушена или «подпись» не является подписью",
        description=(
            "Устав, локальные акты и другие документы можно размещать копиями или электронными документами, подписанными "
            "простой электронной подписью. Где подпись есть, она должна быть цела (документ не изменён после подписания), "
            "а файл подписи — действительно подписью; надпись «подписан электронной подписью» без подписи требует проверки."
        ),
        legal=(order_1493("п.9"), LegalRef("1802", "п.18"), LEGAL_63),
        fix="Подпишите документ заново после последних изменений и замените файл и файл подписи на сайте.",
        required=False,
        examples=(
            _ex(Status.passed, "устав с целой подписью", SIGNED),
            _ex(Status.fail, "подпись нарушена: документ изменён после подписания", {**SIGNED, "signatures": [{**SIGNED["signatures"][0], "intact": False}]}),
            _ex(Status.fail, "«файл подписи» — страница ошибки", {**PDF, "detached": {"url": DOC + ".sig", "kind": "html", "linked": True}}),
            _ex(Status.needs_review, "только надпись о подписи", {**PDF, "stamp": True}),
            _ex(Status.not_applicable, "копия документа без подписи — допускается", PDF),
        ),
    ),
)
