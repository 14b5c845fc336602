"""Every error gets a clear, translated answer: JSON under /api/, a page
elsewhere.  Nothing is stored when a request fails."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .db import Busy
from .security import body_type_refused, form_body_problem
from .site_pages import as_content

log = logging.getLogger(__name__)


def messages() -> dict[int, str]:
    return {
        400: _("Something in the request was not right. Please check it and try again."),
        404: _("There is no page at this address."),
        405: _("This address does not accept that kind of request."),
        413: _("What you sent is too large. A report needs only web addresses and a short note."),
        415: _("We only accept web addresses typed into the form: no files, images or videos."),
        429: _("Too many requests from here in a short time. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Your report was not stored; please try again."),
        503: BUSY(),
    }


def BUSY() -> str:  # noqa: N802 - a message, like the constants beside it
    return _("The service is busy just now. Nothing was stored: please try again in a moment.")


# How long to tell a client to wait after a 503 "busy" (the lock timeout's order).
RETRY_AFTER_SECONDS = "5"


def answer(status: int, message: str):
    if request.path.startswith("/api/"):
        return jsonify({"errors": {"request": [message]}}), status
    # On the form and status pages, the message takes the place of the
    # page's article, inside the site's frame; elsewhere the built-in frame.
    slot = {"report": "report-form", "status": "status-check"}.get((request.endpoint or "").split(".")[-1])
    return as_content(slot, render_template("error.html", message=message), message), status


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_unaccepted_bodies():
        # Before the body is read: multipart (files) and anything not a form or JSON.
        # A request no route takes (404, 405) gets that answer instead.
        if request.routing_exception is not None:
            return None
        if body_type_refused():
            return answer(415, messages()[415])
        problem = form_body_problem()
        if problem == "encoding":
            return answer(400, _("The form sent characters we cannot read. Please type your report again."))
        if problem == "duplicate":
            return answer(400, _("The form was sent with a field more than once. Please fill it in again and send it."))
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return answer(400, _("The form expired or was opened in another tab. Your report was not sent: "
                             "please fill it in again and send it."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        body, status = answer(error.code, messages().get(error.code, error.description))
        response = app.make_response((body, status))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))  # as RFC 9110 asks
        return response

    @app.errorhandler(Busy)
    def busy(_error):
        # The lock timeout passed: the request stored nothing.  The form
        # pages catch this themselves to keep what was typed (web.py).
        response = app.make_response(answer(503, BUSY()))
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # The exception type only: request data may hold a reported address.
        log.error("unexpected error: %s", type(error).__name__)
        return answer(500, messages()[500])
