"""The JSON API for partners and scripts, described in openapi.json.

Errors are JSON: {"errors": {"<field>": ["<translated message>", ...]}}.
CSRF does not apply: the API uses no cookies and takes JSON only."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from . import db, reports
from .forms import ReportForm, StatusForm
from .stages import PUBLIC
from .web import limited

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).with_name("openapi.json")

REPORT_FIELDS = {"seen_on": str, "urls": (str, list), "description": str, "anonymous": bool,
                 "danger": bool, "contact": dict, "lang": str}
CONTACT_FIELDS = ("name", "email", "phone")


def error(status: int, errors: dict):
    return jsonify({"errors": errors}), status


def json_body() -> tuple[dict | None, tuple | None]:
    if not request.is_json:
        return None, error(415, {"body": [_("Send the request as JSON (Content-Type: application/json).")]})
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, error(400, {"body": [_("The request body must be a JSON object.")]})
    return body, None


def report_formdata(body: dict) -> tuple[MultiDict | None, dict]:
    """The JSON report as form fields, or the shape errors."""
    errors = {}
    for name, value in body.items():
        expected = REPORT_FIELDS.get(name)
        if expected is None:
            errors[name] = [_("This field is not part of a report.")]
        elif not isinstance(value, expected) or (expected is str and isinstance(value, bool)):
            errors[name] = [_("This field has the wrong type.")]
    urls = body.get("urls")
    if isinstance(urls, list) and not all(isinstance(u, str) for u in urls):
        errors["urls"] = [_("Each address must be a string.")]
    contact = body.get("contact") or {}
    if isinstance(contact, dict):
        for name, value in contact.items():
            if name not in CONTACT_FIELDS or not isinstance(value, str):
                errors.setdefault("contact", []).append(_("Contact details are name, email and phone, as strings."))
    if errors:
        return None, errors
    data = MultiDict({
        "seen_on": body.get("seen_on", ""),
        "urls": "\n".join(urls) if isinstance(urls, list) else (urls or ""),
        "description": body.get("description", ""),
        **{name: contact.get(name, "") for name in CONTACT_FIELDS},
    })
    if body.get("anonymous", True):
        data["anonymous"] = "y"
    if body.get("danger", False):
        data["danger"] = "y"
    return data, {}


@bp.post("/reports")
def create_report():
    body, failure = json_body()
    if failure:
        return failure
    if limited("report"):
        return error(429, {"request": [_("Too many reports from here in a short time. Please wait a few minutes and try again.")]})
    data, errors = report_formdata(body)
    if errors:
        return error(400, errors)
    form = ReportForm(formdata=data, meta={"csrf": False})
    if not form.validate():
        return error(400, form.errors)
    stored = reports.submit(reports.NewReport(
        seen_on=form.seen_on.data, urls=form.parsed_urls, description=(form.description.data or "").strip(),
        anonymous=form.anonymous.data, contact=form.contact(), urgent=form.danger.data))
    return jsonify({"reference": stored.reference, "urls": form.parsed_urls, "stage": stored.public_stage,
                    "label": str(PUBLIC[stored.public_stage][0])}), 201


@bp.post("/status")
def check_status():
    body, failure = json_body()
    if failure:
        return failure
    if limited("status"):
        return error(429, {"request": [_("Too many checks from here in a short time. Please wait a minute and try again.")]})
    unknown = set(body) - {"reference", "lang"}
    if unknown:
        return error(400, {name: [_("This field is not part of a status check.")] for name in unknown})
    if not isinstance(body.get("reference", ""), str):
        return error(400, {"reference": [_("This field has the wrong type.")]})
    form = StatusForm(formdata=MultiDict({"reference": body.get("reference", "")}), meta={"csrf": False})
    if not form.validate():
        return error(400, form.errors)
    return jsonify(reports.status(form.normalised))


@bp.get("/stats")
def stats():
    return jsonify(reports.counters())


@bp.get("/openapi.json")
def openapi():
    return current_app.response_class(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(bp)

    @app.get("/healthz")
    def healthz():
        db.session().execute(db.text("SELECT 1"))
        return jsonify({"status": "ok"})
