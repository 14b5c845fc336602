"""Taking reports in and answering status checks: the public side."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass

from flask_babel import format_date
from sqlalchemy import distinct, func, select

from . import db
from .crypto import encrypt_contact
from .i18n import local_digits
from .models import Report, ReportedUrl, utcnow
from .references import new_reference
from .stages import ILLEGAL, public_stage, public_text

log = logging.getLogger(__name__)

@dataclass
class NewReport:
    seen_on: str
    urls: list[str]
    description: str | None = None
    anonymous: bool = True
    contact: dict | None = None
    urgent: bool = False


@dataclass
class Stored:
    reference: str
    public_stage: str  # "received", or "received_known" when every address was known


def submit(new: NewReport) -> Stored:
    """Store a report; return its reference once it is committed (on disk).

    Contact details are dropped when the report is anonymous, even if sent."""
    contact = None
    if not new.anonymous and new.contact and any(new.contact.values()):
        contact = encrypt_contact({k: v for k, v in new.contact.items() if v})
    now = utcnow()
    engine = db.engine()
    with db.sqlite_writer(), contextlib.closing(engine.raw_connection()) as connection:
        # The driver's own connection and SQL: this is the hot path of every
        # submission, and building statements costs more than running them.
        sql = db.driver_sql(engine)
        cursor = connection.cursor()
        marks = ", ".join("?" * len(new.urls))
        cursor.execute(sql(f"SELECT url FROM reported_urls WHERE url IN ({marks})"), tuple(new.urls))
        known = {row[0] for row in cursor.fetchall()}
        all_known = bool(new.urls) and all(url in known for url in new.urls)
        for _attempt in range(10):  # a clash of random references is rare; try another
            reference = new_reference()
            try:
                cursor.execute(sql(
                    "INSERT INTO reports (reference, created_at, seen_on, description, urgent, anonymous, contact,"
                    " all_known, stage, stage_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?) RETURNING id"),
                    (reference, now, new.seen_on, new.description or None, new.urgent, new.anonymous, contact,
                     all_known, now))
                report_id = cursor.fetchone()[0]
                cursor.executemany(
                    sql("INSERT INTO reported_urls (report_id, position, url, known_before) VALUES (?, ?, ?, ?)"),
                    [(report_id, i, url, url in known) for i, url in enumerate(new.urls)])
                connection.commit()
            except engine.dialect.dbapi.IntegrityError:
                connection.rollback()
                continue
            # No reference, address or contact detail in the log: only that it happened.
            log.info("report stored (%d addresses%s)", len(new.urls), ", urgent" if new.urgent else "")
            return Stored(reference, public_stage("received", [], all_known))
    raise RuntimeError("could not allocate a reference")


STATUS_SQL = ("SELECT r.stage, r.all_known, r.stage_changed_at, u.assessment FROM reports r"
              " LEFT JOIN reported_urls u ON u.report_id = r.id WHERE r.reference = ?")


def _timestamp(value) -> dt.datetime:
    """A stored timestamp: SQLite's driver gives text, PostgreSQL's a datetime."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def status(reference: str | None) -> dict:
    """The public answer for a reference: the same shape whether or not it exists."""
    rows = []
    if reference:
        engine = db.engine()
        with contextlib.closing(engine.raw_connection()) as connection:
            cursor = connection.cursor()
            cursor.execute(db.driver_sql(engine)(STATUS_SQL), (reference,))
            rows = cursor.fetchall()
            connection.rollback()  # end the read transaction before the connection goes back
    if not rows:
        key, date = "unknown", None
    else:
        stage, all_known, date = rows[0][0], bool(rows[0][1]), _timestamp(rows[0][2])
        key = public_stage(stage, [row[3] for row in rows], all_known)
    label, meaning = public_text(key)
    return {
        "reference": reference,
        "found": bool(rows),
        "stage": key,
        "label": label,
        "meaning": meaning,
        "date": date.date().isoformat() if date else None,
        "date_text": local_digits(format_date(date, format="long")) if date else None,
    }


def counters() -> dict:
    """Public counters: reports received, URLs confirmed as CSAM, URLs removed."""
    session = db.session()
    return {
        "reports_received": session.scalar(select(func.count(Report.id))),
        # An address counts once, however many reports named it.
        "urls_confirmed": session.scalar(
            select(func.count(distinct(ReportedUrl.url))).where(ReportedUrl.assessment.in_(ILLEGAL))),
        "urls_removed": session.scalar(
            select(func.count(distinct(ReportedUrl.url))).where(ReportedUrl.removed_at.is_not(None))),
    }
