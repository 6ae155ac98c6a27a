"""Classify download failures into the organization/page outcome vocabulary."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from crawler.ssrf import ForbiddenAddress

CHALLENGE_MARKERS = ("captcha", "cf-chl", "challenge-platform", "ddos-guard", "проверка браузера", "подтвердите, что вы не робот", "access denied")


class TimeBudgetExceeded(Exception):
    """The site's (or its document probes') wall-clock budget ran out before this request finished."""


TIME_BUDGET_MESSAGE = "исчерпан лимит времени на сайт"


def classify_exception(exc: BaseException) -> tuple[str, str]:
    """(error_kind, Russian message) for an exception raised by a download."""
    if isinstance(exc, TimeBudgetExceeded):
        return "time_budget", TIME_BUDGET_MESSAGE
    name = type(exc).__name__
    text = str(exc) or name
    if isinstance(exc, ForbiddenAddress):  # refused before connecting (SSRF protection)
        return "forbidden_address", text
    if isinstance(exc, IgnoreRequest):
        if "robots" in text.lower():
            return "robots_disallowed", "адрес запрещён в robots.txt"
        if "redirect" in text.lower():
            return "redirect_loop", "бесконечная переадресация (превышено число перенаправлений)"
        if "download_maxsize" in text.lower() or "max size" in text.lower():  # a gzip bomb, cut off while decompressing
            return "too_large", "ответ больше допустимого размера (после распаковки)"
        return "http_error", f"запрос отклонён: {text}"
    lowered = (name + " " + text).lower()
    # Scrapy cancels a body over DOWNLOAD_MAXSIZE; a chunked one gives no size in the message.
    if name == "DownloadCancelledError" or "download max size" in lowered:
        return "too_large", "ответ больше допустимого размера"
    if "timeout" in lowered or "timed out" in lowered:
        return "timeout", "сайт не ответил вовремя"
    if "cancelled" in lowered and ("size" in lowered or "maxsize" in lowered):
        return "too_large", "ответ больше допустимого размера"
    if any(k in lowered for k in ("ssl", "tls", "certificate", "handshake")):
        return "tls_error", f"ошибка TLS: {text[:200]}"
    if any(k in lowered for k in ("dns", "resolve", "refused", "noroute", "unreachable", "connectionlost", "connectiondone", "connect", "reset", "dataloss")):
        return "unreachable", f"сайт недоступен: {text[:200]}"
    return "unreachable", f"ошибка загрузки: {name}: {text[:200]}"


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
