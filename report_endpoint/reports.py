"""Taking reports in and answering status checks: the public side."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import format_date
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import db
from .crypto import encrypt_contact
from .i18n import local_digits
from .models import Report, ReportedUrl, utcnow
from .references import new_reference
from .stages import ILLEGAL, PUBLIC, public_stage

log = logging.getLogger(__name__)

SEEN_ON = ("website", "social_media", "chat", "email", "file_sharing", "game", "livestream", "other")


@dataclass
class NewReport:
    seen_on: str
    urls: list[str]
    description: str | None = None
    anonymous: bool = True
    contact: dict | None = None
    urgent: bool = False


def submit(new: NewReport) -> Report:
    """Store a report and return it once it is committed (durably, on disk).

    Contact details are dropped when the report is anonymous, even if sent."""
    session = db.session()
    known = set(session.scalars(select(ReportedUrl.url).where(ReportedUrl.url.in_(new.urls))))
    contact = None
    if not new.anonymous and new.contact and any(new.contact.values()):
        contact = encrypt_contact({k: v for k, v in new.contact.items() if v})
    for _attempt in range(10):  # a clash of random references is rare; try another
        report = Report(
            reference=new_reference(), seen_on=new.seen_on, description=new.description or None,
            urgent=new.urgent, anonymous=new.anonymous, contact=contact,
            all_known=bool(new.urls) and all(url in known for url in new.urls),
            stage="received", created_at=utcnow(), stage_changed_at=utcnow(),
            urls=[ReportedUrl(position=i, url=url, known_before=url in known) for i, url in enumerate(new.urls)],
        )
        session.add(report)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            continue
        # No reference, address or contact detail in the log: only that it happened.
        log.info("report stored (%d addresses%s)", len(new.urls), ", urgent" if new.urgent else "")
        return report
    raise RuntimeError("could not allocate a reference")


def status(reference: str | None) -> dict:
    """The public answer for a reference: the same shape whether or not it exists."""
    report = db.session().scalar(select(Report).where(Report.reference == reference)) if reference else None
    if report is None:
        key, date = "unknown", None
    else:
        key = public_stage(report.stage, [u.assessment for u in report.urls], report.all_known)
        date = report.stage_changed_at
    label, meaning = PUBLIC[key]
    return {
        "reference": reference,
        "found": report is not None,
        "stage": key,
        "label": str(label),
        "meaning": str(meaning),
        "date": date.date().isoformat() if date else None,
        "date_text": local_digits(format_date(date, format="long")) if date else None,
    }


def counters() -> dict:
    """Public counters: reports received, URLs confirmed as CSAM, URLs removed."""
    session = db.session()
    return {
        "reports_received": session.scalar(select(func.count(Report.id))),
        "urls_confirmed": session.scalar(select(func.count(ReportedUrl.id)).where(ReportedUrl.assessment.in_(ILLEGAL))),
        "urls_removed": session.scalar(select(func.count(ReportedUrl.id)).where(ReportedUrl.removed_at.is_not(None))),
    }
