"""Last month's document facts for this month's crawl (issue 13): nothing unchanged is read twice.

After a site is stored, :func:`remember` keeps the facts, validators (ETag, Last-Modified) and
hash of each document it downloaded in the ``documents`` table. Before a crawl,
:func:`exported` writes the rows the crawl may need into a SQLite file and passes its path in
``SVEDEN_DOCUMENT_CACHE``: the crawler (which never imports storage) asks with If-None-Match /
If-Modified-Since and reuses the facts on 304, or when the body's hash is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import DocumentFact, utcnow

log = logging.getLogger(__name__)
SETTING = "SVEDEN_DOCUMENT_CACHE"
# Facts that describe one download, not the document: never carried into next month's.
_PER_DOWNLOAD = ("cached",)


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def remember(session: Session, artifact: dict[str, Any]) -> int:
    """Keep the facts of the documents ``artifact`` downloaded (2xx, not cut at the size cap); returns how many."""
    docs = {url: f for url, f in (artifact.get("documents") or {}).items() if f.get("status") in range(200, 300) and not f.get("truncated")}
    if not docs:
        return 0
    keys = {url_hash(u): u for u in docs}
    rows = {r.url_hash: r for r in session.scalars(select(DocumentFact).where(DocumentFact.url_hash.in_(list(keys))))}
    now = utcnow()
    for key, url in keys.items():
        facts = {k: v for k, v in docs[url].items() if k not in _PER_DOWNLOAD}
        row = rows.get(key)
        if row is None:
            row = DocumentFact(url_hash=key, url=url)
            session.add(row)
        row.etag, row.last_modified, row.sha256 = facts.get("etag", ""), facts.get("last_modified", ""), facts.get("sha256", "")
        row.facts, row.checked_at = facts, now
    session.flush()
    return len(keys)


def export(session: Session, path: str, hosts: list[str] | None = None) -> int:
    """Write the known documents (of ``hosts`` only, when given) into the SQLite file the crawler reads."""
    out = sqlite3.connect(path)
    try:
        out.execute("CREATE TABLE documents (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, sha256 TEXT, facts TEXT)")
        query = select(DocumentFact.url, DocumentFact.etag, DocumentFact.last_modified, DocumentFact.sha256, DocumentFact.facts)
        if hosts:
            from sqlalchemy import or_

            query = query.where(or_(*(DocumentFact.url.contains(f"//{h}") for h in hosts)))
        n = 0
        batch: list[tuple[str, str, str, str, str]] = []
        for url, etag, last_modified, sha256, facts in session.execute(query.execution_options(yield_per=2000)):
            batch.append((url, etag, last_modified, sha256, json.dumps(facts, ensure_ascii=False)))
            if len(batch) >= 2000:
                out.executemany("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)", batch)
                n += len(batch)
                batch = []
        out.executemany("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)", batch)
        out.commit()
        return n + len(batch)
    finally:
        out.close()


@contextmanager
def exported(db_url: str | None, hosts: list[str] | None = None) -> Iterator[dict[str, str]]:
    """The crawl settings that point at a fresh export of the known documents of the database at
    ``db_url`` (the default database when None); the file is removed after. A database that cannot
    be read gives no settings: every document is then downloaded, nothing else changes."""
    from storage import db

    fd, path = tempfile.mkstemp(prefix="sveden-documents-", suffix=".sqlite")
    os.close(fd)
    os.unlink(path)  # sqlite creates it
    settings: dict[str, str] = {}
    try:
        try:
            session_factory = db.open_database(db_url) if db_url else db.open_database()
            try:
                with session_factory() as session:
                    export(session, path, hosts)
                settings = {SETTING: path}
            finally:
                session_factory.kw["bind"].dispose()
        except Exception as exc:  # the cache only saves downloads: its absence is never an error
            log.warning("known documents not exported: %s", exc)
        yield settings
    finally:
        if os.path.exists(path):
            os.unlink(path)
