"""Shared rendering helpers: the Jinja2 environment (autoescape on) and Russian number formats."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from checks import catalogue
from artifacts.schema import OUTCOMES
from checks.docs import fix_text
from checks.model import ORG_TYPE_TITLES, STATUS_TITLES, OrgType, Status


def ru_number(value: float | int | None, digits: int = 1) -> str:
    """1234.5 → «1 234,5» (Russian format: thin space groups, decimal comma)."""
    if value is None:
        return "—"
    if isinstance(value, int) or digits == 0:
        text = f"{round(value):,}"
    else:
        text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def ru_percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else ru_number(value, digits) + "\u00a0%"


def ru_datetime(value: str | datetime | None) -> str:
    if not value:
        return "—"
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt.strftime("%d.%m.%Y %H:%M") + (" UTC" if dt.utcoffset() is not None and not dt.utcoffset() else "")


def ru_signed(value: float | int | None, digits: int = 1) -> str:
    """A change: «+1,2», «−0,5» (a real minus sign), «0»."""
    if value is None:
        return "—"
    if round(value, digits) == 0:
        return "0"
    return ("+" if value > 0 else "\u2212") + ru_number(abs(value), digits)


def delta_html(now: float | None, before: float | None, digits: int = 1, better: str = "up", unit: str = "") -> Markup:
    """The change since an earlier value, with an arrow: ▲ up, ▼ down; green when it is the better way."""
    if now is None or before is None:
        return Markup('<span class="delta na" title="нет данных за прошлый месяц">—</span>')
    diff = round(now - before, digits)
    if diff == 0:
        return Markup('<span class="delta same" title="без изменений">= 0</span>')
    good = (diff > 0) == (better == "up")
    arrow = "▲" if diff > 0 else "▼"
    cls = "d-good" if good else "d-bad"
    return Markup('<span class="delta {}" data-delta="{}">{} {}</span>').format(cls, f"{diff:g}", arrow, ru_signed(diff, digits) + unit)


def safe_href(url: str | None) -> str:
    """The URL when it is a plain http(s) address, else "" (no javascript:, data: or relative links from a crawl)."""
    if not url:
        return ""
    try:
        scheme = urlsplit(str(url)).scheme.lower()
    except ValueError:
        return ""
    return str(url) if scheme in ("http", "https") else ""


def short_url(url: str | None, limit: int = 64) -> str:
    """A URL as shown in a report: without «http://», its middle cut to «…» when long.

    Only the text is shortened; the link (``href``) keeps the whole address.
    """
    text = str(url or "")
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    if len(text) <= limit:
        return text
    head = max(limit * 2 // 3, 1)
    return text[:head] + "…" + text[-(limit - head - 1):]


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian plural form for ``n``: 1 пункт, 2 пункта, 5 пунктов (11–14 take «many»)."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def status_title(status: str) -> str:
    return STATUS_TITLES.get(Status(status), status)


def org_type_title(value: str) -> str:
    try:
        return ORG_TYPE_TITLES[OrgType(value)]
    except ValueError:
        return value


@cache
def rule_fix(code: str) -> str:
    rule = catalogue.by_code().get(code)
    if rule is None:
        return ""
    return fix_text(rule)


@cache
def rule_title(code: str) -> str:
    rule = catalogue.by_code().get(code)
    return rule.title if rule else code


@cache
def rule_basis(code: str) -> str:
    rule = catalogue.by_code().get(code)
    return rule.basis if rule else ""


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2", "html.j2", "svg.j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from reports.summary import month_short, month_title  # noqa: PLC0415 - summary imports this module's helpers

    env.filters.update(
        month_short=month_short,
        month_title=month_title,
        num=ru_number,
        pct=ru_percent,
        dt=ru_datetime,
        status_title=status_title,
        org_type_title=org_type_title,
        rule_fix=rule_fix,
        rule_title=rule_title,
        rule_basis=rule_basis,
        signed=ru_signed,
        delta=delta_html,
        href=safe_href,
        short_url=short_url,
        plural=plural,
    )
    env.globals.update(OUTCOMES=OUTCOMES, ruleset=catalogue.RULESET, delta=delta_html)
    return env
