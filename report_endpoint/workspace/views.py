"""The workspace's pages, in English under /workspace/ and in Khmer under
/km/workspace/.  What each action does is casework.py (the same functions
as the command line, so both write the same audit trail) and accounts.py;
this is forms, pages and answers.

Every page but sign-in and enrolment needs a signed-in analyst; Users needs
an admin.  A reported address is only ever shown as text: no page links to
it, fetches it or previews it."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from flask import (Blueprint, abort, current_app, g, redirect, render_template, request, send_from_directory,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import casework, charts, db, figures, passwords, second_factor, updates
from ..db import Busy
from ..forms import SEEN_ON_LABELS
from ..i18n import local_number
from ..models import Report, ReportedUrl
from ..ratelimit import limited
from ..stages import ILLEGAL, NOTICE_RECIPIENTS, public_text
from . import accounts, clock, notices, risk
from .forms import (ASSESSMENT_LABELS, PART_LABELS, PHASE_LABELS, RECIPIENT_LABELS, STAGE_LABELS, AssessForm,
                    ButtonForm, EnrolForm, ExportForm, NoticeForm, QueueFilters, SignInForm, StageForm, UserForm,
                    countries, country_name)

bp = Blueprint("workspace", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")
FONTS = Path(__file__).resolve().parents[2] / "overrides" / "assets" / "fonts"
WEAKNESS = {
    "short": _l("Use at least %(min)s characters. A few unrelated words make a strong passphrase."),
    "long": _l("Use at most %(max)s characters."),
    "guessable": _l("This passphrase would be too easy to guess. Add more words, or words that do not go together."),
}


def here(endpoint: str, **values) -> str:
    """url_for in this request's language."""
    return url_for(f"{request.blueprint}.{endpoint}", **values)


def page(template: str, status: int = 200, **context):
    answer = current_app.make_response((render_template(f"workspace/{template}", **context), status))
    answer.headers["Cache-Control"] = "no-store"
    return answer


def signed_in(view):
    @functools.wraps(view)
    def checked(*args, **kwargs):
        ended = accounts.ended_because()
        g.analyst = accounts.current()
        if g.analyst is None:
            return redirect(here("sign_in", ended=ended) if ended else here("sign_in"), 303)
        return view(*args, **kwargs)
    return checked


def admin_only(view):
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if g.analyst.role != "admin":
            return page("refused.html", 403)
        return view(*args, **kwargs)
    return signed_in(checked)


def back(reference: str, done: str, anchor: str = ""):
    return redirect(here("report", reference=reference, done=done) + anchor, 303)


# ── Signing in ─────────────────────────────────────────────────────────────

@bp.route("/sign-in/", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    if request.method == "POST":
        if limited("signin"):
            return page("sign_in.html", 429, form=form, failed=True)
        if form.validate_on_submit():
            try:
                with db.sqlite_writer():
                    analyst = accounts.sign_in(form.name.data, form.passphrase.data, form.code.data)
            except Busy:
                return page("sign_in.html", 503, form=form, busy=True)
            if analyst is not None:
                return redirect(here("queue"), 303)
            form.passphrase.data = form.code.data = ""
            return page("sign_in.html", 400, form=form, failed=True)
        return page("sign_in.html", 400, form=form)
    return page("sign_in.html", form=form, ended=request.args.get("ended"), out=request.args.get("out"))


@bp.post("/sign-out/")
def sign_out():
    if not ButtonForm().validate_on_submit():
        abort(400)
    accounts.sign_out()
    return redirect(here("sign_in", out="1"), 303)


@bp.post("/sign-out-everywhere/")
@signed_in
def sign_out_everywhere():
    if not ButtonForm().validate_on_submit():
        abort(400)
    with db.sqlite_writer():
        accounts.sign_out_everywhere(g.analyst)
    return redirect(here("sign_in", out="everywhere"), 303)


@bp.route("/enrol/", methods=["GET", "POST"])
def enrol():
    form = EnrolForm()
    token = form.token.data if request.method == "POST" else request.args.get("t", "")
    found = accounts.link_owner(token)
    if found is None:
        return page("enrol_gone.html", 404)
    analyst = found[1]
    form.token.data = token
    if request.method == "POST":
        secret = form.secret.data or ""
        if form.validate_on_submit():
            with db.sqlite_writer():
                problem = accounts.enrol(token, form.passphrase.data, secret, form.code.data)
            if problem is None:
                return redirect(here("sign_in", enrolled="1"), 303)
            if problem == "code":
                form.code.errors = [*form.code.errors, _("That code is not right. Check the time on your phone "
                                                         "and type the code the app shows now.")]
            elif problem in WEAKNESS:
                form.passphrase.errors = [*form.passphrase.errors, WEAKNESS[problem] % {
                    "min": passwords.MIN_LENGTH, "max": passwords.MAX_LENGTH}]
            else:
                return page("enrol_gone.html", 404)
        if not second_factor.SECRET.fullmatch(secret):
            secret = second_factor.new_secret()
        status = 400
    else:
        secret, status = second_factor.new_secret(), 200
    form.secret.data = secret
    form.passphrase.data = form.again.data = form.code.data = ""
    uri = second_factor.uri(f"{analyst.name} (workspace)", secret)
    return page("enrol.html", status, form=form, analyst=analyst, secret=secret, qr=second_factor.qr_svg(uri))


# ── The queue, a report, the clock ─────────────────────────────────────────

@bp.get("/")
@signed_in
def queue():
    filters = QueueFilters(request.args)
    valid = filters.validate()
    chosen = risk.Filters(stage=filters.stage.data or None, platform=filters.platform.data or None,
                          since=filters.since.data, until=filters.until.data) if valid else risk.Filters()
    items = risk.queue(chosen)
    number = max(1, request.args.get("page", 1, type=int) or 1)
    pages = max(1, -(-len(items) // risk.PAGE_SIZE))
    number = min(number, pages)
    shown = items[(number - 1) * risk.PAGE_SIZE:number * risk.PAGE_SIZE]
    overdue = sum(1 for item in items if item.overdue)
    return page("queue.html", 200 if valid else 400, filters=filters, items=shown, total=len(items),
                overdue=overdue, page_number=number, pages=pages, parts=PART_LABELS, phases=PHASE_LABELS,
                platforms=SEEN_ON_LABELS, stages=STAGE_LABELS, query={k: v for k, v in request.args.items()
                                                                      if k != "page"})


def load(reference: str) -> Report:
    report = db.session().scalar(
        select(Report).where(Report.reference == reference)
        .options(selectinload(Report.urls).selectinload(ReportedUrl.notices)))
    if report is None:
        abort(404)
    return report


def also_reported(report: Report) -> dict[int, list[str]]:
    """For each address of report, the other reports that name it: its duplicates."""
    texts = {url.url for url in report.urls}
    rows = db.session().execute(
        select(ReportedUrl.url, Report.reference).join(Report, Report.id == ReportedUrl.report_id)
        .where(ReportedUrl.url.in_(texts), Report.id != report.id).order_by(Report.created_at)).all()
    found: dict[str, list[str]] = {}
    for text, reference in rows:
        found.setdefault(text, [])
        if reference not in found[text]:
            found[text].append(reference)
    return {number: found.get(url.url, []) for number, url in enumerate(report.urls, 1)}


@bp.get("/reports/<reference>/")
@signed_in
def report(reference: str, status: int = 200, forms: dict | None = None):
    found = load(reference)
    if request.method == "GET":
        with db.sqlite_writer():
            casework.audit(g.analyst.name, "view", found.reference)   # every view of a report is recorded
            db.session().commit()
    forms = forms or {}
    per_url = []
    duplicates = also_reported(found)
    clocks = clock.for_report(found)
    for number, url in enumerate(found.urls, 1):
        assess = forms.get(("assess", number)) or AssessForm(formdata=None, assessment=url.assessment or "",
                                                             country=url.hosting_country or "")
        assess.country.choices = countries()
        texts = ([(recipient, *notices.text(found, url, number, recipient)) for recipient in NOTICE_RECIPIENTS]
                 if url.assessment in ILLEGAL else [])
        per_url.append({"number": number, "url": url, "duplicates": duplicates[number], "clock": clocks[number - 1],
                        "assess": assess, "notice": forms.get(("notice", number)) or NoticeForm(formdata=None),
                        "texts": texts, "country": country_name(url.hosting_country)})
    stage = forms.get("stage") or StageForm(formdata=None, stage=found.stage)
    public_label = public_text(updates.current_public_stage(found))[0]
    return page("report.html", status, report=found, per_url=per_url, stage=stage, button=ButtonForm(),
                public_label=public_label, assessments=ASSESSMENT_LABELS, recipients=RECIPIENT_LABELS, stages=STAGE_LABELS,
                platforms=SEEN_ON_LABELS, done=request.args.get("done"))


def run(action) -> None:
    with db.sqlite_writer():
        action()


@bp.post("/reports/<reference>/urls/<int:number>/assess")
@signed_in
def assess(reference: str, number: int):
    found = load(reference)
    form = AssessForm()
    form.country.choices = countries()
    if not 1 <= number <= len(found.urls):
        abort(404)
    if not form.validate_on_submit():
        return report(reference, 400, {("assess", number): form})
    run(lambda: casework.assess(reference, number, form.assessment.data, g.analyst.name, form.country.data or None))
    return back(reference, "assessed", f"#address-{number}")


@bp.post("/reports/<reference>/urls/<int:number>/notice")
@signed_in
def notice(reference: str, number: int):
    found = load(reference)
    form = NoticeForm()
    if not 1 <= number <= len(found.urls):
        abort(404)
    if not form.validate_on_submit():
        return report(reference, 400, {("notice", number): form})
    run(lambda: casework.notify(reference, number, form.recipient.data, g.analyst.name, form.note.data or None))
    return back(reference, "notice", f"#address-{number}")


@bp.post("/reports/<reference>/urls/<int:number>/removed")
@signed_in
def removed(reference: str, number: int):
    found = load(reference)
    if not 1 <= number <= len(found.urls):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    run(lambda: casework.mark_removed(reference, number, g.analyst.name))
    return back(reference, "removed", f"#address-{number}")


@bp.post("/reports/<reference>/stage")
@signed_in
def stage(reference: str):
    load(reference)
    form = StageForm()
    if not form.validate_on_submit():
        return report(reference, 400, {"stage": form})
    run(lambda: casework.move(reference, form.stage.data, g.analyst.name))
    return back(reference, "stage", "#report-stage")


@bp.get("/clock/")
@signed_in
def takedown_clock():
    """Every address of the open reports, oldest report first, a page at a time."""
    statement = select(Report).where(Report.stage != "closed").order_by(Report.created_at, Report.id)
    number = max(1, request.args.get("page", 1, type=int) or 1)
    reports = db.session().scalars(statement.offset((number - 1) * risk.PAGE_SIZE).limit(risk.PAGE_SIZE + 1)
                                   .options(selectinload(Report.urls).selectinload(ReportedUrl.notices))).all()
    more = len(reports) > risk.PAGE_SIZE
    rows = [(found, clock.for_url(found, url, n), url) for found in reports[:risk.PAGE_SIZE]
            for n, url in enumerate(found.urls, 1)]
    return page("clock.html", rows=rows, page_number=number, more=more, assessments=ASSESSMENT_LABELS)


# ── Figures, export, users ─────────────────────────────────────────────────

@bp.get("/figures/")
@signed_in
def figures_page():
    """The last 12 months: reports, outcomes, and how fast confirmed
    material came down (figures.py counts; charts.py draws)."""
    months = figures.monthly_reports(12)
    removals = figures.monthly_removal(12)
    since = dt.datetime.combine(months[0][0], dt.time()) if months else None
    return page("figures.html", monthly=charts.monthly_chart("reports-per-month", months),
                outcomes=charts.outcomes_chart("outcomes", figures.outcomes(since), ASSESSMENT_LABELS),
                median=charts.vertical_bars(
                    "median-removal", _("Median time from report to removal, in hours"), _("Month"), _("Hours"),
                    [(charts.month_label(first), None if r.median_hours is None else round(r.median_hours))
                     for first, r in removals], missing=_("none removed"), missing_short="–"),
                share=charts.vertical_bars(
                    "removed-within-3-days", _("Share of confirmed addresses removed within 3 days, in per cent"),
                    _("Month"), _("Per cent"),
                    [(charts.month_label(first), None if r.share_within_3_days is None
                      else round(100 * r.share_within_3_days)) for first, r in removals],
                    missing=_("none confirmed"), missing_short="–"),
                removal=figures.removal(since))


@bp.route("/export/", methods=["GET", "POST"])
@signed_in
def export():
    form = ExportForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return page("export.html", 400, form=form)
        since = dt.datetime.combine(form.since.data, dt.time()) if form.since.data else None
        with db.sqlite_writer():
            body = casework.export(form.format.data, g.analyst.name, since)
        kind = "application/json" if form.format.data == "json" else "text/csv"
        answer = current_app.response_class(body, mimetype=kind)
        stamp = dt.date.today().isoformat()
        answer.headers["Content-Disposition"] = f'attachment; filename="ihc-iccam-{stamp}.{form.format.data}"'
        answer.headers["Cache-Control"] = "no-store"
        return answer
    return page("export.html", form=form)


@bp.route("/users/", methods=["GET", "POST"])
@admin_only
def users():
    form = UserForm()
    link = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                with db.sqlite_writer():
                    link = accounts.add(form.name.data, form.admin.data, g.analyst.name, form.language.data)
                form = UserForm(formdata=None)
            except accounts.AccountError:
                form.name.errors = [*form.name.errors, _("Use 2 to 32 lower-case letters, digits, dots, dashes or "
                                                         "underscores, starting with a letter, and a name no one "
                                                         "else has.")]
                status = 400
        else:
            status = 400
    return page("users.html", status, form=form, link=link, people=accounts.listing(), button=ButtonForm())


@bp.post("/users/<name>/reenrol")
@admin_only
def reenrol(name: str):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with db.sqlite_writer():
            link = accounts.reenrol(name, g.analyst.name)
    except accounts.AccountError:
        abort(404)
    return page("users.html", form=UserForm(formdata=None), link=link, people=accounts.listing(),
                button=ButtonForm(), renewed=name)


@bp.post("/users/<name>/disable")
@admin_only
def disable(name: str):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with db.sqlite_writer():
            accounts.disable(name, g.analyst.name)
    except accounts.AccountError:
        return page("users.html", 400, form=UserForm(formdata=None), people=accounts.listing(), button=ButtonForm(),
                    own=True)
    return redirect(here("users"), 303)


@bp.get("/fonts/<name>")
def font(name: str):
    """The site's self-hosted Khmer font, for the workspace's Khmer pages."""
    if not name.endswith(".woff2"):
        abort(404)
    return send_from_directory(FONTS, name, max_age=86400)


def in_other_language() -> str:
    """This page (its arguments and filters too) in the other language."""
    other = "workspace" if request.blueprint == "workspace_km" else "workspace_km"
    return url_for(f"{other}.{request.endpoint.split('.')[-1]}", **{**request.args.to_dict(), **(request.view_args or {})})


@bp.app_context_processor
def workspace_context():
    return {"here": here, "in_other_language": in_other_language, "local_number": local_number}


def init_app(app) -> None:
    app.register_blueprint(bp, url_prefix="/workspace")
    app.register_blueprint(bp, url_prefix="/km/workspace", name="workspace_km")
