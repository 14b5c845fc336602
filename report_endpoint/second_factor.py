"""TOTP second factors (RFC 6238, pyotp), shared by the partners' area and
the analysts' workspace: a new secret, its QR code, and a check that takes
each code once.

An account (Partner, Analyst) keeps its secret Fernet-encrypted in
totp_secret and the last time step it accepted in totp_last_step: a code
from that step or an earlier one is refused, so a code seen over someone's
shoulder, or replayed, does not work."""

from __future__ import annotations

import datetime as dt
import hmac
import io
import re
import time

import pyotp
import segno

from .crypto import decrypt_contact, encrypt_contact

ISSUER = "Internet Hotline Cambodia"
SECRET = re.compile(r"[A-Z2-7]{32}")


def new_secret() -> str:
    return pyotp.random_base32()


def uri(account_name: str, secret: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_svg(text: str) -> str:
    """The QR code as inline SVG (segno): no image request, no data: URL."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                     title=None, svgclass="ihc-qr")
    return out.getvalue().decode()


def sealed(secret: str) -> bytes:
    return encrypt_contact({"secret": secret})


def accept(account, code: str, now: float | None = None) -> bool:
    """True if code is right for account's secret now (or one step before or
    after, for a phone's clock that drifts) and newer than the last code it
    took; that step is then recorded on account (the caller commits)."""
    code = (code or "").strip().replace(" ", "")
    if account.totp_secret is None or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(decrypt_contact(account.totp_secret)["secret"])
    now = time.time() if now is None else now
    for drift in (-1, 0, 1):
        step = totp.timecode(dt.datetime.fromtimestamp(now + drift * totp.interval, dt.timezone.utc))
        if hmac.compare_digest(totp.generate_otp(step), code):
            if account.totp_last_step is not None and step <= account.totp_last_step:
                return False       # used already
            account.totp_last_step = step
            return True
    return False
