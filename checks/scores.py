"""НОКО openness scores (indicators 1.1 and 1.2). Filled by the feedback-channels work."""

from __future__ import annotations

from typing import Any


def compute(items, feedback) -> dict[str, Any] | None:
    return None
