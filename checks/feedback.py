"""Remote feedback channels (НОКО indicator 1.2). Filled by the feedback-channels work."""

from __future__ import annotations

from typing import Any

from checks.artifacts import SiteView


def evaluate_feedback(site: SiteView) -> dict[str, Any] | None:
    return None
