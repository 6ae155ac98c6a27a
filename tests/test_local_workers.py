"""`sveden crawl --redis … --workers N`: the coordinator starts N more `sveden worker` processes on this
machine; they share the run through the Redis queue and the default SQLite database, each site once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import ExitStack
from pathlib import Path

from crawlkit import import_slow_schools
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0", "--set", "SVEDEN_PROBE_OFFSITE=false"]
REDIS = os.environ.get("SVEDEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_local_workers_share_the_run_on_sqlite(tmp_path):
    import redis

    redis.Redis.from_url(REDIS).ping()
    namespace = f"sveden-test-{uuid.uuid4().hex[:8]}"
    db_url = f"sqlite:///{tmp_path / 'sveden.db'}"
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url, "SVEDEN_REDIS_NAMESPACE": namespace, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
    n = 16  # one organization in hand per process, ≥ 1.5 s each: the local worker has time to start and take its share
    with ExitStack() as stack:
        servers = import_slow_schools(stack, n, tmp_path, env)
        proc = subprocess.run(
            [*SVEDEN, "crawl", "--month", "2026-08", "--no-busgov", "--redis", REDIS, "--workers", "1", "--idle-close", "3", *FAST,
             "--set", "CONCURRENT_REQUESTS=2", "--set", "SVEDEN_WORKER_SITES=1"],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert f"Проверено организаций: {n} из {n}" in proc.stdout
    from storage import db, repository
    from storage.models import Check, Run

    session_factory = db.open_database(db_url)
    with session_factory() as session:
        run_id, status = session.execute(select(Run.id, Run.status).where(Run.month == "2026-08")).one()
        rows = session.execute(select(Check.org_id, func.count()).where(Check.run_id == run_id).group_by(Check.org_id)).all()
        workers = {repository.load_artifact(session, c)["stats"]["worker"] for c in session.scalars(select(Check.id).where(Check.run_id == run_id))}
    session_factory.kw["bind"].dispose()
    assert status == "finished"
    assert sorted(o for o, _ in rows) == [f"org{i:02d}" for i in range(n)] and all(c == 1 for _, c in rows)
    assert [s.log.count(("GET", "/")) for s in servers] == [1] * n  # each site crawled once, by one process
    assert len(workers) == 2, workers  # the coordinator and its local worker both took a share
    redis.Redis.from_url(REDIS).delete(*[f"{namespace}:run:{run_id}:{k}" for k in ("targets", "requests", "dupefilter")])


def test_workers_without_redis_is_a_clear_error(tmp_path):
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'sveden.db'}"}
    proc = subprocess.run([*SVEDEN, "crawl", "--no-busgov", "--workers", "2"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--workers" in proc.stderr and "--redis" in proc.stderr and "Traceback" not in proc.stderr
