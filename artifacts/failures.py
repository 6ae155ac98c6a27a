"""Why a download failed, in Russian words a person can act on — never exception text.

The crawler names the cause of a failed download with :func:`connection_cause` (the exception
itself goes to the log); readers of stored artifacts and results clean messages that earlier
versions wrote with the exception text in them (``сайт недоступен: [<twisted.python.failure…>]``)
with :func:`plain_message`.
"""

from __future__ import annotations

import re

# cause → (outcome, what happened, in Russian)
CONNECTION_FAILURES: dict[str, tuple[str, str]] = {
    "dns": ("unreachable", "имя сайта не найдено в DNS"),
    "refused": ("unreachable", "сервер отклонил соединение"),
    "lost": ("unreachable", "соединение оборвалось"),
    "no_route": ("unreachable", "сервер недоступен по сети"),
    "tls": ("tls_error", "не удалось установить защищённое соединение (HTTPS): ошибка сертификата или настройки TLS"),
    "timeout": ("timeout", "сайт не ответил вовремя"),
    "too_large": ("too_large", "ответ больше допустимого размера"),
    "other": ("unreachable", "не удалось загрузить страницу"),
}

_CAUSE_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("timeout", ("timeout", "timed out", "took longer than")),
    ("too_large", ("download max size", "maxsize", "max size")),
    ("tls", ("ssl", "tls", "certificate", "handshake")),
    ("dns", ("dns", "resolve", "hostname lookup", "name or service not known", "nodename nor servname")),
    ("refused", ("refused",)),
    ("lost", ("lost", "reset", "connectiondone", "closed", "dataloss", "data loss", "neverreceived", "aborted", "broken pipe")),
    ("no_route", ("noroute", "no route", "unreachable", "network is down")),
)


def connection_cause(name: str, text: str = "") -> str:
    """The cause (a key of :data:`CONNECTION_FAILURES`) of a failed download, from the
    exception's class name and text."""
    lowered = f"{name} {text}".lower()
    for cause, markers in _CAUSE_MARKERS:
        if any(m in lowered for m in markers):
            return cause
    return "other"


# Text only a program writes: exception classes and reprs, Twisted failures, errno.
# A phrase of three or more English words is an exception's text too: sveden writes Russian.
TECHNICAL = re.compile(
    r"Traceback|twisted|Failure\b|<class|\[Errno|\berrno\b|OpenSSL|(?:DNS )?lookup failed|took longer than"
    r"|\b[A-Z][A-Za-z]*(?:Error|Exception|Lost|Done|Failed|Refused)(?=[:>(\]]|$)|\b(?:Error|Exception):"
    r"|(?<![\w/.=?&#%-])[A-Za-z][a-z]+(?: [A-Za-z0-9][A-Za-z0-9']*){2,}"
)


def is_technical(text: str) -> bool:
    return bool(TECHNICAL.search(text or ""))


def plain_message(message: str) -> str:
    """``message`` without exception text: the Russian part, then the cause in Russian.

    ``сайт недоступен: Connection was refused by other side: 111`` → ``сайт недоступен: сервер
    отклонил соединение``. Messages without technical text are returned unchanged.
    """
    if not message:
        return message or ""
    found = TECHNICAL.search(message)
    if not found:
        return message
    head, tail = message[: found.start()], message[found.start() :]
    head = head.rstrip(" \t:;,.-([{<'\"")
    if head.endswith("ошибка загрузки"):  # what follows says it better
        head = head.removesuffix("ошибка загрузки").rstrip(" :;,([{")
    cause = connection_cause("", tail)
    what = CONNECTION_FAILURES[cause][1]
    out = (f"{head}: {what}" if cause != "other" else head) if head else what
    if out.count("(") > out.count(")"):
        out += ")"
    return out
