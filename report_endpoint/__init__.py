"""The report endpoint of Internet Hotline Cambodia: URL reports in, 8-digit
references out, status checks, and the analysts' command line.

    flask --app report_endpoint run        # a local server
    flask --app report_endpoint queue      # analyst commands: see cli.py
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, cli, db, errors, i18n, partner_web, security, site_files, transparency_web, web
from .config import DEFAULTS, from_environment, instance_secrets
from .ratelimit import RateLimiter


def unique_keys(pairs: list) -> dict:
    """A JSON object, refused if a key comes twice (which one counts would be a guess)."""
    found = {}
    for key, value in pairs:
        if key in found:
            raise ValueError("duplicate key in a JSON object")
        found[key] = value
    return found


def not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


class BoundedJSON(DefaultJSONProvider):
    """Strict JSON bodies: too deep for the parser, duplicate keys, NaN or
    Infinity, and bytes that are not UTF-8 (Python's parser would guess
    UTF-16 or UTF-32) are invalid JSON, a 400, never a RecursionError or a
    float that breaks later (a 500)."""

    def loads(self, s, **kwargs):
        if isinstance(s, (bytes, bytearray)):
            s = bytes(s).decode("utf-8")  # UnicodeDecodeError is a ValueError
        kwargs.setdefault("object_pairs_hook", unique_keys)
        kwargs.setdefault("parse_constant", not_json)
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class CachedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer built once per app
    instead of on every request (it showed up in profiles of the API)."""

    def get_signing_serializer(self, app):
        cached = app.extensions.get("session_serializer")
        if cached is None:
            cached = app.extensions["session_serializer"] = super().get_signing_serializer(app)
        return cached


def configured_app(test_config: dict | None = None, **flask_options) -> Flask:
    """A Flask app with the service's configuration, hardening, languages and
    database, and no pages yet: the public app (create_app) and the
    analysts' workspace (workspace.create_app) are each this, plus their own.

    Configuration comes from defaults, instance secrets, REPORT_* variables
    and (for tests) test_config, in that order of precedence (last wins).
    The instance folder is test_config's INSTANCE_PATH, else
    REPORT_INSTANCE_PATH, else Flask's default (as flaskr does): tests pass
    their own folder and never touch the process's environment."""
    test_config = dict(test_config or {})
    instance = test_config.pop("INSTANCE_PATH", None) or os.environ.get("REPORT_INSTANCE_PATH")
    app = Flask(__name__, instance_path=str(instance) if instance else None, instance_relative_config=True,
                **flask_options)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    os.chmod(app.instance_path, 0o700)

    app.config.update(DEFAULTS)
    app.config.update(instance_secrets(Path(app.instance_path)))
    app.config.update(from_environment())
    if test_config:
        app.config.update(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'reports.sqlite3'}"
    if not app.config["RESTRICTED_DIR"] and app.config["SITE_DIR"]:
        app.config["RESTRICTED_DIR"] = str(Path(app.config["SITE_DIR"]).resolve().parent / "restricted")
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1, x_host=1)

    # First of all: refuse multipart and other unaccepted bodies before CSRF
    # or anything else reads them.
    errors.init_app(app)
    app.session_interface = CachedSerializerSessions()
    app.json = BoundedJSON(app)
    app.extensions["csrf"] = CSRFProtect(app)
    app.extensions["rate_limiters"] = {
        kind: RateLimiter(app.config["CLIENT_KEY"], app.config[f"{kind.upper()}_LIMIT_PER_CLIENT"],
                          app.config[f"{kind.upper()}_LIMIT_OVERALL"], app.config["RATE_LIMIT_MAX_CLIENTS"],
                          share=app.config[f"{kind.upper()}_LIMIT_FAIR_SHARE"])
        for kind in ("report", "status", "signin")
    }
    # werkzeug's request log names the client address: never written.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    i18n.init_app(app)
    db.init_app(app)
    security.init_app(app)
    return app


def create_app(test_config: dict | None = None) -> Flask:
    """The public service: the report form, the status check, the API, the
    partners' area, reporter updates, and (for `make serve`) the site."""
    app = configured_app(test_config)
    web.init_app(app)
    partner_web.init_app(app)
    transparency_web.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    site_files.init_app(app)
    return app
