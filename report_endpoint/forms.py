"""The report form and the status form (Flask-WTF: CSRF on), with every
message translated.  Each field's rule is one function (check_*): the HTML
form runs them through ReportForm, the JSON API through check_report."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from email_validator import EmailNotValidError, validate_email

from .i18n import local_number
from .references import normalise_reference
from .reports import NewReport
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


# ── The rules, one function per field; the HTML form and the JSON API both use them.

PHONE = re.compile(r"^[0-9០-៩+() .-]{6,25}$")
# Characters no one types into a text box: C0 and C1 controls and DEL, and the
# bidirectional embeddings, overrides and isolates that make text read
# differently from how it is stored ("Trojan Source").  Khmer's zero-width
# space and joiners (U+200B-U+200D) are ordinary text here.
HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINE_BREAK = re.compile(r"[\r\n]")


def check_seen_on(value) -> str:
    if value not in SEEN_ON_LABELS:
        raise ValidationError(_l("Choose where you saw it."))
    return value


def check_urls(text) -> list[str]:
    config = current_app.config
    parsed = parse_urls(text or "", config["MAX_URLS"], config["MAX_URL_LENGTH"])
    if parsed.errors:
        raise ValidationError(" ".join(
            str(URL_MESSAGES[e.code]) % {"text": _shorten(e.text), "max": local_number(config["MAX_URLS"])}
            for e in parsed.errors[:5]))
    if not parsed.urls:
        raise ValidationError(URL_MESSAGES["empty"])
    return parsed.urls


def check_length(value: str, setting: str) -> str:
    limit = current_app.config[setting]
    if value and len(value) > limit:
        raise ValidationError(_l("Please keep this under %(max)s characters.", max=local_number(limit)))
    return value


def check_text(value: str, setting: str, multiline: bool = False) -> str:
    """Free text: not too long, and nothing hidden in it."""
    check_length(value, setting)
    if value and (HIDDEN.search(value) or (not multiline and LINE_BREAK.search(value))):
        raise ValidationError(_l("This contains hidden or control characters. Please type it again."))
    return value


def check_email(value: str) -> str:
    check_length(value, "MAX_CONTACT_LENGTH")
    if value:
        try:  # syntax only: never a DNS lookup
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(_l("Enter a valid email address, or leave it empty.")) from None
    return value


def check_phone(value: str) -> str:
    if value and not PHONE.match(value):
        raise ValidationError(_l("Enter a phone number with digits only, or leave it empty."))
    return value


def check_honeypot(value: str) -> str:
    if value:
        raise ValidationError(_l("Leave this field empty."))
    return value


CONTACT_FIELDS = ("name", "email", "phone")
CHECKS = {
    "seen_on": check_seen_on,
    "urls": check_urls,
    "description": lambda value: check_text(value, "MAX_DESCRIPTION_LENGTH", multiline=True),
    "name": lambda value: check_text(value, "MAX_CONTACT_LENGTH"),
    "email": check_email,
    "phone": check_phone,
    "website": check_honeypot,
}


def run_checks(value_of, anonymous: bool) -> tuple[dict, dict[str, str]]:
    """Every field's rule, run once for the form and the API alike: the clean
    values, and a message for each field that fails its rule."""
    clean, errors = {}, {}
    for name, check in CHECKS.items():
        if name in CONTACT_FIELDS and anonymous:
            continue  # not stored, so not checked
        try:
            clean[name] = check(value_of(name))
        except ValidationError as error:
            errors[name] = str(error.args[0])
    return clean, errors


UPDATES_NEED_EMAIL = _l("To get news by e-mail, untick “Report anonymously” and give your email address.")


def check_updates(wanted: bool, anonymous: bool, email: str | None) -> None:
    """Updates go to an e-mail address: only a reporter who gives one may ask."""
    if wanted and (anonymous or not (email or "").strip()):
        raise ValidationError(UPDATES_NEED_EMAIL)


def check_report(values: dict) -> tuple[NewReport | None, dict[str, list[str]]]:
    """Validate a report given as plain values (the JSON API's path)."""
    anonymous = values.get("anonymous", True)
    clean, errors = run_checks(lambda name: values.get(name) or ("" if name != "seen_on" else None), anonymous)
    try:
        check_updates(values.get("updates", False), anonymous, values.get("email"))
    except ValidationError as error:
        errors["updates"] = str(error.args[0])
    if errors:
        return None, {name: [message] for name, message in errors.items()}
    return _new_report(clean, anonymous, values.get("danger", False), values.get("updates", False)), {}


def _new_report(clean: dict, anonymous: bool, danger: bool, updates: bool) -> NewReport:
    from flask_babel import get_locale
    contact = None if anonymous else {  # not stored even if sent
        name: (clean.get(name) or "").strip() for name in CONTACT_FIELDS}
    return NewReport(seen_on=clean["seen_on"], urls=clean["urls"], description=(clean.get("description") or "").strip(),
                     anonymous=bool(anonymous), contact=contact, urgent=bool(danger),
                     updates=bool(updates) and not anonymous, language=str(get_locale()))


class ReportForm(FlaskForm):
    """The HTML form: the same rules as check_report, with fields to render."""

    seen_on = SelectField(
        _l("Where did you see it?"), choices=[SelectChoice(key, label) for key, label in SEEN_ON_LABELS.items()],
        validate_choice=False)  # checked by check_seen_on, with our own translated message
    urls = TextAreaField(
        _l("The web address or addresses"),
        description=_l("One or more addresses, one per line. You can leave out https://. Up to 20."))
    description = TextAreaField(
        _l("Anything else we should know (optional)"),
        description=_l("For example the name of the account or group. Never describe or send the material itself."))
    danger = BooleanField(_l("A child may be in danger right now"))
    anonymous = BooleanField(_l("Report anonymously"), default=True)
    name = StringField(_l("Your name (optional)"))
    email = EmailField(_l("Your email (optional)"))
    phone = StringField(_l("Your phone number (optional)"))
    updates = BooleanField(_l("Tell me by e-mail when there is news"))
    # Honeypot: hidden from people by CSS and aria-hidden; bots fill every field.
    website = StringField(_l("Leave this field empty"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.clean, errors = run_checks(lambda name: self[name].data, self.anonymous.data)
        try:
            check_updates(self.updates.data, self.anonymous.data, self.email.data)
        except ValidationError as error:
            errors["updates"] = str(error.args[0])
        for name, message in errors.items():
            self[name].errors = [*self[name].errors, message]
        return valid and not errors

    def new_report(self) -> NewReport:
        return _new_report(self.clean, self.anonymous.data, self.danger.data, self.updates.data)


class StatusForm(FlaskForm):
    MISSING = _l("Enter your 8-digit reference.")
    INVALID = _l("A reference has exactly 8 digits, for example 1234 5678.")

    reference = StringField(
        _l("Your 8-digit reference"),
        description=_l("Khmer or Western digits; spaces and dashes are fine."),
        validators=[InputRequired(MISSING)])

    normalised: str | None = None

    def validate_reference(self, field):
        self.normalised = normalise_reference(field.data or "")
        if self.normalised is None:
            raise ValidationError(self.INVALID)



class StopUpdatesForm(FlaskForm):
    """The button on the page an update's "stop" link opens (web.stop_updates)."""

    token = HiddenField()
