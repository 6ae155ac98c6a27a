"""Crawl many sites in one process and return their artifacts.

Targets are ``{"org_id", "url", "org_type"}``. Twisted's reactor cannot be restarted, so
:func:`collect` runs once per process; the orchestration (``sveden.gather``) calls it with the
settings the audits need, and ``python -m sveden.gather`` is the subprocess entry for tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.addresses import SETTING_ALLOWLIST, AddressPolicy
from crawler.spiders.sveden import SvedenSpider


class SettingsError(ValueError):
    """A ``--set KEY=VALUE`` the crawl cannot use; the message is Russian."""


def parse_sets(pairs: list[str]) -> dict[str, object]:
    """``--set KEY=VALUE`` pairs; values are JSON where they parse as JSON, else strings."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"настройка «{pair}» должна иметь вид КЛЮЧ=ЗНАЧЕНИЕ")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def validate_settings(overrides: dict[str, object]) -> dict[str, object]:
    """Check each override (and each SVEDEN_* environment variable) against the type of its default,
    before anything is crawled or stored."""
    from crawler import settings as project

    if project.environment_problems:
        raise SettingsError("; ".join(project.environment_problems))
    defaults = project_settings()
    profile_values(project_settings({k: v for k, v in overrides.items() if k in ("SVEDEN_PROFILE", "SVEDEN_PROFILES")}))
    for key, value in overrides.items():
        default = defaults.get(key)
        if isinstance(default, bool):
            ok = isinstance(value, bool) or str(value).lower() in ("true", "false", "0", "1")
        elif isinstance(default, (int, float)):
            try:
                float(value)  # type: ignore[arg-type]
                ok = not isinstance(value, bool)
            except (TypeError, ValueError):
                ok = False
        else:
            ok = True
        if not ok:
            raise SettingsError(f"настройка {key}={value!r}: нужно {type(default).__name__} (по умолчанию {default!r})")
        if key == SETTING_ALLOWLIST:
            try:
                AddressPolicy.from_settings(project_settings({key: value}))
            except ValueError as exc:
                raise SettingsError(str(exc)) from None
    return overrides


def project_settings(overrides: dict[str, object] | None = None) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    for k, v in (overrides or {}).items():
        settings.set(k, v, priority="cmdline")
    for k, v in profile_values(settings).items():  # above the project's defaults, under --set
        settings.set(k, v, priority=PROFILE_PRIORITY)
    return settings


PROFILE_PRIORITY = 35  # between "spider" (30) and "cmdline" (40)


def profile_values(settings: Settings) -> dict[str, object]:
    """The settings of the run's profile (``SVEDEN_PROFILE``; ``crawler/settings.py`` names them)."""
    name = str(settings.get("SVEDEN_PROFILE") or "").strip()
    if not name:
        return {}
    profiles = settings.getdict("SVEDEN_PROFILES")
    if name not in profiles:
        raise SettingsError(f"нет профиля обхода «{name}»; есть: {', '.join(sorted(profiles))}")
    return dict(profiles[name])


def quiet_download_errors() -> None:
    """Download failures are outcomes stored per organization; their tracebacks are noise."""
    import logging

    for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry", "scrapy.core.scraper"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def collect(targets: list[dict[str, Any]], overrides: dict[str, object] | None = None, on_item: Callable[[dict], None] | None = None) -> list[dict]:
    """Crawl ``targets`` (blocking; once per process) and return their site artifacts."""
    # The spider class is given: the spider loader need not import every spider module (scrapy-redis, redis).
    process = CrawlerProcess(project_settings({"SPIDER_MODULES": [], **(overrides or {})}))
    quiet_download_errors()
    items: list[dict] = []

    def scraped(item, response, spider):
        items.append(item)
        if on_item:
            on_item(item)

    crawler = process.create_crawler(SvedenSpider)
    crawler.signals.connect(scraped, signal=signals.item_scraped)
    process.crawl(crawler, targets=targets)
    process.start()
    return items


