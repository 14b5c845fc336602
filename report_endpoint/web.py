"""The report form and the status check as pages of the site, in both
languages: /report/ and /report/status/, with /km/ in front for Khmer.

Each answer is the site's own built page with the form in its slot
(site_pages), so the form has the site's header, navigation, language switch
and quick exit.  Everything works without JavaScript: errors are shown beside
the fields with what was typed, and the reference once the report is stored."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from . import reports
from .db import Busy
from .errors import RETRY_AFTER_SECONDS
from .forms import ReportForm, StatusForm
from .ratelimit import limited
from .site_pages import as_content, in_slot

bp = Blueprint("web", __name__)


def error_title(title: str) -> str:
    """A page title that says at once that something needs correcting."""
    return _("Error: %(title)s", title=title)


@bp.route("/report/", methods=["GET", "POST"])
def report():
    form = ReportForm()
    title = _("Report child sexual abuse material")
    if request.method == "POST":
        if limited("report"):
            return in_slot("report-form", render_template("report.html", form=form, limited=True),
                           error_title(title)), 429
        if form.validate_on_submit():
            new = form.new_report()
            try:
                stored = reports.submit(new)
            except Busy:
                # Nothing was stored; what was typed stays in the form to send again.
                page = in_slot("report-form", render_template("report.html", form=form, busy=True), error_title(title))
                return page, 503, {"Retry-After": RETRY_AFTER_SECONDS}
            received = render_template("report_received.html", reference=stored.reference, urls=new.urls,
                                       urgent=form.danger.data)
            return as_content("report-form", received, _("Report received")), 201
        return in_slot("report-form", render_template("report.html", form=form), error_title(title)), 400
    return in_slot("report-form", render_template("report.html", form=form))


@bp.route("/report/status/", methods=["GET", "POST"])
def status():
    form = StatusForm()
    title = _("Check the status of your report")
    if request.method == "POST":
        if limited("status"):
            return in_slot("status-check", render_template("status.html", form=form, limited=True),
                           error_title(title)), 429
        if form.validate_on_submit():
            try:
                answer = reports.status(form.normalised)
            except Busy:
                page = in_slot("status-check", render_template("status.html", form=form, busy=True), error_title(title))
                return page, 503, {"Retry-After": RETRY_AFTER_SECONDS}
            return in_slot("status-check", render_template("status.html", form=form, answer=answer),
                           f"{answer['label']} - {title}")
        return in_slot("status-check", render_template("status.html", form=form), error_title(title)), 400
    return in_slot("status-check", render_template("status.html", form=form))


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/km", name="web_km")
