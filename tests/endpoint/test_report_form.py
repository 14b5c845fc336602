"""The HTML report form, in both languages: every field's validation, CSRF,
the honeypot, what is stored, and the confirmation."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from report_endpoint import db
from report_endpoint.models import Report

from conftest import HTTPS, csrf_token, reference_in, submit_form
from digit_helpers import western_digits
from report_endpoint.khmer_digits import TO_KHMER, khmer_digits



def stored_reports(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(Report.id)))


@pytest.mark.parametrize("lang", ["en", "km"])
def test_form_page_is_in_the_chosen_language(client, lang):
    page = client.get(("/km" if lang == "km" else "") + "/report/", base_url=HTTPS)
    assert page.status_code == 200
    assert f'<html lang="{lang}"' in page.text
    assert ("រាយការណ៍" in page.text) is (lang == "km")


@pytest.mark.parametrize("lang", ["en", "km"])
def test_valid_report_shows_reference_and_addresses_as_text(app, client, lang):
    page = submit_form(client, lang, urls="example.com/a\nhttps://example.org/b, example.com/a")
    assert page.status_code == 201
    reference = reference_in(page.text)
    assert "<code>http://example.com/a</code>" in page.text and "<code>https://example.org/b</code>" in page.text
    assert '<a href="http://example.com/a' not in page.text  # shown as text, never as links
    with app.app_context():
        report = db.session().scalar(select(Report).where(Report.reference == reference))
        assert [u.url for u in report.urls] == ["http://example.com/a", "https://example.org/b"]


# (field values, field with the error, message in English, message in Khmer)
INVALID = [
    ({"urls": ""}, "urls", "Enter at least one web address.", "អាសយដ្ឋាន"),
    ({"urls": "   \n  "}, "urls", "Enter at least one web address.", "អាសយដ្ឋាន"),
    ({"urls": "javascript:alert(1)"}, "urls", "is not a web address", "javascript:alert(1)"),
    ({"urls": "data:text/html,hi"}, "urls", "is not a web address", "data:text/html"),
    ({"urls": "file:///etc/passwd"}, "urls", "is not a web address", "file:///etc/passwd"),
    ({"urls": "http://user:pw@example.com"}, "urls", "user name or password", "http://user:pw@example.com"),
    ({"urls": "\n".join(f"example.com/{i}" for i in range(21))}, "urls", "up to 20 addresses", "២០"),
    ({"seen_on": "somewhere"}, "seen_on", "Choose where you saw it.", None),
    ({"seen_on": None}, "seen_on", "Choose where you saw it.", None),
    ({"description": "x" * 2001}, "description", "under 2000 characters", "២.០០០"),
    ({"anonymous": None, "email": "not-an-email"}, "email", "valid email address", None),
    ({"anonymous": None, "phone": "call me maybe"}, "phone", "phone number", None),
    ({"anonymous": None, "name": "n" * 201}, "name", "under 200 characters", None),
]


@pytest.mark.parametrize(("fields", "field", "english", "khmer"), INVALID)
@pytest.mark.parametrize("lang", ["en", "km"])
def test_invalid_input_is_refused_with_a_translated_message_and_stores_nothing(app, client, lang, fields, field, english, khmer):
    values = {"urls": "example.com/a", **fields}
    page = submit_form(client, lang, **values)
    assert page.status_code == 400
    assert f'id="{field}-error"' in page.text
    error_text = page.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    if lang == "en":
        assert english in error_text
    else:
        assert not any(word in error_text for word in ("Enter", "valid", "Choose", "Please", "addresses")), error_text
        if khmer:
            assert khmer in error_text
    assert stored_reports(app) == 0


def test_what_was_typed_is_kept_after_an_error(client):
    page = submit_form(client, urls="example.com/kept\njavascript:alert(1)", description="group name: example")
    assert page.status_code == 400
    assert "example.com/kept" in page.text and "group name: example" in page.text


@pytest.mark.parametrize("boundary", [("description", "d" * 2000), ("name", "n" * 200)])
def test_boundary_values_are_accepted(client, boundary):
    field, value = boundary
    fields = {field: value}
    if field == "name":
        fields["anonymous"] = None
    assert submit_form(client, urls="example.com", **fields).status_code == 201


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_missing_or_wrong_csrf_token_is_refused(app, client, token):
    client.get("/report/", base_url=HTTPS)
    data = {"seen_on": "website", "urls": "example.com", "anonymous": "y"}
    if token is not None:
        data["csrf_token"] = token
    page = client.post("/report/", data=data, base_url=HTTPS)
    assert page.status_code == 400
    assert "form expired" in page.text
    assert stored_reports(app) == 0


def test_csrf_refusal_is_translated(client):
    client.get("/km/report/", base_url=HTTPS)
    page = client.post("/km/report/", data={"seen_on": "website", "urls": "example.com"}, base_url=HTTPS)
    assert page.status_code == 400 and '<html lang="km"' in page.text and "form expired" not in page.text


def test_honeypot_filled_stores_nothing(app, client):
    page = submit_form(client, urls="example.com", website="https://example.com/spam")
    assert page.status_code == 400
    assert stored_reports(app) == 0


def test_anonymous_report_stores_no_contact_even_if_sent(app, client):
    page = submit_form(client, urls="example.com", name="A Person", email="person@example.com", phone="012 345 678")
    assert page.status_code == 201
    with app.app_context():
        report = db.session().scalar(select(Report))
        assert report.anonymous and report.contact is None


def test_contact_details_are_stored_encrypted(app, client):
    page = submit_form(client, urls="example.com", anonymous=None, email="person@example.com", phone="012 345 678")
    assert page.status_code == 201
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with open(database, "rb") as raw:
        assert b"person@example.com" not in raw.read()
    with app.app_context():
        from report_endpoint.crypto import decrypt_contact
        report = db.session().scalar(select(Report))
        assert decrypt_contact(report.contact)["email"] == "person@example.com"


def test_danger_tick_shows_police_numbers(client):
    page = submit_form(client, urls="example.com", danger="y")
    assert page.status_code == 201 and "117" in page.text and "1288" in page.text


def test_known_address_shows_already_known(app, client):
    submit_form(client, urls="example.com/seen")
    page = submit_form(client, urls="example.com/seen")
    token = csrf_token(client, "/report/status/")
    answer = client.post("/report/status/", data={"csrf_token": token, "reference": reference_in(page.text)}, base_url=HTTPS)
    assert "Received, already known to us" in answer.text


@pytest.mark.parametrize("lang", ["en", "km"])
def test_status_check_accepts_khmer_digits_and_dashes(client, lang):
    reference = reference_in(submit_form(client, urls="example.com").text)
    khmer = khmer_digits(reference)
    typed = khmer[:4] + "-" + khmer[4:]
    prefix = "/km" if lang == "km" else ""
    token = csrf_token(client, f"{prefix}/report/status/")
    answer = client.post(f"{prefix}/report/status/", data={"csrf_token": token, "reference": typed}, base_url=HTTPS)
    assert answer.status_code == 200
    assert ("Received" in answer.text) is (lang == "en")
    assert ("បានទទួល" in answer.text) is (lang == "km")


def test_khmer_confirmation_shows_the_reference_in_khmer_digits(client):
    page = submit_form(client, "km", urls="example.com", danger="y")
    assert page.status_code == 201
    reference = reference_in(page.text)
    soup = BeautifulSoup(page.text, "html.parser")
    grouped = f"{reference[:4]} {reference[4:]}"
    assert soup.select_one(".ihc-reference").get_text(strip=True) == grouped.translate(TO_KHMER)
    # The status check takes either: the Western form too, as something to type.
    assert soup.select_one(".ihc-reference__western code").get_text() == grouped
    # No other Western digit: not the police numbers, not the reference.
    assert western_digits(page.text) == []


def test_english_confirmation_shows_the_reference_in_western_digits(client):
    page = submit_form(client, urls="example.com")
    reference = reference_in(page.text)
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one(".ihc-reference").get_text(strip=True) == f"{reference[:4]} {reference[4:]}"
    assert soup.select_one(".ihc-reference__western") is None


def test_khmer_status_answer_is_in_khmer_digits(client):
    reference = reference_in(submit_form(client, "km", urls="example.com").text)
    token = csrf_token(client, "/km/report/status/")
    answer = client.post("/km/report/status/", data={"csrf_token": token, "reference": reference}, base_url=HTTPS)
    assert answer.status_code == 200
    soup = BeautifulSoup(answer.text, "html.parser")
    assert soup.select_one(".ihc-answer").get_text() and "២០" in soup.select_one(".ihc-answer").get_text()
    # The field's hint says Western digits may be typed, and shows them: "(0 ដល់ 9)".
    hint = soup.select_one(".ihc-field__hint")
    assert "0" in hint.get_text()
    hint.decompose()
    assert western_digits(str(soup)) == []


@pytest.mark.parametrize(("typed", "status"), [("1234567", 400), ("abcdefgh", 400), ("", 400), ("00000000", 200)])
def test_status_check_refuses_what_is_not_a_reference(client, typed, status):
    token = csrf_token(client, "/report/status/")
    answer = client.post("/report/status/", data={"csrf_token": token, "reference": typed}, base_url=HTTPS)
    assert answer.status_code == status
    if status == 200:
        assert "could not find this reference" in answer.text


def test_reference_is_shown_only_after_it_is_stored(app, client, monkeypatch):
    """A failure while storing shows an error, never a reference."""
    import sqlite3

    engine = app.extensions["db_engine"]
    real = engine.raw_connection

    class DiskFailsOnCommit:
        def __init__(self, connection):
            self._connection = connection

        def __getattr__(self, name):
            return getattr(self._connection, name)

        def commit(self):
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(engine, "raw_connection", lambda: DiskFailsOnCommit(real()))
    page = submit_form(client, urls="example.com")
    assert page.status_code == 500
    assert "data-reference" not in page.text and "not stored" in page.text
    monkeypatch.undo()
    assert stored_reports(app) == 0
