"""The analysts' workspace: a Flask app of its own, on its own listener
(`make serve`: 127.0.0.1:PORT+1; production: 127.0.0.1:8002 behind an nginx
server block that asks for the hotline's client certificate,
deploy/nginx/workspace.conf).  The public app has none of its paths.

    gunicorn --config deploy/gunicorn.conf.py 'report_endpoint.workspace:create_app()'

It shares the instance folder, the database, the configuration and the
hardening of the public service (report_endpoint.configured_app), with a
session cookie of its own, signed with a key of its own."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, redirect

from .. import configured_app
from . import views


def create_app(test_config: dict | None = None) -> Flask:
    app = configured_app(test_config)
    # A cookie the public app signed must never open a workspace session,
    # even where both answer on one host (127.0.0.1 in `make serve`).
    app.secret_key = hmac.new(app.config["SECRET_KEY"].encode(), b"workspace-sessions", hashlib.sha256).hexdigest()
    app.config.update(SESSION_COOKIE_NAME=app.config["WORKSPACE_COOKIE_NAME"], SESSION_COOKIE_PATH="/")
    views.init_app(app)

    @app.get("/")
    def to_workspace():
        return redirect("/workspace/", 303)

    return app
