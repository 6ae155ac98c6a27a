"""PDF of the department and school reports, with WeasyPrint (HTML + CSS → PDF, inline SVG drawn as vectors).

WeasyPrint needs Pango (Debian: ``libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0``) and a font
with Cyrillic letters (``fonts-dejavu-core``). Nothing is fetched while rendering: the reports
have no external resources, and a fetcher that refuses every URL makes sure of it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any


class PdfUnavailable(Exception):
    """PDF cannot be made on this machine; the message (Russian) says why and what to install."""


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"внешние ресурсы в PDF не загружаются: {url}")


def _fetcher(weasyprint: Any) -> Any:
    """A URL fetcher that refuses every URL (WeasyPrint ≥ 66 takes a URLFetcher, older ones a function)."""
    cls = getattr(weasyprint.urls, "URLFetcher", None)
    if isinstance(cls, type):
        return cls(allowed_protocols=(), fail_on_errors=False)
    return _refuse


def _weasyprint() -> Any:
    try:
        import weasyprint  # noqa: PLC0415
        import weasyprint.urls  # noqa: PLC0415, F401
    except ImportError as exc:
        raise PdfUnavailable("для PDF нужна библиотека WeasyPrint: pip install weasyprint") from exc
    except OSError as exc:  # the Python package is there, Pango is not
        raise PdfUnavailable(
            f"WeasyPrint не смог загрузить Pango ({exc}); установите пакеты libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
        ) from exc
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)  # unsupported CSS (sticky headers…) is expected in print
    return weasyprint


def check_available() -> None:
    """Raise :class:`PdfUnavailable` when PDF cannot be made here."""
    _weasyprint()


def write_pdf(html: str, path: Path, base_dir: Path | None = None) -> Path:
    weasyprint = _weasyprint()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = weasyprint.HTML(string=html, base_url=str(base_dir or path.parent), url_fetcher=_fetcher(weasyprint))
    doc.write_pdf(str(path))
    return path


def _job(args: tuple[str, str]) -> str:
    html, path = args
    return str(write_pdf(html, Path(path)))


def write_many(jobs: Iterable[tuple[str, Path]], workers: int | None = None) -> list[Path]:
    """Write many PDFs, in parallel processes (WeasyPrint is CPU-bound: about 0,1–0,2 s a page).

    ``jobs`` is consumed lazily, with a bounded number of pages in flight, so thousands of
    school reports do not sit in memory at once. The first failure is raised.
    """
    _weasyprint()
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    done: list[Path] = []
    if workers == 1:
        return [write_pdf(html, path) for html, path in jobs]
    ctx = multiprocessing.get_context("spawn")  # no forked database connections in the workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: set[Future[str]] = set()
        for html, path in jobs:
            pending.add(pool.submit(_job, (html, str(path))))
            if len(pending) >= workers * 2:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                done += [Path(f.result()) for f in finished]
        for f in pending:
            done.append(Path(f.result()))
    return sorted(done)
