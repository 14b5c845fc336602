"""The built site's other files, served by the endpoint itself: this is the
local all-in-one server (`make serve`, REPORT_SERVE_SITE=1).  In production
nginx serves them (deploy/nginx/), and this blueprint is not registered.

Responses pass through the same after_request hooks as the form, so the
security headers are the same on every page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, redirect, request, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("site_files", __name__)


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def site_file(path: str):
    site = Path(current_app.config["SITE_DIR"])
    wanted = path + "index.html" if path == "" or path.endswith("/") else path
    try:
        return send_from_directory(site, wanted, max_age=0)
    except NotFound:
        if (site / path / "index.html").is_file() and ".." not in Path(path).parts:
            return redirect(request.path + "/", code=301)
        if path.startswith("api/"):
            raise  # the API answers its own 404, in JSON
        # The site's own bilingual 404 page.
        return send_from_directory(site, "404.html", max_age=0), 404


def init_app(app) -> None:
    if app.config["SERVE_SITE"] and app.config["SITE_DIR"]:
        app.register_blueprint(bp)
