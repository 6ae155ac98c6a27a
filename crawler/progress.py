"""Progress of a monitoring run: a rich bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter

from scrapy import signals
from scrapy.exceptions import NotConfigured

log = logging.getLogger("sveden.progress")


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
        log.warning(
            "%s: организаций %d из %d, страниц %d, не проверено %d, %.1f орг/мин, осталось ≈ %s",
            prefix, self.done, self.total, self.pages, self.errors, rate, eta,
        )
