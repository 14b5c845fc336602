"""The report form and the status check as pages of the site, in both
languages: /report/ and /report/status/, with /km/ in front for Khmer.

Each answer is the site's own built page with the form in its slot
(site_pages), so the form has the site's header, navigation, language switch
and quick exit.  Everything works without JavaScript: errors are shown beside
the fields with what was typed, and the reference once the report is stored."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from . import db, reports, updates
from .db import Busy
from .errors import RETRY_AFTER_SECONDS
from .forms import ReportForm, StatusForm, StopUpdatesForm
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
                                       urgent=form.danger.data, updates=new.updates)
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


@bp.route("/updates/stop/", methods=["GET", "POST"])
def stop_updates():
    """The link in every update (updates.py): ?t=<token>, asked first, then
    done with a POST.  The token is in the query string, which the
    production access log leaves out (deploy/nginx/ihc.conf, ihc_private).
    The page is the site's status page, its article replaced."""
    form = StopUpdatesForm()
    token = form.token.data if request.method == "POST" else request.args.get("t", "")
    title = _("Stop e-mail updates about your report")
    frame = url_for(f"{request.blueprint}.status")

    def page(state: str, heading: str = title) -> str:
        return as_content("status-check", render_template("stop_updates.html", state=state, form=form), heading, frame)

    if request.method == "POST" and form.validate_on_submit():
        try:
            with db.sqlite_writer():
                stopped = updates.stop(token)
        except Busy:
            return page("ask"), 503, {"Retry-After": RETRY_AFTER_SECONDS}
        return (page("stopped", _("Updates stopped")), 200) if stopped else (page("gone"), 404)
    if updates.report_for_token(token) is None:
        return page("gone"), 404
    form.token.data = token
    return page("ask"), 400 if request.method == "POST" else 200  # a POST without a valid CSRF token


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/km", name="web_km")
