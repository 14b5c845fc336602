"""The partners' area: accounts for the hotline's partners (trained
teachers, NGO caseworkers, police, internet companies), who download the
restricted packs.  The pages are partner_web.py; this is what they do.

- Asking: a name, organisation, role and e-mail, and the terms agreed.  The
  answer is the same whether or not the address already has an account.
- Deciding: `ihc-analyst partner list | approve | refuse | remove EMAIL`.
  Approval e-mails a one-time link (WELCOME_LINK) to set a password;
  refusal says so.  Both go through the outbox (updates.py), in the
  language the partner asked in.
- Signing in: argon2id passwords with a strength check (passwords.py); an
  optional TOTP second factor, each code used once; failures throttled per
  account name (signin_throttle.py) and per address (the rate limiter, kind "signin").  The answer
  to any failure is the same sentence, and an unknown e-mail costs the
  same password check as a known one.
- Sessions: the signed session cookie holds the partner's id, the epoch it
  began in, and when it was last used: 30 minutes idle ends it, and "sign
  out everywhere" moves the epoch on, which ends every other session.
- A forgotten password: a one-time link valid for an hour (RESET_LINK).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from flask import session
from sqlalchemy import delete, select

from . import casework, db, passwords, second_factor, signin_throttle, updates
from .crypto import encrypt_contact
from .models import Partner, PartnerToken, utcnow

ROLES = ("teacher", "caseworker", "police", "internet_company", "other")
WELCOME_LINK = dt.timedelta(hours=48)
RESET_LINK = dt.timedelta(hours=1)
IDLE = dt.timedelta(minutes=30)


def audit(actor: str, action: str, **detail) -> None:
    """An event in the analysts' audit trail (casework.audit), with no report reference."""
    casework.audit(actor, action, None, **detail)


def normalised(email: str) -> str:
    return (email or "").strip().lower()


def find(email: str) -> Partner | None:
    return db.session().scalar(select(Partner).where(Partner.email == normalised(email)))


class PartnerError(ValueError):
    """A command that cannot be done, with the reason (command line)."""


# ── Asking, and the hotline's decision ──────────────────────────────────────

def request_account(name: str, organisation: str, role: str, email: str, language: str) -> None:
    """Store a request, unless the address has an account or a request already."""
    session_ = db.session()
    if find(email) is None:
        session_.add(Partner(email=normalised(email), name=name.strip(), organisation=organisation.strip(),
                             role=role, language=language, status="requested", session_epoch=0,
                             created_at=utcnow()))
        audit("public", "partner_request")
    session_.commit()


def listing(status: str | None = None) -> list[Partner]:
    statement = select(Partner).order_by(Partner.created_at, Partner.id)
    if status:
        statement = statement.where(Partner.status == status)
    return list(db.session().scalars(statement))


def _decided(email: str) -> Partner:
    partner = find(email)
    if partner is None:
        raise PartnerError(f"no partner or request with the address {normalised(email)}")
    return partner


def new_token(partner: Partner, purpose: str, lifetime: dt.timedelta) -> str:
    token = secrets.token_urlsafe(32)
    db.session().add(PartnerToken(partner_id=partner.id, purpose=purpose, token_hash=updates.token_hash(token),
                                  expires_at=utcnow() + lifetime))
    return token


def approve(email: str, actor: str) -> None:
    partner = _decided(email)
    if partner.status == "approved" and partner.password_hash:
        raise PartnerError(f"{partner.email} is already approved and has a password")
    partner.status, partner.decided_at = "approved", utcnow()
    db.session().flush()
    token = new_token(partner, "welcome", WELCOME_LINK)
    _queue(partner, "partner_approved", link=updates.link("partners/password/", partner.language, t=token))
    audit(actor, "partner_approve", partner=partner.id)
    db.session().commit()
    updates.deliver_now()


def refuse(email: str, actor: str) -> None:
    partner = _decided(email)
    if partner.status != "requested":
        raise PartnerError(f"{partner.email} is {partner.status}: only a request can be refused (use remove)")
    partner.status, partner.decided_at = "refused", utcnow()
    _queue(partner, "partner_refused")
    audit(actor, "partner_refuse", partner=partner.id)
    db.session().commit()
    updates.deliver_now()


def remove(email: str, actor: str) -> None:
    """Delete the account (its sessions end with it) or the request."""
    partner = _decided(email)
    audit(actor, "partner_remove", partner=partner.id)
    db.session().execute(delete(PartnerToken).where(PartnerToken.partner_id == partner.id))
    db.session().delete(partner)
    db.session().commit()


def _queue(partner: Partner, kind: str, **extra: str) -> None:
    from .models import OutboxMessage
    now = utcnow()
    payload = {"to": partner.email, "name": partner.name, **extra}
    db.session().add(OutboxMessage(kind=kind, report_id=None, language=partner.language,
                                   payload=encrypt_contact(payload), created_at=now, due_at=now, attempts=0))


# ── One-time links ─────────────────────────────────────────────────────────

def token_partner(token: str) -> tuple[PartnerToken, Partner] | None:
    """The valid, unused, unexpired link and its partner, or None."""
    if not token or len(token) > 100:
        return None
    found = db.session().scalar(select(PartnerToken).where(PartnerToken.token_hash == updates.token_hash(token)))
    if found is None or found.used_at is not None or found.expires_at < utcnow():
        return None
    partner = db.session().get(Partner, found.partner_id)
    if partner is None or partner.status != "approved":
        return None
    return found, partner


def set_password(token: str, password: str) -> str | None:
    """Set the password through a one-time link: None when done, else why not
    ("link", or passwords.weakness's "short", "long", "guessable")."""
    found = token_partner(token)
    if found is None:
        return "link"
    link, partner = found
    weak = passwords.weakness(password, partner.email, partner.name, partner.organisation)
    if weak:
        return weak
    partner.password_hash = passwords.hash_password(password)
    partner.session_epoch += 1          # a new password ends every session
    link.used_at = utcnow()
    audit("partner", "partner_password", partner=partner.id, via=link.purpose)
    db.session().commit()
    return None


def request_reset(email: str) -> None:
    """E-mail a reset link if the address has an approved account; the
    caller answers the same either way."""
    partner = find(email)
    if partner is not None and partner.status == "approved" and partner.password_hash:
        token = new_token(partner, "reset", RESET_LINK)
        _queue(partner, "partner_reset", link=updates.link("partners/password/", partner.language, t=token))
        audit("partner", "partner_reset_asked", partner=partner.id)
        db.session().commit()
        updates.deliver_soon()   # after the answer: the relay's time must not tell who has an account
    else:
        # The same kind of work as queueing a link (a write and a commit), so
        # the time of the answer does not tell which addresses have accounts.
        audit("partner", "partner_reset_asked")
        db.session().commit()


# ── Signing in ─────────────────────────────────────────────────────────────

THROTTLE = "signin"   # signin_throttle's scope for partners' e-mail addresses


def locked(email: str) -> bool:
    return signin_throttle.locked(THROTTLE, normalised(email))


def sign_in(email: str, password: str, code: str) -> Partner | None:
    """The partner if every check passes; None otherwise, after the same
    work whichever check failed."""
    partner = find(email)
    usable = partner if partner is not None and partner.status == "approved" else None
    good = passwords.verify(usable.password_hash if usable else None, password)
    if locked(email):
        return None
    if good and usable.totp_secret is not None:
        good = second_factor.accept(usable, code)
    if not good:
        signin_throttle.failed(THROTTLE, normalised(email))
        return None
    if passwords.needs_rehash(usable.password_hash):
        usable.password_hash = passwords.hash_password(password)
    signin_throttle.clear(THROTTLE, normalised(email))
    audit("partner", "partner_sign_in", partner=usable.id)
    db.session().commit()
    now = time.time()
    session.clear()
    session["partner"] = {"id": usable.id, "epoch": usable.session_epoch, "seen": now}
    return usable


def current() -> Partner | None:
    """The signed-in partner, or None (never signed in, idle too long, signed
    out everywhere, or removed).  Each call counts as activity."""
    held = session.get("partner")
    if not isinstance(held, dict):
        return None
    now = time.time()
    if now - float(held.get("seen", 0)) > IDLE.total_seconds():
        session.pop("partner", None)
        return None
    partner = db.session().get(Partner, held.get("id"))
    if partner is None or partner.status != "approved" or partner.session_epoch != held.get("epoch"):
        session.pop("partner", None)
        return None
    session["partner"] = {**held, "seen": now}
    return partner


def sign_out() -> None:
    session.pop("partner", None)


def sign_out_everywhere(partner: Partner) -> None:
    partner.session_epoch += 1
    audit("partner", "partner_sign_out_everywhere", partner=partner.id)
    db.session().commit()
    sign_out()


# ── The second factor (second_factor.py) ───────────────────────────────────

def totp_uri(partner: Partner, secret: str) -> str:
    return second_factor.uri(partner.email, secret)


def enrol_totp(partner: Partner, secret: str, code: str) -> bool:
    """Turn the second factor on once a code from the new secret is right."""
    partner.totp_secret, partner.totp_last_step = second_factor.sealed(secret), None
    if not second_factor.accept(partner, code):
        db.session().rollback()
        return False
    audit("partner", "partner_totp_on", partner=partner.id)
    db.session().commit()
    return True


# ── Restricted packs ───────────────────────────────────────────────────────

def downloaded(partner: Partner, pack: str, language: str) -> None:
    audit("partner", "partner_download", partner=partner.id, pack=pack, language=language)
    db.session().commit()


# ── What the e-mails say (sent through updates.py's outbox) ───────────────

def _compose(kind: str):
    from flask_babel import force_locale, gettext as _

    def write(message_id: int, language: str, payload: dict):
        with force_locale(language):
            hello = _("Hello %(name)s,", name=payload["name"])
            sign = _("Internet Hotline Cambodia, run by APLE Cambodia")
            if kind == "partner_approved":
                subject = _("Your account in the partners' area")
                lines = [hello,
                         _("We have approved your account in the partners' area of Internet Hotline Cambodia."),
                         _("To choose your password, open this link within 48 hours. It works once: %(url)s",
                           url=payload["link"]),
                         _("Then sign in at %(url)s", url=updates.link("partners/", language)), sign]
            elif kind == "partner_reset":
                subject = _("A new password for the partners' area")
                lines = [hello,
                         _("Someone asked for a new password for your account. If it was you, open this link "
                           "within an hour. It works once: %(url)s", url=payload["link"]),
                         _("If it was not you, do nothing: your password stays as it is."), sign]
            else:
                subject = _("Your request for the partners' area")
                lines = [hello,
                         _("Thank you for asking for an account in the partners' area of Internet Hotline "
                           "Cambodia. We could not approve it. If you think this is a mistake, please contact "
                           "the hotline through APLE Cambodia."), sign]
        return updates.envelope(f"{kind.replace('_', '-')}-{message_id}", language, payload["to"], subject,
                                "\n\n".join(lines))
    return write


for _kind in ("partner_approved", "partner_refused", "partner_reset"):
    updates.COMPOSERS[_kind] = _compose(_kind)
