"""Which platform a site is built on, from the traces the crawler recorded (Wappalyzer-style).

A school rarely writes its site: it fills in a template of a CMS or a hosted constructor, and a
defect of the template repeats on every site built with it. The fingerprint reads the generator
meta tag, the addresses of scripts, stylesheets and images (template paths), the site's own host
and well-known paths among its links; the sveden module of the platform is named where its
directory shows. Pure function of the site artifact: ``sveden recheck`` recomputes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from artifacts.urls import host_key

# Points of one kind of evidence: a generator tag or the site's own host name the platform;
# template paths of the site's scripts and assets are strong, paths among links weak.
GENERATOR, HOST, ASSET, LINK = 4, 4, 2, 1
MIN_SCORE = 2


@dataclass(frozen=True, slots=True)
class Platform:
    key: str
    title: str
    vendor: str  # who fixes a defect of the template («владелец шаблона»)
    generator: tuple[str, ...] = ()  # lower-case substrings of the generator meta tag
    hosts: tuple[str, ...] = ()  # host suffixes: the site's own host or its scripts' and assets' host
    asset_paths: tuple[str, ...] = ()  # substrings of script/stylesheet/image paths
    link_paths: tuple[str, ...] = ()  # substrings of the paths of the site's own links
    module: str = ""  # a regex whose group 1 is the sveden module's directory in an address
    builtin_module: tuple[str, str] = ("", "")  # (link path, module title) of a built-in sveden section


_SVEDEN_WORD = r"[\w.-]*(?:sveden|svedeniya|svedenia|obrazovan|eduorg|edu-info)[\w.-]*"

PLATFORMS = (
    Platform(
        "bitrix", "1С-Битрикс", "разработчик решения (шаблона) на 1С-Битрикс",
        generator=("bitrix",),
        asset_paths=("/bitrix/templates/", "/bitrix/js/", "/bitrix/cache/", "/bitrix/components/", "/bitrix/panel/", "/local/templates/"),
        link_paths=("/upload/iblock/", "/upload/medialibrary/", "/bitrix/"),
        module=rf"/(?:bitrix|local)/(?:components|templates|modules)/(?:[\w.-]+/)?({_SVEDEN_WORD})/",
    ),
    Platform(
        "joomla", "Joomla", "разработчик шаблона или расширения Joomla",
        generator=("joomla",),
        asset_paths=("/media/jui/", "/media/system/js/", "/media/com_", "/components/com_", "/modules/mod_", "/plugins/system/"),
        link_paths=("/index.php?option=com_", "/images/stories/", "/component/"),
        module=rf"/(?:components|modules|media)/((?:com|mod)_{_SVEDEN_WORD})/",
    ),
    Platform(
        "wordpress", "WordPress", "разработчик темы или плагина WordPress",
        generator=("wordpress",),
        asset_paths=("/wp-content/", "/wp-includes/"),
        link_paths=("/wp-content/uploads/", "/wp-json/"),
        module=rf"/wp-content/plugins/({_SVEDEN_WORD})/",
    ),
    Platform(
        "drupal", "Drupal", "разработчик темы или модуля Drupal",
        generator=("drupal",),
        asset_paths=("/sites/all/", "/sites/default/files/", "/misc/drupal.js", "/core/misc/", "/core/themes/"),
        link_paths=("/sites/default/files/",),
        module=rf"/modules/(?:contrib/|custom/)?({_SVEDEN_WORD})/",
    ),
    Platform(
        "ucoz", "uCoz", "uCoz (конструктор сайтов)",
        generator=("ucoz",),
        hosts=("ucoz.net", "ucoz.ru", "ucoz.com", "ucoz.org", "narod.ru", "usite.pro"),
        asset_paths=("/.s/src/", "/.s/img/", "/.s/t/"),
        link_paths=("/index/0-", "/load/", "/publ/"),
    ),
    Platform(
        "tilda", "Tilda", "Tilda Publishing (конструктор сайтов)",
        generator=("tilda",),
        hosts=("tildacdn.com", "tildacdn.pro", "tilda.ws", "tilda.cc"),
        asset_paths=("/tilda-blocks", "/tilda-"),
    ),
    Platform(
        "nethouse", "Nethouse", "Nethouse (конструктор сайтов)",
        generator=("nethouse",),
        hosts=("nethouse.ru", "nethouse.me", "nethouse.su"),
        asset_paths=("/nethouse/",),
    ),
    Platform(
        "gosweb", "Госвеб", "оператор платформы «Госвеб» (Минцифры России)",
        generator=("госвеб", "gosweb"),
        hosts=("gosweb.gosuslugi.ru",),
        asset_paths=("/gosweb/", "/netcat_template/gosweb", "/gosweb-"),
        builtin_module=("/svedeniya-ob-obrazovatelnoy-organizatsii/", "встроенный раздел «Сведения об образовательной организации» Госвеба"),
    ),
)
BY_KEY = {p.key: p for p in PLATFORMS}
_MODULES = {p.key: re.compile(p.module, re.I) for p in PLATFORMS if p.module}
# Госуслуги's own services (the ПОС widget, the feedback form) sit on gosuslugi.ru for every site.
_NOT_A_SITE_HOST = ("pos.gosuslugi.ru", "www.gosuslugi.ru", "gosuslugi.ru")


# Thousands of links a site: split by one regex rather than urlsplit (the crawler wrote them absolute).
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::\d*)?([^#]*)")


@lru_cache(maxsize=4096)
def _host_of(hostname: str) -> str:
    try:
        return host_key(hostname.lower().strip("[]"))
    except ValueError:
        return ""


def _split(url: str) -> tuple[str, str]:
    """The comparable host and the lower-case path (with the query) of an absolute address."""
    m = _URL.match(url or "")
    if m is None:
        return "", ""
    return _host_of(m.group(1)), (m.group(2) or "/").lower()


def _host(url: str) -> str:
    return _split(url)[0]


def _on(host: str, suffixes: tuple[str, ...]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


def fingerprint(artifact: dict[str, Any]) -> dict[str, Any] | None:
    """``{"key", "title", "vendor", "module", "score", "evidence"}`` of the platform with the most
    evidence, or None when nothing names one (a hand-made site, an unreadable one)."""
    pages = artifact.get("pages") or []
    home = next((p for p in pages if p.get("role") == "home"), {})
    site_hosts = {h for h in (_host(artifact.get("url") or ""), _host(home.get("final_url") or ""), *map(host_key, artifact.get("hosts") or [])) if h}
    generators = {g.lower() for p in pages for g in p.get("generator") or []}
    # Each address parsed once: (its address, host, path) for resources, the paths of the site's own links.
    resources = [(u, *_split(u)) for u in sorted({u for p in pages for u in [*(p.get("scripts") or []), *(p.get("assets") or [])]})]
    hrefs = {link.get("href", "") for p in pages for link in p.get("links") or []}
    own_paths = sorted({path for host, path in map(_split, hrefs) if host in site_hosts})
    own_links = "\n".join(own_paths)  # searched as one text

    best: dict[str, Any] | None = None
    for platform in PLATFORMS:
        score, evidence = _evidence(platform, site_hosts, generators, resources, own_links)
        if score >= MIN_SCORE and (best is None or score > best["score"]):
            best = {"key": platform.key, "title": platform.title, "vendor": platform.vendor, "module": "", "score": score, "evidence": evidence[:6]}
    if best is not None:
        best["module"] = _module(BY_KEY[best["key"]], [path for _, _, path in resources] + own_paths)
    return best


def _evidence(platform: Platform, site_hosts: set[str], generators: set[str], resources: list[tuple[str, str, str]], links: str) -> tuple[int, list[str]]:
    score, evidence = 0, []
    for g in sorted(generators):
        if any(s in g for s in platform.generator):
            score += GENERATOR
            evidence.append(f"generator: {g}")
            break
    for h in sorted(site_hosts):
        if h not in _NOT_A_SITE_HOST and _on(h, platform.hosts):
            score += HOST
            evidence.append(f"адрес сайта: {h}")
            break
    kinds = set()
    for url, host, path in resources:
        hit = next((s for s in platform.asset_paths if s in path), "") or (host if host not in _NOT_A_SITE_HOST and _on(host, platform.hosts) else "")
        if hit and hit not in kinds:
            kinds.add(hit)
            evidence.append(url)
    score += ASSET * min(len(kinds), 2)
    link_kinds = {s for s in (*platform.link_paths, platform.builtin_module[0]) if s and s in links}
    score += LINK * min(len(link_kinds), 2)
    evidence += [f"ссылки: {s}" for s in sorted(link_kinds)]
    return score, evidence


def _module(platform: Platform, paths: list[str]) -> str:
    rx = _MODULES.get(platform.key)
    if rx is not None:
        for path in paths:
            m = rx.search(path)
            if m:
                return m.group(1)
    if platform.builtin_module[0] and any(platform.builtin_module[0] in p for p in paths):
        return platform.builtin_module[1]
    return ""
