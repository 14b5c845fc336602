"""The report form and the status form (Flask-WTF: CSRF on), with every
message translated.  The JSON API validates through the same forms."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, ValidationError

from .i18n import local_digits
from .references import normalise_reference
from .reports import SEEN_ON
from .urls import parse_urls

SEEN_ON_LABELS = {
    "website": _l("A website"),
    "social_media": _l("Social media"),
    "chat": _l("A chat or messaging app"),
    "email": _l("Email"),
    "file_sharing": _l("File sharing"),
    "game": _l("An online game"),
    "livestream": _l("A livestream"),
    "other": _l("Somewhere else"),
}

URL_MESSAGES = {
    "empty": _l("Enter at least one web address."),
    "characters": _l("“%(text)s” contains hidden or control characters. Copy the address again from the address bar."),
    "too_long": _l("“%(text)s” is too long to be a web address."),
    "scheme_dangerous": _l("“%(text)s” is not a web address. We only take addresses that start with http:// or https://, never files or code."),
    "scheme": _l("“%(text)s” is not a web address. We only take addresses of web pages (http:// or https://)."),
    "invalid": _l("“%(text)s” is not a valid web address."),
    "userinfo": _l("“%(text)s” contains a user name or password. Remove that part and send the address only."),
    "host": _l("“%(text)s” does not look like a web address. Check the part after http://."),
    "too_many": _l("You can send up to %(max)s addresses in one report. Please send the others in a second report."),
}


def _shorten(text: str, limit: int = 60) -> str:
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReportForm(FlaskForm):
    seen_on = SelectField(
        _l("Where did you see it?"), choices=[SelectChoice(key, label) for key, label in SEEN_ON_LABELS.items()],
        validate_choice=False,  # checked in validate_seen_on, with our own translated message
        validators=[InputRequired(_l("Choose where you saw it."))])
    urls = TextAreaField(
        _l("The web address or addresses"),
        description=_l("One or more addresses, one per line. You can leave out https://. Up to 20."),
        validators=[InputRequired(_l("Enter at least one web address."))])
    description = TextAreaField(
        _l("Anything else we should know (optional)"),
        description=_l("For example the name of the account or group. Never describe or send the material itself."),
        validators=[Optional()])
    danger = BooleanField(_l("A child may be in danger right now"))
    anonymous = BooleanField(_l("Report anonymously"), default=True)
    name = StringField(_l("Your name (optional)"), validators=[Optional()])
    email = EmailField(_l("Your email (optional)"), validators=[Optional(), Email(_l("Enter a valid email address, or leave it empty."))])
    phone = StringField(_l("Your phone number (optional)"), validators=[
        Optional(), Regexp(r"^[0-9០-៩+()\s.-]{6,25}$", message=_l("Enter a phone number with digits only, or leave it empty."))])
    # Honeypot: hidden from people by CSS and aria-hidden; bots fill every field.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])

    parsed_urls: list[str]

    def validate_urls(self, field):
        config = current_app.config
        parsed = parse_urls(field.data or "", config["MAX_URLS"], config["MAX_URL_LENGTH"])
        if parsed.errors:
            raise ValidationError(" ".join(
                str(URL_MESSAGES[e.code]) % {"text": _shorten(e.text), "max": local_digits(config["MAX_URLS"])}
                for e in parsed.errors[:5]))
        if not parsed.urls:
            raise ValidationError(URL_MESSAGES["empty"])
        self.parsed_urls = parsed.urls

    def validate_seen_on(self, field):
        if field.data not in SEEN_ON_LABELS:
            raise ValidationError(_l("Choose where you saw it."))

    def validate_description(self, field):
        self._check_length(field, current_app.config["MAX_DESCRIPTION_LENGTH"])

    def _validate_contact(self, field):
        self._check_length(field, current_app.config["MAX_CONTACT_LENGTH"])

    @staticmethod
    def _check_length(field, limit: int):
        if field.data and len(field.data) > limit:
            raise ValidationError(_l("Please keep this under %(max)s characters.", max=local_digits(limit)))

    validate_name = validate_email = validate_phone = _validate_contact

    def validate_website(self, field):
        if field.data:
            raise ValidationError(_l("Leave this field empty."))

    def contact(self) -> dict | None:
        if self.anonymous.data:
            return None  # not stored even if sent
        return {"name": (self.name.data or "").strip(), "email": (self.email.data or "").strip(),
                "phone": (self.phone.data or "").strip()}


class StatusForm(FlaskForm):
    reference = StringField(
        _l("Your 8-digit reference"),
        description=_l("Khmer or Western digits; spaces and dashes are fine."),
        validators=[InputRequired(_l("Enter your 8-digit reference."))])

    normalised: str | None = None

    def validate_reference(self, field):
        self.normalised = normalise_reference(field.data or "")
        if self.normalised is None:
            raise ValidationError(_l("A reference has exactly 8 digits, for example 1234 5678."))


assert set(SEEN_ON_LABELS) == set(SEEN_ON)
