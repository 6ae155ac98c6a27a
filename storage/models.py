"""SQLAlchemy 2 models of everything sveden keeps.

Portable between SQLite and PostgreSQL: plain ``JSON`` columns, strings instead of native
enums (the vocabularies below are checked by ``storage.repository``), timestamps that are
always timezone-aware UTC (:class:`UTCDateTime`). The schema itself is created only by the
Alembic migrations in ``storage/migrations`` (``alembic check`` keeps the two in step).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Vocabularies (kept as strings in the database).
ORG_TYPES = ("school", "kindergarten", "college", "university", "additional", "dpo")
RUN_KINDS = ("check", "monthly")
RUN_STATUSES = ("running", "finished", "interrupted", "failed")
CHECK_OUTCOMES = (
    "ok",
    "no_sveden_section",
    "unreachable",
    "timeout",
    "tls_error",
    "http_error",
    "blocked",
    "robots_disallowed",
    "redirect_loop",
    "too_large",
    "bad_url",
    "forbidden_address",
    "error",
    "time_budget",
)
BUSGOV_STATUSES = ("ok", "not_found", "unreachable", "changed_shape", "blocked")

# Deterministic constraint names, so that migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as naive
    UTC and given back with ``tzinfo=UTC``. Naive input is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        str: String(),
    }


class Organization(Base):
    """An organization of the registry. Never deleted: checks refer to it (``active`` instead)."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(primary_key=True)  # registry id, or the ИНН
    inn: Mapped[str | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str] = mapped_column(Text, default="")
    org_type: Mapped[str]
    municipality: Mapped[str] = mapped_column(index=True)  # the МОУО («department») it reports to
    site_url: Mapped[str] = mapped_column(Text)
    busgov_agency_id: Mapped[int | None] = mapped_column(BigInteger)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # extra grouping columns of the registry
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One monitoring run (``monthly``) or one ad-hoc ``check`` invocation."""

    __tablename__ = "runs"
    __table_args__ = (Index(None, "kind", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str]
    month: Mapped[str | None]  # "YYYY-MM"; None for ad-hoc checks
    status: Mapped[str] = mapped_column(default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    rules_version: Mapped[str] = mapped_column(default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    totals: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Check(Base):
    """The check JSON of one site within a run; the items live in :class:`ItemResult`.

    One per (run, organization); ad-hoc checks of a bare URL have no organization
    (NULLs are distinct in the unique constraint on both databases).
    """

    __tablename__ = "checks"
    __table_args__ = (UniqueConstraint("run_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    org_type: Mapped[str]
    outcome: Mapped[str] = mapped_column(index=True)
    reachable: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime]
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # items by status
    p1_1_site: Mapped[float | None] = mapped_column(Float)  # НОКО 1.1, the site part
    p1_2: Mapped[int | None] = mapped_column(Integer)  # НОКО 1.2 points
    feedback: Mapped[dict[str, Any] | None]
    scores: Mapped[dict[str, Any] | None]
    sections: Mapped[list[Any]] = mapped_column(default=list)
    rules_version: Mapped[str] = mapped_column(default="")
    # Keys of the check JSON without a column of their own, and the order of all keys, so
    # that ``load_check_json`` gives back exactly what was saved: {"keys": [...], "values": {...}}.
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    items: Mapped[list[ItemResult]] = relationship(
        back_populates="check", order_by="ItemResult.position", cascade="all, delete-orphan", passive_deletes=True
    )
    audit_rows: Mapped[list[AuditResultRow]] = relationship(
        back_populates="check", order_by="AuditResultRow.position", cascade="all, delete-orphan", passive_deletes=True
    )
    artifact: Mapped[Artifact | None] = relationship(back_populates="check", cascade="all, delete-orphan", passive_deletes=True)


class ItemResult(Base):
    """One item rule's result within a check (one per rule of the catalogue)."""

    __tablename__ = "item_results"
    __table_args__ = (Index(None, "rule", "status"), Index(None, "status"))

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # order in the check JSON
    rule: Mapped[str]
    section: Mapped[str]
    parent: Mapped[str] = mapped_column(default="")
    itemprop: Mapped[str]
    status: Mapped[str]
    evidence_url: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any] | None]  # keys an item may gain later

    check: Mapped[Check] = relationship(back_populates="items")


class AuditResultRow(Base):
    """One result of an audit that is not an item rule (the check JSON's ``audits``): feedback
    channels, НОКО on the site, regional rules and every later group. Rows, not JSON, so that
    reports count and list them with the item results (``«Нарушения»``, the most failed)."""

    __tablename__ = "audit_results"
    __table_args__ = (Index(None, "rule", "status"), Index(None, "status"))

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # order in the check JSON
    rule: Mapped[str]  # the audit's code
    group: Mapped[str]  # ``checks.model.Audit.group``
    status: Mapped[str]
    evidence_url: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any] | None]  # the rest of the result (``evidence``, later keys)

    check: Mapped[Check] = relationship(back_populates="audit_rows")


class Artifact(Base):
    """The site artifact of a check, zlib-compressed JSON: checks can be re-run without crawling."""

    __tablename__ = "artifacts"

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)  # bytes of the uncompressed JSON

    check: Mapped[Check] = relationship(back_populates="artifact")


class BusGovResult(Base):
    """What bus.gov.ru publishes about an organization, fetched during a run."""

    __tablename__ = "busgov_results"
    __table_args__ = (UniqueConstraint("run_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[str]
    agency_id: Mapped[int | None] = mapped_column(BigInteger)
    # The artifact's card plus the audits' flags ``site_url_differs``/``inn_differs`` (reports read them)
    card: Mapped[dict[str, Any] | None]
    # {"rating_year", "openness", "comfort", "timeout" (accessibility), "goodwill", "contentment", ...}
    nok: Mapped[dict[str, Any] | None]
    message: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the crawler gathered (``artifacts.schema.BusGovArtifact``), re-judged by ``sveden recheck``;
    # None on rows stored before it was kept.
    artifact: Mapped[dict[str, Any] | None]
    # The bus.gov.ru audits' results (``checks.audits.busgov``).
    audits: Mapped[list[Any] | None]


DELIVERY_KINDS = ("department", "school")
DELIVERY_STATUSES = ("sending", "sent", "failed")


class Contact(Base):
    """An e-mail address a month's report goes to: a department's (``org_id`` empty) or a school's.

    Filled by ``sveden contacts import`` (the whole table is replaced by each import); the
    registry's own e-mail columns (kept in :attr:`Organization.extra`) are read beside it.
    """

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("municipality", "org_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(index=True)
    org_id: Mapped[str] = mapped_column(default="")  # "" for the department itself
    email: Mapped[str]
    row: Mapped[int | None] = mapped_column(Integer)  # the row of the contacts file
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One message of a month's report to one address, and what became of it.

    ``sending`` is committed before the message is handed to the SMTP server and ``sent`` (or
    ``failed``) after, each in its own transaction: a record left ``sending`` means the process
    died in between, and nobody knows whether the message left; it is reported, never resent
    without ``--force``.
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index(None, "month", "kind", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str]
    kind: Mapped[str]  # DELIVERY_KINDS
    municipality: Mapped[str]
    org_id: Mapped[str] = mapped_column(default="")  # "" for a department's report
    address: Mapped[str]
    subject: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(default=list)  # file names
    status: Mapped[str] = mapped_column(default="sending")  # DELIVERY_STATUSES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")  # the SMTP server's answer or the error, Russian
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


REVIEW_DECISIONS = ("confirmed", "disputed", "not_applicable", "fix_planned")


class ReviewDecision(Base):
    """A reviewer's decision on a finding (organization × audit code): ``sveden review``, the XLSX round trip.

    Append-only: a decision is never changed or deleted; a later one on the same pair supersedes it,
    so the rows are the audit trail. ``basis_*`` is the evidence the decision was made on (the month's
    finding and a fingerprint of its page): it applies to later months while that evidence is unchanged.
    """

    __tablename__ = "review_decisions"
    __table_args__ = (Index(None, "org_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    rule: Mapped[str]  # the audit code
    decision: Mapped[str]  # REVIEW_DECISIONS
    reason: Mapped[str] = mapped_column(Text, default="")  # the reviewer's comment, the reason «не применяется»
    evidence_url: Mapped[str] = mapped_column(Text, default="")  # where the information is («оспорено»)
    due_date: Mapped[date | None] = mapped_column(Date)  # «принято к исправлению до»
    author: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(Text, default="")  # «командная строка», «файл X.xlsx, строка N»
    month: Mapped[str]  # the month whose finding it was made on
    check_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: a recheck replaces checks, the trail stays
    basis_status: Mapped[str] = mapped_column(default="")
    basis_message: Mapped[str] = mapped_column(Text, default="")
    basis_url: Mapped[str] = mapped_column(Text, default="")
    basis_hash: Mapped[str | None]  # fingerprint of the finding's page (``artifacts.evidence``); None: none was read


class DocumentFact(Base):
    """What a linked document was when last downloaded (``artifacts.schema.DocumentFacts``), by its URL.

    Never the document itself: its validators and hash let next month's crawl ask with
    If-None-Match / If-Modified-Since, or compare the hash, and reuse the facts of an unchanged
    document (``sveden.doccache``). One row per URL, replaced on each download.
    """

    __tablename__ = "documents"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the URL: URLs outgrow index limits
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(Text, default="")
    last_modified: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
