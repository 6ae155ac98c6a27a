"""Document facts kept across months (issue 13): the second crawl asks with If-None-Match /
If-Modified-Since and reuses the stored facts on 304, or when the body's hash is unchanged;
a changed document is read again. Two crawls of one loopback site, the facts kept in SQLite."""

from __future__ import annotations

from urllib.parse import urlsplit

from crawlkit import crawl
from sitekit import Route

from storage import db
from sveden import doccache
from testbed import documents as d

TEXT = ["Regulations of the pedagogical council of the school", "Chapter 1. General provisions and the council"]
PDF = "application/pdf"


def routes(changed: bytes) -> dict[str, Route]:
    text = d.text_pdf(TEXT)
    docs = ('<a itemprop="ustavDocLink" href="/docs/ustav.pdf">Устав</a> <a itemprop="localActStud" href="/docs/rules.pdf">Правила</a>'
            ' <a itemprop="localActOrder" href="/docs/order.pdf">ПВТР</a> <a itemprop="reportEduDocLink" href="/docs/report.pdf">Отчёт</a>')
    return {
        "/": Route("<html><body><a href='/sveden/'>Сведения об образовательной организации</a></body></html>"),
        "/sveden/": Route("<html><body><a href='/sveden/document/'>Документы</a></body></html>"),
        "/sveden/document/": Route(f"<html><body><h1>Документы</h1>{docs}</body></html>"),
        "/docs/ustav.pdf": Route(d.signed_pdf(text), content_type=PDF, headers={"ETag": '"ustav-v1"'}),
        "/docs/rules.pdf": Route(text, content_type=PDF, headers={"Last-Modified": "Mon, 01 Sep 2025 10:00:00 GMT"}),
        "/docs/order.pdf": Route(text, content_type=PDF),  # no validators: the hash decides
        "/docs/report.pdf": Route(changed, content_type=PDF),
    }


def by_name(artifact: dict) -> dict[str, dict]:
    return {u.rsplit("/", 1)[-1]: f for u, f in artifact["documents"].items()}


def test_unchanged_documents_reuse_last_months_facts(tmp_path):
    session_factory = db.open_database(f"sqlite:///{tmp_path / 'sveden.sqlite'}")
    first, _ = crawl({"s": routes(d.text_pdf(["The report of the last year, page after page"]))}, tmp_path)
    with session_factory() as session, session.begin():
        assert doccache.remember(session, first["s"]) == 4
    cache = tmp_path / "known.sqlite"
    with session_factory() as session:
        assert doccache.export(session, str(cache)) == 4
    session_factory.kw["bind"].dispose()

    # Next month: the same URLs (the cache's keys), so the site is served on the same port.
    again, _ = crawl({"s": routes(d.scanned_pdf())}, tmp_path, extra=["--set", f"SVEDEN_DOCUMENT_CACHE={cache}"], ports={"s": urlsplit(first["s"]["url"]).port})
    second = again["s"]
    before, after = by_name(first["s"]), by_name(second)
    assert "cached" not in before["ustav.pdf"]
    assert after["ustav.pdf"]["cached"] == "not_modified" and after["ustav.pdf"]["signatures"] == before["ustav.pdf"]["signatures"]
    assert after["rules.pdf"]["cached"] == "not_modified"
    assert after["order.pdf"]["cached"] == "same_hash" and after["order.pdf"]["text_pages"] == before["order.pdf"]["text_pages"]
    # Changed since: read again, and it is now a scan.
    assert "cached" not in after["report.pdf"] and after["report.pdf"]["text_pages"] == 0 and before["report.pdf"]["text_pages"] == 1
