"""Read-only indexes over a site artifact for the audits (the format: ``artifacts.schema``).

A :class:`SiteView` upgrades the artifact to the current version first, so every audit
reads one format whatever version stored it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from artifacts.schema import upgrade_site
from artifacts.urls import url_key
from checks.hiding import hider_of


def legacy_key(token: str) -> str:
    """``RegDate``, ``E-mail``, ``Ustav_DocLink`` → the key of their current names."""
    return token.lower().replace("_", "").replace("-", "")


@dataclass
class Node:
    prop: str
    text: str
    hrefs: list[str]
    ancestors: list[int]  # indexes (within the page) of itemprop ancestors, nearest first
    index: int
    page_url: str
    page: list[dict[str, Any]] = field(repr=False, default_factory=list)
    hider: dict[str, Any] | None = None  # why it is not shown to visitors (``checks.hiding``); None: shown

    def has_ancestor(self, prop: str) -> bool:
        return any(prop in self.page[i]["p"].split() for i in self.ancestors)

    def ancestor_ids(self, prop: str) -> list[tuple[str, int]]:
        return [(self.page_url, i) for i in self.ancestors if prop in self.page[i]["p"].split()]


class SectionView:
    """All microdata of one subsection (its page and its addRef pages), indexed once."""

    def __init__(self, slug: str, pages: list[dict[str, Any]]):
        self.slug = slug
        self.pages = pages
        self.by_prop: dict[str, list[Node]] = defaultdict(list)
        self.by_legacy: dict[str, list[Node]] = defaultdict(list)
        self.itemtypes: list[tuple[str, str]] = []
        for page in pages:
            url = page.get("final_url") or page.get("url", "")
            nodes = page.get("microdata") or []
            for i, raw in enumerate(nodes):
                hider = hider_of(page, raw) if "v" in raw else None
                for token in raw["p"].split():
                    node = Node(token, raw.get("t", ""), raw.get("h", []), raw.get("a", []), i, url, nodes, hider)
                    self.by_prop[token].append(node)
                    self.by_legacy[legacy_key(token)].append(node)
            self.itemtypes.extend((url, t) for t in page.get("itemtypes", []))

    def nodes(self, prop: str) -> list[Node]:
        return self.by_prop.get(prop, [])

    @property
    def url(self) -> str:
        return self.pages[0].get("final_url") or self.pages[0].get("url", "") if self.pages else ""


class SiteView:
    """Index of a site artifact for the rules: section views built once per check."""

    def __init__(self, artifact: dict[str, Any]):
        artifact = upgrade_site(artifact)
        self.artifact = artifact
        self.pages: list[dict[str, Any]] = artifact.get("pages", [])
        self.probes: dict[str, dict[str, Any]] = artifact.get("probes", {})
        # Facts of downloaded documents by URL (``checks.documents``); not gathered by older crawls.
        self.documents_gathered = "documents" in artifact
        self.documents: dict[str, dict[str, Any]] = artifact.get("documents") or {}
        self.sections_meta: dict[str, dict[str, Any]] = artifact.get("sections", {})
        self.views: dict[str, SectionView] = {}
        for slug, meta in self.sections_meta.items():
            idx = [meta["page"]] if meta.get("page", -1) >= 0 else []
            idx += [i for i in meta.get("addrefs", []) if i >= 0]
            self.views[slug] = SectionView(slug, [self.pages[i] for i in idx if self.pages[i].get("status") and 200 <= self.pages[i]["status"] < 300])

    @property
    def outcome(self) -> dict[str, Any]:
        return self.artifact.get("outcome", {"status": "ok"})

    def section(self, slug: str) -> SectionView:
        return self.views.get(slug) or SectionView(slug, [])

    def pages_with_role(self, *roles: str) -> list[dict[str, Any]]:
        return [p for p in self.pages if p.get("role") in roles]

    @cached_property
    def page_by_key(self) -> dict[str, dict[str, Any]]:
        """Fetched pages by ``url_key`` of their address and final address (the first page wins)."""
        index: dict[str, dict[str, Any]] = {}
        for page in self.pages:
            for url in (page.get("url"), page.get("final_url")):
                if url:
                    index.setdefault(url_key(url), page)
        return index

    @cached_property
    def document_by_key(self) -> dict[str, dict[str, Any]]:
        """Document facts by ``url_key`` (the first wins)."""
        return _by_key(self.documents)

    @cached_property
    def probe_by_key(self) -> dict[str, dict[str, Any]]:
        """Document probes by ``url_key`` (the first probe wins)."""
        return _by_key(self.probes)


def _by_key(by_url: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for url, value in by_url.items():
        index.setdefault(url_key(url), value)
    return index
