"""What is stored: reports, their URLs, notices, and the audit trail.

No IP address, user agent or other client detail is stored anywhere.
Contact details are stored only encrypted (crypto.py), and only when the
reporter turned anonymity off."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    seen_on: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    contact: Mapped[bytes | None] = mapped_column(LargeBinary)  # Fernet token
    all_known: Mapped[bool] = mapped_column(Boolean, default=False)
    stage: Mapped[str] = mapped_column(String(32), default="received", index=True)
    stage_changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The language the report was made in: its updates are written in it.
    language: Mapped[str] = mapped_column(String(8), default="en")
    # The reporter asked to be told by e-mail when there is news (updates.py).
    updates_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of the token in every update's "stop updates" link; the token
    # itself is kept only inside the encrypted contact details.
    stop_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    urls: Mapped[list[ReportedUrl]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportedUrl.position")


class ReportedUrl(Base):
    __tablename__ = "reported_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text, index=True)
    known_before: Mapped[bool] = mapped_column(Boolean, default=False)
    assessment: Mapped[str | None] = mapped_column(String(32))
    assessed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Where the material is hosted (ISO 3166-1 alpha-2), found at assessment:
    # it decides who gets the notice (the police here, or a partner hotline).
    hosting_country: Mapped[str | None] = mapped_column(String(2))

    report: Mapped[Report] = relationship(back_populates="urls")
    notices: Mapped[list[Notice]] = relationship(back_populates="url", cascade="all, delete-orphan")


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url_id: Mapped[int] = mapped_column(ForeignKey("reported_urls.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    url: Mapped[ReportedUrl] = relationship(back_populates="notices")


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(8), index=True)
    detail: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A message waiting to be sent, queued in the same transaction as what
    it tells of (updates.py).  Its recipient and stop link are in payload,
    encrypted like contact details, and erased once it is sent; the text is
    written only when it is sent.  Never a reported address or anything an
    analyst wrote."""
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # Fernet token: recipient and what to say
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))


class Partner(Base):
    """An account in the partners' area (partners.py): asked for on the
    site, approved or refused from the command line."""
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)   # lower case
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(16), default="requested")     # requested, approved, refused
    password_hash: Mapped[str | None] = mapped_column(String(200))           # argon2id
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)          # Fernet token
    totp_last_step: Mapped[int | None] = mapped_column(Integer)             # a code is used once
    # Every session carries the epoch it began in; "sign out everywhere" moves it on.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PartnerToken(Base):
    """A one-time link: set a first password (after approval) or a new one."""
    __tablename__ = "partner_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))                        # welcome, reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SignInThrottle(Base):
    """Failed sign-ins per account name, kept alike for addresses that have
    an account and those that do not (key: an HMAC of the e-mail), so the
    throttle itself tells no one which accounts exist."""
    __tablename__ = "signin_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Analyst(Base):
    """An account in the analysts' workspace (workspace/accounts.py): made
    by an admin, enrolled through a one-time link (a passphrase and a TOTP
    second factor, both required)."""
    __tablename__ = "analysts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, index=True)   # the sign-in name, lower case
    role: Mapped[str] = mapped_column(String(16), default="analyst")         # analyst, admin
    language: Mapped[str] = mapped_column(String(8), default="en")
    passphrase_hash: Mapped[str | None] = mapped_column(String(200))         # argon2id
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)          # Fernet token
    totp_last_step: Mapped[int | None] = mapped_column(Integer)             # a code is used once
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AnalystToken(Base):
    """A one-time enrolment link (a new account, or a fresh enrolment an
    admin asks for when a phone is lost)."""
    __tablename__ = "analyst_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analyst_id: Mapped[int] = mapped_column(ForeignKey("analysts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class HealthCheck(Base):
    """One row /healthz rewrites: proof that the database takes a commit."""
    __tablename__ = "health_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
