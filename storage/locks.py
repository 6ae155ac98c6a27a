"""One run per database: the cross-process guards of the monthly monitoring and of its scheduler.

:func:`run_guard` holds a named guard (:data:`MONITORING_LOCK` while a run is going,
:data:`SCHEDULER_LOCK` while a foreground scheduler serves the database) and raises
:class:`AlreadyRunning`, with a Russian message naming the holder, when another process or thread
holds it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.db import database_url, normalize_url

MONITORING_LOCK = "monitoring"  # held while a run (scheduled or --run-now) is going
SCHEDULER_LOCK = "scheduler"  # held by the foreground scheduler process: one per database
#: set (to the database URL) for the scheduler's own child process: its parent already holds
#: MONITORING_LOCK, so the child must not take it again
GUARD_HELD_ENV = "SVEDEN_GUARD_HELD"


class AlreadyRunning(RuntimeError):
    """The run guard (or the scheduler guard) is held by another process or thread."""


# APScheduler's max_instances=1 only counts runs inside one scheduler process. A crawl started by
# `sveden schedule --run-now` (or a second scheduler on the same database) is another process, so
# runs are also guarded by a lock bound to the *database*:
#
# * PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) held on a dedicated
#   connection for the whole run. It guards every host that shares the database, and the server
#   releases it by itself when the holder dies (its connection closes), so a crash never leaves a
#   stale lock behind. A lock row would need heartbeats and stale-lock detection for that.
# * SQLite (and other back ends): a database file is only shared by processes of one host, so an
#   flock(2) on a file beside it ("<db>.monitoring.lock") is enough; the kernel drops it when the
#   process dies, again no stale lock. flock locks belong to the open file description, so two
#   threads of one process exclude each other too. The holder writes its PID, host and start time
#   into the file for the refusal message. The file is never deleted: unlinking a lock file races
#   with processes that opened the old inode.


# the namespace as it was when the guards lived in scheduler.py: every version takes the same locks
_PG_NAMESPACE = zlib.crc32(b"sveden.scheduler") & 0x7FFFFFFF
_PG_KEYS = {MONITORING_LOCK: 1, SCHEDULER_LOCK: 2}
_WHAT = {MONITORING_LOCK: "Мониторинг уже выполняется", SCHEDULER_LOCK: "Планировщик уже запущен"}


def _holder_text(info: Mapping[str, Any] | None) -> str:
    if not info:
        return "другим процессом"
    parts = []
    if info.get("pid"):
        parts.append(f"PID {info['pid']}")
    if info.get("host"):
        parts.append(f"на {info['host']}")
    if info.get("since"):
        parts.append(f"с {info['since']}")
    return "процессом " + " ".join(parts) if parts else "другим процессом"


def _holder_info(name: str) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now().astimezone().strftime("%d.%m.%Y %H:%M:%S %Z").strip(),
        "what": name,
    }


def _busy_message(name: str, info: Mapping[str, Any] | None) -> str:
    tail = (
        "повторный запуск отменён."
        if name == MONITORING_LOCK
        else "второй планировщик для той же базы не запускается."
    )
    return f"{_WHAT[name]} ({_holder_text(info)}); {tail}"


class _FileLock:
    def __init__(self, path: Path, name: str):
        self.path = path
        self.name = name
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl  # POSIX only: the monitoring server runs Linux

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise AlreadyRunning(_busy_message(self.name, self._read())) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_holder_info(self.name), ensure_ascii=False).encode())
        self._fd = fd

    def _read(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._fd is None:
            return
        import fcntl

        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class _PgAdvisoryLock:
    def __init__(self, url: str, name: str):
        self.url = url
        self.name = name
        self._engine = None
        self._conn = None

    def acquire(self) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        info = _holder_info(self.name)
        app_name = f"sveden {self.name} pid={info['pid']}@{info['host']}"[:63]
        engine = create_engine(
            self.url, poolclass=NullPool, connect_args={"application_name": app_name}
        )
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(CAST(:ns AS integer), CAST(:key AS integer))"),
                {"ns": _PG_NAMESPACE, "key": _PG_KEYS[self.name]},
            ).scalar()
            if not got:
                holder = conn.execute(
                    text(
                        "SELECT a.application_name, a.backend_start FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = :ns "
                        "AND l.objid::bigint = :key AND l.objsubid = 2 AND l.database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"ns": _PG_NAMESPACE, "key": _PG_KEYS[self.name]},
                ).first()
                raise AlreadyRunning(_busy_message(self.name, _pg_holder(holder)))
        except BaseException:
            conn.close()
            engine.dispose()
            raise
        self._engine, self._conn = engine, conn

    def release(self) -> None:
        if self._conn is None:
            return
        from sqlalchemy import text

        conn, engine = self._conn, self._engine
        self._conn = self._engine = None
        try:
            conn.execute(
                text("SELECT pg_advisory_unlock(CAST(:ns AS integer), CAST(:key AS integer))"),
                {"ns": _PG_NAMESPACE, "key": _PG_KEYS[self.name]},
            )
        finally:
            conn.close()
            engine.dispose()


def _pg_holder(row) -> dict[str, Any] | None:
    if row is None:
        return None
    match = re.search(r"pid=(\d+)@(\S+)", row[0] or "")
    since = row[1].astimezone().strftime("%d.%m.%Y %H:%M:%S %Z").strip() if row[1] else None
    if not match:
        return {"since": since}
    return {"pid": match.group(1), "host": match.group(2), "since": since}


def _lock_for(url: str, name: str):
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return _PgAdvisoryLock(url, name)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        db = Path(parsed.database).expanduser().resolve()
        return _FileLock(db.with_name(f"{db.name}.{name}.lock"), name)
    from platformdirs import user_data_dir

    key = zlib.crc32(parsed.render_as_string(hide_password=True).encode())
    return _FileLock(Path(user_data_dir("sveden", appauthor=False)) / f"{name}-{key:08x}.lock", name)


@contextmanager
def run_guard(url: str | None = None, name: str = MONITORING_LOCK) -> Iterator[None]:
    """Hold the cross-process guard ``name`` for ``url``'s database; raises AlreadyRunning."""
    lock = _lock_for(normalize_url(url) if url else database_url(), name)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
