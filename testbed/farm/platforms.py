"""The platform each farm site is built on, the traces it leaves in the pages, and its template defect.

The page styles (``spec.style``) are the platforms' templates: Bitrix, Joomla, WordPress and Госвеб
print their own; the definition-list style stands for the smaller platforms (Drupal, uCoz, Tilda,
Nethouse, by site); hand-made static sites have none. Each platform leaves what a real one leaves:
a generator meta tag (not every platform writes one) and template paths of its stylesheets and
scripts, served by the farm as small files.

A template defect: the Госвеб template prints «Режим и график работы» without its ``itemprop``
on most of its sites (all but every fifth), so the regional report must name it once for the vendor.
"""

from __future__ import annotations

from testbed.farm.spec import SiteSpec

_SMALL = ("drupal", "ucoz", "tilda", "nethouse")
# (generator meta content or "", stylesheet path, script path) per platform.
TRACES = {
    "bitrix": ("", "/bitrix/templates/school_main/template_styles.css", "/bitrix/js/main/core/core.js"),
    "joomla": ("Joomla! - Open Source Content Management", "/templates/school/css/template.css", "/media/jui/js/jquery.min.js"),
    "wordpress": ("WordPress 6.4.3", "/wp-content/themes/school/style.css", "/wp-includes/js/jquery/jquery.min.js"),
    "drupal": ("Drupal 7 (https://www.drupal.org)", "/sites/all/themes/school/css/style.css", "/misc/drupal.js"),
    "ucoz": ("", "/.s/src/base.min.css", "/.s/src/uwnd.min.js"),
    "tilda": ("Tilda", "/tilda-blocks-page1234567.min.css", "/tilda-blocks-page1234567.min.js"),
    "nethouse": ("Nethouse", "/nethouse/css/site.css", "/nethouse/js/site.js"),
    "gosweb": ("", "/netcat_template/gosweb/css/main.css", "/netcat_template/gosweb/js/main.js"),
}
# Paths the farm serves as small files (a neutral stylesheet or script).
ASSETS = frozenset(p for _, css, js in TRACES.values() for p in (css, js))
ASSET_BODY = {".css": b"body{margin:0}\n", ".js": b"/* template */\n"}
# The rule codes a platform's template leaves unmarked, and on which of its sites.
TEMPLATE_DEFECTS = {"gosweb": ("CMN012",)}


def platform_of(spec: SiteSpec) -> str | None:
    """The ``checks.platform`` key the site must be fingerprinted as; None for a hand-made site."""
    if spec.style == "static":
        return None
    if spec.style == "dl":
        return _SMALL[spec.index % len(_SMALL)]
    return spec.style


def head_html(spec: SiteSpec) -> str:
    platform = platform_of(spec)
    if platform is None:
        return ""
    generator, css, js = TRACES[platform]
    meta = f'<meta name="generator" content="{generator}">' if generator else ""
    return f'{meta}<link rel="stylesheet" href="{css}"><script src="{js}"></script>'


def template_defects(spec: SiteSpec) -> tuple[str, ...]:
    """The codes this site's template leaves unmarked (most sites of the platform, not every one)."""
    platform = platform_of(spec)
    # A flawless farm (defect_rate 0) has flawless templates too.
    if platform not in TEMPLATE_DEFECTS or spec.index % 5 == 0 or spec.farm.options.get("defect_rate", 1.0) <= 0:
        return ()
    return TEMPLATE_DEFECTS[platform]
