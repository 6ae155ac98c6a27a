"""Parts of a report build in forked processes, one per core.

The month's dataset is loaded once; the school pages and the exports are independent of each other,
so each chunk of them runs in a child forked from the loaded process (copy-on-write, nothing
pickled on the way in) with its own database connection. A child never touches the parent's
connections and leaves with ``os._exit`` (no finalizer may close a connection it shares with the
parent). What a child returns comes back pickled through a pipe; its failure is raised in the parent
as the same kind of error the sequential build would raise.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable
from typing import Any

from reports.data import ReportError


def workers_from(variable: str) -> int:
    """Processes for a part of a build: the environment ``variable`` when set, otherwise one per available core."""
    explicit = os.environ.get(variable, "").strip()
    if explicit.isdigit() and int(explicit) > 0:
        return int(explicit)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def report_workers() -> int:
    return workers_from("SVEDEN_REPORT_WORKERS")


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _child(task: Callable[[], Any], conn) -> None:  # noqa: ANN001
    try:
        try:
            message: tuple[str, Any] = ("ok", task())
        except ReportError as exc:
            message = ("report_error", str(exc))
        except OSError as exc:
            message = ("os_error", (exc.errno, exc.strerror, exc.filename))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            message = ("crash", traceback.format_exc())
        conn.send(message)
        conn.close()
    finally:
        os._exit(0)


class Forked:
    """Named tasks started at once in forked children; :meth:`results` waits for them. As a context
    manager, leaving stops the children still running (the parent failed before it asked for them)."""

    def __init__(self, tasks: dict[str, Callable[[], Any]]):
        ctx = multiprocessing.get_context("fork")
        self.running = {}
        for name, task in tasks.items():
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(task, send), daemon=True)
            proc.start()
            send.close()
            self.running[name] = (proc, receive)

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def results(self) -> dict[str, Any]:
        out, failure = {}, None
        for name, (proc, receive) in self.running.items():
            try:
                kind, value = receive.recv()
            except EOFError:  # killed (out of memory?) before it could answer
                kind, value = "report_error", "процесс построения отчёта завершился аварийно (возможно, не хватило памяти)"
            proc.join()
            if kind == "ok":
                out[name] = value
            elif failure is None:
                failure = (kind, value)
        if failure is not None:
            kind, value = failure
            if kind == "report_error":
                raise ReportError(value)
            if kind == "os_error":
                raise OSError(*value)
            raise RuntimeError(f"отчёт не построен: ошибка в процессе построения\n{value}")
        return out

    def stop(self) -> None:
        for proc, _ in self.running.values():
            if proc.is_alive():
                proc.terminate()
                proc.join()
