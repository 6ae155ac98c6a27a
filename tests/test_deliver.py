"""``sveden deliver``: the month's reports by e-mail, against a real SMTP server on 127.0.0.1 (aiosmtpd).

The database comes from two real monthly runs over loopback sites (``sveden crawl``); the
message body's figures are compared with the stored results, the attachments are opened.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from compliant import compliant_site
from cikit import needed
from sitekit import serve

from checks.model import OrgType
from test_reports import FAST, _replace, pdf_available, sveden


pytestmark = [pytest.mark.slow]


@pytest.fixture
def pdf_renders():
    needed(pdf_available(), "PDF rendering (WeasyPrint, a dependency of sveden)")

REPO = Path(__file__).resolve().parents[1]
SEP, OCT = "2026-09", "2026-10"
CITY, VILLAGE = "Город", "Сельский район"
PASSWORD = "s3cr3t-Пароль"


class Handler:
    """Records every accepted message; ``temp_failures`` answers 451 that many times first;
    ``refuse`` answers 550 for those addresses; ``stall`` holds DATA for that many seconds."""

    def __init__(self, temp_failures: int = 0, refuse: tuple[str, ...] = (), stall: float = 0):
        self.messages: list[tuple[list[str], bytes]] = []
        self.temp_failures = temp_failures
        self.refuse = refuse
        self.stall = stall
        self.data_calls = 0
        self.data_started = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, N802
        if address in self.refuse:
            return "550 5.1.1 Нет такого ящика"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        self.data_calls += 1
        self.data_started.set()
        if self.stall:
            await asyncio.sleep(self.stall)
        if self.temp_failures > 0:
            self.temp_failures -= 1
            return "451 4.3.0 Попробуйте позже"
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Принято"


class SMTPServer:
    def __init__(self, handler: Handler):
        from aiosmtpd.controller import Controller

        self.handler = handler
        with socket.socket() as probe:  # aiosmtpd 1.4 cannot start on port 0: take a free one
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port, auth_require_tls=False)

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def env(self, base: dict[str, str], **extra: str) -> dict[str, str]:
        return {**base, "SVEDEN_SMTP_HOST": "127.0.0.1", "SVEDEN_SMTP_PORT": str(self.port), "SVEDEN_SMTP_SECURITY": "none",
                "SVEDEN_SMTP_FROM": "monitoring@rcoi.example.ru", "SVEDEN_SMTP_RETRY_DELAY": "0.01", "SVEDEN_SMTP_TIMEOUT": "20",
                "SVEDEN_SMTP_PASSWORD": PASSWORD, **extra}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deliver")
    db_url = f"sqlite:///{tmp / 'deliver.sqlite'}"
    env = {**os.environ, "SVEDEN_DATABASE_URL": db_url, "SVEDEN_PDF_WORKERS": "1"}
    school = compliant_site(OrgType.school)
    broken = _replace(school, "/sveden/common/", ('itemprop="email"', 'itemprop="Email"'))
    with ExitStack() as stack:
        live = {"good": dict(school), "breaking": dict(school), "far": dict(school)}
        urls = {name: stack.enter_context(serve(routes)).url + "/" for name, routes in live.items()}
        urls["down"] = "http://127.0.0.1:9/"
        rows = [("good", "МБОУ «Гимназия № 1»", CITY, urls["good"], "school1@example.ru"),
                ("breaking", "МБОУ «СОШ № 2»", CITY, urls["breaking"], ""),
                ("down", "МБОУ «СОШ № 3»", CITY, urls["down"], ""),
                ("far", "МБОУ «Сельская школа»", VILLAGE, urls["far"], "")]
        lines = ["Код;Полное наименование;Тип;Муниципалитет;Адрес сайта;E-mail организации"]
        lines += [f"{i};{n};школа;{m};{u};{e}" for i, n, m, u, e in rows]
        (tmp / "registry.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        imported = sveden(["registry", "import", str(tmp / "registry.csv")], env)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        first = sveden(["crawl", "--month", SEP, *FAST], env)
        assert first.returncode == 0, first.stderr[-3000:]
        live["breaking"].clear()
        live["breaking"].update(broken)
        second = sveden(["crawl", "--month", OCT, *FAST], env)
        assert second.returncode == 0, second.stderr[-3000:]
    (tmp / "contacts.csv").write_text(
        "Муниципалитет;E-mail;Код\n"
        f"{CITY};uo-city@example.ru, uo-city2@example.ru;\n"
        f"{VILLAGE};uo-village@example.ru;\n"
        f";school2@example.ru;breaking\n", encoding="utf-8")
    loaded = sveden(["contacts", "import", str(tmp / "contacts.csv")], env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return {"env": env, "db_url": db_url, "tmp": tmp}


def fresh_db(world, tmp_path) -> dict[str, str]:
    """A copy of the world's database: each test starts with an empty delivery log."""
    import shutil

    src = Path(world["db_url"].removeprefix("sqlite:///"))
    dst = tmp_path / "copy.sqlite"
    shutil.copy(src, dst)
    return {**world["env"], "SVEDEN_DATABASE_URL": f"sqlite:///{dst}"}


def parse(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def deliveries(env: dict[str, str]) -> list:
    from storage import contacts, db

    factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    try:
        with factory() as session:
            return [(d.kind, d.municipality, d.org_id, d.address, d.status, d.attempts, list(d.attachments), d.message)
                    for d in contacts.deliveries(session)]
    finally:
        factory.kw["bind"].dispose()


def test_bad_addresses_are_refused_on_import(world, tmp_path):
    env = fresh_db(world, tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"Муниципалитет;E-mail\n{CITY};uo@example.ru\n{VILLAGE};не адрес@\n", encoding="utf-8")
    res = sveden(["contacts", "import", str(bad)], env)
    assert res.returncode == 1
    assert "строка 3" in res.stderr and "не адрес@" in res.stderr and "Traceback" not in res.stderr
    reg = tmp_path / "reg.csv"
    reg.write_text("Код;Полное наименование;Тип;Муниципалитет;Адрес сайта;E-mail управления\n"
                   f"x1;МБОУ «Школа»;школа;{CITY};http://127.0.0.1:9/;uo@@example\n", encoding="utf-8")
    res = sveden(["registry", "import", str(reg)], env)
    assert res.returncode != 0 and "uo@@example" in (res.stdout + res.stderr)


def test_dry_run_lists_who_gets_what_and_sends_nothing(world, tmp_path):
    env = fresh_db(world, tmp_path)
    with SMTPServer(Handler()) as smtp:
        res = sveden(["deliver", "--month", OCT, "--schools", "--dry-run"], smtp.env(env))
        assert res.returncode == 0, res.stdout + res.stderr
        assert smtp.handler.messages == [] and smtp.handler.data_calls == 0
    out = res.stdout
    for address in ("uo-city@example.ru", "uo-city2@example.ru", "uo-village@example.ru", "school1@example.ru", "school2@example.ru"):
        assert address in out
    assert f"Отчёт {CITY} {OCT}.pdf" in out and f"Организации {CITY} {OCT}.xlsx" in out
    assert deliveries(env) == []


def expected_department(env: dict[str, str], muni: str) -> dict:
    """The department's figures, straight from the stored check JSON of each organization."""
    from sqlalchemy import select

    from storage import db, repository
    from storage.models import Check, Organization, Run

    factory = db.open_database(env["SVEDEN_DATABASE_URL"])
    try:
        with factory() as session:
            run = {r.month: r for r in session.scalars(select(Run).where(Run.kind == "monthly"))}
            orgs = {o.id: o for o in session.scalars(select(Organization).where(Organization.municipality == muni))}
            docs = {m: {c.org_id: repository.load_check_json(session, c.id) for c in session.scalars(select(Check).where(Check.run_id == run[m].id))
                        if c.org_id in orgs} for m in (SEP, OCT)}
    finally:
        factory.kw["bind"].dispose()
    cur = docs[OCT]
    checked = [o for o, d in cur.items() if d["reachable"]]
    fails = {m: {o: {i["rule"] for i in d["items"] if i["status"] == "fail"} for o, d in docs[m].items() if d["reachable"]} for m in (SEP, OCT)}
    both = [o for o in checked if o in fails[SEP]]
    passed_before = {o: {i["rule"] for i in docs[SEP][o]["items"] if i["status"] == "pass"} for o in both}
    passed_now = {o: {i["rule"] for i in cur[o]["items"] if i["status"] == "pass"} for o in both}
    return {
        "total": len(orgs), "checked": len(checked), "not_checked": [orgs[o].name for o in orgs if o not in checked],
        "fails_total": sum(len(fails[OCT][o]) for o in checked),
        "broken": sum(len(fails[OCT][o] & passed_before[o]) for o in both),
        "fixed": sum(len(fails[SEP][o] & passed_now[o]) for o in both),
    }


@pytest.mark.usefixtures("pdf_renders")
def test_departments_and_schools_get_their_reports(world, tmp_path):
    import openpyxl
    import pdfplumber

    env = fresh_db(world, tmp_path)
    with SMTPServer(Handler()) as smtp:
        res = sveden(["deliver", "--month", OCT, "--schools"], smtp.env(env))
        assert res.returncode == 0, res.stdout + res.stderr
        got = smtp.handler.messages
    assert PASSWORD not in res.stdout + res.stderr
    by_rcpt = {rcpt[0]: parse(raw) for rcpt, raw in got}
    assert sorted(by_rcpt) == sorted(["uo-city@example.ru", "uo-city2@example.ru", "uo-village@example.ru", "school1@example.ru", "school2@example.ru"])
    assert len(got) == 5

    msg = by_rcpt["uo-city@example.ru"]
    assert msg["Subject"] == f"Мониторинг сайтов организаций: {CITY}, октябрь 2026"
    assert msg["To"] == "uo-city@example.ru" and msg["From"] == "monitoring@rcoi.example.ru"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    exp = expected_department(env, CITY)
    assert f"Организаций: {exp['total']}; проверено сайтов: {exp['checked']}; не проверено: {len(exp['not_checked'])}." in text
    assert f"нарушений всего: {exp['fails_total']}." in text
    assert f"исправлено пунктов: {exp['fixed']}; новых нарушений: {exp['broken']}." in text
    assert exp["broken"] >= 1
    for name in exp["not_checked"]:
        assert name in text
    assert "МБОУ «СОШ № 2»: новых нарушений" in text
    assert "Организаций:" in html and "&laquo;" not in text
    files = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert sorted(files) == sorted([f"Отчёт {CITY} {OCT}.pdf", f"Организации {CITY} {OCT}.xlsx"])
    assert "filename*0*=utf-8''" in msg.as_string() or "filename*=utf-8''" in msg.as_string()  # RFC 2231
    with pdfplumber.open(io.BytesIO(files[f"Отчёт {CITY} {OCT}.pdf"])) as pdf:
        first = pdf.pages[0].extract_text() or ""
        assert len(pdf.pages) >= 1 and CITY in first
    wb = openpyxl.load_workbook(io.BytesIO(files[f"Организации {CITY} {OCT}.xlsx"]))
    assert {"Сводка", "Организации × подразделы", "Нарушения"} <= set(wb.sheetnames)
    names = {row[1] for row in wb["Организации × подразделы"].iter_rows(min_row=2, values_only=True)}
    assert "МБОУ «Сельская школа»" not in names and "МБОУ «Гимназия № 1»" in names

    school = by_rcpt["school2@example.ru"]
    body = school.get_body(("plain",)).get_content()
    assert "МБОУ «СОШ № 2»" in body and "Что исправить" in body and "нарушений: 1 — " in body.lower()
    [(name, content)] = [(p.get_filename(), p.get_content()) for p in school.iter_attachments()]
    assert name == f"Отчёт о сайте МБОУ «СОШ № 2» {OCT}.pdf"
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) >= 1

    log = deliveries(env)
    assert len(log) == 5 and {d[4] for d in log} == {"sent"}
    assert ("department", CITY, "", "uo-city@example.ru") in [d[:4] for d in log]
    assert all(PASSWORD not in str(d) for d in log)

    # A re-run sends nothing twice; --force does.
    with SMTPServer(Handler()) as smtp:
        again = sveden(["deliver", "--month", OCT, "--schools"], smtp.env(env))
        assert again.returncode == 0 and smtp.handler.messages == []
        assert "пропущено: 5" in again.stdout
        forced = sveden(["deliver", "--month", OCT, "--municipality", VILLAGE, "--force"], smtp.env(env))
        assert forced.returncode == 0, forced.stdout + forced.stderr
        assert [r for r, _ in smtp.handler.messages] == [["uo-village@example.ru"]]


def _deliver_in_process(env: dict[str, str], **kw):
    from sveden.delivery import deliver

    old = dict(os.environ)
    os.environ.update(env)
    try:
        return deliver(month=OCT, db_url=env["SVEDEN_DATABASE_URL"], env=env, **kw)
    finally:
        os.environ.clear()
        os.environ.update(old)


@pytest.mark.usefixtures("pdf_renders")
def test_temporary_failure_is_retried_and_permanent_is_not(world, tmp_path):
    env = fresh_db(world, tmp_path)
    with SMTPServer(Handler(temp_failures=2, refuse=("uo-city2@example.ru",))) as smtp:
        report = _deliver_in_process(smtp.env(env), municipalities=[CITY])
        got = [r[0] for r, _ in smtp.handler.messages]
    assert got == ["uo-city@example.ru"]
    log = {d[3]: d for d in deliveries(env)}
    assert log["uo-city@example.ru"][4] == "sent" and log["uo-city@example.ru"][5] == 3  # two 451, then accepted
    refused = log["uo-city2@example.ru"]
    assert refused[4] == "failed" and refused[5] == 1 and "550" in refused[7] and "без повторов" in refused[7]
    assert not report.ok
    # the failed one is tried again by a re-run; the sent one is not
    with SMTPServer(Handler()) as smtp:
        res = sveden(["deliver", "--month", OCT, "--municipality", CITY], smtp.env(env))
        assert [r[0] for r, _ in smtp.handler.messages] == ["uo-city2@example.ru"]
        assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.usefixtures("pdf_renders")
def test_killed_delivery_neither_duplicates_nor_forgets(world, tmp_path):
    env = fresh_db(world, tmp_path)
    with SMTPServer(Handler(stall=60)) as smtp:
        proc = subprocess.Popen([sys.executable, "-m", "sveden.cli", "deliver", "--month", OCT], env=smtp.env(env), cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert smtp.handler.data_started.wait(120), "the delivery never reached the server"
            time.sleep(0.3)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
        assert smtp.handler.messages == []
    pending = [d for d in deliveries(env) if d[4] == "sending"]
    assert len(pending) == 1
    stalled = pending[0][3]
    with SMTPServer(Handler()) as smtp:
        res = sveden(["deliver", "--month", OCT], smtp.env(env))
        sent_to = sorted(r[0] for r, _ in smtp.handler.messages)
    expected = sorted({"uo-city@example.ru", "uo-city2@example.ru", "uo-village@example.ru"} - {stalled})
    assert sent_to == expected
    assert res.returncode == 1
    assert f"НЕИЗВЕСТНО: управление «{CITY if 'city' in stalled else VILLAGE}» → {stalled}" in res.stdout
    assert "--force" in res.stdout and "Traceback" not in res.stderr
    # a third run: still nothing sent twice
    with SMTPServer(Handler()) as smtp:
        third = sveden(["deliver", "--month", OCT], smtp.env(env))
        assert smtp.handler.messages == [] and third.returncode == 1
