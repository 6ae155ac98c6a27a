"""The web page's checks: a FIFO queue and a bounded pool of warm worker processes (``sveden.web.worker``).

Checks never run in the server's process: each worker is a child process that forks one more
child per check (Twisted's reactor cannot restart). The pool restarts a worker that dies; a
check whose worker died or ran out of time fails with a named reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("sveden.web")

REPO_ROOT = Path(__file__).resolve().parents[2]


class QueueFull(Exception):
    """More checks waiting than the page accepts (``SVEDEN_WEB_MAX_QUEUE``)."""


@dataclass
class Job:
    id: str
    url: str
    org_type: str | None
    host: str
    folder: Path
    state: str = "queued"  # queued → running → done | failed
    progress: dict[str, Any] = field(default_factory=dict)
    message: str = ""  # why a check failed, in Russian
    reachable: bool | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    def result(self) -> dict[str, Any] | None:
        path = self.folder / "result.json"
        if self.state != "done" or not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))


class Worker:
    def __init__(self, pool: CheckPool, number: int):
        self.pool = pool
        self.number = number
        self.proc: asyncio.subprocess.Process | None = None
        self.job: Job | None = None
        self.free = asyncio.Event()
        self.ready = asyncio.Event()

    async def start(self) -> None:
        self.ready.clear()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sveden.web.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=None,
            cwd=str(REPO_ROOT), env={**os.environ, **self.pool.env},
            limit=1024 * 1024,
        )
        self.reader = asyncio.create_task(self.read(self.proc))

    async def read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while True:
            line = await proc.stdout.readline()
            if not line:
                break
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.handle(event)
        await proc.wait()
        if self.pool.closing:
            return
        log.warning("worker %d exited (%s); restarting", self.number, proc.returncode)
        await asyncio.sleep(1.0)  # a worker that cannot start does not spin the server
        if self.job is not None:
            self.pool.finish(self.job, ok=False, message="проверка прервана: обработчик проверок завершился аварийно")
            self.job = None
            self.free.set()
        await self.start()

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "ready":
            self.ready.set()
            return
        job = self.job
        if job is None or event.get("id") != job.id:
            return
        if kind == "progress":
            job.progress = {k: v for k, v in event.items() if k not in ("id", "event")}
        elif kind == "result":
            if event.get("ok"):
                job.reachable = bool(event.get("reachable"))
                self.pool.finish(job, ok=True)
            else:
                self.pool.finish(job, ok=False, message=str(event.get("message") or "сайт не удалось проверить"))
        elif kind == "done":
            if job.state == "running":  # no result: the child crashed or ran out of time
                reason = ("проверка не уложилась в отведённое время" if event.get("reason") == "timeout"
                          else "проверка прервана внутренней ошибкой")
                self.pool.finish(job, ok=False, message=reason)
            self.job = None
            self.free.set()

    async def run(self, job: Job) -> None:
        await self.ready.wait()
        assert self.proc is not None and self.proc.stdin is not None
        self.job = job
        self.free.clear()
        job.state = "running"
        job.started = time.time()
        payload = {"id": job.id, "url": job.url, "org_type": job.org_type, "dir": str(job.folder),
                   "settings": self.pool.crawl_settings, "store": self.pool.store}
        self.proc.stdin.write((json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8"))
        await self.proc.stdin.drain()
        await self.free.wait()

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()


class CheckPool:
    def __init__(self, workers: int, folder: Path, max_queue: int = 100, keep: int = 500,
                 crawl_settings: list[str] | None = None, store: bool = True, env: dict[str, str] | None = None):
        self.size = max(1, workers)
        self.folder = folder
        self.max_queue = max_queue
        self.keep = keep
        self.crawl_settings = list(crawl_settings or [])
        self.store = store
        self.env = dict(env or {})
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.waiting: list[Job] = []
        self.closing = False
        self.workers: list[Worker] = []
        self.tasks: list[asyncio.Task] = []
        self.queue: asyncio.Queue[Job] = asyncio.Queue()

    async def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.workers = [Worker(self, n) for n in range(self.size)]
        for w in self.workers:
            await w.start()
            self.tasks.append(asyncio.create_task(self.serve(w)))

    async def stop(self) -> None:
        self.closing = True
        for t in self.tasks:
            t.cancel()
        for w in self.workers:
            await w.stop()

    async def wait_ready(self, timeout: float = 60) -> None:
        await asyncio.wait_for(asyncio.gather(*(w.ready.wait() for w in self.workers)), timeout)

    async def serve(self, worker: Worker) -> None:
        while True:
            job = await self.queue.get()
            if job in self.waiting:
                self.waiting.remove(job)
            await worker.run(job)

    # -- what the page asks --------------------------------------------------------------------
    def submit(self, url: str, org_type: str | None, host: str) -> Job:
        if len(self.waiting) >= self.max_queue:
            raise QueueFull
        job_id = secrets.token_urlsafe(12)  # unguessable: a check is seen by whoever has its address
        folder = self.folder / job_id
        folder.mkdir(parents=True)  # the pool's folder is made here too: a pool not yet started still queues
        job = Job(job_id, url, org_type, host, folder)
        self.jobs[job_id] = job
        self.waiting.append(job)
        self.queue.put_nowait(job)
        self.forget_old()
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def position(self, job: Job) -> int:
        """1 for the next check to start; 0 when it is not waiting."""
        try:
            return self.waiting.index(job) + 1
        except ValueError:
            return 0

    def running(self) -> int:
        return sum(1 for w in self.workers if w.job is not None and w.job.state == "running")

    def finish(self, job: Job, ok: bool, message: str = "") -> None:
        job.state = "done" if ok else "failed"
        job.message = message
        job.finished = time.time()

    def forget_old(self) -> None:
        finished = [j for j in self.jobs.values() if j.state in ("done", "failed")]
        for job in finished[: max(0, len(self.jobs) - self.keep)]:
            self.jobs.pop(job.id, None)
            shutil.rmtree(job.folder, ignore_errors=True)
