"""Helpers for the analysts' workspace tests: an account made and enrolled
through the enrolment page, and signing in with a TOTP code computed here
(as the analyst's phone would)."""

from __future__ import annotations

import re
import time

import pyotp

PASSPHRASE = "lantern river mango quietly"
HTTPS = "https://localhost"   # the session cookie is Secure: browse as HTTPS
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf(client, path: str) -> str:
    return CSRF.search(client.get(path, base_url=HTTPS).text).group(1)


# The moment the app and the phone both see, when a test freezes it
# (frozen_clock): otherwise a 30-second step could end between two requests
# and make "the same code again" a new code.
FROZEN: dict = {"now": None}


def frozen_clock(monkeypatch) -> float:
    """Freeze the second factor's clock in the middle of a 30-second step."""
    from report_endpoint import second_factor
    now = (time.time() // 30) * 30 + 15
    FROZEN["now"] = now
    monkeypatch.setattr(second_factor.time, "time", lambda: now)
    return now


def code(secret: str, steps_ahead: int = 0) -> str:
    """The code a phone shows now, or steps_ahead 30-second steps later (a
    code is taken once, and one step of clock drift is allowed)."""
    now = FROZEN["now"] if FROZEN["now"] is not None else time.time()
    return pyotp.TOTP(secret).at(now + 30 * steps_ahead)


def enrol(client, link: str, passphrase: str = PASSPHRASE, prefix: str = "") -> str:
    """Enrol through the link's page; returns the TOTP secret."""
    token = link.split("t=", 1)[1]
    page = client.get(f"{prefix}/workspace/enrol/?t={token}", base_url=HTTPS).text
    secret = re.search(r'name="secret" type="hidden" value="([A-Z2-7]{32})"', page).group(1)
    answer = client.post(f"{prefix}/workspace/enrol/", base_url=HTTPS, data={
        "csrf_token": CSRF.search(page).group(1), "token": token, "secret": secret,
        "passphrase": passphrase, "again": passphrase, "code": code(secret)})
    assert answer.status_code == 303, answer.text
    return secret


def sign_in(client, name: str, secret: str | None, passphrase: str = PASSPHRASE, steps_ahead: int = 1,
            typed_code: str | None = None):
    return client.post("/workspace/sign-in/", base_url=HTTPS, data={
        "csrf_token": csrf(client, "/workspace/sign-in/"), "name": name, "passphrase": passphrase,
        "code": typed_code if typed_code is not None else code(secret, steps_ahead)})


def account(app, client, name: str, admin: bool = False) -> str:
    """An account made (as `ihc-analyst user add` does), enrolled and signed in; returns its secret."""
    from report_endpoint.workspace import accounts
    with app.app_context():
        link = accounts.add(name, admin, "tester")
    secret = enrol(client, link)
    assert sign_in(client, name, secret).status_code == 303
    return secret
