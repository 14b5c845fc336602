"""Analysts' accounts: made by an admin, enrolled by their owner, signed in
with a passphrase AND a TOTP code (never one without the other).

- Making: `ihc-analyst user add NAME [--admin]` or the Users page prints a
  one-time enrolment link (ENROL_LINK).  Nothing about the person is kept
  but the sign-in name, the role and the language.
- Enrolling: the link's page takes a passphrase (argon2id, strength checked
  by passwords.py) and a code from the new TOTP secret shown as a QR code;
  both are saved together, or neither.
- Signing in: name, passphrase and code.  Each code works once
  (second_factor.py); failures are throttled per name (signin_throttle.py)
  and per address (the rate limiter's "signin" kind), and every failure
  gets the same answer after the same work.
- Sessions: the signed cookie holds the id, the epoch and when the session
  began and was last used: 30 minutes idle or 8 hours in all end it, and
  a new enrolment, disabling or "sign out everywhere" moves the epoch on.
- Roles: analyst (the casework) and admin (the casework and the users).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time

from flask import current_app, session
from sqlalchemy import select

from .. import casework, db, passwords, second_factor, signin_throttle, updates
from ..models import Analyst, AnalystToken, utcnow

ROLES = ("analyst", "admin")
NAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
ENROL_LINK = dt.timedelta(hours=72)
IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=8)
THROTTLE = "workspace"     # signin_throttle's scope for analysts' names
SESSION_KEY = "analyst"


class AccountError(ValueError):
    """A request about accounts that cannot be done, with the reason."""


def normalised(name: str) -> str:
    return (name or "").strip().lower()


def find(name: str) -> Analyst | None:
    return db.session().scalar(select(Analyst).where(Analyst.name == normalised(name)))


def listing() -> list[Analyst]:
    return list(db.session().scalars(select(Analyst).order_by(Analyst.name)))


def enrol_link(token: str, language: str = "en") -> str:
    base = current_app.config["WORKSPACE_URL"].rstrip("/")
    prefix = "/km" if language == "km" else ""
    return f"{base}{prefix}/workspace/enrol/?t={token}"


def _new_link(analyst: Analyst) -> str:
    token = secrets.token_urlsafe(32)
    db.session().add(AnalystToken(analyst_id=analyst.id, token_hash=updates.token_hash(token),
                                  expires_at=utcnow() + ENROL_LINK))
    return token


def add(name: str, admin: bool, actor: str, language: str = "en") -> str:
    """Make an account; returns its enrolment link."""
    name = normalised(name)
    if not NAME.match(name):
        raise AccountError("a name is 2 to 32 characters: lower-case letters, digits, '.', '_' or '-', "
                           "starting with a letter")
    if find(name) is not None:
        raise AccountError(f"there is already an account named {name}")
    analyst = Analyst(name=name, role="admin" if admin else "analyst", language=language, session_epoch=0,
                      created_at=utcnow())
    db.session().add(analyst)
    db.session().flush()
    token = _new_link(analyst)
    casework.audit(actor, "user_add", None, user=name, role=analyst.role)
    db.session().commit()
    return enrol_link(token, language)


def _existing(name: str) -> Analyst:
    analyst = find(name)
    if analyst is None:
        raise AccountError(f"no account named {normalised(name)}")
    return analyst


def reenrol(name: str, actor: str) -> str:
    """A lost phone or a forgotten passphrase: the old ones stop working at
    once, every session ends, and a new enrolment link is made."""
    analyst = _existing(name)
    analyst.passphrase_hash = analyst.totp_secret = analyst.totp_last_step = None
    analyst.enrolled_at, analyst.disabled_at = None, None
    analyst.session_epoch += 1
    token = _new_link(analyst)
    casework.audit(actor, "user_reenrol", None, user=analyst.name)
    db.session().commit()
    return enrol_link(token, analyst.language)


def disable(name: str, actor: str) -> None:
    analyst = _existing(name)
    if analyst.name == normalised(actor):
        raise AccountError("you cannot disable your own account")
    analyst.disabled_at = utcnow()
    analyst.session_epoch += 1
    casework.audit(actor, "user_disable", None, user=analyst.name)
    db.session().commit()


# ── Enrolment ──────────────────────────────────────────────────────────────

def link_owner(token: str) -> tuple[AnalystToken, Analyst] | None:
    """The unused, unexpired enrolment link and its account, or None."""
    if not token or len(token) > 100:
        return None
    found = db.session().scalar(select(AnalystToken).where(AnalystToken.token_hash == updates.token_hash(token)))
    if found is None or found.used_at is not None or found.expires_at < utcnow():
        return None
    analyst = db.session().get(Analyst, found.analyst_id)
    if analyst is None or analyst.disabled_at is not None:
        return None
    return found, analyst


def enrol(token: str, passphrase: str, secret: str, code: str) -> str | None:
    """Set the passphrase and the second factor together: None when done,
    else why not: "link", "code", or passwords.weakness's reasons."""
    found = link_owner(token)
    if found is None:
        return "link"
    link, analyst = found
    weak = passwords.weakness(passphrase, analyst.name, "hotline", "analyst")
    if weak:
        return weak
    if not second_factor.SECRET.fullmatch(secret or ""):
        return "code"
    analyst.totp_secret, analyst.totp_last_step = second_factor.sealed(secret), None
    if not second_factor.accept(analyst, code):
        db.session().rollback()
        return "code"
    analyst.passphrase_hash = passwords.hash_password(passphrase)
    analyst.enrolled_at = link.used_at = utcnow()
    analyst.session_epoch += 1
    casework.audit(analyst.name, "user_enrolled", None, user=analyst.name)
    db.session().commit()
    return None


# ── Signing in and sessions ────────────────────────────────────────────────

def sign_in(name: str, passphrase: str, code: str) -> Analyst | None:
    """The analyst if name, passphrase and code are all right; None after
    the same work otherwise."""
    analyst = find(name)
    usable = analyst if analyst is not None and analyst.disabled_at is None and analyst.enrolled_at else None
    good = passwords.verify(usable.passphrase_hash if usable else None, passphrase)
    if signin_throttle.locked(THROTTLE, normalised(name)):
        return None
    # The second factor is mandatory: an account without one never signs in.
    good = good and second_factor.accept(usable, code)
    if not good:
        db.session().rollback()   # a code's step is recorded only with a good sign-in
        signin_throttle.failed(THROTTLE, normalised(name))
        return None
    if passwords.needs_rehash(usable.passphrase_hash):
        usable.passphrase_hash = passwords.hash_password(passphrase)
    signin_throttle.clear(THROTTLE, normalised(name))
    casework.audit(usable.name, "sign_in", None)
    db.session().commit()
    now = time.time()
    session.clear()
    session[SESSION_KEY] = {"id": usable.id, "epoch": usable.session_epoch, "began": now, "seen": now}
    return usable


def current(now: float | None = None) -> Analyst | None:
    """The signed-in analyst, or None (idle too long, past the absolute
    limit, signed out everywhere, re-enrolled, disabled).  Each call counts
    as activity."""
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return None
    now = time.time() if now is None else now
    if (now - float(held.get("seen", 0)) > IDLE.total_seconds()
            or now - float(held.get("began", 0)) > ABSOLUTE.total_seconds()):
        session.pop(SESSION_KEY, None)
        return None
    analyst = db.session().get(Analyst, held.get("id"))
    if analyst is None or analyst.disabled_at is not None or analyst.session_epoch != held.get("epoch"):
        session.pop(SESSION_KEY, None)
        return None
    session[SESSION_KEY] = {**held, "seen": now}
    return analyst


def ended_because(now: float | None = None) -> str | None:
    """Why the session in the cookie no longer counts ("idle", "absolute"),
    for the sign-in page to say so; None if there was none."""
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return None
    now = time.time() if now is None else now
    if now - float(held.get("began", 0)) > ABSOLUTE.total_seconds():
        return "absolute"
    if now - float(held.get("seen", 0)) > IDLE.total_seconds():
        return "idle"
    return None


def sign_out() -> None:
    session.pop(SESSION_KEY, None)


def sign_out_everywhere(analyst: Analyst) -> None:
    analyst.session_epoch += 1
    casework.audit(analyst.name, "sign_out_everywhere", None)
    db.session().commit()
    sign_out()
