"""The regional report (``index.html``) and the department reports (one per municipality)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from artifacts.failures import plain_message
from artifacts.schema import OUTCOMES
from checks.feedback import CHANNELS
from reports import charts, personal, summary
from reports.assets import SORT_JS, csp
from reports.data import BusGovRow, Changes, CheckRow, Dataset, Org
from reports.render import environment
from reports.school import CHANNEL_TITLES

NOT_CHECKED_TITLES = {**OUTCOMES, summary.NO_RESULT: "нет результата за месяц (организация не входила в обход)"}
# Why there are no НОК results, for a department: what happened and what helps. The crawl's own
# message (request names, identifiers) is for the operators' log, not for this report.
BUSGOV_REASONS = {
    "not_found": "организация не найдена на bus.gov.ru — проверьте ИНН организации в реестре",
    "unreachable": "bus.gov.ru не ответил — данные появятся после следующего обхода",
    "changed_shape": "bus.gov.ru изменил формат ответа — данные не прочитаны, региональный центр обновит программу",
    "blocked": "bus.gov.ru отклонил запросы — данные появятся после следующего обхода",
}
BUSGOV_NO_INN = "в реестре не указан ИНН организации — добавьте его, чтобы найти организацию на bus.gov.ru"
BUSGOV_BAD_INN = "ИНН организации в реестре указан с ошибкой — исправьте его, чтобы найти организацию на bus.gov.ru"
NOK_KEYS = ("openness", "comfort", "accessibility", "goodwill", "contentment")
P11_EDGES = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
P12_POINTS = (0, 30, 60, 90, 100)


@dataclass
class Links:
    """Which sibling pages exist, so that only working links are drawn."""

    regional: bool = True
    departments: bool = True
    schools: bool = True


def _base(ds: Dataset, generated_at: datetime | None, script: bool = True) -> dict[str, Any]:
    prev = ds.previous_month
    return {
        "month": ds.month,
        "month_title": summary.month_title(ds.month),
        "prev_month": prev,
        "prev_month_title": summary.month_title(prev) if prev else "",
        "prev_month_title_gen": f"обходом за {summary.month_title(prev)}" if prev else "",
        "rules_versions": ds.rules_versions,
        "generated_at": generated_at or datetime.now(UTC),
        "script": SORT_JS if script else "",
        "interactive": script,
        "csp": csp(SORT_JS if script else None),
    }


def _not_checked_rows(ds: Dataset, org_ids: list[str]) -> list[dict[str, Any]]:
    rows = []
    for o in org_ids:
        c = ds.current.get(o)
        if c is not None and c.checked:
            continue
        org = ds.orgs[o]
        key = summary.NO_RESULT if c is None else c.outcome
        reason = NOT_CHECKED_TITLES.get(key, key)
        # The detail under the reason, without exception text and without repeating the reason.
        error = plain_message(c.error) if c is not None else ""
        if error.startswith(reason):
            error = error[len(reason):].lstrip(" :")
        rows.append({"org": org, "reason": reason, "error": error,
                     "url": (c.url if c is not None and c.url else org.site_url), "outcome": key})
    return rows


def _reasons(ind: summary.Indicators) -> list[tuple[str, str, int]]:
    return [(k, NOT_CHECKED_TITLES.get(k, k), n) for k, n in sorted(ind.reasons.items(), key=lambda kv: (-kv[1], kv[0]))]


def _p11_hist(checks: list[CheckRow], title: str) -> Any:
    bins = summary.histogram([c.p1_1 for c in checks if c.checked], [float(e) for e in P11_EDGES])
    labels = [f"{P11_EDGES[i]}–{P11_EDGES[i + 1]}" for i in range(len(bins))]
    return charts.histogram(list(zip(labels, bins, strict=True)), title=title, x_label="П1.1 (сайт), баллы")


def _p12_hist(checks: list[CheckRow], title: str) -> Any:
    counts = Counter(c.p1_2 for c in checks if c.checked and c.p1_2 is not None)
    return charts.histogram([(str(p), counts.get(p, 0)) for p in P12_POINTS], title=title, x_label="П1.2, баллы")


def _sections_chart(stats: list[summary.SectionStat], title: str) -> Any:
    return charts.bar_chart([(s.title, s.compliance) for s in stats], title=title)


def regional_context(ds: Dataset, trend: summary.Trend, files: dict[str, str], muni_slugs: dict[str, str],
                     links: Links | None = None, generated_at: datetime | None = None) -> dict[str, Any]:
    links = links or Links()
    month, prev = ds.month, ds.previous_month
    ind = trend.region[month]
    pind = trend.region.get(prev) if prev else None
    counts = ds.region_item_counts()
    sections = summary.by_section(counts)
    checks = [ds.current[o] for o in ds.scope if o in ds.current]
    channels = [
        {"key": ch, "title": CHANNEL_TITLES.get(ch, ch), "count": ind.channels.get(ch, 0), "share": ind.channel_shares.get(ch),
         "prev_share": pind.channel_shares.get(ch) if pind else None}
        for ch in CHANNELS
    ]
    munis = []
    for m in ds.municipalities:
        by_month = trend.by_municipality[m]
        p = by_month.get(prev) if prev else None
        munis.append({"name": m, "slug": muni_slugs.get(m, ""), "ind": by_month[month], "prev": p if p is not None and p.checked else None})
    rating = [
        {"place": place, "org": ds.orgs[o], "check": ds.current.get(o), "file": files.get(o, "") if o in ds.current else ""}
        for place, o in summary.rating(ds)
    ]
    trend_rows = [
        {"key": key, "title": title, "values": [trend.region[m].value(key) for m in trend.months]}
        for key, title in summary.INDICATORS.items()
    ]
    muni_trend = [
        {"name": m, "values": [trend.by_municipality[m][mm].p1_1_mean for mm in trend.months]} for m in ds.municipalities
    ]
    series = [(title, [trend.region[m].value(key) for m in trend.months]) for key, title in summary.INDICATORS.items() if key != "checked"]
    return {
        **_base(ds, generated_at),
        "runs": ds.runs,
        "unfinished": ds.unfinished,
        "filters": ds.filters,
        "ind": ind,
        "pind": pind if pind is not None and pind.checked else None,
        "reasons": _reasons(ind),
        "not_checked": _not_checked_rows(ds, ds.scope),
        "channels": channels,
        "sections": sections,
        "top": summary.top_failed(counts, 20),
        "breakdowns": summary.group_breakdowns(ds),
        "munis": munis,
        "rating": rating,
        "months": trend.months,
        "trend_rows": trend_rows,
        "muni_trend": muni_trend,
        "rules_changed": trend.rules_changed,
        "links": links,
        "charts": {
            "channels": charts.bar_chart([(c["title"], c["share"]) for c in channels], title="Доля организаций со способом обратной связи", label_width=420),
            "p11_hist": _p11_hist(checks, "Распределение П1.1 (сайт)"),
            "p12_hist": _p12_hist(checks, "Распределение П1.2"),
            "sections": _sections_chart(sections, "Соответствие по подразделам"),
            "trend": charts.line_chart([summary.month_short(m) for m in trend.months], series, title="Динамика показателей по месяцам"),
        },
    }


def render_regional(ds: Dataset, trend: summary.Trend, files: dict[str, str], muni_slugs: dict[str, str],
                    links: Links | None = None, generated_at: datetime | None = None, template_defects: list[Any] | None = None,
                    review: dict[str, Any] | None = None) -> str:
    ctx = regional_context(ds, trend, files, muni_slugs, links, generated_at)
    ctx["template_defects"] = template_defects or []  # ``reports.template_defects.find``: it needs the database
    ctx["review"] = review or {}  # ``reports.review_view.regional``: states per municipality, scores both ways
    return environment().get_template("regional.html.j2").render(**ctx)


def _busgov_view(row: BusGovRow | None) -> dict[str, Any]:
    """The НОК results to show, or why there are none («нет данных»)."""
    if row is None:
        return {"nok": None, "reason": "bus.gov.ru не запрашивался в этом обходе", "note": ""}
    note = ""
    card = row.card or {}
    if card.get("site_url_differs") and card.get("site_url"):
        note = f"На bus.gov.ru указан другой адрес сайта: {card['site_url']}"
    if row.status != "ok":
        reason = BUSGOV_REASONS.get(row.status, "данные bus.gov.ru не получены")
        if row.status == "not_found" and "не по чему" in row.message:
            reason = BUSGOV_NO_INN
        elif row.status == "not_found" and "ИНН «" in row.message and "некорректен" in row.message:
            reason = BUSGOV_BAD_INN
        return {"nok": None, "reason": reason, "note": note}
    nok = row.nok
    if not nok:
        return {"nok": None, "reason": "результаты НОК не опубликованы", "note": note}
    values: dict[str, Any] = {k: _number(nok.get(k)) for k in NOK_KEYS}
    if values["accessibility"] is None:
        values["accessibility"] = _number(nok.get("timeout"))
    values["year"] = nok.get("year", nok.get("rating_year"))
    values["place"] = nok.get("place")
    values["group"] = nok.get("group") or ""
    return {"nok": values, "reason": "", "note": note}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _status_change(cur: CheckRow | None, prev: CheckRow | None, has_prev_month: bool) -> str:
    if not has_prev_month or cur is None:
        return ""
    if prev is None:
        return "в прошлом месяце результата не было"
    if prev.checked and not cur.checked:
        return f"в прошлом месяце сайт был проверен, теперь — {OUTCOMES.get(cur.outcome, cur.outcome)}"
    if not prev.checked and cur.checked:
        return f"в прошлом месяце сайт не был проверен ({OUTCOMES.get(prev.outcome, prev.outcome)}), теперь проверен"
    if not prev.checked and not cur.checked and prev.outcome != cur.outcome:
        return f"в прошлом месяце: {OUTCOMES.get(prev.outcome, prev.outcome)}"
    return ""


def department_context(ds: Dataset, trend: summary.Trend, muni: str, changes: dict[str, Changes], files: dict[str, str],
                       links: Links | None = None, generated_at: datetime | None = None, interactive: bool = True) -> dict[str, Any]:
    links = links or Links()
    month, prev = ds.month, ds.previous_month
    ids = ds.orgs_of(muni)
    ind = trend.by_municipality[muni][month]
    pind = trend.by_municipality[muni].get(prev) if prev else None
    counts = ds.item_counts.get(muni, Counter())
    sections = summary.by_section(counts)
    rows = []
    for place, o in summary.rating(ds, ids):
        cur, before = ds.current.get(o), ds.previous.get(o)
        rows.append({
            "place": place, "org": ds.orgs[o], "check": cur, "prev": before, "changes": changes.get(o),
            "busgov": _busgov_view(ds.busgov.get(o)), "file": files.get(o, "") if cur is not None else "",
            "status_change": _status_change(cur, before, prev is not None),
        })
    changed_rows = [r for r in rows if (r["changes"] and (r["changes"].fixed or r["changes"].broken)) or r["status_change"]]
    return {
        **_base(ds, generated_at, script=interactive),
        "muni": muni,
        "ind": ind,
        "pind": pind if pind is not None and pind.checked else None,
        "region": trend.whole_region or trend.region[month],  # «по региону»: the whole region, whatever the filters
        "rows": rows,
        "changed_rows": changed_rows,
        "fixed_total": sum(len(c.fixed) for o, c in changes.items() if o in ids),
        "broken_total": sum(len(c.broken) for o, c in changes.items() if o in ids),
        "not_checked": _not_checked_rows(ds, ids),
        "top": summary.top_failed(counts, 15),
        "personal": personal.school_counts(counts),
        "personal_note": personal.NOTE,
        "links": links,
        "charts": {"sections": _sections_chart(sections, f"Соответствие по подразделам: {muni}")},
    }


def render_department(ds: Dataset, trend: summary.Trend, muni: str, changes: dict[str, Changes], files: dict[str, str],
                      links: Links | None = None, generated_at: datetime | None = None, interactive: bool = True,
                      review: dict[str, Any] | None = None) -> str:
    """The department report; ``interactive=False`` (for PDF) leaves out the sorting script and buttons."""
    ctx = department_context(ds, trend, muni, changes, files, links, generated_at, interactive)
    ctx["review"] = review or {}  # ``reports.review_view.department``: what changed, overdue, decisions
    return environment().get_template("department.html.j2").render(**ctx)


def org_dict(org: Org, department_href: str = "") -> dict[str, Any]:
    """What the school report shows about the organization (``reports.school.render_html(org=…)``)."""
    return {"id": org.id, "name": org.name, "municipality": org.municipality, "site_url": org.site_url, "department_href": department_href}
