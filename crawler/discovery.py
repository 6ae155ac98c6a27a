"""Where a site keeps «Сведения об образовательной организации» and its subsections.

Pure functions over page artifacts: standard paths (``/sveden/<slug>``), template platforms'
paths (Госвеб ``/svedeniya-ob-obrazovatelnoy-organizatsii/<russian-slug>/``) and menu link texts.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from artifacts import layout
from artifacts.urls import is_document, same_site

INDEX_TITLES = ("сведения об образовательной организации", "сведения об организации", "сведения об оо")
INDEX_PATH_MARKERS = ("/sveden", "/svedeniya-ob-obrazovatelnoy-organizatsii", "/svedeniya-ob-obrazovatelnoj-organizacii", "/svedeniya-ob-organizatsii")
_PUNCT = re.compile(r"[«»\"'“”„:;!?()\[\]]+")


def norm_title(text: str) -> str:
    text = text.lower().replace("ё", "е").replace("\xa0", " ")
    text = _PUNCT.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip(" .-—–")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _path_segments(url: str) -> list[str]:
    return [s for s in urlsplit(url).path.lower().split("/") if s]


def find_index_link(links: list[dict], hosts: set[str]) -> str | None:
    """The link to the section itself: by its title, else by a known path."""
    by_path = None
    for link in links:
        href = link["href"]
        if not any(same_site(href, h) for h in hosts) or is_document(href):
            continue
        text = norm_title(link.get("text", ""))
        if any(text == t or text.startswith(t + " ") for t in INDEX_TITLES):
            return href
        segs = _path_segments(href)
        path = "/" + "/".join(segs)
        if by_path is None and any(path == m or path == m + "/" for m in INDEX_PATH_MARKERS):
            by_path = href
    return by_path


def _slug_by_path(url: str) -> str | None:
    segs = _path_segments(url)
    if not segs:
        return None
    last = segs[-1].removesuffix(".html").removesuffix(".php").removesuffix(".htm")
    slugs = {s.slug.lower(): s.slug for s in layout.SUBSECTIONS}
    if len(segs) >= 2 and segs[-2] == "sveden" and last in slugs:
        return slugs[last]
    for s in layout.SUBSECTIONS:
        if any(last == a or last.startswith(a + "-") for a in s.path_aliases):
            return s.slug
    return None


def _slug_by_text(text: str) -> str | None:
    """Longest matching title phrase wins («Руководство. Педагогический состав» is not «Руководство»)."""
    t = norm_title(text)
    if not t:
        return None
    best: tuple[int, str] | None = None
    for s in layout.SUBSECTIONS:
        for phrase in (norm_title(s.title), *s.link_titles):
            if t == phrase or t.startswith(phrase + " ") or t.startswith(phrase + "."):
                if best is None or len(phrase) > best[0]:
                    best = (len(phrase), s.slug)
    return best[1] if best else None


def map_subsections(link_sets: list[tuple[list[dict], bool]], hosts: set[str]) -> dict[str, tuple[str, str]]:
    """slug → (url, found_by) from the links of the section index and the home page.

    ``link_sets`` are (links, trusted) pairs in priority order; on untrusted pages (the home
    page) a link text must be a full subsection title, since «Документы» in a home menu is
    often the school's general document library.
    """
    found: dict[str, tuple[str, str]] = {}
    for links, trusted in link_sets:
        candidates: dict[str, tuple[int, str, str]] = {}
        for link in links:
            href = link["href"]
            if not any(same_site(href, h) for h in hosts) or is_document(href):
                continue
            slug = _slug_by_path(href)
            how, rank = "link", 0
            if slug is None:
                text = link.get("text", "")
                slug = _slug_by_text(text)
                how, rank = "link_text", 1
                if slug and not trusted:
                    full = norm_title(layout.BY_SLUG[slug].title)
                    if norm_title(text) != full and not norm_title(text).startswith(full):
                        slug = None
            if slug and slug not in found and (slug not in candidates or rank < candidates[slug][0]):
                candidates[slug] = (rank, href, how)
        for slug, (_, href, how) in candidates.items():
            found.setdefault(slug, (href, how))
    return found


def guess_subsection_url(home_url: str, slug: str) -> str:
    return f"{origin(home_url)}/sveden/{slug}/"
