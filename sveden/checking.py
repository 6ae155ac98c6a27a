"""``sveden check``: crawl one site in this process, judge and store it through ``sveden.judging``."""

from __future__ import annotations

import logging
import re
from typing import Any

from artifacts.urls import url_problem
from crawler.runner import SettingsError, parse_sets, validate_settings
from crawler.spiders.sveden import validate_url
from sveden import doccache
from sveden.gather import collect
from sveden.judging import judge_site

log = logging.getLogger(__name__)
_BARE_DOMAIN = re.compile(r"^[\w.-]+\.[a-zа-яё]{2,}(?::\d+)?(/.*)?$", re.IGNORECASE)
_BARE_IP = re.compile(r"^(?:\[[0-9a-f:.%]+\]|\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?(/.*)?$", re.IGNORECASE)  # [::1]:8080, 10.0.0.1


class CheckInputError(ValueError):
    pass


def bare_address(url: str) -> bool:
    """An address without a scheme (``school.ru``, ``10.0.0.1:8080``): checked over https://, else http://."""
    url = url.strip()
    return "://" not in url and bool(_BARE_DOMAIN.match(url) or _BARE_IP.match(url))


def normalize_url(url: str) -> str:
    url = url.strip()
    if bare_address(url):
        url = "https://" + url
    problem = url_problem(url)  # in Russian, whichever part does not parse
    if problem:
        raise CheckInputError(f"неверный адрес «{url}»: {problem}")
    problem = validate_url(url)
    if problem:
        raise CheckInputError(problem)
    return url


def run_check(url: str, org_type: str | None, settings: list[str] | None = None, progress: str = "",
              extra: dict[str, object] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Crawl and judge one site: (check JSON, site artifact). ``progress``: ``"tty"``, ``"lines"`` or
    ``""`` — what the crawl shows on stderr while it runs (``crawler.progress.CheckProgress``).
    ``extra``: settings of the caller itself (the web page's progress extension), under ``settings``."""
    bare = bare_address(url)
    url = normalize_url(url)
    try:
        # Scrapy logs download failures with tracebacks; the outcome already says what happened.
        overrides: dict[str, object] = {"LOG_LEVEL": "CRITICAL", "SVEDEN_CHECK_PROGRESS": progress, **(extra or {}), **validate_settings(parse_sets(settings or []))}
    except SettingsError as exc:
        raise CheckInputError(str(exc)) from None
    artifacts = collect([{"org_id": None, "url": url, "org_type": org_type, "http_fallback": bare}], overrides)
    if not artifacts:
        raise CheckInputError(f"обход сайта {url} не дал результата")
    artifact = artifacts[0]
    result = judge_site(artifact, None, org_type=org_type)
    # Keys are only ever added to the check JSON: "url_note" says which scheme a bare address got.
    result["url_note"] = scheme_note(str(artifact.get("url") or url), bool(result.get("reachable"))) if bare else ""
    return result, artifact


def scheme_note(used: str, reached: bool) -> str:
    """Which scheme an address given without one was checked over."""
    if used.startswith("http://"):
        if not reached:
            return f"адрес указан без протокола: соединиться не удалось ни по https://, ни по http:// ({used})"
        return f"адрес указан без протокола: по https:// соединиться не удалось, сайт проверен по http:// ({used})"
    return f"адрес указан без протокола: сайт {'проверен' if reached else 'проверялся'} по https:// ({used})"


def store_check(result: dict[str, Any], artifact: dict[str, Any]) -> int:
    """Keep the check (and what it was judged from) as an ad-hoc run; raises StorageError."""
    from storage import db, repository

    session_factory = db.open_database()
    try:
        with session_factory() as session, session.begin():
            run = repository.start_run(session, kind="check", month=None, rules_version=result["rules_version"], settings={}, filters={"url": result["url"]})
            check = repository.save_check(session, run.id, None, result, artifact)
            doccache.remember(session, artifact)
            repository.finish_run(session, run.id)
            return check.id
    finally:
        session_factory.kw["bind"].dispose()
