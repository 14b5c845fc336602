"""The JSON API for partners and scripts, described in openapi.json.

Errors are JSON: {"errors": {"<field>": ["<translated message>", ...]}}.
CSRF does not apply: the API uses no cookies and takes JSON only."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _

from . import db, reports
from .forms import CONTACT_FIELDS, StatusForm, check_report
from .references import normalise_reference
from .stages import public_text
from .ratelimit import limited

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).with_name("openapi.json")

REPORT_FIELDS = {"seen_on": str, "urls": (str, list), "description": str, "anonymous": bool,
                 "danger": bool, "contact": dict, "lang": str, "updates": bool}


def error(status: int, errors: dict):
    return jsonify({"errors": errors}), status


def json_body() -> tuple[dict | None, tuple | None]:
    if not request.is_json:
        return None, error(415, {"body": [_("Send the request as JSON (Content-Type: application/json).")]})
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, error(400, {"body": [_("The request body must be a JSON object.")]})
    return body, None


def report_values(body: dict) -> tuple[dict | None, dict]:
    """The JSON report as plain field values, or the shape errors."""
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
    if isinstance(contact, dict) and any(name not in CONTACT_FIELDS or not isinstance(value, str)
                                         for name, value in contact.items()):
        errors["contact"] = [_("Contact details are name, email and phone, as strings.")]
    if errors:
        return None, errors
    return {
        "seen_on": body.get("seen_on"),
        "urls": "\n".join(urls) if isinstance(urls, list) else (urls or ""),
        "description": body.get("description", ""),
        "anonymous": body.get("anonymous", True),
        "danger": body.get("danger", False),
        "updates": body.get("updates", False),
        **{name: contact.get(name, "") for name in CONTACT_FIELDS},
    }, {}


@bp.post("/reports")
def create_report():
    body, failure = json_body()
    if failure:
        return failure
    if limited("report"):
        return error(429, {"request": [_("Too many reports from here in a short time. Please wait a few minutes and try again.")]})
    values, errors = report_values(body)
    if errors:
        return error(400, errors)
    new, errors = check_report(values)
    if errors:
        return error(400, errors)
    stored = reports.submit(new)
    return jsonify({"reference": stored.reference, "urls": new.urls, "stage": stored.public_stage,
                    "label": public_text(stored.public_stage)[0]}), 201


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
    # The same rule and messages as StatusForm, without building a form (hot path).
    typed = body.get("reference", "")
    if not typed.strip():
        return error(400, {"reference": [str(StatusForm.MISSING)]})
    reference = normalise_reference(typed)
    if reference is None:
        return error(400, {"reference": [str(StatusForm.INVALID)]})
    return jsonify(reports.status(reference))


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
        """For the operators' monitor (nginx does not pass it on): ok only
        when the database can take a report, not merely be read."""
        problem = db.health_problem(current_app)
        if problem:
            return jsonify({"status": "failing", "problem": problem}), 503
        return jsonify({"status": "ok"})
