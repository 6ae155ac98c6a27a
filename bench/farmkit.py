"""What the farm benchmarks share: a farm served from the bench process, a database per run, and
``sveden`` commands run in child processes that report their own peak RSS, CPU time and, on
request, CPU time per stage (pyinstrument, in the ``bench`` extra).

Stages of a sampled stack are decided by its innermost frame that names one:
extraction (crawler/extract.py, discovery, feedback links), judging (checks/), storage (storage/,
SQLAlchemy, the database drivers), reports (reports/, Jinja2, openpyxl), startup (imports); the
rest is crawl (Scrapy, Twisted, sveden's site walk); waiting in the event loop's select is idle.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
PG_ADMIN = os.environ.get("SVEDEN_BENCH_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432/test")

# The command in the child: sveden's CLI, then one line with its resource use on stderr.
CHILD = f"""
import json, os, resource, runpy, sys
sys.path.insert(0, {str(BENCH)!r})
if os.environ.get("BENCH_MEMORY_OUT"):  # bench/crawl_memory.py: a thread sampling this process's memory
    from crawl_memory import start_sampler
    start_sampler(os.environ["BENCH_MEMORY_OUT"], float(os.environ.get("BENCH_MEMORY_EVERY", "5")))
profiler = None
if os.environ.get("BENCH_PROFILE"):
    from pyinstrument import Profiler
    profiler = Profiler(interval=0.01, async_mode="disabled")
    profiler.start()
sys.argv = ["sveden"] + sys.argv[1:]
code = 0
try:
    runpy.run_module("sveden.cli", run_name="__main__")
except SystemExit as exc:
    code = exc.code
finally:
    if profiler is not None:
        profiler.stop()
        from farmkit import stage_seconds
        with open(os.environ["BENCH_PROFILE"], "w") as fh:
            json.dump(stage_seconds(profiler.last_session.root_frame()), fh)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # local workers (sveden crawl --workers)
    print("BENCH " + json.dumps({{"maxrss_kb": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime,
                                  "children_maxrss_kb": kids.ru_maxrss, "children_cpu": kids.ru_utime + kids.ru_stime}}), file=sys.stderr)
sys.exit(code)
"""

STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("extraction", ("/crawler/extract.py", "/crawler/discovery.py", "/crawler/feedback_links.py", "/parsel/")),
    ("judging", ("/checks/",)),
    ("storage", ("/storage/", "/sqlalchemy/", "/psycopg/", "/sqlite3/", "/alembic/")),
    ("reports", ("/reports/", "/jinja2/", "/openpyxl/")),
    ("startup", ("<frozen importlib", "importlib/")),
)


def stage_of(file_path: str, function: str, inherited: str) -> str:
    if function in ("select", "poll") and file_path.endswith("selectors.py"):
        return "idle"
    for stage, markers in STAGES:
        if any(m in file_path for m in markers):
            # An import inside a stage's code (a lazy import) is startup only at the top.
            return stage if stage != "startup" or inherited == "crawl" else inherited
    return inherited


def stage_seconds(root: Any) -> dict[str, float]:
    """Sampled seconds per stage of a pyinstrument frame tree (self time, by the innermost stage)."""
    out: collections.Counter[str] = collections.Counter()
    top: collections.Counter[str] = collections.Counter()
    stack = [(root, "crawl")]
    while stack:
        frame, inherited = stack.pop()
        if frame is None:
            continue
        stage = stage_of(frame.file_path or "", frame.function or "", inherited)
        out[stage] += frame.total_self_time  # includes its synthetic «self» children: skip them below
        top[f"{stage} {(frame.file_path or '?').split('site-packages/')[-1].replace(str(REPO) + '/', '')}:{frame.function}"] += frame.total_self_time
        stack += [(child, stage) for child in frame.children if not child.is_synthetic]
    return {**{k: round(v, 3) for k, v in out.items()}, "top": [[k, round(v, 3)] for k, v in top.most_common(40)]}


def bench_env(db_url: str) -> dict[str, str]:
    # The farm is on 127.0.0.x (the SSRF protection must let it through); no regional rules file.
    return {**os.environ, "SVEDEN_DATABASE_URL": db_url, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1", "SVEDEN_REGIONAL_RULES": "",
            "PYTHONPATH": str(REPO)}


def run_sveden(args: list[str], db_url: str, profile: bool = False, timeout: float | None = None,
               extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """``sveden ARGS`` in a child process: wall seconds, peak RSS (MB), CPU seconds, stage seconds."""
    env = {**bench_env(db_url), **(extra_env or {})}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        prof_path = fh.name
    if profile:
        env["BENCH_PROFILE"] = prof_path
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, cwd=REPO, timeout=timeout)
    seconds = time.perf_counter() - started
    try:
        usage = json.loads(proc.stderr.rsplit("BENCH ", 1)[1].splitlines()[0])
    except IndexError:
        raise SystemExit(f"sveden {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}") from None
    if proc.returncode != 0:
        raise SystemExit(f"sveden {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    stages = json.loads(Path(prof_path).read_text() or "{}") if profile else {}
    os.unlink(prof_path)
    return {"seconds": seconds, "rss_mb": usage["maxrss_kb"] / 1024, "cpu": usage["cpu"], "stages": stages, "stdout": proc.stdout,
            "children_rss_mb": usage.get("children_maxrss_kb", 0) / 1024, "children_cpu": usage.get("children_cpu", 0.0)}


@contextlib.contextmanager
def database(kind: str, template: str | None = None) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL database created (and dropped) for the run;
    ``template`` (PostgreSQL only: a database URL) makes it a copy of that database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sveden_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def import_registry(farm: Any, db_url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.csv"
        path.write_text(farm.registry_csv(), encoding="utf-8")
        run_sveden(["registry", "import", str(path)], db_url)


def record_requests(farm: Any) -> None:
    """Keep every request the farm answers (the server's log holds 200,000 by default)."""
    farm.server.log = collections.deque(maxlen=5_000_000)
    farm.server.hits.clear()


def logged_requests(farm: Any) -> list[tuple[str, str]]:
    """(method, URL) of every request the farm answered, in order."""
    return [(method, f"http://{host}:{farm.port}{target}") for host, method, target, _ in farm.server.log]


def own_cpu() -> float:
    """CPU seconds of this process so far: the farm server's thread, the bench itself idles."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
