"""Regional rules: a region's own checks declared in a TOML file, judged as audits of group ``regional``.

A regional council (the НОКО public council, the education ministry) may ask more of a school's
site than order 1493 does. The region writes those checks in one TOML file
(``docs/regional-rules.example.toml`` is the template), validated against :class:`RulesFile`;
``sveden rules load FILE`` refuses a malformed file with the line (TOML syntax) or the key path
(schema) and the reason, and stores a valid one in the user's data directory. The environment
variable ``SVEDEN_REGIONAL_RULES`` names another file (empty: none). The checks become
:class:`RegionalAudit` objects of the audit model: codes ``R<region><nnn>`` (``RLO001``), which no
built-in code can take (built-in prefixes are subsections, FBK, BUS and NOK), the council's
decision as the legal basis, applicability by organization type, a severity, a fix, and
``counts_in_score`` (false by default: then they stay out of every score).

Kinds that need no code (they read the site artifact, which keeps no HTML):

- ``page``: a page is reachable, by ``path`` (probed by the crawler) or by ``link_text``;
- ``itemprop``: an element with ``itemprop`` is present (and not empty), in ``section`` or anywhere;
- ``selector``: an element matching a CSS ``selector`` is present on a page read (the crawler
  matches the rules' selectors while it has the HTML: ``SVEDEN_PROBE_SELECTORS``);
- ``link``: a link to ``host`` and/or matching ``url_pattern`` (and ``link_text``) is present;
- ``text``: ``pattern`` is found in page titles, headings, link texts or microdata texts (``where``);
- ``document``: a document linked with ``link_text`` opens (the crawler probes such links);
- ``updated``: the page at ``path`` (the home page by default) updated within ``days`` days, by the
  date the page states («обновлено ДД.ММ.ГГГГ») or else its Last-Modified header.

A rule may also apply only to some groups of the registry (``registry_groups``: a column of the
registry and its values, e.g. ``{"Тип местности" = ["село"]}``).

``sveden recheck`` re-judges a stored month with a changed file: every kind that reads what the
crawl kept is judged again; a rule that needs what the crawl did not gather (a new path or link
text to probe, a new selector) is «требует проверки» with the cause ``needs_crawl``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from cssselect import GenericTranslator, SelectorError
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from artifacts.patterns import norm
from checks import sitelinks
from checks.context import Context
from checks.model import ALL_TYPES, Audit, AuditResult, Example, LegalRef, OrgType, Status

ENV = "SVEDEN_REGIONAL_RULES"
FILE_NAME = "regional-rules.toml"
CODE = re.compile(r"^R[A-Z]{2}\d{3}$")
KINDS = ("page", "itemprop", "selector", "link", "text", "document", "updated")
WHERE = ("title", "headings", "links", "microdata")
SEVERITY_TITLES = {"high": "высокая", "medium": "средняя", "low": "низкая"}
# The keys each kind needs (one of the tuple at least), and the keys it may use.
_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "page": (("path", "link_text"), ("path", "link_text")),
    "itemprop": (("itemprop",), ("itemprop", "section")),
    "selector": (("selector",), ("selector",)),
    "link": (("host", "url_pattern"), ("host", "url_pattern", "link_text")),
    "text": (("pattern",), ("pattern", "where")),
    "document": (("link_text",), ("link_text", "url_pattern")),
    "updated": (("days",), ("days", "path")),
}
_PARAMS = ("path", "link_text", "itemprop", "section", "selector", "host", "url_pattern", "pattern", "where", "days")


class RegionalRulesError(ValueError):
    """A rules file that cannot be used; the message is Russian and names the line or key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _regex(value: str | None) -> str | None:
    if value:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"неверное регулярное выражение: {exc.msg} (позиция {exc.pos})") from None
    return value


class ExampleSpec(_Strict):
    html: str
    expect: Literal["pass", "fail", "needs_review", "not_applicable"]
    title: str = ""
    org_type: OrgType = OrgType.school
    probes: dict[str, int] = Field(default_factory=dict)


class CheckSpec(_Strict):
    code: str = Field(pattern=CODE.pattern)
    title: str = Field(min_length=1)
    failure_title: str = Field(min_length=1)
    description: str = ""
    basis: str = ""  # the council's decision; the region's ``decision`` by default
    applies_to: list[OrgType] = Field(default_factory=lambda: list(OrgType))
    severity: Literal["high", "medium", "low"] = "medium"
    fix: str = Field(min_length=1)
    counts_in_score: StrictBool = False
    kind: Literal["page", "itemprop", "selector", "link", "text", "document", "updated"]
    registry_groups: dict[str, list[str]] = Field(default_factory=dict)  # registry column → values it applies to
    path: str | None = None
    link_text: str | None = None
    itemprop: str | None = None
    section: str | None = None
    selector: str | None = None
    host: str | None = None
    url_pattern: str | None = None
    pattern: str | None = None
    where: list[Literal["title", "headings", "links", "microdata"]] = Field(default_factory=lambda: list(WHERE))
    days: int | None = Field(default=None, ge=1, le=3650)
    examples: list[ExampleSpec] = Field(default_factory=list)

    _check_regex = field_validator("link_text", "url_pattern", "pattern")(_regex)

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value:
            try:
                GenericTranslator().css_to_xpath(value)
            except SelectorError as exc:
                raise ValueError(f"неверный CSS-селектор: {exc}") from None
        return value

    @field_validator("registry_groups")
    @classmethod
    def _groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for column, values in value.items():
            if not column.strip() or not [v for v in values if v.strip()]:
                raise ValueError(f"для столбца реестра «{column}» нужен непустой список значений")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError("путь должен начинаться с «/», например /nok/")
        return value

    @model_validator(mode="after")
    def _kind_keys(self) -> CheckSpec:
        needs, allowed = _NEEDS[self.kind]
        given = {k for k in _PARAMS if getattr(self, k) not in (None, "") and k in self.model_fields_set}
        if not any(getattr(self, k) for k in needs):
            raise ValueError(f"проверке вида «{self.kind}» нужен ключ {' или '.join(needs)}")
        extra = sorted(given - set(allowed))
        if extra:
            raise ValueError(f"ключ {', '.join(extra)} не используется проверкой вида «{self.kind}» (её ключи: {', '.join(allowed)})")
        return self


class RegionSpec(_Strict):
    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str = Field(min_length=1)
    decision: str = Field(min_length=1)  # the decision that adopted the rules: the default basis


class RulesFile(_Strict):
    region: RegionSpec
    check: list[CheckSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes(self) -> RulesFile:
        seen: set[str] = set()
        for i, c in enumerate(self.check, 1):
            if c.code[1:3] != self.region.code:
                raise ValueError(f"check[{i}].code: код {c.code} должен начинаться с R{self.region.code} (код региона)")
            if c.code in seen:
                raise ValueError(f"check[{i}].code: код {c.code} повторяется")
            seen.add(c.code)
        return self


# ---- errors in Russian --------------------------------------------------------------------------

_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif part not in ("function-after",) and not str(part).startswith(("function-", "literal[")):
            out += ("." if out else "") + str(part)
    return out or "файл"


def _reason(err: dict[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing":
        return "обязательный ключ отсутствует"
    if kind == "extra_forbidden":
        return "неизвестный ключ"
    if kind == "string_pattern_mismatch":
        return f"значение {err.get('input')!r} не подходит под шаблон {ctx.get('pattern')}"
    if kind == "literal_error":
        return f"значение {err.get('input')!r} недопустимо; допустимы: {ctx.get('expected')}"
    if kind == "enum":
        return f"значение {err.get('input')!r} недопустимо; допустимы: {', '.join(t.value for t in OrgType)}"
    if kind in ("string_too_short", "too_short"):
        return "значение не может быть пустым"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"значение {err.get('input')!r} вне допустимого диапазона"
    if kind == "value_error":
        return str(ctx.get("error") or err["msg"]).removeprefix("Value error, ")
    type_names = {"string_type": "строка", "bool_type": "true или false", "int_type": "целое число", "list_type": "список", "dict_type": "таблица", "model_type": "таблица", "int_parsing": "целое число", "bool_parsing": "true или false"}
    if kind in type_names:
        return f"неверный тип значения {err.get('input')!r}: нужна {type_names[kind]}" if kind != "int_type" else f"неверный тип значения {err.get('input')!r}: нужно целое число"
    return err["msg"]


def _messages(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        reason = _reason(err)
        loc = _loc(err["loc"])
        # Messages of the whole file's validator carry their own key path.
        out.append(reason if loc == "файл" and reason.startswith("check[") else f"{loc}: {reason}")
    return out


_TOML_REASONS = {
    "Cannot overwrite a value": "ключ задан повторно",
    "Unterminated string": "строка не закрыта кавычкой",
    "Expected '=' after a key in a key/value pair": "после ключа ожидается «=»",
    "Invalid value": "неверное значение",
    "Invalid statement": "неверная запись",
    "Cannot declare": "таблица объявлена повторно",
}


def _toml_reason(msg: str) -> str:
    for english, russian in _TOML_REASONS.items():
        if msg.startswith(english):
            return f"{russian} ({msg})"
    return msg


def parse(text: str, source: str = "файл") -> RulesFile:
    """The validated rules of a TOML text, or :class:`RegionalRulesError` naming the line or key path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        where = (f"строка {m.group(1)}, столбец {m.group(2)}" if m.group(1) else "конец файла") if m else "синтаксис"
        raise RegionalRulesError(f"{source}: ошибка синтаксиса TOML, {where}: {_toml_reason(_TOML_POS.sub('', msg))}") from None
    try:
        return RulesFile.model_validate(data)
    except ValidationError as exc:
        raise RegionalRulesError(f"{source}: файл не соответствует схеме:\n" + "\n".join(f"  {m}" for m in _messages(exc))) from None


def read(path: Path) -> tuple[RulesFile, str]:
    """The rules of ``path`` and the SHA-256 of its bytes."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegionalRulesError(f"не удалось прочитать файл региональных правил {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegionalRulesError(f"{path}: файл должен быть в кодировке UTF-8 (байт {exc.start})") from None
    return parse(text, str(path)), hashlib.sha256(raw).hexdigest()


def stored_path() -> Path:
    """Where ``sveden rules load`` keeps the region's file."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("sveden", appauthor=False)) / FILE_NAME


def active_path() -> Path | None:
    """The rules file in force: ``SVEDEN_REGIONAL_RULES`` (empty: none), else the stored one."""
    env = os.environ.get(ENV)
    if env is not None:
        return Path(env) if env.strip() else None
    path = stored_path()
    return path if path.exists() else None


# ---- the audits ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegionalAudit(Audit):
    group: str = "regional"
    kind: str
    region: str = ""  # the region's name
    severity: str = "medium"
    counts_in_score: bool = False
    path: str = ""
    link_text: str = ""
    itemprop: str = ""
    section: str = ""
    selector: str = ""
    host: str = ""
    url_pattern: str = ""
    pattern: str = ""
    where: tuple[str, ...] = WHERE
    days: int = 0
    registry_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def probe_link_text(self) -> str:
        """Link texts whose links the crawler probes for this audit."""
        return self.link_text if self.kind in ("page", "document") else ""

    @property
    def probe_path(self) -> str:
        return self.path if self.kind in ("page", "updated") else ""

    @property
    def probe_selector(self) -> str:
        return self.selector if self.kind == "selector" else ""

    def judge(self, ctx: Context) -> AuditResult:
        if self.registry_groups:
            outside = self._outside_groups(ctx)
            if outside:
                return self.result(Status.not_applicable, outside)
        return getattr(self, f"_judge_{self.kind}")(ctx)

    def _outside_groups(self, ctx: Context) -> str:
        """Why the organization is outside the registry groups the rule applies to ("" when inside)."""
        groups = (ctx.registry or {}).get("groups") or {}
        for column, values in self.registry_groups:
            value = groups.get(column)
            if value is None:
                return f"правило только для организаций, у которых в реестре в столбце «{column}» указано: {', '.join(values)}; у этой организации значения нет"
            if norm(value) not in {norm(v) for v in values}:
                return f"правило только для организаций с «{column}»: {', '.join(values)}; у этой организации — {value}"
        return ""

    def _needs_crawl(self, what: str) -> AuditResult:
        return AuditResult(self.code, self.group, Status.needs_review, f"нужен новый обход: при обходе не проверялось — {what}", cause="needs_crawl")

    def _links(self, ctx: Context) -> list[sitelinks.SiteLink]:
        return ctx.computed(_site_links)

    def _judge_page(self, ctx: Context) -> AuditResult:
        site = ctx.site
        candidates: list[tuple[str, str]] = []  # (url, how found)
        if self.path:
            home = next(iter(site.pages_with_role("home")), None)
            base = sitelinks.page_url(home) if home else site.artifact.get("url", "")
            candidates.append((urljoin(base, self.path), f"адрес {self.path}"))
            for page in site.pages:
                if _same_path(sitelinks.page_url(page), self.path) or _same_path(page.get("url", ""), self.path):
                    candidates.append((page.get("url", ""), f"адрес {self.path}"))
        if self.link_text:
            pattern = re.compile(self.link_text)
            candidates += [(link.href, f"ссылка «{link.text}»") for link in self._links(ctx) if pattern.search(link.text) and sitelinks.own_site(site, link.href)]
        if not candidates:
            return self.result(Status.fail, f"не найдено: ссылка с текстом по шаблону «{self.link_text}»")
        states = [(url, how, *sitelinks.target_status(site, url)) for url, how in candidates]
        for url, how, state, detail in states:
            if state == "ok":
                return self.result(Status.passed, f"страница открывается ({how}): {url}", url)
        unknown = next((s for s in states if s[2] == "unknown"), None)
        if unknown:
            return AuditResult(self.code, self.group, Status.needs_review, f"нужен новый обход: страница не проверялась при обходе ({unknown[1]}) — или откройте её: {unknown[0]}", unknown[0], cause="needs_crawl")
        url, how, _, detail = states[0]
        return self.result(Status.fail, f"страница ({how}) {detail}: {url}", url)

    def _judge_itemprop(self, ctx: Context) -> AuditResult:
        site = ctx.site
        pages = site.section(self.section).pages if self.section else sitelinks.read_pages(site)
        for page in pages:
            for node in page.get("microdata") or []:
                if self.itemprop in str(node.get("p", "")).split() and norm(node.get("t", "")):
                    return self.result(Status.passed, f"найдено: itemprop=\"{self.itemprop}\" — {norm(node.get('t', ''))[:80]}", sitelinks.page_url(page))
        where = f"в подразделе «{self.section}»" if self.section else "на прочитанных страницах"
        return self.result(Status.fail, f"не найдено {where}: элемент с itemprop=\"{self.itemprop}\" и непустым содержимым")

    def _judge_selector(self, ctx: Context) -> AuditResult:
        if self.selector not in (ctx.site.artifact.get("stats") or {}).get("selectors", ()):
            return self._needs_crawl(f"CSS-селектор «{self.selector}»")
        for page in sitelinks.read_pages(ctx.site):
            text = (page.get("selectors") or {}).get(self.selector)
            if text is not None:
                return self.result(Status.passed, f"найден элемент «{self.selector}»" + (f": {text[:80]}" if text else ""), sitelinks.page_url(page))
        return self.result(Status.fail, f"на прочитанных страницах нет элемента «{self.selector}»")

    def _judge_link(self, ctx: Context) -> AuditResult:
        url_re = re.compile(self.url_pattern) if self.url_pattern else None
        text_re = re.compile(self.link_text) if self.link_text else None
        host = self.host.lower().removeprefix("www.")
        for link in self._links(ctx):
            link_host = (urlsplit(link.href).hostname or "").lower().removeprefix("www.")
            if host and not (link_host == host or link_host.endswith("." + host)):
                continue
            if url_re and not url_re.search(link.href):
                continue
            if text_re and not text_re.search(link.text):
                continue
            return self.result(Status.passed, f"найдена ссылка: {link.href}", link.page_url, [{"url": link.page_url, "match": link.href}])
        what = " ".join(p for p in (f"на {self.host}" if self.host else "", f"по шаблону {self.url_pattern}" if self.url_pattern else "") if p)
        return self.result(Status.fail, f"не найдена ссылка {what}")

    def _judge_text(self, ctx: Context) -> AuditResult:
        pattern = re.compile(self.pattern)
        for page in sitelinks.read_pages(ctx.site):
            texts: list[str] = []
            if "title" in self.where:
                texts.append(norm(page.get("title", "")))
            if "headings" in self.where:
                texts += [norm(h) for h in page.get("headings") or []]
            if "links" in self.where:
                texts += [norm(link.get("text", "")) for link in page.get("links") or []]
            if "microdata" in self.where:
                texts += [norm(n.get("t", "")) for n in page.get("microdata") or []]
            hit = next((t for t in texts if t and pattern.search(t)), None)
            if hit:
                return self.result(Status.passed, f"найдено: «{hit[:100]}»", sitelinks.page_url(page))
        return self.result(Status.fail, f"не найден текст по шаблону «{self.pattern}»")

    def _judge_document(self, ctx: Context) -> AuditResult:
        from checks.audits.noko import judge_documents

        text_re = re.compile(self.link_text)
        url_re = re.compile(self.url_pattern) if self.url_pattern else None
        found = [link for link in self._links(ctx) if text_re.search(link.text) and not (url_re and not url_re.search(link.href))]
        return judge_documents(self, ctx, found, f"документ со ссылкой по шаблону «{self.link_text}»")

    def _judge_updated(self, ctx: Context) -> AuditResult:
        site = ctx.site
        if not (site.artifact.get("stats") or {}).get("dates"):
            return self._needs_crawl("дата обновления страниц")
        what = f"страница {self.path}" if self.path else "главная страница"
        facts = _update_facts(site, self.path)
        if facts is None:
            return self._needs_crawl(f"адрес {self.path}") if self.path else self.result(Status.fail, "главная страница не прочитана")
        url, stated, modified = facts
        when, how = (stated, "дата обновления на странице") if stated else (modified, "заголовок Last-Modified")
        if when is None:
            return self.result(Status.needs_review, f"{what} не указывает дату обновления, сервер не сообщает Last-Modified — проверьте вручную", url)
        age = (ctx.checked_at.date() - when).days
        if age <= self.days:
            return self.result(Status.passed, f"{what} обновлена {when:%d.%m.%Y} ({how}), {age} дн. назад", url)
        return self.result(Status.fail, f"{what} обновлена {when:%d.%m.%Y} ({how}), {age} дн. назад — дольше {self.days} дн.", url)


def _update_facts(site: Any, path: str) -> tuple[str, date | None, date | None] | None:
    """(url, date the page states, Last-Modified) of the page at ``path`` (the home page when empty),
    from a page read or a probe; None when the crawl has neither."""
    pages = [p for p in site.pages if p.get("status") and (_same_path(sitelinks.page_url(p), path) or _same_path(p.get("url", ""), path))] if path \
        else list(site.pages_with_role("home"))
    for page in pages:
        stated = date.fromisoformat(page["updated_on"]) if page.get("updated_on") else None
        return sitelinks.page_url(page), stated, _http_date(page.get("last_modified", ""))
    if path:
        for url, probe in (site.artifact.get("probes") or {}).items():
            if _same_path(url, path) and probe.get("status"):
                return url, None, _http_date(probe.get("last_modified", ""))
    return None


def _http_date(value: str) -> date | None:
    try:
        return parsedate_to_datetime(value).date() if value else None
    except (TypeError, ValueError, IndexError):
        return None


def _same_path(url: str, path: str) -> bool:
    try:
        return urlsplit(url).path.rstrip("/") == path.rstrip("/")
    except ValueError:
        return False


def _site_links(ctx: Context) -> list[sitelinks.SiteLink]:
    return sitelinks.links(ctx.site)


def audits_of(rules: RulesFile) -> tuple[RegionalAudit, ...]:
    region = rules.region
    out = []
    for c in rules.check:
        basis = c.basis or region.decision
        out.append(
            RegionalAudit(
                code=c.code,
                title=c.title,
                failure_title=c.failure_title,
                description=c.description or f"Региональное требование ({region.name}): {c.title}.",
                legal=(LegalRef("регион", basis.replace(":", ".")),),
                applies_to=frozenset(c.applies_to) if c.applies_to else ALL_TYPES,
                fix=c.fix,
                note=f"Региональное правило ({region.name}); значимость: {SEVERITY_TITLES[c.severity]}"
                + ("; учитывается в региональной оценке" if c.counts_in_score else "; в оценках не учитывается"),
                examples=tuple(Example(e.html, Status(e.expect), e.title, e.org_type, dict(e.probes), page="home") for e in c.examples),
                kind=c.kind,
                region=region.name,
                severity=c.severity,
                counts_in_score=c.counts_in_score,
                path=c.path or "",
                link_text=c.link_text or "",
                itemprop=c.itemprop or "",
                section=c.section or "",
                selector=c.selector or "",
                registry_groups=tuple((col, tuple(vals)) for col, vals in c.registry_groups.items()),
                host=c.host or "",
                url_pattern=c.url_pattern or "",
                pattern=c.pattern or "",
                where=tuple(c.where),
                days=c.days or 0,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Loaded:
    path: str
    sha256: str
    region: str
    audits: tuple[RegionalAudit, ...]


_cache: dict[tuple[str, int, int], Loaded] = {}


def load_active() -> Loaded | None:
    """The rules in force, read again whenever the file changes (``sveden recheck`` after an edit)."""
    path = active_path()
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError as exc:
        raise RegionalRulesError(f"файл региональных правил {path} недоступен: {exc.strerror or exc}") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _cache:
        rules, digest = read(path)
        _cache.clear()
        _cache[key] = Loaded(str(path), digest, rules.region.name, audits_of(rules))
    return _cache[key]


def store(source: Path) -> tuple[Path, RulesFile]:
    """Validate ``source`` and copy it to :func:`stored_path` atomically: a refused file leaves
    the stored one as it was."""
    rules, _ = read(source)
    target = stored_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(source.read_bytes())
    os.replace(tmp, target)
    return target, rules


__all__ = ["RegionalAudit", "RegionalRulesError", "RulesFile", "active_path", "load_active", "parse", "read", "store", "stored_path"]
