"""Failed sign-ins per account name, for the partners' area and the
workspace: MAX_FAILURES within FAILURE_WINDOW lock the name for LOCK.

Rows are keyed by an HMAC of the scope and the name, and kept alike for
names with and without an account, so the throttle itself tells no one
which accounts exist.  The per-address limit is the rate limiter's
"signin" kind (ratelimit.py); nginx's zones come before both."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import current_app
from sqlalchemy import delete

from . import db
from .models import SignInThrottle, utcnow

MAX_FAILURES, FAILURE_WINDOW, LOCK = 5, dt.timedelta(minutes=15), dt.timedelta(minutes=15)


def key(scope: str, name: str) -> str:
    secret = current_app.config["CLIENT_KEY"].encode()
    return hmac.new(secret, f"{scope}:".encode() + name.encode(), hashlib.sha256).hexdigest()


def locked(scope: str, name: str) -> bool:
    row = db.session().get(SignInThrottle, key(scope, name))
    return bool(row and row.locked_until and row.locked_until > utcnow())


def failed(scope: str, name: str) -> None:
    """Count one failure (and commit)."""
    now, found = utcnow(), key(scope, name)
    row = db.session().get(SignInThrottle, found)
    if row is None or row.window_start < now - FAILURE_WINDOW:
        if row is None:
            row = SignInThrottle(key=found)
            db.session().add(row)
        row.failures, row.window_start, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= MAX_FAILURES:
        row.locked_until = now + LOCK
    db.session().commit()


def clear(scope: str, name: str) -> None:
    """Forget the failures after a good sign-in (the caller commits)."""
    db.session().execute(delete(SignInThrottle).where(SignInThrottle.key == key(scope, name)))
