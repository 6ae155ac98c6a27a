"""Progress on stderr: of a monitoring run (a rich bar on a terminal, INFO lines otherwise) and of
``sveden check`` (pages fetched, the subsection being read, documents probed)."""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections import Counter

from scrapy import signals
from scrapy.exceptions import NotConfigured

from artifacts.layout import BY_SLUG
from crawler.requestkinds import document_link

log = logging.getLogger("sveden.progress")


class _Stderr(logging.StreamHandler):
    """A handler writing to the ``sys.stderr`` of the moment (the CLI and tests may replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # noqa: ANN001
        pass


def progress_log() -> logging.Logger:
    """The logger of progress lines: INFO on stderr, shown whatever level the crawl's own log has
    (a monitoring run logs Scrapy at WARNING); not propagated, so never printed twice."""
    if not log.handlers:
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        log.addHandler(handler)
        log.propagate = False
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    return log


class Progress:
    def __init__(self, total: int, tty: bool, every: int):
        self.total = total
        self.done = 0
        self.pages = 0
        self.errors = 0
        self.outcomes: Counter[str] = Counter()
        self.started = time.monotonic()
        self.every = every
        self.bar = None
        if tty:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn

            self.bar = Bar(
                TextColumn("[bold]Организации"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
                transient=False,
            )
            self.task = self.bar.add_task("crawl", total=total, info="")

    @classmethod
    def from_crawler(cls, crawler):
        total = crawler.settings.getint("SVEDEN_PROGRESS_TOTAL")
        if not total:
            raise NotConfigured
        ext = cls(total, sys.stderr.isatty(), crawler.settings.getint("SVEDEN_PROGRESS_EVERY", 10))
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    active = True

    def spider_opened(self, spider):
        # The bus.gov.ru spider shares the process (and the settings) but not the count of sites.
        self.active = spider.name.startswith("sveden")
        if self.bar and self.active:
            self.bar.start()

    def spider_closed(self, spider):
        if not self.active:
            return
        if self.bar:
            self.bar.stop()
        self.report(final=True)

    def response_received(self, response, request, spider):
        self.pages += 1

    def item_scraped(self, item, response, spider):
        if not self.active or item.get("kind") == "busgov":
            return
        self.done += 1
        outcome = item.get("outcome", "ok")
        self.outcomes[outcome] += 1
        if outcome not in ("ok", "no_sveden_section"):
            self.errors += 1
        if self.bar:
            self.bar.update(self.task, completed=self.done, info=f"стр. {self.pages} · не проверено {self.errors} · {self.rate():.1f} орг/мин")
        elif self.done % self.every == 0 and self.done < self.total:
            self.report()

    def rate(self) -> float:
        minutes = max(time.monotonic() - self.started, 1e-6) / 60
        return self.done / minutes

    def report(self, final: bool = False) -> None:
        rate = self.rate()
        left = self.total - self.done
        eta = f"{left / rate:.1f} мин" if rate > 0 and left else "—"
        prefix = "Итого" if final else "Ход"
        progress_log().info(
            "%s: организаций %d из %d, страниц %d, не проверено %d, %.1f орг/мин, осталось ≈ %s",
            prefix, self.done, self.total, self.pages, self.errors, rate, eta,
        )


class CheckProgress:
    """What ``sveden check`` is doing, on stderr: pages fetched, the subsection being read, documents probed.

    ``SVEDEN_CHECK_PROGRESS``: ``"tty"`` rewrites one line in place (a terminal), ``"lines"`` writes
    a line per subsection and every ``EVERY`` documents; empty (the default) turns it off.
    """

    EVERY = 25
    MIN_INTERVAL = 0.1  # seconds between redraws of the line on a terminal

    def __init__(self, mode: str):
        self.tty = mode == "tty"
        self.pages = 0
        self.documents: set[str] = set()
        self.section = ""
        self.sections: list[str] = []
        self.drawn = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        mode = crawler.settings.get("SVEDEN_CHECK_PROGRESS") or ""
        if mode not in ("tty", "lines"):
            raise NotConfigured
        ext = cls(mode)
        crawler.signals.connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def request_reached_downloader(self, request, spider):
        if document_link(request):
            if request.url not in self.documents:
                self.documents.add(request.url)
                if not self.tty and len(self.documents) % self.EVERY == 0:
                    self.write(f"Проверено ссылок на документы: {len(self.documents)}")
                self.draw(force=len(self.documents) == 1)
            return
        slug = request.meta.get("sveden_section")
        if slug and slug in BY_SLUG and slug not in self.sections:
            self.sections.append(slug)
            self.section = BY_SLUG[slug].title
            if not self.tty:
                self.write(f"Подраздел «{self.section}»")
            self.draw(force=True)

    def response_received(self, response, request, spider):
        if not document_link(request) and not request.meta.get("sveden_css"):
            self.pages += 1
            self.draw()

    def line(self) -> str:
        """Counters first: a narrow terminal cuts the subsection's title, not the figures."""
        parts = [f"страниц {self.pages}", f"документов {len(self.documents)}"]
        if self.section:
            parts.append(f"подраздел {len(self.sections)} из {len(BY_SLUG)}: «{self.section}»")
        return "Проверка сайта: " + " · ".join(parts)

    def draw(self, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.drawn < self.MIN_INTERVAL:
            return
        self.drawn = now
        width = max(shutil.get_terminal_size((100, 24)).columns - 1, 20)
        line = self.line()
        sys.stderr.write("\r\x1b[2K" + (line if len(line) <= width else line[: width - 1] + "…"))
        sys.stderr.flush()

    def write(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def spider_closed(self, spider):
        if self.tty:
            sys.stderr.write("\r\x1b[2K")
        self.write(f"Получено страниц: {self.pages}, проверено ссылок на документы: {len(self.documents)}.")
