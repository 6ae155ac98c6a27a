"""One warm worker of the web page's pool: ``python -m sveden.web.worker``.

It imports the crawler, the rule catalogue and the report renderer once, then reads jobs, one JSON
line each, on stdin. Twisted's reactor cannot restart, so each check runs in a child forked from
the warm process: the child pays no start-up, crawls, judges, writes ``result.json`` and
``report.html`` into the job's folder and exits. Events go to stdout, one JSON line each:
``ready``, ``started``, ``progress`` (pages, documents, subsection), ``result``, ``done``.
Nothing else may write to stdout: the protocol keeps its own descriptor and fd 1 becomes stderr.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

log = logging.getLogger("sveden.web.worker")

PROGRESS_EXTENSION = "sveden.web.progress.WebProgress"


def warm_up() -> None:
    """Import what every check needs, so a forked child starts crawling at once. The reactor is
    NOT installed here: each child installs its own."""
    import scrapy.core.downloader.handlers.http11  # noqa: F401
    import scrapy.core.engine  # noqa: F401
    import scrapy.crawler  # noqa: F401
    import twisted.internet.asyncioreactor  # noqa: F401

    import crawler.spiders.sveden  # noqa: F401
    import reports.school  # noqa: F401
    import sveden.checking  # noqa: F401
    import sveden.web.progress  # noqa: F401
    from checks import catalogue
    from sveden.gather import gather_settings

    catalogue.audits()
    catalogue.rules_version()  # hashes every audit once (cached)
    gather_settings()
    from reports.render import environment

    environment().get_template("school.html.j2")  # compiled once, not per report
    _import_components()


def _import_components() -> None:
    """Every Scrapy component a crawl loads by name (middlewares, extensions, handlers, the scheduler…):
    imported here once, not in each child."""
    from scrapy.utils.misc import load_object

    from crawler.runner import project_settings

    settings = project_settings({"SVEDEN_PROFILE": "interactive"})
    paths = []
    for name in ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES", "DOWNLOAD_HANDLERS"):
        paths += list(settings.getwithbase(name))  # disabled ones too: Scrapy imports them to read their names
    for name in ("SCHEDULER", "DUPEFILTER_CLASS", "STATS_CLASS", "LOG_FORMATTER", "SCHEDULER_PRIORITY_QUEUE", "SCHEDULER_MEMORY_QUEUE",
                 "SCHEDULER_DISK_QUEUE", "REQUEST_FINGERPRINTER_CLASS", "ROBOTSTXT_PARSER", "TWISTED_DNS_RESOLVER",
                 "DOWNLOADER", "DOWNLOADER_HTTPCLIENTFACTORY", "DOWNLOADER_CLIENTCONTEXTFACTORY", "SPIDER_LOADER_CLASS"):
        if isinstance(settings.get(name), str):
            paths.append(settings[name])
    from scrapy.utils.misc import walk_modules_iter

    for module in settings.getlist("SPIDER_MODULES"):  # the spider loader imports every spider module
        list(walk_modules_iter(module))
    for path in paths:
        try:
            load_object(path)
        except Exception as exc:  # noqa: BLE001 - warming up only: the child imports it (and says why) itself
            log.debug("not preloaded: %s (%s)", path, exc)
    assert "twisted.internet.reactor" not in sys.modules, "a component installed a reactor"


class Channel:
    """The protocol's stdout: whole lines, written at once (a child and its parent share it)."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, **event: Any) -> None:
        data = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
        os.write(self.fd, data)  # lines are short; one write keeps them whole


def crawl_settings(job: dict[str, Any]) -> list[str]:
    return [f"SVEDEN_PROFILE={job.get('profile') or 'interactive'}", *job.get("settings", [])]


def run_child(job: dict[str, Any], channel: Channel) -> int:
    """In the forked child: check one site, write its files; the exit code is the worker's news."""
    from sveden.checking import CheckInputError, run_check, store_check
    from sveden.web import progress

    folder = Path(job["dir"])
    progress.sink = lambda state: channel.send(id=job["id"], event="progress", **state)
    try:
        result, artifact = run_check(job["url"], job.get("org_type"), settings=crawl_settings(job),
                                     extra={"EXTENSIONS": {**_project_extensions(), PROGRESS_EXTENSION: 610}})
    except CheckInputError as exc:
        (folder / "error.json").write_text(json.dumps({"message": str(exc)}, ensure_ascii=False), encoding="utf-8")
        channel.send(id=job["id"], event="result", ok=False, message=str(exc))
        return 0
    from reports.school import render_html

    (folder / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / "report.html").write_text(render_html(result), encoding="utf-8")
    channel.send(id=job["id"], event="result", ok=True, reachable=bool(result.get("reachable")))
    if job.get("store", True):
        try:
            check_id = store_check(result, artifact)
            (folder / "stored.json").write_text(json.dumps({"check_id": check_id}), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - the report stands; the database is the operator's to fix
            log.warning("check not stored: %s", exc)
    return 0


def _project_extensions() -> dict[str, int]:
    from crawler import settings as project

    return dict(project.EXTENSIONS)


_child = 0  # the check running now: stopped with the worker


def _stop(signum, frame) -> None:  # noqa: ANN001 - a signal handler
    if _child:
        with contextlib.suppress(ProcessLookupError):
            os.kill(_child, signal.SIGKILL)
    os._exit(0)


def fork_check(job: dict[str, Any], channel: Channel, timeout: float) -> None:
    global _child
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = run_child(job, channel)
        except BaseException:  # noqa: BLE001 - reported to the parent by the exit code
            traceback.print_exc(file=sys.stderr)
        finally:
            sys.stderr.flush()
            os._exit(code)
    _child = pid
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            _child = 0
            channel.send(id=job["id"], event="done", ok=False, reason="timeout")
            return
        time.sleep(0.02)
    _child = 0
    code = os.waitstatus_to_exitcode(status)
    channel.send(id=job["id"], event="done", ok=code == 0, reason="" if code == 0 else f"exit {code}")


def main() -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s sveden serve worker: %(message)s"))
    log.addHandler(handler)
    log.propagate = False
    channel = Channel(os.dup(1))
    os.dup2(2, 1)  # whatever prints to stdout now goes to the log, not into the protocol
    sys.stdout = sys.stderr
    timeout = float(os.environ.get("SVEDEN_WEB_CHECK_TIMEOUT", "900"))
    signal.signal(signal.SIGTERM, _stop)
    warm_up()
    channel.send(event="ready", pid=os.getpid())
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        channel.send(id=job["id"], event="started")
        fork_check(job, channel, timeout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
