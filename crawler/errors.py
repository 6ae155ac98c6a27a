"""Classify download failures into the organization/page outcome vocabulary."""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest

from artifacts.failures import CONNECTION_FAILURES, connection_cause
from crawler.ssrf import ForbiddenAddress

log = logging.getLogger(__name__)

CHALLENGE_MARKERS = ("captcha", "cf-chl", "challenge-platform", "ddos-guard", "проверка браузера", "подтвердите, что вы не робот", "access denied")


class TimeBudgetExceeded(Exception):
    """The site's (or its document probes') wall-clock budget ran out before this request finished."""


TIME_BUDGET_MESSAGE = "исчерпан лимит времени на сайт"


def classify_exception(exc: BaseException) -> tuple[str, str]:
    """(error_kind, Russian message) for an exception raised by a download.

    The message says what happened in words a person can act on; the exception's own text
    goes to the log, never into the artifact.
    """
    if isinstance(exc, TimeBudgetExceeded):
        return "time_budget", TIME_BUDGET_MESSAGE
    name = type(exc).__name__
    text = str(exc) or name
    if isinstance(exc, ForbiddenAddress):  # refused before connecting (SSRF protection); its message is Russian
        return "forbidden_address", text
    log.debug("download failed: %s: %s", name, text)
    if isinstance(exc, IgnoreRequest):
        lowered = text.lower()
        if "robots" in lowered:
            return "robots_disallowed", "адрес запрещён в robots.txt"
        if "redirect" in lowered:
            return "redirect_loop", "бесконечная переадресация (превышено число перенаправлений)"
        if "download_maxsize" in lowered or "max size" in lowered:  # a gzip bomb, cut off while decompressing
            return "too_large", "ответ больше допустимого размера (после распаковки)"
        return "http_error", "запрос к адресу не выполнялся (отклонён при обходе)"
    # Scrapy cancels a body over DOWNLOAD_MAXSIZE; a chunked one gives no size in the message.
    if name == "DownloadCancelledError" or ("cancelled" in text.lower() and "size" in text.lower()):
        return "too_large", CONNECTION_FAILURES["too_large"][1]
    return CONNECTION_FAILURES[connection_cause(name, text)]


def dropped_connection(exc: BaseException) -> bool:
    """Did the server drop the connection (reset, lost, closed) rather than refuse or ignore it?"""
    return not isinstance(exc, (IgnoreRequest, TimeBudgetExceeded)) and connection_cause(type(exc).__name__, str(exc)) == "lost"


def classify_status(status: int, body_head: str = "") -> tuple[str, str] | None:
    """An HTTP status (and the start of the body) as an outcome; None when it is a success."""
    if 200 <= status < 300:
        if any(m in body_head.lower() for m in CHALLENGE_MARKERS) and len(body_head) < 20000:
            return "blocked", "вместо страницы — проверка «не робот ли вы» (защита от ботов)"
        return None
    if status in (401, 403, 429):
        return "blocked", f"доступ заблокирован (HTTP {status})"
    if status == 404 or status == 410:
        return "not_found", f"страница не найдена (HTTP {status})"
    return "http_error", f"ошибка сервера (HTTP {status})"
