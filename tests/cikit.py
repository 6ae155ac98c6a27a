"""What a test needs from the machine: off CI a missing tool skips the test, saying so; in CI
(.ci/run installs every tool, and shared/ lies beside the repository) it fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_SITES = Path(__file__).resolve().parents[2] / "shared" / "real-sites" / "spbgasu-2019"


def needed(problem: str | None, what: str) -> None:
    """Nothing when ``problem`` is None; else a skip off CI and a failure in CI."""
    if problem is None:
        return
    if not os.environ.get("CI"):
        pytest.skip(f"{what}: {problem}; CI has it and runs this test")
    pytest.fail(f"CI must have {what}: {problem}")


def real_sites() -> Path:
    needed(None if REAL_SITES.is_dir() else f"not present at {REAL_SITES}", "the real pages of shared/real-sites")
    return REAL_SITES
