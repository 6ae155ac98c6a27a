"""Settings of the web page, each from the environment variable of its name (README, «Страница самопроверки»)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A ``SVEDEN_WEB_*`` value that does not fit; the message is Russian."""


def _int(environ: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"переменная окружения {name}={text!r}: нужно целое число") from None
    if value < minimum:
        raise ConfigError(f"переменная окружения {name}={text!r}: нужно не меньше {minimum}")
    return value


@dataclass(frozen=True)
class WebConfig:
    workers: int = 2  # checks at once: the maximum of concurrent checks
    max_queue: int = 50  # checks waiting for a worker; more are refused («очередь заполнена»)
    client_checks_per_hour: int = 20  # checks one client (IP address) may start in an hour
    client_requests_per_minute: int = 600  # any requests of one client (the progress page polls)
    host_checks_per_hour: int = 6  # checks of one site (host) in an hour, whoever asks
    max_body: int = 16 * 1024  # bytes of a request body: a site address and a type fit many times
    check_timeout: int = 900  # seconds a check may take before its worker stops it
    keep_jobs: int = 500  # finished checks kept (their reports and downloads), oldest forgotten first
    store: bool = True  # each check is stored in the database, as by `sveden check`
    secret: str = field(default_factory=lambda: secrets.token_hex(32))  # signs the CSRF tokens
    folder: Path | None = None  # where reports are kept; a temporary folder by default
    crawl_settings: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None, **overrides: object) -> WebConfig:
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {
            "workers": _int(env, "SVEDEN_WEB_WORKERS", cls.workers, 1),
            "max_queue": _int(env, "SVEDEN_WEB_MAX_QUEUE", cls.max_queue, 0),
            "client_checks_per_hour": _int(env, "SVEDEN_WEB_CLIENT_CHECKS_PER_HOUR", cls.client_checks_per_hour, 1),
            "client_requests_per_minute": _int(env, "SVEDEN_WEB_CLIENT_REQUESTS_PER_MINUTE", cls.client_requests_per_minute, 1),
            "host_checks_per_hour": _int(env, "SVEDEN_WEB_HOST_CHECKS_PER_HOUR", cls.host_checks_per_hour, 1),
            "max_body": _int(env, "SVEDEN_WEB_MAX_BODY", cls.max_body, 1024),
            "check_timeout": _int(env, "SVEDEN_WEB_CHECK_TIMEOUT", cls.check_timeout, 10),
            "keep_jobs": _int(env, "SVEDEN_WEB_KEEP_CHECKS", cls.keep_jobs, 1),
            "store": env.get("SVEDEN_WEB_STORE", "1").strip().lower() not in ("0", "false", "no", "off"),
        }
        if env.get("SVEDEN_WEB_SECRET", "").strip():
            values["secret"] = env["SVEDEN_WEB_SECRET"].strip()
        if env.get("SVEDEN_WEB_DATA", "").strip():
            values["folder"] = Path(env["SVEDEN_WEB_DATA"].strip())
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
