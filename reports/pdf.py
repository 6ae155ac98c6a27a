"""PDF of the department and school reports, with WeasyPrint (HTML + CSS → PDF, inline SVG drawn as vectors).

WeasyPrint needs Pango (Debian: ``libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0``) and a font
with Cyrillic letters (``fonts-dejavu-core``). Nothing is fetched while rendering: the reports
have no external resources, and a fetcher that refuses every URL makes sure of it.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, TextIO

# Called after each PDF with (PDFs written, pages in it).
ProgressCallback = Callable[[int, int], None]


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


def render_pdf(html: str, path: Path, base_dir: Path | None = None) -> int:
    """Write the PDF of ``html`` to ``path``; returns its number of pages."""
    weasyprint = _weasyprint()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = weasyprint.HTML(string=html, base_url=str(base_dir or path.parent), url_fetcher=_fetcher(weasyprint)).render()
    doc.write_pdf(str(path))
    return len(doc.pages)


def write_pdf(html: str, path: Path, base_dir: Path | None = None) -> Path:
    render_pdf(html, path, base_dir)
    return path


def _job(args: tuple[str, str]) -> tuple[str, int]:
    html, path = args
    return path, render_pdf(html, Path(path))


def default_workers() -> int:
    """Processes for PDF rendering: ``SVEDEN_PDF_WORKERS`` when set, otherwise one per available core."""
    from reports.parallel import workers_from  # noqa: PLC0415

    return workers_from("SVEDEN_PDF_WORKERS")


def write_many(jobs: Iterable[tuple[str, Path]], workers: int | None = None, progress: ProgressCallback | None = None) -> list[Path]:
    """Write many PDFs, in parallel processes, one per core (WeasyPrint is CPU-bound: about 0,1–0,2 s a page).

    ``jobs`` is consumed lazily, with a bounded number of pages in flight, so thousands of
    school reports do not sit in memory at once. ``progress`` is called after each PDF with the
    number written so far and that PDF's pages. The first failure is raised.
    """
    _weasyprint()
    workers = workers or default_workers()
    done: list[Path] = []

    def finished(path: str, pages: int) -> None:
        done.append(Path(path))
        if progress is not None:
            progress(len(done), pages)

    if workers == 1:
        for html, path in jobs:
            finished(str(path), render_pdf(html, path))
        return sorted(done)
    ctx = multiprocessing.get_context("spawn")  # no forked database connections in the workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: set[Future[tuple[str, int]]] = set()
        for html, path in jobs:
            pending.add(pool.submit(_job, (html, str(path))))
            if len(pending) >= workers * 2:
                ready, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in ready:
                    finished(*f.result())
        while pending:
            ready, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in ready:
                finished(*f.result())
    return sorted(done)


class Progress:
    """How many PDFs are written, on stderr: one line updated in place on a terminal, plain lines
    (at most one every ``every`` seconds, and the last) when the output goes to a file or a log.

        PDF: 120 из 2 000 (6 %), страниц 410 · 3,2 PDF/с · осталось ≈ 9 мин 47 с
    """

    def __init__(self, total: int, stream: TextIO | None = None, every: float = 5.0, workers: int | None = None):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self.done = 0
        self.pages = 0
        self.started = time.monotonic()
        self.last = self.started
        self.workers = workers
        self._width = 0

    def start(self) -> None:
        procs = f" в {self.workers} процессах" if self.workers and self.workers > 1 else ""
        self._emit(f"PDF: рисую {_num(self.total)}{procs}…", final=not self.tty)

    def __call__(self, done: int, pages: int) -> None:
        self.done, self.pages = done, self.pages + pages
        now = time.monotonic()
        last = done >= self.total
        if self.tty or last or now - self.last >= self.every:
            self.last = now
            self._emit(self.line(now), final=last or not self.tty)

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self.started, 1e-6)
        share = f" ({self.done * 100 // self.total} %)" if self.total else ""
        rate = self.done / elapsed
        text = f"PDF: {_num(self.done)} из {_num(self.total)}{share}, страниц {_num(self.pages)} · {rate:.1f} PDF/с".replace(".", ",")
        if self.done >= self.total:
            return text + f" · готово за {_duration(elapsed)}"
        if self.done:
            text += f" · осталось ≈ {_duration((self.total - self.done) / rate)}"
        return text

    def _emit(self, text: str, final: bool) -> None:
        if self.tty:
            pad = " " * max(self._width - len(text), 0)
            self._width = 0 if final else len(text)
            self.stream.write("\r" + text + pad + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _num(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} с"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} мин {seconds} с"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} ч {minutes} мин"
