"""NOK: the independent quality assessment (НОКО) on the school's own site.

Not items of order 1493 and not part of НОКО indicator 1.1 (``checks.scores`` counts item
rules only). Federal law places the НОК results and the plans for eliminating the shortcomings
on bus.gov.ru (273-ФЗ ст.95.2 — the act's text is not in the project's legal base, the tag is
the one BUS001–BUS003 carry); publishing them on the school's own site is regional practice,
and the audits say so in their legal tags.

- NOK001: a page or section about the independent assessment, found by its link text;
- NOK002: the НОК results, or a link to them on bus.gov.ru;
- NOK003: the plan for eliminating the shortcomings the НОК found, as a document that opens;
- NOK004: the report on that plan's execution, as a document that opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from artifacts import patterns as fp
from artifacts.urls import is_document
from checks import sitelinks
from checks.context import Context
from checks.model import Audit, AuditResult, Example, LegalRef, Status

PRACTICE = LegalRef("практика", "НОКО на сайте организации")
LAW = LegalRef("273-ФЗ", "ст.95.2")
WHY = (
    "Не входит в перечень сведений приказа № 1493 и в показатель 1.1: федеральный закон размещает результаты НОК и планы "
    "по устранению недостатков на bus.gov.ru, а публикацию на сайте организации требуют региональные органы и эксперты НОКО."
)


def noko_pages(ctx: Context) -> list[dict]:
    """Pages about the assessment: a title or heading naming it, or a page linked by such a text."""
    site = ctx.site
    targets = {link.href for link in sitelinks.links(site) if fp.NOKO.search(link.text)}
    out = []
    for page in sitelinks.read_pages(site):
        if any(fp.NOKO.search(t) for t in sitelinks.page_texts(page)) or page.get("url") in targets or sitelinks.page_url(page) in targets:
            out.append(page)
    return out


def site_links(ctx: Context) -> list[sitelinks.SiteLink]:
    return sitelinks.links(ctx.site)


@dataclass(frozen=True, kw_only=True)
class NokoAudit(Audit):
    group: str = "noko"
    legal: tuple[LegalRef, ...] = (PRACTICE,)


@dataclass(frozen=True, kw_only=True)
class NokoPage(NokoAudit):
    def judge(self, ctx: Context) -> AuditResult:
        found = [link for link in ctx.computed(site_links) if fp.NOKO.search(link.text) and sitelinks.own_site(ctx.site, link.href) and not is_document(link.href)]
        broken = []
        for link in found:
            state, detail = sitelinks.target_status(ctx.site, link.href)
            if state != "broken":
                return self.result(Status.passed, f"найдено: «{link.text}» — {link.href}", link.href, [{"url": link.page_url, "match": link.href}])
            broken.append((link, detail))
        if broken:
            link, detail = broken[0]
            return self.result(Status.fail, f"ссылка «{link.text}» ведёт на страницу, которая {detail}: {link.href}", link.href)
        page = next(iter(ctx.computed(noko_pages)), None)
        if page is not None:
            return self.result(Status.passed, f"найдена страница: {sitelinks.page_url(page)}", sitelinks.page_url(page))
        return self.result(Status.fail, "не найдено: ни ссылки «Независимая оценка качества», ни страницы о ней")


@dataclass(frozen=True, kw_only=True)
class NokoResults(NokoAudit):
    def judge(self, ctx: Context) -> AuditResult:
        all_links = ctx.computed(site_links)
        noko_urls = {sitelinks.page_url(p) for p in ctx.computed(noko_pages)} | {p.get("url", "") for p in ctx.computed(noko_pages)}
        broken = []
        for link in sitelinks.find(fp.NOKO_RESULTS, all_links):
            state, detail = sitelinks.target_status(ctx.site, link.href)
            if state == "broken":
                broken.append((link, detail))
                continue
            return self.result(Status.passed, f"найдено: «{link.text}» — {link.href}", link.href, [{"url": link.page_url, "match": link.href}])
        for link in all_links:
            if fp.BUS_GOV.search(link.href) and (link.page_url in noko_urls or fp.NOKO.search(link.text) or "результат" in link.text):
                return self.result(Status.passed, f"ссылка на bus.gov.ru: {link.href}", link.href, [{"url": link.page_url, "match": link.href}])
        if broken:
            link, detail = broken[0]
            return self.result(Status.fail, f"«{link.text}»: документ {detail} — {link.href}", link.href)
        return self.result(Status.fail, "не найдены ни результаты независимой оценки качества, ни ссылка на них на bus.gov.ru")


@dataclass(frozen=True, kw_only=True)
class NokoDocument(NokoAudit):
    """A document found by its link text that must open (probed by the crawler: ``probe_link_text``)."""

    what: str  # «план по устранению недостатков»
    probe_link_text: str  # pattern on normalized link text
    not_text: str = ""  # texts of another document that match too

    def judge(self, ctx: Context) -> AuditResult:
        pattern, exclude = re.compile(self.probe_link_text), re.compile(self.not_text) if self.not_text else None
        found = [link for link in ctx.computed(site_links) if pattern.search(link.text) and not (exclude and exclude.search(link.text))]
        return judge_documents(self, ctx, found, self.what)


def judge_documents(audit: Audit, ctx: Context, found: list[sitelinks.SiteLink], what: str) -> AuditResult:
    """Pass when one of the linked documents opens; fail when none is linked or all are broken;
    needs a person when the links were not probed."""
    if not found:
        return audit.result(Status.fail, f"не найдено: {what}")
    states = [(link, *sitelinks.target_status(ctx.site, link.href)) for link in found]
    for link, state, detail in states:
        if state == "ok":
            return audit.result(Status.passed, f"«{link.text}» — документ открывается: {link.href}", link.href, [{"url": link.page_url, "match": link.href}])
    unknown = [s for s in states if s[1] == "unknown"]
    if unknown:
        link = unknown[0][0]
        return audit.result(Status.needs_review, f"ссылка найдена, документ не проверялся — откройте его: {link.href}", link.href)
    link, _, detail = states[0]
    return audit.result(Status.fail, f"«{link.text}»: документ {detail} — {link.href}", link.href)


PLAN = "http://127.0.0.1/nok/plan-2025.pdf"
REPORT = "http://127.0.0.1/nok/otchet-2025.pdf"

AUDITS = (
    NokoPage(
        code="NOK001",
        title="На сайте есть страница о независимой оценке качества",
        failure_title="На сайте нет страницы о независимой оценке качества",
        description=f"Ищет на главной странице, в разделе «Сведения об образовательной организации» и на прочитанных страницах ссылку на свою страницу с текстом «Независимая оценка качества» (НОКО, НОК) или страницу с таким заголовком. {WHY}",
        fix="Создайте страницу «Независимая оценка качества условий осуществления образовательной деятельности» и поставьте на неё ссылку в меню или на главной странице.",
        examples=(
            Example('<a href="http://127.0.0.1/nok/">Независимая оценка качества</a>', Status.passed, "ссылка на свою страницу", page="home"),
            Example('<a href="http://127.0.0.1/news/">Новости</a>', Status.fail, "страницы о НОКО нет", page="home"),
            Example('<a href="https://minobr.example.ru/noko/">Независимая оценка качества</a>', Status.fail, "ссылка на сайт министерства — не своя страница", page="home"),
        ),
    ),
    NokoResults(
        code="NOK002",
        title="На сайте размещены результаты НОК или ссылка на них на bus.gov.ru",
        failure_title="Нет результатов независимой оценки качества и ссылки на них",
        description=f"Ищет ссылку «Результаты независимой оценки качества» (документ или страницу) или ссылку на bus.gov.ru со страницы о НОКО. {WHY}",
        legal=(LAW, PRACTICE),
        fix="Разместите результаты независимой оценки качества или ссылку на них на bus.gov.ru (адрес карточки вашей организации https://bus.gov.ru/info-card/…, вкладка «Оценка»).",
        examples=(
            Example('<a href="http://127.0.0.1/nok/rezultaty.pdf">Результаты независимой оценки качества 2025</a>', Status.passed, "документ с результатами", page="home",
                    probes={"http://127.0.0.1/nok/rezultaty.pdf": 200}),
            Example('<a href="https://bus.gov.ru/info-card/231547">Результаты НОК на bus.gov.ru</a>', Status.passed, "ссылка на карточку bus.gov.ru", page="home"),
            Example('<a href="https://bus.gov.ru/qrcode/rate/231547">Оцените нас</a>', Status.fail, "ссылка на анкету — не результаты", page="home"),
            Example('<a href="http://127.0.0.1/nok/rezultaty.pdf">Результаты независимой оценки качества</a>', Status.fail, "документ не открывается", page="home",
                    probes={"http://127.0.0.1/nok/rezultaty.pdf": 404}),
        ),
    ),
    NokoDocument(
        code="NOK003",
        what="план по устранению недостатков, выявленных в ходе независимой оценки качества",
        probe_link_text=fp.NOKO_PLAN.pattern,
        not_text=fp.NOKO_REPORT.pattern,
        title="Размещён план по устранению недостатков, выявленных в ходе НОК, и он открывается",
        failure_title="Нет плана по устранению недостатков, выявленных в ходе НОК, или он не открывается",
        description=f"Ищет ссылку «План по устранению недостатков, выявленных в ходе независимой оценки качества» и проверяет, что документ открывается. {WHY}",
        legal=(LAW, PRACTICE),
        fix="Разместите утверждённый план по устранению недостатков, выявленных в ходе независимой оценки качества условий осуществления образовательной деятельности, документом с такой подписью ссылки.",
        examples=(
            Example(f'<a href="{PLAN}">План по устранению недостатков, выявленных в ходе независимой оценки качества</a>', Status.passed, "план открывается", page="home", probes={PLAN: 200}),
            Example(f'<a href="{PLAN}">План по устранению недостатков</a>', Status.fail, "ссылка на удалённый файл", page="home", probes={PLAN: 404}),
            Example(f'<a href="{REPORT}">Отчёт об исполнении плана по устранению недостатков</a>', Status.fail, "есть только отчёт, плана нет", page="home", probes={REPORT: 200}),
            Example(f'<a href="{PLAN}">План по устранению недостатков</a>', Status.needs_review, "документ не проверялся", page="home"),
        ),
    ),
    NokoDocument(
        code="NOK004",
        what="отчёт об исполнении плана по устранению недостатков, выявленных в ходе независимой оценки качества",
        probe_link_text=fp.NOKO_REPORT.pattern,
        title="Размещён отчёт об исполнении плана по устранению недостатков, и он открывается",
        failure_title="Нет отчёта об исполнении плана по устранению недостатков, или он не открывается",
        description=f"Ищет ссылку «Отчёт об исполнении плана по устранению недостатков» (о выполнении, о реализации) и проверяет, что документ открывается. {WHY}",
        legal=(LAW, PRACTICE),
        fix="Разместите отчёт об исполнении плана по устранению недостатков, выявленных в ходе независимой оценки качества, документом с такой подписью ссылки.",
        examples=(
            Example(f'<a href="{REPORT}">Отчёт об исполнении плана по устранению недостатков</a>', Status.passed, "отчёт открывается", page="home", probes={REPORT: 200}),
            Example(f'<a href="{PLAN}">План по устранению недостатков</a>', Status.fail, "есть только план", page="home", probes={PLAN: 200}),
            Example(f'<a href="{REPORT}">Отчет о выполнении плана</a>', Status.fail, "документ не открывается", page="home", probes={REPORT: 500}),
        ),
    ),
)
