"""VIS: what visitors see of the section «Сведения об образовательной организации».

- VIS001 (п.27): marked-up data is visible to visitors. A common defect is a duplicate table
  hidden for inspectors (``display:none``, ``sr-only``, off-screen) that carries the microdata
  while the table visitors see carries none. Each item whose only marked occurrences are hidden
  is also judged by its own item rule (``checks.items``); this audit lists them for the site.
- VIS002 (п.23, п.25 «б»): a subsection page whose content is pictures (scans, photographs of
  documents) with almost no text and no text equivalent cannot be searched or copied.

The facts are the crawler's (``crawler.visibility``: ``hiders`` and ``v`` of microdata nodes,
``main`` of each page); what they mean is decided here and in ``checks.hiding``.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks import catalogue
from checks.context import Context
from checks.hiding import certain, describe, hider_of
from checks.model import Audit, AuditResult, Example, Status, order_1493

TEXT_MIN = 200  # characters of shown text below which a page of pictures has «almost no text»
ALT_MIN = 200  # characters of alt texts that would stand for the pictures' text
NOT_GATHERED = "не проверено: страницы подразделов не прочитаны или обойдены версией sveden, не собиравшей эти сведения"


def _subsection_pages(ctx: Context) -> list[tuple[str, dict]]:
    return [(slug, page) for slug, view in ctx.site.views.items() for page in view.pages]


def _unread_pages(ctx: Context) -> list[str]:
    """Subsection pages that exist but were not read (5xx, timeout, loop…): what they hide is unknown."""
    out = []
    for meta in ctx.site.sections_meta.values():
        if meta.get("error_kind") and meta["error_kind"] != "not_found":
            out.append(meta.get("url", ""))
        out += meta.get("addref_errors") or []
    return out


def _not_checked(audit: Audit, ctx: Context, stylesheets: bool = True) -> AuditResult | None:
    """«Не проверено» when a subsection page (or, for what hides markup, a stylesheet the pages link) could not be read."""
    css = [u for _slug, page in _subsection_pages(ctx) for u in page.get("css_unread") or []] if stylesheets else []
    if css:
        return audit.result(Status.error, f"не проверено: таблица стилей сайта не прочитана ({css[0]}) — скрыто ли что-то, неизвестно", css[0])
    pages = _unread_pages(ctx)
    if pages:
        return audit.result(Status.error, f"не проверено: страницы подразделов не прочитаны ({len(pages)}), например {pages[0]}", pages[0])
    return None


@dataclass(frozen=True, kw_only=True)
class HiddenMarkup(Audit):
    group: str = "visibility"

    def judge(self, ctx: Context) -> AuditResult:
        if not any("main" in page for _slug, page in _subsection_pages(ctx)):
            return self.result(Status.not_applicable, NOT_GATHERED)
        only_hidden: dict[tuple[str, str, str], tuple[str, dict]] = {}
        copies = 0
        for rule in catalogue.rules():
            if not rule.applies(ctx.org_type) or rule.repealed or rule.superseded_by:
                continue
            nodes = [n for n in ctx.site.section(rule.section).nodes(rule.itemprop) if not rule.parent or n.has_ancestor(rule.parent)]
            hidden = [n for n in nodes if n.hider]
            copies += bool(hidden)
            if hidden and len(hidden) == len(nodes):
                only_hidden[rule.key] = (hidden[0].page_url, hidden[0].hider)
        if not only_hidden:
            unknown = _not_checked(self, ctx)
            if unknown is not None:
                return unknown
            note = f" (скрытые копии есть у {copies} пунктов, но размечены и видимые элементы)" if copies else ""
            forbidden = sorted({u for _slug, page in _subsection_pages(ctx) for u in page.get("css_robots") or []})
            if forbidden:  # the site's robots.txt closes them to sveden: what is not read is said
                note += f"; таблицы стилей, закрытые в robots.txt, не читались ({len(forbidden)}, например {forbidden[0]})"
            return self.result(Status.passed, "скрытой разметки без видимой нет" + note)
        evidence = [{"url": url, "match": f"{slug}: itemprop=\"{prop}\"{f' в {parent}' if parent else ''} — {describe(h)}"}
                    for (slug, parent, prop), (url, h) in sorted(only_hidden.items())]
        sure = [e for e, (_key, (_u, h)) in zip(evidence, sorted(only_hidden.items())) if certain(h)]
        props = sorted({prop for _slug, _parent, prop in only_hidden})
        shown = ", ".join(props[:8]) + (f" и ещё {len(props) - 8}" if len(props) > 8 else "")
        first = sure[0] if sure else evidence[0]
        if sure:
            return self.result(Status.fail, f"размечено, но скрыто от посетителей ({len(only_hidden)}): {shown}; например {first['match']}", first["url"], evidence)
        return self.result(Status.needs_review, f"размечено, но показано только по щелчку или скрыто от экранного диктора ({len(only_hidden)}): {shown}; например {first['match']}",
                           first["url"], evidence)


@dataclass(frozen=True, kw_only=True)
class ImagesOfText(Audit):
    group: str = "visibility"

    def judge(self, ctx: Context) -> AuditResult:
        measured = [(slug, page) for slug, page in _subsection_pages(ctx) if isinstance(page.get("main"), dict)]
        if not measured:
            return self.result(Status.not_applicable, NOT_GATHERED)
        flagged = []
        for slug, page in measured:
            m = page["main"]
            pictures = m.get("img", 0) + m.get("imgl", 0)
            if pictures and m.get("txt", 0) < TEXT_MIN and m.get("alt", 0) < ALT_MIN and not m.get("docs", 0):
                url = page.get("final_url") or page.get("url", "")
                flagged.append({"url": url, "match": f"{slug}: изображений {pictures}, текста {m.get('txt', 0)} знаков"})
        if flagged:
            return self.result(Status.needs_review, f"страницы подразделов из одних изображений, без текста ({len(flagged)}), например {flagged[0]['url']} — "
                               "проверьте, что сведения размещены текстом, а не картинкой", flagged[0]["url"], flagged)
        unknown = _not_checked(self, ctx, stylesheets=False)  # a stylesheet hides no pictures on a page of text
        if unknown is not None:
            return unknown
        return self.result(Status.passed, f"сведения размещены текстом (страниц подразделов: {len(measured)})")


_FIX_HIDDEN = (
    "Разметку itemprop ставят на те элементы, которые видит посетитель: перенесите атрибуты со скрытой копии "
    "(display:none, класс sr-only, блок за пределами экрана) в видимую таблицу и удалите скрытую копию."
)
_FIX_IMAGES = "Разместите сведения текстом (таблицей HTML), а сканы и фотографии документов — дополнительно, ссылкой на файл с текстовым слоем."
_TABLE = ('<table><tr><td>Полное наименование</td><td itemprop="fullName">Муниципальное бюджетное общеобразовательное учреждение «Школа № 1»</td></tr>'
          '<tr><td>Телефон</td><td itemprop="telephone">+7 (812) 123-45-67</td></tr></table>')
_PLAIN = ("<table><tr><td>Полное наименование</td><td>Муниципальное бюджетное общеобразовательное учреждение «Школа № 1»</td></tr>"
          "<tr><td>Телефон</td><td>+7 (812) 123-45-67</td></tr></table>")

AUDITS = (
    HiddenMarkup(
        code="VIS001",
        title="Размеченные сведения видны посетителям",
        failure_title="Размеченные сведения скрыты от посетителей",
        description=(
            "Находит в подразделах элементы с itemprop, которые посетитель не видит: атрибут hidden, стиль display:none или "
            "visibility:hidden (в атрибуте style, в <style> страницы или в таблице стилей сайта), классы sr-only и visually-hidden, "
            "блоки нулевого размера и за пределами экрана, содержимое <template> и <noscript>. Пункт, у которого размечены только "
            "скрытые элементы, — нарушение п.27: размеченные данные должны быть доступны для просмотра. Скрытый блок, который "
            "открывает вкладка или спойлер страницы, и aria-hidden (блок виден на экране, но скрыт от экранного диктора) — "
            "«требует проверки»: посетитель может увидеть сведения, но это должен подтвердить человек. Скрытая копия рядом с "
            "размеченной видимой таблицей не нарушение."
        ),
        legal=(order_1493("п.27"),),
        fix=_FIX_HIDDEN,
        examples=(
            Example(_TABLE, Status.passed, "размечена видимая таблица", page="section"),
            Example(_PLAIN + f'<div style="display:none">{_TABLE}</div>', Status.fail, "видимая таблица без разметки, размеченная копия скрыта", page="section"),
            Example(_PLAIN + f'<div class="sr-only">{_TABLE}</div>', Status.fail, "размеченная копия только для экранного диктора", page="section"),
            Example(_PLAIN + f'<div style="position:absolute;left:-10000px">{_TABLE}</div>', Status.fail, "размеченная копия за пределами экрана", page="section"),
            Example(_PLAIN + f"<template>{_TABLE}</template>", Status.fail, "размеченная копия в <template>", page="section"),
            Example(_TABLE + f'<div hidden>{_TABLE}</div>', Status.passed, "скрытая копия рядом с размеченной видимой таблицей", page="section"),
            Example(f'<a href="#main-info">Основные сведения</a><div id="main-info" style="display:none">{_TABLE}</div>', Status.needs_review,
                    "таблица во вкладке, которую открывает ссылка страницы", page="section"),
        ),
    ),
    ImagesOfText(
        code="VIS002",
        title="Сведения подразделов размещены текстом, а не изображениями",
        failure_title="Страница подраздела состоит из изображений без текста",
        description=(
            "Считает на страницах подразделов текст основного содержимого (без меню, шапки и подвала), изображения и ссылки на "
            f"картинки. Страница, где есть изображения, а текста меньше {TEXT_MIN} знаков, нет ни подробных подписей (alt), ни ссылок "
            "на документы, — скорее всего скан или фотография сведений: текст на ней нельзя найти и скопировать (п.23) и прочитать "
            "при отключённом показе изображений (п.25 «б»). Изображение может быть и инфографикой при тексте в другом месте, "
            "поэтому результат — «требует проверки»."
        ),
        legal=(order_1493("п.23"), order_1493("п.25 «б»")),
        fix=_FIX_IMAGES,
        examples=(
            Example("<h1>Основные сведения</h1><p>Полное наименование: Муниципальное бюджетное общеобразовательное учреждение «Средняя "
                    "общеобразовательная школа № 1». Дата создания: 01.09.1965. Учредитель: администрация Киришского муниципального района "
                    "Ленинградской области. Место нахождения: 187110, Ленинградская область, г. Кириши, ул. Ленина, д. 1. Режим работы: "
                    "понедельник — пятница, 8:00–18:00.</p>", Status.passed, "сведения текстом", page="section"),
            Example('<h1>Основные сведения</h1><img src="/upload/svedeniya-1.jpg" width="800" height="1100" alt="">'
                    '<img src="/upload/svedeniya-2.jpg" width="800" height="1100" alt="">', Status.needs_review, "два скана вместо текста", page="section"),
            Example('<h1>Основные сведения</h1><a href="/upload/scan.jpg">Сведения</a>', Status.needs_review, "ссылка на скан вместо текста", page="section"),
        ),
    ),
)
