"""Shared test fixtures. Helper modules (sitekit, crawlkit, compliant) live beside the tests."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# Every test site is served on 127.0.0.x: let crawls reach loopback (SSRF protection is on by
# default). Set at import, so every subprocess a test starts inherits it; tests/test_ssrf.py
# removes it where the protection itself is tested.
os.environ["SVEDEN_ALLOW_PRIVATE_ADDRESSES"] = "1"
# No regional rules unless a test names a file: a rules file in the developer's data directory
# must not change the catalogue the tests judge by (empty = none; subprocesses inherit it).
os.environ["SVEDEN_REGIONAL_RULES"] = ""
# The salt of personal data hashes (artifacts.personal): never the developer's installation secret.
os.environ["SVEDEN_PERSONAL_SALT"] = "sveden-tests"

PG_CANDIDATES = [
    os.environ.get("SVEDEN_TEST_POSTGRES_URL", ""),
    "postgresql+psycopg://root@127.0.0.1:5432/test",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
]


def pg_admin_url() -> str:
    """The local PostgreSQL (CI has it): a missing server fails the test, it is never skipped."""
    from sqlalchemy import create_engine, text

    problems = []
    for url in filter(None, PG_CANDIDATES):
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return url
        except Exception as exc:  # noqa: BLE001 - try the next candidate
            problems.append(f"{url}: {exc}")
        finally:
            engine.dispose()
    pytest.fail("PostgreSQL at 127.0.0.1:5432 is required (deselect with -m 'not postgres'):\n" + "\n".join(problems))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database URL whose search_path is a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = pg_admin_url()
    schema = f"sveden_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{admin}?options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
