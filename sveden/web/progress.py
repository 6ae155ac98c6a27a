"""Progress of a check run by the web page's worker: the counters of ``sveden check``'s progress line
(``crawler.progress.CheckProgress``) handed to a callback instead of stderr."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from scrapy import signals

from artifacts.layout import BY_SLUG
from crawler.progress import CheckProgress

# Set by the worker's child before it crawls (one check per process, so one sink).
sink: Callable[[dict[str, Any]], None] | None = None


class WebProgress(CheckProgress):
    MIN_INTERVAL = 0.2  # seconds between events: the page polls, a flood of events helps nobody

    def __init__(self) -> None:
        super().__init__("web")
        self.tty = True  # draw() on every change, never the per-line messages

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls()
        crawler.signals.connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def state(self) -> dict[str, Any]:
        return {"pages": self.pages, "documents": len(self.documents), "section": self.section,
                "section_no": len(self.sections), "sections_total": len(BY_SLUG)}

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if sink is None or (not force and now - self.drawn < self.MIN_INTERVAL):
            return
        self.drawn = now
        sink(self.state())

    def write(self, text: str) -> None:  # the line-per-subsection messages of a log: not here
        pass
