"""A fingerprint of the page a finding was read from: a review decision holds while it is unchanged.

Only what the audits read counts — the page's microdata (itemprops, texts, links) and its
itemtypes — so news, counters and calendars that change every day do not make a reviewer's
decision lapse, while any edit of the marked-up information does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def _page_digest(page: Mapping[str, Any]) -> Any:
    nodes = [[n.get("p", ""), n.get("tag", ""), n.get("t", ""), list(n.get("h") or []), list(n.get("a") or [])] for n in page.get("microdata") or []]
    return [nodes, sorted(page.get("itemtypes") or []), page.get("status")]


def page_fingerprint(artifact: Mapping[str, Any] | None, url: str = "", section: str = "") -> str | None:
    """The fingerprint of the page at ``url`` (or ``final_url``); without one, of the subsection's
    pages (its main page and addRef pages, where a missing item was looked for). None when the
    artifact holds neither (the finding is then compared by its message)."""
    if not artifact:
        return None
    pages = list(artifact.get("pages") or [])
    chosen: list[Mapping[str, Any]] = []
    if url:
        chosen = [p for p in pages if url in (p.get("url"), p.get("final_url"))][:1]
    if not chosen and section:
        meta = (artifact.get("sections") or {}).get(section) or {}
        indexes = [meta.get("page", -1), *(meta.get("addrefs") or [])]
        chosen = [pages[i] for i in indexes if isinstance(i, int) and 0 <= i < len(pages)]
    if not chosen:
        return None
    raw = json.dumps([_page_digest(p) for p in chosen], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]
