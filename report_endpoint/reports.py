"""Taking reports in and answering status checks: the public side."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import format_date
from sqlalchemy import bindparam, distinct, func, insert, select
from sqlalchemy.exc import IntegrityError

from . import db
from .crypto import encrypt_contact
from .i18n import local_digits
from .models import Report, ReportedUrl, utcnow
from .references import new_reference
from .stages import ILLEGAL, public_stage, public_text
from .updates import new_stop_token

log = logging.getLogger(__name__)


@dataclass
class NewReport:
    seen_on: str
    urls: list[str]
    description: str | None = None
    anonymous: bool = True
    contact: dict | None = None
    urgent: bool = False
    updates: bool = False    # "Tell me by e-mail when there is news" (updates.py)
    language: str = "en"     # the language it was made in: its updates are written in it


@dataclass
class Stored:
    reference: str
    public_stage: str  # "received", or "received_known" when every address was known


# The statements of the hot path, built once: SQLAlchemy caches their
# compiled form, so each request only binds its values.
KNOWN_URLS = select(ReportedUrl.url).where(ReportedUrl.url.in_(bindparam("urls", expanding=True)))
INSERT_REPORT = insert(Report).returning(Report.id)
INSERT_URLS = insert(ReportedUrl)
STATUS = db.DriverStatement(
    select(Report.stage, Report.all_known, Report.stage_changed_at, ReportedUrl.assessment)
    .outerjoin(ReportedUrl, ReportedUrl.report_id == Report.id)
    .where(Report.reference == bindparam("reference")))


def submit(new: NewReport) -> Stored:
    """Store a report; return its reference once it is committed (on disk).

    Contact details are dropped when the report is anonymous, even if sent.
    If the database stays locked past the lock timeout, db.Busy: nothing stored."""
    contact = stop_hash = None
    wants_updates = bool(new.updates and not new.anonymous and new.contact and new.contact.get("email"))
    if not new.anonymous and new.contact and any(new.contact.values()):
        details = {k: v for k, v in new.contact.items() if v}
        if wants_updates:
            details["stop_token"], stop_hash = new_stop_token()
        contact = encrypt_contact(details)
    now = utcnow()
    engine = db.engine()
    with db.sqlite_writer():
        for _attempt in range(10):  # a clash of random references is rare; try another
            reference = new_reference()
            try:
                with engine.begin() as connection:
                    known = set(connection.scalars(KNOWN_URLS, {"urls": new.urls}))
                    all_known = bool(new.urls) and all(url in known for url in new.urls)
                    report_id = connection.scalar(INSERT_REPORT, {
                        "reference": reference, "created_at": now, "seen_on": new.seen_on,
                        "description": new.description or None, "urgent": new.urgent, "anonymous": new.anonymous,
                        "contact": contact, "all_known": all_known, "stage": "received", "stage_changed_at": now,
                        "language": new.language, "updates_wanted": wants_updates, "stop_token_hash": stop_hash})
                    connection.execute(INSERT_URLS, [
                        {"report_id": report_id, "position": i, "url": url, "known_before": url in known}
                        for i, url in enumerate(new.urls)])
            except IntegrityError:
                continue
            # No reference, address or contact detail in the log: only that it happened.
            log.info("report stored (%d addresses%s)", len(new.urls), ", urgent" if new.urgent else "")
            return Stored(reference, public_stage("received", [], all_known))
    raise RuntimeError("could not allocate a reference")


def status(reference: str | None) -> dict:
    """The public answer for a reference: the same shape whether or not it exists.

    A read of its own, outside the writer's lock: in WAL mode it runs
    alongside a writer and never waits behind one."""
    rows = []
    if reference:
        rows = STATUS.rows(db.engine(), {"reference": reference})
    if not rows:
        key, date = "unknown", None
    else:
        stage, all_known, date = rows[0][0], bool(rows[0][1]), rows[0][2]
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
