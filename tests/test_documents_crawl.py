"""Documents that are not documents, and the facts of real files (issue 13), on loopback sites
crawled by the real spider in one subprocess: PDFs with and without a text layer, one signed with
a throwaway certificate generated here, one signed and then changed, one encrypted, DOCX files,
a soft 404 (a missing .pdf redirected to /error-404 answering 200), a login page and the home
page as targets. Each item and each FIL audit is pinned to its status."""

from __future__ import annotations

import pytest
from crawlkit import crawl, item
from sitekit import Route, redirect

from checks.evaluate import evaluate
from testbed import documents as d

TEXT = ["Ustav of the municipal school No 1 of the town", "Chapter 1. General provisions of the charter", "Chapter 2. Aims and kinds of activity"]
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def page(body: str, title: str = "Школа") -> Route:
    return Route(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
                 f"<body><nav><a href='/'>Главная</a> <a href='/sveden/'>Сведения об образовательной организации</a></nav><main>{body}</main></body></html>")


def site(documents: str, struct: str = "", extra: dict[str, Route] | None = None) -> dict[str, Route]:
    routes = {
        "/": page("<p>Добро пожаловать</p>"),
        "/sveden/": page('<a href="/sveden/document/">Документы</a> <a href="/sveden/struct/">Структура и органы управления</a>'),
        "/sveden/document/": page(f"<h1>Документы</h1>{documents}"),
        "/sveden/struct/": page(f"<h1>Структура</h1>{struct}"),
        "/error-404": page("<h1>Страница не найдена</h1><p>Запрошенная страница не существует.</p>", "Ошибка 404"),
        "/login/": page('<h1>Вход на сайт</h1><form method="post"><input name="login"><input type="password" name="password"></form>', "Авторизация"),
    }
    routes.update(extra or {})
    return routes


def ustav(href: str = "/docs/ustav.pdf") -> str:
    return f'<p><a itemprop="ustavDocLink" href="{href}">Устав</a></p>'


def division(href: str, sig: str = "") -> str:
    cells = f'<td itemprop="name">Педагогический совет</td><td><a itemprop="divisionClauseDocLink" href="{href}">Положение</a>{sig}</td>'
    return f'<table><tr itemprop="structOrgUprav">{cells}</tr></table>'


def build_sites() -> dict[str, dict[str, Route]]:
    text = d.text_pdf(TEXT, pages=3)
    signed = d.signed_pdf(text)
    return {
        "text_pdf": site(ustav(), extra={"/docs/ustav.pdf": Route(text, content_type=PDF)}),
        "scanned_pdf": site(ustav(), extra={"/docs/ustav.pdf": Route(d.scanned_pdf(2), content_type=PDF)}),
        "encrypted_pdf": site(ustav(), extra={"/docs/ustav.pdf": Route(d.encrypted_pdf(text), content_type=PDF)}),
        "broken_pdf": site(ustav(), extra={"/docs/ustav.pdf": Route(text[: len(text) // 3], content_type=PDF)}),
        "docx": site(ustav("/docs/ustav.docx"), extra={"/docs/ustav.docx": Route(d.docx(["Устав школы", "Глава 1. Общие положения устава школы"]), content_type=DOCX)}),
        # A missing .pdf redirected to an error page that answers 200 (shared hosting, some CMSs).
        "soft_404": site(ustav(), extra={"/docs/ustav.pdf": redirect("/error-404")}),
        "login": site(ustav(), extra={"/docs/ustav.pdf": redirect("/login/?back=/docs/ustav.pdf")}),
        "home": site(ustav(), extra={"/docs/ustav.pdf": redirect("/")}),
        "jpeg_as_pdf": site(ustav(), extra={"/docs/ustav.pdf": Route(b"\xff\xd8\xff\xe0" + bytes(2000), content_type="image/jpeg")}),
        "html_header_pdf": site(ustav(), extra={"/docs/ustav.pdf": Route(text, content_type="text/html; charset=utf-8")}),
        "own_page": site(ustav("/sveden/document/ustav/"), extra={"/sveden/document/ustav/": page("<h1>Устав</h1><p>Текст устава школы…</p>")}),
        "signed": site(ustav(), division("/docs/pedsovet.pdf"), extra={"/docs/ustav.pdf": Route(text, content_type=PDF), "/docs/pedsovet.pdf": Route(signed, content_type=PDF)}),
        "tampered": site(ustav(), division("/docs/pedsovet.pdf"), extra={"/docs/ustav.pdf": Route(text, content_type=PDF), "/docs/pedsovet.pdf": Route(d.tampered(signed), content_type=PDF)}),
        "unsigned": site(ustav(), division("/docs/pedsovet.pdf"), extra={"/docs/ustav.pdf": Route(text, content_type=PDF), "/docs/pedsovet.pdf": Route(text, content_type=PDF)}),
        # A detached signature beside the document, not linked: found at <url>.sig.
        "detached": site(ustav(), division("/docs/pedsovet.pdf"), extra={
            "/docs/ustav.pdf": Route(text, content_type=PDF), "/docs/pedsovet.pdf": Route(text, content_type=PDF),
            "/docs/pedsovet.pdf.sig": Route(d.detached_signature(text), content_type="application/pkcs7-signature")}),
        "stamp_only": site(ustav(), division("/docs/pedsovet.docx"), extra={
            "/docs/ustav.pdf": Route(text, content_type=PDF),
            "/docs/pedsovet.docx": Route(d.docx(["Положение о педагогическом совете", "Документ подписан электронной подписью", "Сертификат 01AB Иванова М. П."]), content_type=DOCX)}),
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    artifacts, _ = crawl(build_sites(), tmp_path_factory.mktemp("documents"))
    return {name: (a, evaluate(a, "school")) for name, a in artifacts.items()}


def audit(result: dict, code: str) -> dict:
    return next(a for a in result["audits"] if a["rule"] == code)


ITEM = {  # the charter item (DOC002) on each site
    "text_pdf": "pass", "scanned_pdf": "pass", "encrypted_pdf": "pass", "broken_pdf": "pass", "docx": "pass",
    "soft_404": "fail", "login": "fail", "home": "fail", "jpeg_as_pdf": "fail", "html_header_pdf": "fail", "own_page": "needs_review",
}


@pytest.mark.parametrize("name", sorted(ITEM))
def test_the_charter_item_judges_what_the_target_is(results, name):
    artifact, result = results[name]
    got = item(result, "document", "ustavDocLink")
    assert got["status"] == ITEM[name], (name, got["message"])
    if name == "soft_404":
        assert "страница ошибки" in got["message"] and "Страница не найдена" in got["message"]
    if name == "login":
        assert "страница входа" in got["message"]
    if name == "jpeg_as_pdf":
        assert "изображение" in got["message"]


AUDITS = {
    "text_pdf": {"FIL001": "pass", "FIL002": "pass", "FIL003": "pass", "FIL004": "pass", "FIL006": "not_applicable"},
    "scanned_pdf": {"FIL001": "pass", "FIL003": "fail"},
    "encrypted_pdf": {"FIL004": "fail", "FIL003": "not_applicable"},
    "broken_pdf": {"FIL002": "fail"},
    "docx": {"FIL001": "pass", "FIL002": "pass", "FIL003": "pass"},
    "soft_404": {"FIL001": "fail"},
    "login": {"FIL001": "fail"},
    "home": {"FIL001": "fail"},
    "jpeg_as_pdf": {"FIL001": "fail"},
    "html_header_pdf": {"FIL001": "fail"},
    "own_page": {"FIL001": "needs_review"},
    "signed": {"FIL005": "pass", "FIL006": "not_applicable"},
    "tampered": {"FIL005": "fail"},
    "unsigned": {"FIL005": "fail"},
    "detached": {"FIL005": "pass"},
    "stamp_only": {"FIL005": "needs_review"},
}


@pytest.mark.parametrize("name", sorted(AUDITS))
def test_document_audits(results, name):
    _, result = results[name]
    for code, status in AUDITS[name].items():
        got = audit(result, code)
        assert got["status"] == status, (name, code, got["message"])


def test_facts_are_read_from_the_files(results):
    facts = results["signed"][0]["documents"]
    pedsovet = next(f for u, f in facts.items() if u.endswith("pedsovet.pdf"))
    sig = pedsovet["signatures"][0]
    assert sig["intact"] is True and "Иванова Мария Петровна" in sig["signer"] and sig["signed_at"]
    assert pedsovet["kind"] == "pdf" and pedsovet["pages"] == 3 and pedsovet["text_pages"] == 3 and len(pedsovet["sha256"]) == 64
    assert "Иванова Мария Петровна" in audit(results["signed"][1], "FIL005")["message"]
    soft = next(iter(results["soft_404"][0]["documents"].values()))
    assert soft["kind"] == "html" and soft["final_url"].endswith("/error-404") and soft["html"]["heading"] == "Страница не найдена"
    assert next(iter(results["encrypted_pdf"][0]["documents"].values()))["password"] is True
    detached = next(f for u, f in results["detached"][0]["documents"].items() if u.endswith("pedsovet.pdf"))
    assert detached["detached"]["kind"] == "signature" and detached["detached"]["url"].endswith("pedsovet.pdf.sig")
    # Facts, never the document: no text, no bytes of the file in the artifact.
    assert all("Chapter" not in str(f) for a, _ in results.values() for f in (a.get("documents") or {}).values())


def test_past_the_document_budget_links_are_probed_as_before(tmp_path):
    """SVEDEN_DOCUMENT_BUDGET=1: one document is downloaded, the other HEAD-probed (its server
    refuses HEAD, so the GET fallback that stops after the headers answers); no facts for it."""
    text = d.text_pdf(TEXT)
    routes = site(ustav() + '<p><a itemprop="localActStud" href="/docs/rules.pdf">Правила</a></p>', extra={
        "/docs/ustav.pdf": Route(text, content_type=PDF), "/docs/rules.pdf": Route(text, content_type=PDF, head_status=405)})
    artifacts, logs = crawl({"budget": routes}, tmp_path, extra=["--set", "SVEDEN_DOCUMENT_BUDGET=1", "--set", "SVEDEN_SITE_CONCURRENCY=1"])
    artifact = artifacts["budget"]
    assert [u.rsplit("/", 1)[-1] for u in artifact["documents"]] == ["ustav.pdf"]
    assert ("HEAD", "/docs/rules.pdf") in logs["budget"] and ("GET", "/docs/rules.pdf") in logs["budget"]
    assert artifact["stats"]["documents_over_budget"] == 1
    result = evaluate(artifact, "school")
    assert item(result, "document", "localActStud")["status"] == "pass"
    assert audit(result, "FIL001")["status"] == "pass" and "(1)" in audit(result, "FIL001")["message"]


def test_without_document_facts_the_audits_say_so(tmp_path):
    """An artifact of a crawl without document facts (older versions) is judged as before."""
    artifacts, _ = crawl({"off": site(ustav(), extra={"/docs/ustav.pdf": redirect("/error-404")})}, tmp_path, extra=["--set", "SVEDEN_DOCUMENTS=false"])
    artifact = artifacts["off"]
    artifact.pop("documents")
    result = evaluate(artifact, "school")
    assert item(result, "document", "ustavDocLink")["status"] == "pass"  # 2xx after the redirect: nothing else known
    assert all(a["status"] == "not_applicable" and "не скачивались" in a["message"] for a in result["audits"] if a["rule"].startswith("FIL"))
