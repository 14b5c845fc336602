"""The report form and the status check as HTML pages, in both languages:
/report/ and /report/status/, with /km/ in front for Khmer.  They work
without JavaScript: errors are shown beside the fields, with what was typed."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from . import reports
from .forms import ReportForm, StatusForm
from .ratelimit import limited

bp = Blueprint("web", __name__)


def other_language_url(endpoint: str) -> str:
    """The same page in the other language (for the language switch)."""
    blueprint = "web_km" if request.blueprint == "web" else "web"
    return url_for(f"{blueprint}.{endpoint}")


@bp.route("/report/", methods=["GET", "POST"])
def report():
    form = ReportForm()
    if request.method == "POST":
        if limited("report"):
            return render_template("report.html", form=form, limited=True,
                                   switch_url=other_language_url("report")), 429
        if form.validate_on_submit():
            new = form.new_report()
            stored = reports.submit(new)
            return render_template("report_received.html", reference=stored.reference, urls=new.urls,
                                   urgent=form.danger.data, switch_url=other_language_url("status")), 201
        return render_template("report.html", form=form, switch_url=other_language_url("report")), 400
    return render_template("report.html", form=form, switch_url=other_language_url("report"))


@bp.route("/report/status/", methods=["GET", "POST"])
def status():
    form = StatusForm()
    answer = None
    code = 200
    if request.method == "POST":
        if limited("status"):
            return render_template("status.html", form=form, limited=True,
                                   switch_url=other_language_url("status")), 429
        if form.validate_on_submit():
            answer = reports.status(form.normalised)
        else:
            code = 400
    return render_template("status.html", form=form, answer=answer, switch_url=other_language_url("status")), code


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/km", name="web_km")
