"""Reader functions the tests of crawler.docread hand to reader processes (importable there by name)."""

from __future__ import annotations

import os
from pathlib import Path


def crash_on(path: Path, *args: object) -> tuple[int, str]:
    """(the reader's pid, the file's name); a file named «crash…» kills the reader, as a parser crash would."""
    if Path(path).name.startswith("crash"):
        os._exit(3)
    return os.getpid(), Path(path).name


def crash_on_page(url: str, *args: object) -> tuple[int, str]:
    """As :func:`crash_on`, for the page readers (crawler.pageread): a page «…/crash…» kills its reader."""
    if "/crash" in url:
        os._exit(3)
    return os.getpid(), url


def echo(value: object, *, fail: bool = False) -> tuple[int, object]:
    """(the helper's pid, the value); raises ValueError when asked to (crawler.helperpipe's tests)."""
    if fail:
        raise ValueError(f"не прочитано: {value!r}")
    return os.getpid(), value


def echo_size(data: bytes) -> bytes:
    return data[::-1]


def die(*args: object) -> None:
    os._exit(3)


def nap(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds


def collector_state() -> tuple[tuple[int, ...], int]:
    """The helper's garbage collector: its thresholds and how many objects are frozen."""
    import gc

    return gc.get_threshold(), gc.get_freeze_count()


def loaded(*modules: str) -> list[str]:
    """Which of ``modules`` the helper has imported."""
    import sys

    return [m for m in modules if m in sys.modules]
