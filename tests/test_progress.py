"""Progress of long commands: `sveden check` on a terminal (and when asked), the monthly run's lines at INFO."""

from __future__ import annotations

import logging
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from compliant import compliant_site
from sitekit import serve

from checks.model import OrgType

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
FAST = ["--no-store", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "RETRY_TIMES=0",
        "--set", "DOWNLOAD_TIMEOUT=5", "--set", "SVEDEN_PROBE_OFFSITE=false"]
CLEAR_LINE = "\r\x1b[2K"


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


def check(args: list[str], tmp_path: Path, tty: bool) -> tuple[int, str, str]:
    """Run `sveden check`; stderr is a terminal when ``tty`` (a pseudo-terminal), stdout a file."""
    out = tmp_path / "stdout.txt"
    with out.open("wb") as stdout:
        if not tty:
            proc = subprocess.run([*SVEDEN, "check", *args], stdout=stdout, stderr=subprocess.PIPE, env=env(), cwd=REPO, timeout=120)
            return proc.returncode, out.read_text(encoding="utf-8"), proc.stderr.decode("utf-8")
        master, slave = pty.openpty()
        proc = subprocess.Popen([*SVEDEN, "check", *args], stdout=stdout, stderr=slave, stdin=subprocess.DEVNULL, env=env(), cwd=REPO)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed its terminal
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        proc.wait(timeout=120)
    return proc.returncode, out.read_text(encoding="utf-8"), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def site():
    with serve(compliant_site(OrgType.school)) as srv:
        yield srv.url + "/"


def test_on_a_terminal_check_shows_pages_subsections_and_documents(site, tmp_path):
    code, out, err = check([site, *FAST], tmp_path, tty=True)
    assert code == 0, err[-2000:]
    assert CLEAR_LINE + "Проверка сайта: страниц " in err
    assert "подраздел 1 из 14: «" in err and "документов 1" in err
    assert "Получено страниц: " in err and "проверено ссылок на документы: " in err
    assert "Основные сведения" in out and CLEAR_LINE not in out  # the report itself is untouched


def test_json_to_stdout_stays_silent_even_on_a_terminal(site, tmp_path):
    code, out, err = check([site, "--format", "json", *FAST], tmp_path, tty=True)
    assert code == 0 and out.lstrip().startswith("{")
    assert "Проверка сайта" not in err and "Получено страниц" not in err


def test_without_a_terminal_check_is_silent_unless_asked(site, tmp_path):
    code, _, err = check([site, *FAST], tmp_path, tty=False)
    assert code == 0 and "Получено страниц" not in err and "Подраздел" not in err
    code, out, err = check([site, "--progress", "--format", "json", *FAST], tmp_path, tty=False)
    assert code == 0 and out.lstrip().startswith("{")
    assert "Подраздел «Основные сведения»" in err and "Получено страниц: " in err
    assert CLEAR_LINE not in err  # plain lines for a log, no terminal control


def test_monthly_progress_lines_are_info_not_warnings(capsys):
    from crawler.progress import Progress, progress_log

    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    keep = Keep()
    progress_log().addHandler(keep)
    try:
        Progress(total=3, tty=False, every=1).report(final=True)
    finally:
        progress_log().removeHandler(keep)
    assert [r.levelno for r in seen] == [logging.INFO]
    err = capsys.readouterr().err
    assert "Итого: организаций 0 из 3" in err and "WARNING" not in err
