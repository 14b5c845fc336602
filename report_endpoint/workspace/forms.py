"""The workspace's forms (Flask-WTF: every POST carries a CSRF token) and
the translated names of stages, outcomes, recipients and platforms."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, HiddenField, PasswordField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import Optional, ValidationError

from .. import casework
from ..forms import SEEN_ON_LABELS

STAGE_LABELS = {
    "received": _l("Received"), "triage": _l("Triage"), "assessed": _l("Assessed"),
    "hosting_traced": _l("Hosting traced"), "notified": _l("Notified"), "monitored": _l("Monitored"),
    "removed": _l("Removed"), "closed": _l("Closed"),
}
ASSESSMENT_LABELS = {
    "baseline": _l("Illegal: international baseline"), "national": _l("Illegal: Cambodian law"),
    "not_illegal": _l("Not illegal"), "not_accessible": _l("Not accessible"),
    "out_of_remit": _l("Outside our remit"), "duplicate": _l("Duplicate"),
}
RECIPIENT_LABELS = {
    "police": _l("Cambodian police"), "host": _l("Hosting provider"),
    "partner_hotline": _l("Partner hotline (ICCAM)"), "interpol": _l("INTERPOL"),
}
PHASE_LABELS = {"assess": _l("Assess within 24 hours"), "notify": _l("Notify within 3 days"),
                "follow_up": _l("Follow up until removed")}
PART_LABELS = {"danger": _l("Danger"), "waiting": _l("Waiting"), "known": _l("Known"), "platform": _l("Platform")}


def required(message):
    def check(form, field):
        if not (field.data or "").strip():
            raise ValidationError(message)
    return check


def countries() -> list[SelectChoice]:
    """Every ISO country, named in the page's language, in its alphabetical order."""
    names = Locale.parse(str(get_locale())).territories
    codes = sorted(casework.country_codes(), key=lambda code: names.get(code, code))
    return [SelectChoice("", _l("Not yet traced"))] + [SelectChoice(code, names.get(code, code)) for code in codes]


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return Locale.parse(str(get_locale())).territories.get(code, code)


class SignInForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required(_l("Enter your name."))],
                       render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    passphrase = PasswordField(_l("Passphrase"), validators=[required(_l("Enter your passphrase."))],
                               render_kw={"autocomplete": "current-password"})
    code = StringField(_l("6-digit code from your authenticator app"), validators=[required(_l("Enter the code."))],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class EnrolForm(FlaskForm):
    token = HiddenField()
    secret = HiddenField()
    passphrase = PasswordField(_l("Choose a passphrase"),
                               description=_l("At least 12 characters. A few unrelated words work well."),
                               validators=[required(_l("Enter a passphrase."))],
                               render_kw={"autocomplete": "new-password"})
    again = PasswordField(_l("The same passphrase again"), validators=[required(_l("Enter the passphrase again."))],
                          render_kw={"autocomplete": "new-password"})
    code = StringField(_l("The 6-digit code your app shows now"), validators=[required(_l("Enter the code."))],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})

    def validate_again(self, field):
        if field.data != self.passphrase.data:
            raise ValidationError(_l("The two passphrases are not the same."))


class AssessForm(FlaskForm):
    # No outcome is chosen in advance: an address is never assessed by default.
    assessment = SelectField(_l("Outcome"), choices=[SelectChoice("", _l("Choose an outcome"))]
                             + [SelectChoice(k, v) for k, v in ASSESSMENT_LABELS.items()], validate_choice=False)
    country = SelectField(_l("Hosting country"), validate_choice=False)

    def validate_assessment(self, field):
        if field.data not in ASSESSMENT_LABELS:
            raise ValidationError(_l("Choose an outcome."))

    def validate_country(self, field):
        if field.data and field.data not in casework.country_codes():
            raise ValidationError(_l("Choose a country from the list."))


class NoticeForm(FlaskForm):
    recipient = SelectField(_l("Sent to"), choices=[SelectChoice(k, v) for k, v in RECIPIENT_LABELS.items()],
                            validate_choice=False)
    note = TextAreaField(_l("Note (optional): how it was sent, a case number"), validators=[Optional()])

    def validate_recipient(self, field):
        if field.data not in RECIPIENT_LABELS:
            raise ValidationError(_l("Choose who the notice went to."))

    def validate_note(self, field):
        if field.data and len(field.data) > 1000:
            raise ValidationError(_l("Keep the note under 1,000 characters."))


class StageForm(FlaskForm):
    stage = SelectField(_l("Stage"), choices=[SelectChoice(k, v) for k, v in STAGE_LABELS.items()],
                        validate_choice=False)

    def validate_stage(self, field):
        if field.data not in STAGE_LABELS:
            raise ValidationError(_l("Choose a stage."))


class ExportForm(FlaskForm):
    format = SelectField(_l("Format"), choices=[SelectChoice("csv", "CSV"), SelectChoice("json", "JSON")],
                         validate_choice=False)
    since = DateField(_l("Reports received from (optional)"), validators=[Optional()])

    def validate_format(self, field):
        if field.data not in ("csv", "json"):
            raise ValidationError(_l("Choose CSV or JSON."))


class UserForm(FlaskForm):
    name = StringField(_l("Sign-in name"), description=_l("Lower-case letters and digits, for example sokha.analyst"),
                       validators=[required(_l("Enter a name."))],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    admin = BooleanField(_l("Admin (can manage users)"))
    language = SelectField(_l("Language of the enrolment page"),
                           choices=[SelectChoice("en", "English"), SelectChoice("km", "ខ្មែរ")], validate_choice=False)

    def validate_language(self, field):
        if field.data not in ("en", "km"):
            raise ValidationError(_l("Choose a language."))


class ButtonForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class QueueFilters(FlaskForm):
    """The queue's filters: a GET form, so no CSRF token (it changes nothing)."""
    class Meta:
        csrf = False

    stage = SelectField(_l("Stage"), validate_choice=False, validators=[Optional()])
    platform = SelectField(_l("Platform"), validate_choice=False, validators=[Optional()])
    since = DateField(_l("Received from"), validators=[Optional()])
    until = DateField(_l("Received until"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = SelectChoice("", _l("All"))
        self.stage.choices = [everything] + [SelectChoice(k, v) for k, v in STAGE_LABELS.items() if k != "closed"]
        self.platform.choices = [everything] + [SelectChoice(k, v) for k, v in SEEN_ON_LABELS.items()]

    def validate_stage(self, field):
        if field.data and field.data not in STAGE_LABELS:
            raise ValidationError(_l("Choose a stage from the list."))

    def validate_platform(self, field):
        if field.data and field.data not in SEEN_ON_LABELS:
            raise ValidationError(_l("Choose a platform from the list."))
