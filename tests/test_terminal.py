"""What a site supplies never drives the terminal: escape sequences and control characters are
removed from the text `sveden check` prints (reports.terminal.terminal_safe at the boundary)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from reports.school import render_text
from reports.terminal import json_terminal_safe, terminal_safe
from sveden.judging import judge_site

RED = "\x1b[31m"
LINK = "\x1b]8;;http://evil\x07"  # OSC 8: a hidden hyperlink
LINK_END = "\x1b]8;;\x1b\\"
CLEAR = "\x9b2J"  # 8-bit CSI: clear the screen
TITLE = "\x1b]0;owned\x9c"  # 8-bit ST
# No escape, no C1, no other control character but newline and tab.
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (RED + "Школа\x1b[0m", "Школа"),
        (f"{LINK}ссылка{LINK_END}", "ссылка"),
        (f"{CLEAR}текст", "текст"),
        (f"{TITLE}окно", "окно"),
        ("a\x1b[?1049hb\x1b[1;31;42mc", "abc"),  # private parameters, several parameters
        ("a\x1bcb\x1b(Bc\x1b7d", "abcd"),  # reset, charset, save cursor
        ("a\x1b]8;;http://evil", "a8;;http://evil"),  # unterminated: the introducer goes, the text stays visible
        ("a\rb\x08c\x00d\x7fe\x85f\x07g", "abcdefg"),
        ("строка 1\n\tстрока 2", "строка 1\n\tстрока 2"),
        ("обычный текст «как есть» — №5", "обычный текст «как есть» — №5"),
    ],
)
def test_terminal_safe(raw, shown):
    assert terminal_safe(raw) == shown


def test_json_keeps_the_data_and_escapes_c1():
    data = {"t": f"{CLEAR}x\x7f{RED}"}
    text = json_terminal_safe(json.dumps(data, ensure_ascii=False))
    assert not UNSAFE.search(text) and json.loads(text) == data


def _page(url: str, role: str, section: str = "", **extra) -> dict:
    return {"url": url, "final_url": url, "status": 200, "role": role, "section": section, "microdata": [], "itemtypes": [], "links": [], "forms": [], **extra}


def hostile_site() -> dict:
    """A site artifact whose URLs, title, microdata and messages carry escapes."""
    base = "http://127.0.0.1:8000"
    doc = f"{base}/files/ustav.pdf{RED}"
    common = f"{base}/sveden/common/{LINK}"
    home = _page(f"{base}/", "home", title=f"{TITLE}МБОУ СОШ № 1{CLEAR}")
    home["links"] = [{"href": f"{base}/sveden/", "text": f"Сведения об образовательной организации{RED}"}]
    section = _page(common, "section", "common")
    section["microdata"] = [
        {"p": "fullName", "tag": "span", "t": f"{RED}МБОУ СОШ № 1{LINK}школа{LINK_END}"},
        {"p": "regDate", "tag": "span", "t": f"{CLEAR}\x1b[0m"},  # only escapes: empty to the eye
        {"p": "Address", "tag": "span", "t": f"г. Тула{TITLE}"},
    ]
    document = _page(f"{base}/sveden/document/", "section", "document")
    document["microdata"] = [{"p": "ustavDocLink", "tag": "a", "t": f"Устав{RED}", "h": [doc]}]
    return {
        "version": 2,
        "url": f"{base}/",
        "host": "127.0.0.1",
        "hosts": ["127.0.0.1"],
        "org_id": None,
        "org_type": None,
        "outcome": {"status": "ok", "message": "", "http_status": 200},
        "index": {"url": f"{base}/sveden/", "found_by": "link"},
        "sections": {
            "common": {"url": common, "found_by": "link", "page": 1, "addrefs": [], "status": 200, "final_url": common},
            "struct": {"url": f"{base}/sveden/struct/{CLEAR}", "found_by": "path", "page": -1, "addrefs": [], "status": 500,
                       "error_kind": "http_error", "error": f"сервер ответил 500: {LINK}подробнее{LINK_END}"},
            "document": {"url": f"{base}/sveden/document/", "found_by": "link", "page": 2, "addrefs": []},
        },
        "pages": [home, section, document],
        "probes": {doc: {"method": "GET", "status": None, "error_kind": "unreachable", "error": f"соединение сброшено{RED}{CLEAR}"}},
        "stats": {},
    }


def test_text_report_of_a_hostile_site_has_no_escapes():
    artifact = hostile_site()
    result = judge_site(artifact, None, org_type="school")
    raw = json.dumps(result, ensure_ascii=True)
    assert "\\u001b" in raw and "\\u009b" in raw  # the judged result does carry them: the renderer is the boundary
    text = render_text(result, verbose=True)
    assert not UNSAFE.search(text), [m.group() for m in UNSAFE.finditer(text)]
    # the visible text survives
    assert "http://127.0.0.1:8000/sveden/common/" in text and "Address" in text
    assert "http://127.0.0.1:8000/files/ustav.pdf" in text and "соединение сброшено" in text
    assert "сервер ответил 500: подробнее" in text


def test_unchecked_site_message_has_no_escapes():
    artifact = {"version": 2, "url": f"http://127.0.0.1:9/{RED}", "host": "127.0.0.1", "hosts": [], "outcome": {"status": "redirect_loop", "message": f"переадресация на {LINK}http://evil/{LINK_END}{CLEAR}", "http_status": None}, "pages": [], "sections": {}, "probes": {}}
    result = judge_site(artifact, None, org_type="school")
    text = render_text(result)
    assert not UNSAFE.search(text) and "переадресация на http://evil/" in text and "http://127.0.0.1:9/" in text


def test_cli_check_prints_no_escapes(monkeypatch, tmp_path):
    """`sveden check` in text and json form, and its message on stderr for a site not checked."""
    import sveden.checking
    from sveden.cli import build_app

    app = build_app()

    monkeypatch.setenv("SVEDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    for artifact, code in ((hostile_site(), 1), ({"version": 2, "url": "http://127.0.0.1:9/", "hosts": [], "outcome": {"status": "timeout", "message": f"{CLEAR}нет ответа{RED}", "http_status": None}, "pages": [], "sections": {}, "probes": {}}, 2)):
        monkeypatch.setattr(sveden.checking, "run_check", lambda url, org_type, settings=None, progress="", a=artifact: (judge_site(a, None, org_type="school"), a))
        for fmt in ("text", "json", "html"):
            proc = CliRunner().invoke(app, ["check", "http://127.0.0.1:8000/", "--no-store", "--format", fmt])
            assert proc.exit_code == code, proc.output
            assert not UNSAFE.search(proc.stdout) and not UNSAFE.search(proc.stderr), fmt
            assert code == 2 or "/files/ustav.pdf" in proc.stdout
        if code == 2:
            assert "Сайт не проверен: нет ответа" in proc.stderr
