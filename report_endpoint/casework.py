"""The analysts' work on reports.  Every change is written to the audit trail
in the same transaction as the change itself."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from functools import lru_cache

from sqlalchemy import case, delete, select, update

from . import db, updates
from .crypto import decrypt_contact
from .models import AuditEvent, Notice, OutboxMessage, Report, ReportedUrl, utcnow
from .stages import ASSESSMENTS, INTERNAL_STAGES, NOTICE_RECIPIENTS


class CaseworkError(ValueError):
    """A request an analyst made that cannot be done, with the reason."""


def audit(actor: str, action: str, reference: str | None, **detail) -> None:
    db.session().add(AuditEvent(actor=actor, action=action, reference=reference,
                                detail=json.dumps(detail, ensure_ascii=False) if detail else None, at=utcnow()))


def _commit_and_tell(report: Report, before: str) -> None:
    """Commit a change; if it moved the public stage of a report whose
    reporter asked for updates, the update is queued in the same
    transaction, then sent at once if the relay takes it (updates.py)."""
    queued = updates.queue_if_moved(report, before)
    db.session().commit()
    if queued:
        updates.deliver_now()


def find(reference: str) -> Report:
    report = db.session().scalar(select(Report).where(Report.reference == reference))
    if report is None:
        raise CaseworkError(f"no report with reference {reference}")
    return report


def _url(report: Report, number: int) -> ReportedUrl:
    if not 1 <= number <= len(report.urls):
        raise CaseworkError(f"report {report.reference} has URLs 1 to {len(report.urls)}, not {number}")
    return report.urls[number - 1]


def queue() -> list[Report]:
    """Open reports: a child possibly in danger first, then oldest first."""
    return list(db.session().scalars(
        select(Report).where(Report.stage != "closed")
        .order_by(case((Report.urgent, 0), else_=1), Report.created_at, Report.id)))


def describe(report: Report, with_contact: bool = False) -> dict:
    data = {
        "reference": report.reference,
        "created_at": report.created_at.isoformat(timespec="seconds"),
        "seen_on": report.seen_on,
        "urgent": report.urgent,
        "anonymous": report.anonymous,
        "stage": report.stage,
        "stage_changed_at": report.stage_changed_at.isoformat(timespec="seconds"),
        "description": report.description,
        "urls": [{
            "number": i, "url": u.url, "known_before": u.known_before, "assessment": u.assessment,
            "hosting_country": u.hosting_country,
            "removed_at": u.removed_at.isoformat(timespec="seconds") if u.removed_at else None,
            "notices": [{"recipient": n.recipient, "sent_at": n.sent_at.isoformat(timespec="seconds"), "note": n.note}
                        for n in u.notices],
        } for i, u in enumerate(report.urls, 1)],
    }
    if with_contact and report.contact:
        # The stop token is the reporter's, not the analysts'.
        data["contact"] = {k: v for k, v in decrypt_contact(report.contact).items() if k != "stop_token"}
        data["updates_wanted"] = report.updates_wanted
    return data


def view(reference: str, actor: str, with_contact: bool = False) -> dict:
    report = find(reference)
    if with_contact:
        audit(actor, "view_contact", reference)  # reading contact details is recorded
        db.session().commit()
    return describe(report, with_contact)


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, as CLDR (Babel) names them."""
    from babel import Locale
    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


def assess(reference: str, number: int, assessment: str, actor: str, country: str | None = None) -> None:
    """Record one address's assessment and, if known, the country that hosts it."""
    if assessment not in ASSESSMENTS:
        raise CaseworkError(f"assessment must be one of {', '.join(ASSESSMENTS)}")
    country = (country or "").strip().upper() or None
    if country and country not in country_codes():
        raise CaseworkError(f"{country} is not an ISO 3166 country code (two letters, such as KH)")
    report = find(reference)
    before = updates.current_public_stage(report)
    url = _url(report, number)
    url.assessment, url.assessed_at = assessment, utcnow()
    if country:
        url.hosting_country = country
    audit(actor, "assess", reference, url=number, assessment=assessment, **({"country": country} if country else {}))
    _commit_and_tell(report, before)


def notify(reference: str, number: int, recipient: str, actor: str, note: str | None = None) -> None:
    if recipient not in NOTICE_RECIPIENTS:
        raise CaseworkError(f"recipient must be one of {', '.join(NOTICE_RECIPIENTS)}")
    report = find(reference)
    _url(report, number).notices.append(Notice(recipient=recipient, note=note, sent_at=utcnow()))
    audit(actor, "notify", reference, url=number, recipient=recipient)
    db.session().commit()


def mark_removed(reference: str, number: int, actor: str) -> None:
    report = find(reference)
    _url(report, number).removed_at = utcnow()
    audit(actor, "removed", reference, url=number)
    db.session().commit()


def move(reference: str, stage: str, actor: str) -> None:
    if stage not in INTERNAL_STAGES:
        raise CaseworkError(f"stage must be one of {', '.join(INTERNAL_STAGES)}")
    report = find(reference)
    previous, before = report.stage, updates.current_public_stage(report)
    report.stage, report.stage_changed_at = stage, utcnow()
    audit(actor, "stage", reference, previous=previous, stage=stage)
    _commit_and_tell(report, before)


EXPORT_FIELDS = ("reference", "created_at", "seen_on", "urgent", "stage", "url_number", "url", "assessment",
                 "hosting_country", "removed_at")


def export_rows(since: dt.datetime | None = None) -> list[dict]:
    """One row per reported URL, for entry into ICCAM.  No contact details."""
    statement = select(Report).order_by(Report.created_at, Report.id)
    if since:
        statement = statement.where(Report.created_at >= since)
    rows = []
    for report in db.session().scalars(statement):
        for i, url in enumerate(report.urls, 1):
            rows.append({
                "reference": report.reference, "created_at": report.created_at.isoformat(timespec="seconds"),
                "seen_on": report.seen_on, "urgent": report.urgent, "stage": report.stage, "url_number": i,
                "url": url.url, "assessment": url.assessment or "", "hosting_country": url.hosting_country or "",
                "removed_at": url.removed_at.isoformat(timespec="seconds") if url.removed_at else "",
            })
    return rows


def export(fmt: str, actor: str, since: dt.datetime | None = None) -> str:
    rows = export_rows(since)
    audit(actor, "export", None, format=fmt, rows=len(rows))
    db.session().commit()
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def purge(actor: str, report_days: int, contact_days: int, now: dt.datetime | None = None) -> dict:
    """Delete reports older than report_days and contact details older than
    contact_days.  Deletion is real (SECURITY.md, "Deletion"):
    - the rows are gone, and SQLite overwrites their pages (secure_delete),
      then rebuilds the file (VACUUM) and cuts the WAL to zero bytes, so no
      file of the instance still holds a purged description, address,
      reference or contact record;
    - the audit trail keeps who did what and when, but no longer the
      reference of a purged report."""
    now = now or utcnow()
    session = db.session()
    report_cutoff = now - dt.timedelta(days=report_days)
    contact_cutoff = now - dt.timedelta(days=contact_days)
    old = session.execute(select(Report.id, Report.reference).where(Report.created_at < report_cutoff)).all()
    if old:
        ids, references = [row.id for row in old], [row.reference for row in old]
        url_ids = select(ReportedUrl.id).where(ReportedUrl.report_id.in_(ids))
        session.execute(delete(Notice).where(Notice.url_id.in_(url_ids)))
        session.execute(delete(ReportedUrl).where(ReportedUrl.report_id.in_(ids)))
        session.execute(delete(OutboxMessage).where(OutboxMessage.report_id.in_(ids)))
        session.execute(delete(Report).where(Report.id.in_(ids)))
        session.execute(update(AuditEvent).where(AuditEvent.reference.in_(references)).values(reference=None))
    cleared = session.execute(
        update(Report).where(Report.contact.is_not(None), Report.created_at < contact_cutoff)
        .values(contact=None, updates_wanted=False, stop_token_hash=None)
    ).rowcount
    # Updates of those reports that were never sent go with their address.
    session.execute(delete(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at < contact_cutoff))
    audit(actor, "purge", None, reports=len(old), contacts=cleared, report_days=report_days, contact_days=contact_days)
    session.commit()
    engine = session.get_bind()
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM")  # leave no deleted text in free pages
        db.truncate_wal(engine)  # nor in the write-ahead log
    else:
        # PostgreSQL: reclaim the deleted rows' space now rather than at the next autovacuum.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM reports, reported_urls, notices, audit_events, outbox")
    return {"reports_deleted": len(old), "contacts_deleted": cleared}
