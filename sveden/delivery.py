"""``sveden deliver``: the month's reports by e-mail — each department its own, each school its own.

What goes out (everything from ``reports/``, nothing recomputed here):
- a department (municipality): a message in Russian whose body is the month's summary of its
  schools (``reports.monthly.department_context``: the figures, what changed since last month,
  who was not checked and why), with its report as PDF and the XLSX of its schools attached;
- a school (``--schools``): its report as PDF and the short list of what to fix
  (``reports.fixplan.fix_plan``) in the body.

Addresses: the contacts table (``sveden contacts import``) and the registry's e-mail columns
(«E-mail управления» — the department's, any other e-mail column — the school's).

The delivery log (``storage.models.Delivery``): one record per message and address. It is
committed as ``sending`` before the message is handed to the SMTP server and as ``sent`` or
``failed`` after, each in its own transaction. A re-run skips what was ``sent`` for the same
month, report and address; a record left ``sending`` (the process was killed mid-send: the
message may or may not have left) is reported as unknown and not resent — ``--force`` sends
both again. ``failed`` ones are tried again. A temporary SMTP failure (4xx, a dropped
connection) is retried with a doubling delay (``SVEDEN_SMTP_RETRIES``, ``SVEDEN_SMTP_RETRY_DELAY``);
a permanent one (5xx) is recorded and not retried.

SMTP settings come from the environment only; the password is never logged, stored or shown.
"""

from __future__ import annotations

import html
import logging
import os
import re
import smtplib
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reports import data, monthly, review_view, summary
from reports.assets import org_filename, unique_slugs
from reports.fixplan import fix_plan, plain_result
from storage import contacts as store
from storage import db, repository
from storage.models import Contact, Organization
from sveden.emails import is_department_header, is_email_header, parse_addresses

log = logging.getLogger(__name__)

SECURITY = ("starttls", "ssl", "none")


class DeliveryError(Exception):
    """Delivery cannot start (Russian message)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)
    sender: str
    timeout: float = 60.0
    retries: int = 3
    retry_delay: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        env = os.environ if env is None else env
        host = env.get("SVEDEN_SMTP_HOST", "").strip()
        sender = env.get("SVEDEN_SMTP_FROM", "").strip()
        if not host:
            raise DeliveryError("не задан SMTP-сервер: SVEDEN_SMTP_HOST (и SVEDEN_SMTP_PORT, SVEDEN_SMTP_SECURITY, SVEDEN_SMTP_USER, SVEDEN_SMTP_PASSWORD, SVEDEN_SMTP_FROM)")
        if not sender:
            raise DeliveryError("не задан адрес отправителя: SVEDEN_SMTP_FROM")
        try:
            sender = parse_addresses(sender)[0]
        except (ValueError, IndexError) as exc:
            raise DeliveryError(f"SVEDEN_SMTP_FROM: неверный адрес {exc}") from None
        security = env.get("SVEDEN_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in SECURITY:
            raise DeliveryError(f"SVEDEN_SMTP_SECURITY: «{security}» — допустимо starttls, ssl или none")
        default_port = {"ssl": 465, "starttls": 587, "none": 25}[security]

        def number(name: str, default: float, kind: type = float) -> Any:
            raw = env.get(name, "").strip()
            if not raw:
                return kind(default)
            try:
                value = kind(raw.replace(",", "."))
            except ValueError:
                raise DeliveryError(f"{name}: «{raw}» — нужно число") from None
            if value < 0:
                raise DeliveryError(f"{name}: «{raw}» — нужно неотрицательное число")
            return value

        return cls(
            host=host, port=number("SVEDEN_SMTP_PORT", default_port, int), security=security,
            user=env.get("SVEDEN_SMTP_USER", "").strip(), password=env.get("SVEDEN_SMTP_PASSWORD", ""), sender=sender,
            timeout=number("SVEDEN_SMTP_TIMEOUT", 60.0), retries=number("SVEDEN_SMTP_RETRIES", 3, int),
            retry_delay=number("SVEDEN_SMTP_RETRY_DELAY", 30.0),
        )

    def scrub(self, text: str) -> str:
        """``text`` without the password (defensive: servers do not echo it, exceptions might)."""
        return text.replace(self.password, "***") if self.password else text


# --------------------------------------------------------------------------- what to send


@dataclass
class Attachment:
    filename: str
    path: Path | None = None  # None in a dry run
    maintype: str = "application"
    subtype: str = "octet-stream"


@dataclass
class Parcel:
    kind: str  # department | school
    municipality: str
    org_id: str
    title: str  # whom it is for, as the report names it
    addresses: list[str]
    subject: str
    text: str
    html: str
    attachments: list[Attachment]


def _safe_filename(text: str, limit: int = 80) -> str:
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", text)
    return " ".join(text.split())[:limit].strip() or "отчёт"


def _fmt(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return "—"
    return (str(value).replace(".", ",")) + suffix


def _addresses(session: Any, orgs: dict[str, Organization]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(municipality → the department's addresses, org id → the school's addresses)."""
    depts: dict[str, list[str]] = {}
    schools: dict[str, list[str]] = {}

    def add(target: dict[str, list[str]], key: str, values: Sequence[str]) -> None:
        have = target.setdefault(key, [])
        for v in values:
            if v.lower() not in {h.lower() for h in have}:
                have.append(v)

    for c in session.scalars(select(Contact).order_by(Contact.id)):
        if c.org_id:
            add(schools, c.org_id, [c.email])
        else:
            add(depts, c.municipality, [c.email])
    for o in orgs.values():
        for header, value in (o.extra or {}).items():
            if not is_email_header(header):
                continue
            try:
                found = parse_addresses(str(value))
            except ValueError:
                continue  # refused at import; an older import may hold it
            add(depts if is_department_header(header) else schools, o.municipality if is_department_header(header) else o.id, found)
    return depts, schools


def department_body(ds: data.Dataset, trend: summary.Trend, muni: str, changes: dict[str, data.Changes],
                    review: dict[str, Any] | None = None) -> tuple[str, str]:
    """(plain text, HTML) of a department's message, from the department report's own context;
    ``review`` (``reports.review_view.department``) adds what is overdue against «принято к исправлению до»."""
    ctx = monthly.department_context(ds, trend, muni, changes, {}, monthly.Links(False, False, False), interactive=False)
    ind = ctx["ind"]
    lines = [
        "Здравствуйте!",
        "",
        f"Результаты ежемесячной проверки официальных сайтов образовательных организаций: {muni}, {ctx['month_title']}.",
        "",
        f"Организаций: {ind.total}; проверено сайтов: {ind.checked}; не проверено: {ind.not_checked + ind.no_result}.",
        f"Полностью соответствуют требованиям: {ind.compliant} ({_fmt(ind.compliant_share, ' %')} проверенных).",
        f"Средний П1.1 (сайт): {_fmt(ind.p1_1_mean)}; средний П1.2: {_fmt(ind.p1_2_mean)}; нарушений всего: {ind.fails_total}.",
        "",
    ]
    if ctx["prev_month"]:
        lines.append(f"Изменения с прошлого месяца ({ctx['prev_month_title']}): исправлено пунктов: {ctx['fixed_total']}; новых нарушений: {ctx['broken_total']}.")
        for r in ctx["changed_rows"]:
            parts = []
            if r["changes"] and r["changes"].fixed:
                parts.append(f"исправлено {len(r['changes'].fixed)}")
            if r["changes"] and r["changes"].broken:
                parts.append(f"новых нарушений {len(r['changes'].broken)}")
            if r["status_change"]:
                parts.append(r["status_change"])
            lines.append(f"  — {r['org'].name}: {'; '.join(parts)}")
    else:
        lines.append("Прошлого месяца для сравнения нет: это первый обход.")
    lines.append("")
    if review and review["overdue"]:
        lines.append(f"Просрочено — не исправлено к обещанному сроку ({len(review['overdue'])}):")
        for r in review["overdue"]:
            lines.append(f"  — {r['org'].name}: {r['rule']} «{r['title']}», срок до {r['due']}")
        lines.append("")
    if ctx["not_checked"]:
        lines.append(f"Не проверены ({len(ctx['not_checked'])}):")
        for r in ctx["not_checked"]:
            detail = f" ({r['error']})" if r["error"] else ""
            lines.append(f"  — {r['org'].name}: {r['reason']}{detail}")
    else:
        lines.append("Проверены сайты всех организаций.")
    lines += ["", "Во вложении: отчёт по муниципалитету (PDF) и таблица по организациям (XLSX).", "",
              "Письмо отправлено автоматически системой мониторинга сайтов."]
    text = "\n".join(lines) + "\n"
    return text, _html_of(lines)


def _html_of(lines: list[str]) -> str:
    out, in_list = [], False
    for line in lines:
        if line.startswith("  — "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{html.escape(line[4:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line:
            out.append(f"<p>{html.escape(line)}</p>")
    if in_list:
        out.append("</ul>")
    return '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"></head><body>' + "\n".join(out) + "</body></html>"


def school_body(org: data.Org, month: str, doc: dict[str, Any] | None, current: data.CheckRow | None) -> tuple[str, str]:
    lines = ["Здравствуйте!", "", f"Результаты проверки официального сайта за {summary.month_title(month)}: {org.name}", f"Сайт: {org.site_url}", ""]
    if doc is None or current is None:
        lines.append("Результата проверки за этот месяц нет: организация не входила в обход.")
    elif not current.checked:
        lines.append(f"Сайт не удалось проверить: {monthly.NOT_CHECKED_TITLES.get(current.outcome, current.outcome)}.")
    else:
        todo = fix_plan(plain_result(doc)).todo
        if todo:
            lines.append("Что исправить (самое важное — первым):")
            lines += [f"  — {t.line}" for t in todo]
        else:
            lines.append("Нарушений не найдено.")
    lines += ["", "Подробности — в отчёте во вложении (PDF).", "", "Письмо отправлено автоматически системой мониторинга сайтов."]
    return "\n".join(lines) + "\n", _html_of(lines)


def plan(session: Any, month: str | None, municipalities: Sequence[str], schools: bool) -> tuple[data.Dataset, list[Parcel], list[str]]:
    """What would be sent: (the dataset, the parcels without files, notes about whom nobody can reach)."""
    ds = data.load_dataset(session, month, municipalities)
    trend = summary.trend(ds)
    changes = data.item_changes(session, ds)
    view = review_view.load(session, ds)
    orgs = {o.id: o for o in session.scalars(select(Organization))}
    depts, school_addrs = _addresses(session, orgs)
    title = summary.month_title(ds.month)
    parcels: list[Parcel] = []
    notes: list[str] = []
    for muni in ds.municipalities:
        addrs = depts.get(muni, [])
        if not addrs:
            notes.append(f"{muni}: нет адреса управления — отчёт не отправлен (добавьте его: sveden contacts import)")
            continue
        text, body = department_body(ds, trend, muni, changes, review_view.department(ds, view, muni, {}))
        base = _safe_filename(f"{muni} {ds.month}")
        parcels.append(Parcel(
            "department", muni, "", muni, addrs, f"Мониторинг сайтов организаций: {muni}, {title}", text, body,
            [Attachment(f"Отчёт {base}.pdf", None, "application", "pdf"),
             Attachment(f"Организации {base}.xlsx", None, "application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")],
        ))
    if schools:
        with_result = [o for o in ds.scope if o in ds.current]
        docs = dict(zip(with_result, (d for _, d in repository.load_check_jsons(session, [ds.current[o].id for o in with_result])), strict=True))
        missing = 0
        for o in ds.scope:
            org = ds.orgs[o]
            addrs = school_addrs.get(o, [])
            if not addrs:
                missing += 1
                continue
            if o not in ds.current:
                notes.append(f"{org.name}: нет результата за месяц — отчёт не отправлен")
                continue
            text, body = school_body(org, ds.month, docs.get(o), ds.current.get(o))
            parcels.append(Parcel(
                "school", org.municipality, o, org.name, addrs, f"Сайт организации: что исправить — {title}", text, body,
                [Attachment(f"Отчёт о сайте {_safe_filename(org.short_name or org.name, 60)} {ds.month}.pdf", None, "application", "pdf")],
            ))
        if missing:
            notes.append(f"организаций без адреса: {missing} — их отчёты не отправлены")
    return ds, parcels, notes


def render_attachments(ds: data.Dataset, parcels: list[Parcel], out: Path, session: Any) -> None:
    """Write the PDFs and XLSX the parcels carry (``reports.build`` and ``reports.exports``)."""
    from reports import exports  # noqa: PLC0415
    from reports.build import build_reports  # noqa: PLC0415

    munis = sorted({p.municipality for p in parcels if p.kind == "department"})
    org_ids = sorted({p.org_id for p in parcels if p.kind == "school"})
    parts = (("departments",) if munis else ()) + (("schools",) if org_ids else ())
    if not parts:
        return
    filters = munis if not org_ids else sorted(set(munis) | {p.municipality for p in parcels if p.kind == "school"})
    build_reports(None, out, ds.month, filters, [], ("pdf",), parts=parts)
    slugs = unique_slugs(sorted({o.municipality for o in ds.orgs.values()}))
    for p in parcels:
        if p.kind == "department":
            p.attachments[0].path = out / "departments" / f"{slugs[p.municipality]}.pdf"
            muni_ds = data.load_dataset(session, ds.month, [p.municipality])
            written = exports.write_exports(session, muni_ds, summary.trend(muni_ds), out / "xlsx" / slugs[p.municipality], ["xlsx"])
            p.attachments[1].path = written[0]
        else:
            p.attachments[0].path = out / "schools" / f"{org_filename(p.org_id)}.pdf"


def build_message(parcel: Parcel, address: str, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = parcel.subject
    msg["From"] = sender
    msg["To"] = address
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg.set_content(parcel.text)
    msg.add_alternative(parcel.html, subtype="html")
    for a in parcel.attachments:
        assert a.path is not None
        msg.add_attachment(a.path.read_bytes(), maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    return msg


# --------------------------------------------------------------------------- sending


class SendFailure(Exception):
    def __init__(self, message: str, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


def _text(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value).strip()


def send_once(msg: EmailMessage, settings: SmtpSettings) -> str:
    """Hand the message to the server; raises :class:`SendFailure` saying whether to retry."""
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, settings.password)
            client.send_message(msg)
        return "принято сервером"
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        answer = "; ".join(f"{code} {_text(text)}" for code, text in exc.recipients.values())
        raise SendFailure(settings.scrub(f"сервер отклонил адрес: {answer}"), all(400 <= c < 500 for c in codes)) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendFailure(f"сервер не принял логин и пароль (SVEDEN_SMTP_USER, SVEDEN_SMTP_PASSWORD): {exc.smtp_code}", 400 <= exc.smtp_code < 500) from None
    except smtplib.SMTPResponseException as exc:
        raise SendFailure(settings.scrub(f"сервер ответил {exc.smtp_code} {_text(exc.smtp_error)}"), 400 <= exc.smtp_code < 500) from None
    except smtplib.SMTPServerDisconnected:
        raise SendFailure("сервер разорвал соединение", True) from None
    except ssl.SSLError as exc:
        raise SendFailure(f"ошибка TLS при соединении с {settings.host}:{settings.port} ({exc.reason or 'нет подробностей'})", False) from None
    except (TimeoutError, OSError) as exc:
        raise SendFailure(f"нет соединения с SMTP-сервером {settings.host}:{settings.port} ({exc.strerror or type(exc).__name__})", True) from None
    except smtplib.SMTPException as exc:
        raise SendFailure(settings.scrub(f"ошибка SMTP: {type(exc).__name__}"), False) from None


def send_with_retries(msg: EmailMessage, settings: SmtpSettings, on_attempt: Callable[[int, str], None] | None = None,
                      sleep: Callable[[float], None] = time.sleep) -> tuple[str, int, str]:
    """(``sent``/``failed``, attempts, message): a temporary failure is retried with a doubling delay."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return "sent", attempt, send_once(msg, settings)
        except SendFailure as exc:
            message = f"попытка {attempt}: {exc}"
            log.warning("Письмо %s не отправлено: %s", msg["To"], message)
            if not exc.temporary:
                return "failed", attempt, f"{exc} (постоянная ошибка, без повторов)"
            if attempt > settings.retries:
                return "failed", attempt, f"{exc} (временная ошибка; попыток: {attempt})"
            if on_attempt is not None:
                on_attempt(attempt, message)
            sleep(settings.retry_delay * 2 ** (attempt - 1))


# --------------------------------------------------------------------------- the command


@dataclass
class Line:
    """One address of one report, and what became of it."""

    parcel: Parcel
    address: str
    status: str  # sent | failed | skipped (already sent) | unknown (a pending record) | would_send
    message: str = ""


@dataclass
class DeliveryReport:
    month: str
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(ln.status in ("failed", "unknown") for ln in self.lines)


def deliver(month: str | None = None, municipalities: Sequence[str] = (), schools: bool = False, dry_run: bool = False,
            force: bool = False, db_url: str | None = None, env: Mapping[str, str] | None = None,
            progress: Callable[[Line], None] | None = None) -> DeliveryReport:
    """Send the month's reports; raises :class:`DeliveryError` or ``reports.data.ReportError`` before sending anything."""
    settings = None if dry_run else SmtpSettings.from_env(env)
    factory = db.open_database(db_url)
    try:
        with factory() as session:
            ds, parcels, notes = plan(session, month, municipalities, schools)
            report = DeliveryReport(ds.month, notes=notes)
            todo: list[Line] = []
            for p in parcels:
                for address in p.addresses:
                    earlier = store.previous_deliveries(session, ds.month, p.kind, p.municipality, p.org_id, address)
                    sent = next((d for d in earlier if d.status == "sent"), None)
                    pending = next((d for d in earlier if d.status == "sending"), None)
                    if sent is not None and not force:
                        line = Line(p, address, "skipped", f"уже отправлено {sent.finished_at:%d.%m.%Y %H:%M} UTC")
                    elif pending is not None and not force:
                        line = Line(p, address, "unknown", f"отправка {pending.started_at:%d.%m.%Y %H:%M} UTC была прервана — неизвестно, "
                                                           "дошло ли письмо; уточните у получателя и при необходимости повторите с --force")
                    else:
                        line = Line(p, address, "would_send")
                        todo.append(line)
                    report.lines.append(line)
            if dry_run or not todo:
                return report
            assert settings is not None
            with tempfile.TemporaryDirectory(prefix="sveden-deliver-") as tmp:
                render_attachments(ds, sorted({id(ln.parcel): ln.parcel for ln in todo}.values(), key=lambda p: (p.kind, p.municipality, p.org_id)), Path(tmp), session)
                session.rollback()  # nothing is held open while sending
                for line in todo:
                    _send_line(factory, ds.month, line, settings, force)
                    if progress is not None:
                        progress(line)
            return report
    finally:
        factory.kw["bind"].dispose()


def _send_line(factory: Any, month: str, line: Line, settings: SmtpSettings, force: bool) -> None:
    p = line.parcel
    msg = build_message(p, line.address, settings.sender)
    names = [a.filename for a in p.attachments]
    record = store.record_sending(factory, month=month, kind=p.kind, municipality=p.municipality, org_id=p.org_id,
                                  address=line.address, subject=p.subject, attachments=names, forced=force)
    status, attempts, message = send_with_retries(msg, settings, lambda n, m: store.record_attempt(factory, record, n, m))
    store.record_result(factory, record, status, attempts, message)
    line.status, line.message = status, message
