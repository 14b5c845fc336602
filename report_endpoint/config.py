"""Configuration: safe defaults in code, secrets generated on first run in the
instance folder, and overrides from environment variables named REPORT_<KEY>.

Why each default exists is said beside it.  Nothing here needs setting for a
local run: the database is a SQLite file in the instance folder.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

ENV_PREFIX = "REPORT_"

DEFAULTS = {
    # Filled in from the instance folder when not given.
    "DATABASE_URL": None,
    # The folder MkDocs built (site/): the form and status pages are its
    # pages with the form in their slot.  Unset: a small built-in frame.
    "SITE_DIR": None,
    # Also serve every other file of SITE_DIR (the local all-in-one server;
    # in production nginx serves them).
    "SERVE_SITE": False,
    # A report is a few URLs and a short note: 64 KiB is plenty, and refusing
    # larger bodies early keeps floods cheap.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_URLS": 20,
    "MAX_URL_LENGTH": 2048,
    "MAX_DESCRIPTION_LENGTH": 2000,
    "MAX_CONTACT_LENGTH": 200,
    # Rate limits: (requests, seconds), per client and for everyone together,
    # in each gunicorn worker: the second layer behind nginx's limit_req
    # zones, which all workers share (SECURITY.md, "Rate limits").  A client
    # is an IPv4 address or an IPv6 /64.
    "REPORT_LIMIT_PER_CLIENT": (10, 600),
    "REPORT_LIMIT_OVERALL": (600, 60),
    "STATUS_LIMIT_PER_CLIENT": (30, 60),
    "STATUS_LIMIT_OVERALL": (3000, 60),
    # While the overall window is full (a flood from many addresses), each
    # client still gets this many requests in its own window, so a flood
    # cannot lock out a newcomer reporting or checking a status.
    "REPORT_LIMIT_FAIR_SHARE": 2,
    "STATUS_LIMIT_FAIR_SHARE": 5,
    # The partners' area: sign-in, reset and account requests, per address
    # (each account name is throttled on its own as well: partners.py).
    "SIGNIN_LIMIT_PER_CLIENT": (10, 600),
    "SIGNIN_LIMIT_OVERALL": (600, 60),
    "SIGNIN_LIMIT_FAIR_SHARE": 2,
    # How many clients the in-memory limiter tracks before it forgets the oldest.
    "RATE_LIMIT_MAX_CLIENTS": 100_000,
    # Behind nginx, the client is the last address nginx appends; 0 = no proxy.
    "TRUSTED_PROXIES": 0,
    # Days after which reports are purged; contact details are deleted sooner.
    "RETENTION_DAYS": 365,
    "CONTACT_RETENTION_DAYS": 90,
    # The session cookie carries only the CSRF token and ends with the visit.
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Strict",
    "SESSION_COOKIE_NAME": "ihc_session",
    "WTF_CSRF_TIME_LIMIT": 3600,
    "WTF_CSRF_SSL_STRICT": False,  # no Referer is ever sent (Referrer-Policy: no-referrer)
    "BABEL_DEFAULT_LOCALE": "en",
    "MIGRATE_ON_START": True,
    # Seconds a request waits for the database's write lock before it answers
    # "busy, nothing was stored, please try again" (503).
    "LOCK_TIMEOUT": 5,
    # /healthz fails below this much free space where SQLite writes: a full
    # disk refuses reports, so the monitor must hear of it before people do.
    "HEALTH_MIN_FREE_BYTES": 64 * 1024 * 1024,
    # Mail (report_endpoint/mail.py): updates to reporters who ask for them.
    # Unset, each message is written as an .eml file to instance/mail/ (a
    # local run sends nothing anywhere).  In production, an SMTP relay that
    # speaks STARTTLS: smtp://user:password@relay.example.org:587.  TLS is
    # never optional; SMTP_CA_FILE names the relay's CA if it is a private one.
    "SMTP_URL": None,
    "SMTP_CA_FILE": None,
    "MAIL_FROM": "Internet Hotline Cambodia <updates@hotline.example.org>",
    # The public site's address, for the links in messages (status, stop updates).
    "PUBLIC_URL": "http://127.0.0.1:8000/",
    # The analysts' workspace (report_endpoint/workspace/): its address, for
    # the enrolment links `ihc-analyst user add` prints, and its own cookie.
    "WORKSPACE_URL": "http://127.0.0.1:8001/",
    "WORKSPACE_COOKIE_NAME": "ihc_workspace",
    # The restricted packs' PDFs, for signed-in partners: the build writes them
    # to restricted/ beside the site folder.  Unset: that folder, beside SITE_DIR.
    "RESTRICTED_DIR": None,
}


def _parse(value: str, default):
    """Read an environment string as the type of the default."""
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, tuple):
        count, seconds = value.replace("/", ",").split(",")
        return (int(count), int(seconds))
    return value


def from_environment(environ=os.environ) -> dict:
    """REPORT_<KEY> overrides for every known key (and any other REPORT_ key as text)."""
    found = {}
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX):
            key = name[len(ENV_PREFIX):]
            found[key] = _parse(value, DEFAULTS.get(key, ""))
    return found


def instance_secrets(instance: Path) -> dict:
    """Secrets kept in instance/secrets.json, created on first run, owner-only."""
    path = instance / "secrets.json"
    if not path.exists():
        values = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            # Fernet key for contact details at rest.
            "CONTACT_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            # Keys the rate limiter's client buckets without keeping addresses.
            "CLIENT_KEY": secrets.token_urlsafe(32),
        }
        # Written whole to a private file, then linked into place: workers
        # starting together all end up with the same, complete secrets.
        temporary = instance / f".secrets.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(values, handle)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    os.chmod(path, 0o600)
    return json.loads(path.read_text())
