"""Where the database is, and opening it (the schema is brought to the newest migration on open).

SQLite is the default (one file in the user's data directory); PostgreSQL is used by larger
installations and in CI. Migrations run under a lock, so two processes starting at once are safe:
PostgreSQL takes a transaction-level advisory lock, SQLite a ``BEGIN IMMEDIATE`` write lock.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:  # Alembic (and Mako, Pygments behind it) is imported only when a schema must change
    from alembic.config import Config

ENV_VAR = "SVEDEN_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another process's transaction
_PG_LOCK_KEY = 0x5E7ED3_0001  # pg_advisory_xact_lock key of the migrations


class StorageError(Exception):
    """A database problem worth a plain message to the user (Russian), not a traceback."""


def default_sqlite_path() -> Path:
    from platformdirs import user_data_dir  # noqa: PLC0415

    return Path(user_data_dir("sveden", appauthor=False)) / "sveden.sqlite"


def normalize_url(url: str) -> str:
    """A SQLAlchemy URL; a bare path means a SQLite file, ``postgresql://`` means psycopg 3."""
    url = url.strip()
    if "://" not in url:
        return "sqlite:///" + Path(url).expanduser().resolve().as_posix()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url() -> str:
    """``SVEDEN_DATABASE_URL``, else the SQLite file in ``user_data_dir("sveden")``."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return normalize_url(env)
    return "sqlite:///" + default_sqlite_path().as_posix()


def _is_memory_sqlite(url: str) -> bool:
    u = make_url(url)
    return u.get_backend_name() == "sqlite" and (not u.database or u.database == ":memory:" or "mode=memory" in str(u))


def create_db_engine(url: str, *, immediate: bool = False) -> Engine:
    """An engine with the per-connection settings sveden relies on.

    SQLite: foreign keys ON, WAL journal, a busy timeout. With ``immediate`` every transaction
    starts with ``BEGIN IMMEDIATE`` (the write lock is taken at once; used for migrations).
    """
    url = normalize_url(url)
    try:
        sa_url = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"неверный адрес базы данных: {url!r}") from exc
    backend = sa_url.get_backend_name()
    if backend != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}}
    if _is_memory_sqlite(url):
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    elif sa_url.database:
        try:
            Path(sa_url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"не удалось создать каталог для базы данных {sa_url.database}: {exc}") from exc
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        if immediate:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    if immediate:

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(url: str | None = None) -> Config:
    """A programmatic Alembic configuration (no ini file needed, works from an installed package)."""
    from alembic.config import Config

    # Alembic's default stdout is bound when alembic.config is first imported (lazily, here): pass the
    # stream in use now, or a stream replaced since (a test's capture) is written to after it closed.
    cfg = Config(stdout=sys.stdout)
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    cfg.attributes["configure_logging"] = False
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


_REVISION = re.compile(r"^revision(?::[^=\n]*)?=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN = re.compile(r"^down_revision(?::[^=\n]*)?=\s*(?:[\"']([^\"']+)[\"']|None)\s*$", re.M)


def quick_head() -> str | None:
    """The head revision read from the migration files' own ``revision``/``down_revision`` lines,
    without importing Alembic; None when they do not read that simply (then Alembic decides)."""
    revisions, downs = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN.search(source)
        if rev is None or down is None:
            return None
        revisions.add(rev.group(1))
        if down.group(1):
            downs.add(down.group(1))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(conn: Connection) -> str | None:
    """``alembic_version`` read with plain SQL (None: no such table, or not one row)."""
    try:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None
    return rows[0][0] if len(rows) == 1 else None


def _check_known(rev: str | None) -> None:
    if rev is None:
        return
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    try:
        script.get_revision(rev)
    except Exception as exc:  # alembic raises several kinds for an unknown revision
        raise StorageError(
            f"схема базы данных (ревизия {rev}) новее, чем эта версия sveden: обновите sveden "
            "или укажите другую базу (SVEDEN_DATABASE_URL)"
        ) from exc


@contextmanager
def _locked_connection(url: str, engine: Engine | None) -> Iterator[Connection]:
    """A connection inside a transaction that holds the migrations lock."""
    if engine is not None:  # in-memory SQLite: one connection, nobody else to race with
        with engine.begin() as conn:
            yield conn
        return
    lock_engine = create_db_engine(url, immediate=True)
    try:
        with lock_engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield conn
    finally:
        lock_engine.dispose()


def upgrade(url: str | None = None, *, engine: Engine | None = None) -> None:
    """``alembic upgrade head`` on the database; idempotent and safe to run concurrently."""
    url = normalize_url(url or database_url())
    try:
        probe = engine or create_db_engine(url)
        try:
            with probe.connect() as conn:
                quick = quick_head()
                if quick is not None and _stored_revision(conn) == quick:
                    return  # the schema is current: no Alembic, no migration work
                rev = current_revision(conn)
        finally:
            if engine is None:
                probe.dispose()
        _check_known(rev)
        head = head_revision()
        if rev == head:
            return
        with _locked_connection(url, engine) as conn:
            rev = current_revision(conn)  # another process may have done it meanwhile
            _check_known(rev)
            if rev != head:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                from alembic import command

                command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise StorageError(f"не удалось открыть базу данных {_safe(url)}: {_first_line(exc)}") from exc


def open_database(url: str | None = None) -> sessionmaker[Session]:
    """A session factory for the database, its schema upgraded to the newest migration."""
    url = normalize_url(url or database_url())
    engine = create_db_engine(url)
    try:
        upgrade(url, engine=engine if _is_memory_sqlite(url) else None)
    except BaseException:
        engine.dispose()
        raise
    return sessionmaker(bind=engine, expire_on_commit=False)


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _first_line(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", None) or exc).strip()
    return msg.splitlines()[0] if msg else type(exc).__name__
