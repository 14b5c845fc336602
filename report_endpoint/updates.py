"""Updates to reporters who ask for them, through a durable outbox.

- Opting in: a reporter who is not anonymous and gives an e-mail address may
  tick "Tell me by e-mail when there is news".  A random stop token goes
  into the encrypted contact details; only its SHA-256 is kept in the clear,
  to find the report when the link is used.
- Queueing: when an analyst's change moves the report's public stage, one
  message is queued in the same transaction as the change (queue_if_moved).
  It holds, encrypted, the recipient, the reference, the new stage and the
  stop token: never a reported address, the description, or anything an
  analyst wrote.  When the report is closed, the last update is queued and
  the contact details are deleted at once.
- Sending: send_due() claims one due message at a time (a lease, so two
  senders never take the same one), sends it (mail.py), then marks it sent
  and erases its recipient.  A refusal or a relay that is down puts it back
  with a growing delay (BACKOFF).  A sender killed before sending leaves it
  queued; its lease runs out and the next run sends it: nothing is lost, and
  a message is sent once (the .eml default is written under the same name
  whatever happens; an SMTP relay is asked only after the claim).
- deliver_now() runs right after an analyst's change, so a local run writes
  the .eml without anyone running another command; `ihc-analyst send-mail`
  (a systemd timer in production) retries what failed.
- Stopping: the link in every message asks, then deletes the contact
  details and any update not sent yet."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import urljoin

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import delete, or_, select, update

from . import db, mail
from .crypto import decrypt_contact, encrypt_contact
from .khmer_digits import khmer_digits
from .models import OutboxMessage, Report, utcnow
from .stages import public_stage, public_text

log = logging.getLogger(__name__)

STAGE_UPDATE = "stage_update"
# Seconds to wait after the 1st, 2nd, ... failure; then every 6 hours.
BACKOFF = (60, 300, 1800, 7200, 21600)
# How long a sender holds a message it claimed before another may take it.
LEASE = dt.timedelta(minutes=5)


def new_stop_token() -> tuple[str, str]:
    """A stop token and the hash kept in the clear."""
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_public_stage(report: Report) -> str:
    return public_stage(report.stage, [u.assessment for u in report.urls], report.all_known)


def queue_if_moved(report: Report, before: str) -> bool:
    """Queue an update if the reporter asked for them and the public stage
    is no longer `before`.  In the caller's transaction; True if queued."""
    after = current_public_stage(report)
    if after == before or not report.updates_wanted or report.contact is None:
        return False
    contact = decrypt_contact(report.contact)
    if not contact.get("email") or not contact.get("stop_token"):
        return False
    now = utcnow()
    payload = {"to": contact["email"], "reference": report.reference, "stage": after,
               "token": contact["stop_token"]}
    db.session().add(OutboxMessage(kind=STAGE_UPDATE, report_id=report.id, language=report.language,
                                   payload=encrypt_contact(payload), created_at=now, due_at=now, attempts=0))
    if after == "closed":
        forget_contact(report)  # the last update carries the address it needs
    return True


def forget_contact(report: Report) -> None:
    report.contact, report.updates_wanted, report.stop_token_hash = None, False, None


# ── The message ─────────────────────────────────────────────────────────────

def link(path: str, language: str, **query: str) -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/") + "/"
    prefix = "km/" if language == "km" else ""
    address = urljoin(base, prefix + path)
    if query:
        address += "?" + "&".join(f"{name}={value}" for name, value in query.items())
    return address


def spaced(reference: str, language: str) -> str:
    text = f"{reference[:4]} {reference[4:]}"
    return khmer_digits(text) if language == "km" else text


def compose(message_id: int, language: str, payload: dict) -> EmailMessage:
    """The update in the reporter's language: the reference, the new public
    stage and what it means, the status page, and how to stop updates."""
    with force_locale(language):
        label, meaning = public_text(payload["stage"])
        status_url = link("report/status/", language)
        stop_url = link("updates/stop/", language, t=payload["token"])
        body = "\n\n".join([
            _("Hello,"),
            _("There is news about the report you made to Internet Hotline Cambodia."),
            "\n".join([_("Reference: %(reference)s", reference=spaced(payload["reference"], language)),
                       _("Status: %(label)s", label=label), meaning]),
            _("You can check the status at any time on %(url)s", url=status_url),
            _("You asked us to tell you by e-mail when there is news. To stop these e-mails and delete your "
              "contact details, open this link: %(url)s", url=stop_url),
            _("Internet Hotline Cambodia, run by APLE Cambodia"),
        ])
        subject = _("News about your report")
    return envelope(f"update-{message_id}-{token_hash(payload['token'])[:12]}", language, payload["to"], subject,
                    body, unsubscribe=stop_url)


def envelope(name: str, language: str, to: str, subject: str, body: str,
             unsubscribe: str | None = None) -> EmailMessage:
    """A plain-text message from MAIL_FROM.  Its Message-ID is made from
    name, the same however many times it is tried: a receiver (and the .eml
    folder) sees one message."""
    message = EmailMessage()
    sender = current_app.config["MAIL_FROM"]
    message["From"] = sender
    message["To"] = formataddr(("", to))
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<ihc-{name}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
    # 8bit: Khmer stays readable in an .eml opened as text (relays speak 8BITMIME).
    message.set_content(body + "\n", charset="utf-8", cte="8bit")
    message["Content-Language"] = language
    return message


# Each kind of message in the outbox, and what writes it: (id, language, payload) -> EmailMessage.
# Other modules add theirs (partners.py).
COMPOSERS = {STAGE_UPDATE: compose}


# ── Sending ────────────────────────────────────────────────────────────────

def _claim(now: dt.datetime) -> OutboxMessage | None:
    """Take the next due message for LEASE, or None when none is due."""
    session = db.session()
    due = (OutboxMessage.sent_at.is_(None), OutboxMessage.payload.is_not(None), OutboxMessage.due_at <= now,
           or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
    while True:
        candidate = session.scalar(select(OutboxMessage.id).where(*due).order_by(OutboxMessage.due_at,
                                                                                  OutboxMessage.id).limit(1))
        if candidate is None:
            session.commit()
            return None
        taken = session.execute(update(OutboxMessage).where(OutboxMessage.id == candidate, *due)
                                .values(claimed_until=now + LEASE)).rowcount
        session.commit()
        if taken:
            return session.get(OutboxMessage, candidate)
        # Another sender took it first: look again.


def send_due(now: dt.datetime | None = None, limit: int = 200) -> dict:
    """Send what is due; counts of sent, failed (put back for later) and
    still pending."""
    sent = failed = 0
    transport = mail.transport()
    session = db.session()
    for _attempt in range(limit):
        now_ = now or utcnow()
        message = _claim(now_)
        if message is None:
            break
        payload = decrypt_contact(message.payload)
        try:
            transport.send(COMPOSERS[message.kind](message.id, message.language, payload))
        except mail.MailError as error:
            failed += 1
            message.attempts += 1
            wait = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
            message.due_at = now_ + dt.timedelta(seconds=wait)
            message.claimed_until, message.last_error = None, str(error)[:200]
            session.commit()
            log.warning("update not sent (attempt %d): %s; next try in %d s", message.attempts, error, wait)
            continue
        message.sent_at, message.payload, message.claimed_until, message.last_error = now_, None, None, None
        session.commit()
        sent += 1
    pending = session.query(OutboxMessage).filter(OutboxMessage.sent_at.is_(None),
                                                  OutboxMessage.payload.is_not(None)).count()
    session.commit()
    if sent or failed:
        log.info("updates: %d sent, %d not sent yet", sent, failed)
    return {"sent": sent, "failed": failed, "pending": pending}


def deliver_now() -> None:
    """Right after a change that queued an update: try to send it.  A relay
    that is down does not fail the analyst's change: the update stays
    queued for `ihc-analyst send-mail`."""
    try:
        send_due()
    except Exception:  # noqa: BLE001 - the change is committed; the message waits in the outbox
        db.session().rollback()
        log.exception("updates: sending failed; the messages stay queued")


def deliver_soon() -> None:
    """deliver_now() in a thread of its own, after the answer: a request
    whose answer must take the same time whether or not it queued a message
    (a password reset, partners.py) does not wait for the relay."""
    import threading

    app = current_app._get_current_object()

    def run():
        with app.app_context():
            try:
                deliver_now()
            finally:
                db.session().close()

    threading.Thread(target=run, name="ihc-deliver", daemon=True).start()


# ── Stopping ────────────────────────────────────────────────────────────────

def report_for_token(token: str) -> Report | None:
    if not token or len(token) > 100:
        return None
    return db.session().scalar(select(Report).where(Report.stop_token_hash == token_hash(token)))


def stop(token: str) -> bool:
    """Stop updates for the report this token belongs to: its contact
    details and any update not yet sent are deleted.  False if the token
    is unknown (or was used already)."""
    from .casework import audit  # the same audit trail as the analysts' changes
    report = report_for_token(token)
    if report is None:
        return False
    forget_contact(report)
    db.session().execute(delete(OutboxMessage).where(OutboxMessage.report_id == report.id,
                                                     OutboxMessage.sent_at.is_(None)))
    audit("reporter", "stop_updates", report.reference)
    db.session().commit()
    return True
