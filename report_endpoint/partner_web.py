"""The partners' area as pages of the site: /partners/ and /km/partners/
(docs/<lang>/partners/index.md, whose slot "partners" this fills), with the
site's header, language switch, quick exit and CSP, like the report form.
What each action does is partners.py; this is forms, pages and answers.

Every form has a CSRF token.  Every answer that could tell whether an
address has an account (sign-in, reset, request) is the same sentence
either way.  Pages for a signed-in partner are never cached."""

from __future__ import annotations

import functools
import json
import re
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import ValidationError

from . import db, partners, passwords
from . import second_factor as totp   # (the view below is named second_factor)
from .db import Busy
from .errors import RETRY_AFTER_SECONDS
from .forms import check_email, check_text
from .ratelimit import limited
from .site_pages import in_slot

bp = Blueprint("partners", __name__)

ROLE_LABELS = {
    "teacher": _l("Teacher or school staff"),
    "caseworker": _l("NGO caseworker or social worker"),
    "police": _l("Police officer"),
    "internet_company": _l("Internet company (hosting, platform, service provider)"),
    "other": _l("Another partner of the hotline"),
}
WEAKNESS = {
    "short": _l("Use at least %(min)s characters. A few unrelated words make a strong password that is easy to remember."),
    "long": _l("Use at most %(max)s characters."),
    "guessable": _l("This password would be too easy to guess. Add more words, or words that do not go together."),
    "link": _l("This link does not work any more: it was used already, or its time ran out. Ask for a new one below."),
}
SIGN_IN_FAILED = _l("The e-mail address, password or code is not right, or there were too many tries. "
                    "Wait a few minutes and try again.")
PACK_FILE = re.compile(r"^([a-z0-9-]+)-(en|km)\.pdf$")
# Sign-in, reset and account requests answer no sooner than this, whatever
# they did: whether an address has an account must not show in the time
# (a password check, a link queued, a request stored, or nothing at all).
ANSWER_FLOOR_S = 0.4


def no_sooner_than_the_floor(view):
    """For POSTs: wait out the rest of ANSWER_FLOOR_S before answering."""
    @functools.wraps(view)
    def timed(*args, **kwargs):
        started = time.monotonic()
        answer = view(*args, **kwargs)
        if request.method == "POST":
            time.sleep(max(0.0, ANSWER_FLOOR_S - (time.monotonic() - started)))
        return answer
    return timed


def required(message):
    def check(form, field):
        if not (field.data or "").strip():
            raise ValidationError(message)
    return check


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[required(_l("Enter your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[required(_l("Enter your password."))])
    code = StringField(_l("Code from your authenticator app (only if you turned it on)"))


class RequestForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[required(_l("Enter your name."))])
    organisation = StringField(_l("Your organisation"), validators=[required(_l("Enter your organisation."))])
    role = SelectField(_l("Your role"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()],
                       validate_choice=False)
    email = EmailField(_l("Your work e-mail address"), validators=[required(_l("Enter your e-mail address."))])
    terms = BooleanField(_l("I agree to the terms of use: I will use these materials only in my work to protect "
                            "children, keep them within my organisation, and not publish them."))

    def validate_role(self, field):
        if field.data not in ROLE_LABELS:
            raise ValidationError(_l("Choose your role."))

    def validate_terms(self, field):
        if not field.data:
            raise ValidationError(_l("You need to agree to the terms of use to ask for an account."))

    def validate_email(self, field):
        check_email(field.data)

    def validate_name(self, field):
        check_text(field.data, "MAX_CONTACT_LENGTH")

    def validate_organisation(self, field):
        check_text(field.data, "MAX_CONTACT_LENGTH")


class PasswordForm(FlaskForm):
    token = HiddenField()
    password = PasswordField(_l("New password"), description=_l("At least 12 characters. A few unrelated words work well."),
                             validators=[required(_l("Enter a password."))])
    again = PasswordField(_l("The same password again"), validators=[required(_l("Enter the password again."))])

    def validate_again(self, field):
        if field.data != self.password.data:
            raise ValidationError(_l("The two passwords are not the same."))


class ResetForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[required(_l("Enter your e-mail address."))])


class CodeForm(FlaskForm):
    secret = HiddenField()
    code = StringField(_l("The 6-digit code your app shows now"), validators=[required(_l("Enter the code."))])


class ButtonForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


def page(state: str, status: int = 200, title: str | None = None, **context):
    """This path's page of the site (docs/<lang>/partners/*.md) with this
    state in its slot.  Paths the site has no page for (sign-out, a
    download) answer with a redirect to one instead."""
    html = render_template("partners.html", state=state, **context)
    answer = current_app.make_response((in_slot("partners", html, title), status))
    answer.headers["Cache-Control"] = "no-store"
    return answer


def busy(state: str, **context):
    answer = page(state, 503, **context)
    answer.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return answer


def signed_in_page(partner, **context):
    return page("home", partner=partner, packs=restricted_packs(), buttons=ButtonForm(), **context)


def restricted_packs() -> list[dict]:
    """The restricted packs the build wrote (restricted/index.json), titles in this language."""
    folder = current_app.config.get("RESTRICTED_DIR")
    index = Path(folder) / "index.json" if folder else None
    if not index or not index.is_file():
        return []
    lang = str(get_locale())
    found = []
    for pack in json.loads(index.read_text(encoding="utf-8")):
        files = [{"lang": other, **pack["files"][other]} for other in [lang, *[x for x in pack["files"] if x != lang]]
                 if other in pack["files"]]
        found.append({"id": pack["id"], "title": pack["title"].get(lang) or pack["title"]["en"],
                      "summary": pack["summary"].get(lang) or pack["summary"]["en"], "files": files})
    return found


def to_index(**query: str):
    return redirect(url_for(f"{request.blueprint}.index", **query), 303)


@bp.route("/partners/", methods=["GET", "POST"])
@no_sooner_than_the_floor
def index():
    partner = partners.current()
    done = request.args.get("done")
    if partner is not None and request.method == "GET":
        return signed_in_page(partner, totp_on=done == "second-factor")
    form = SignInForm()
    if request.method == "POST":
        if limited("signin"):
            return page("sign_in", 429, form=form, failed=True)
        if form.validate_on_submit():
            try:
                with db.sqlite_writer():
                    partner = partners.sign_in(form.email.data, form.password.data, form.code.data)
            except Busy:
                return busy("sign_in", form=form)
            if partner is not None:
                return redirect(url_for(f"{request.blueprint}.index"), 303)
            form.password.data = form.code.data = ""
            return page("sign_in", 400, form=form, failed=True)
        return page("sign_in", 400, form=form)
    if done in ("signed-out", "everywhere"):
        return page("signed_out", 200, _("Signed out"), form=form, everywhere=done == "everywhere")
    return page("sign_in", form=form, needed="needed" in request.args)


@bp.route("/partners/request/", methods=["GET", "POST"])
@no_sooner_than_the_floor
def ask():
    form = RequestForm()
    if request.method == "POST":
        if limited("signin"):
            return page("request", 429, form=form, limited=True)
        if form.validate_on_submit():
            try:
                with db.sqlite_writer():
                    partners.request_account(form.name.data, form.organisation.data, form.role.data,
                                             form.email.data, str(get_locale()))
            except Busy:
                return busy("request", form=form)
            return page("requested", 201, _("Request received"))
        return page("request", 400, form=form)
    return page("request", form=form)


@bp.route("/partners/password/", methods=["GET", "POST"])
def password():
    form = PasswordForm()
    token = form.token.data if request.method == "POST" else request.args.get("t", "")
    if partners.token_partner(token) is None:
        return page("password_link_gone", 404, reset=ResetForm())
    form.token.data = token
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                with db.sqlite_writer():
                    problem = partners.set_password(token, form.password.data)
            except Busy:
                return busy("password", form=form)
            if problem is None:
                return page("password_set", 200, _("Password set"), form=SignInForm())
            message = WEAKNESS[problem] % {"min": passwords.MIN_LENGTH, "max": passwords.MAX_LENGTH}
            form.password.errors = [*form.password.errors, message]
        return page("password", 400, form=form)
    return page("password", form=form)


@bp.route("/partners/reset/", methods=["GET", "POST"])
@no_sooner_than_the_floor
def reset():
    form = ResetForm()
    if request.method == "POST":
        if limited("signin"):
            return page("reset", 429, form=form, limited=True)
        if form.validate_on_submit():
            try:
                with db.sqlite_writer():
                    partners.request_reset(form.email.data)
            except Busy:
                return busy("reset", form=form)
            return page("reset_sent", 200)
        return page("reset", 400, form=form)
    return page("reset", form=form)


@bp.post("/partners/sign-out/")
def sign_out():
    if ButtonForm().validate_on_submit():
        partners.sign_out()
        return to_index(done="signed-out")
    abort(400)


@bp.post("/partners/sign-out-everywhere/")
def sign_out_everywhere():
    partner = partners.current()
    if partner is None:
        return to_index()
    if ButtonForm().validate_on_submit():
        with db.sqlite_writer():
            partners.sign_out_everywhere(partner)
        return to_index(done="everywhere")
    abort(400)


@bp.route("/partners/second-factor/", methods=["GET", "POST"])
def second_factor():
    partner = partners.current()
    if partner is None:
        return to_index()
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        secret = form.secret.data or ""
        if totp.SECRET.fullmatch(secret):
            with db.sqlite_writer():
                if partners.enrol_totp(partner, secret, form.code.data):
                    return to_index(done="second-factor")
        form.code.errors = [*form.code.errors, _("That code is not right. Check the time on your phone and try "
                                                 "the code the app shows now.")]
    secret = form.secret.data if request.method == "POST" and form.secret.data else totp.new_secret()
    form.secret.data = secret
    uri = partners.totp_uri(partner, secret)
    return page("second_factor", 400 if request.method == "POST" else 200, form=form, secret=secret,
                qr=totp.qr_svg(uri))


@bp.get("/partners/download/<name>")
def download(name: str):
    partner = partners.current()
    found = PACK_FILE.match(name)
    folder = current_app.config.get("RESTRICTED_DIR")
    if partner is None:
        # Not signed in (or idle too long): to the sign-in page, never the file.
        return to_index(needed="1")
    if not found or not folder:
        abort(404)
    path = Path(folder) / found.group(1) / name
    if not path.is_file():
        abort(404)
    with db.sqlite_writer():
        partners.downloaded(partner, found.group(1), found.group(2))
    answer = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name, max_age=0)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/km", name="partners_km")
