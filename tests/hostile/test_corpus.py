"""Every case of the hostile corpus (corpus.py), in English and in Khmer,
against the endpoint on a real SQLite file: a 4xx of the expected kind, a
message in the visitor's language, no server error, and no row stored.
Then the hostile inputs that are valid addresses or text: stored in a
safe, normalised form, shown escaped, never evaluated."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from raised_limits import RAISED_CONFIG
from corpus import API_REPORT, API_STATUS, FORM, PATHS, STATUS_FORM, cases, encoded_form
from report_endpoint import create_app, db
from report_endpoint.models import Report, ReportedUrl

HTTPS = "https://localhost"  # the session cookie is Secure
KHMER = re.compile(r"[\u1780-\u17ff]")
CASES = cases()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path_factory.mktemp("instance"), **RAISED_CONFIG})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def stored(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(Report.id)))


def csrf_token(client, path: str) -> str:
    page = client.get(path, base_url=HTTPS)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def send(client, case, lang: str):
    is_form = case.target in (FORM, STATUS_FORM)
    path = ("/km" if lang == "km" and is_form else "") + PATHS[case.target]
    headers = {"Accept-Language": lang}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    if is_form and case.content_type and case.content_type.startswith("application/x-www-form-urlencoded"):
        body = encoded_form(case, csrf_token(client, path))
    else:
        body = case.body if case.body is not None else encoded_form(case, None)
    return client.open(path, method=case.method, data=body, headers=headers, base_url=HTTPS)


def messages(response) -> list[str]:
    """The messages a person reads: the JSON errors, or the page's error texts."""
    if response.is_json:
        errors = response.get_json().get("errors", {})
        return [text for texts in errors.values() for text in texts]
    page = BeautifulSoup(response.text, "html.parser")
    found = page.select(".ihc-field__error, .ihc-form__error, .ihc-form__summary, #error")
    return [element.get_text(" ", strip=True) for element in found]


@pytest.mark.parametrize("lang", ["en", "km"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c.category}: {c.name}" for c in CASES])
def test_hostile_input_is_refused_in_the_visitors_language(app, client, case, lang):
    before = stored(app)
    response = send(client, case, lang)
    assert response.status_code in case.expected, (response.status_code, response.text[:300])
    texts = messages(response)
    assert texts and all(texts), response.text[:500]
    if lang == "km":
        assert all(KHMER.search(text) for text in texts), texts
    else:
        assert not any(KHMER.search(text) for text in texts), texts
    assert stored(app) == before


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 300
    assert len({(c.category, c.name) for c in CASES}) == len(CASES)
    assert {c.target for c in CASES} == {FORM, STATUS_FORM, API_REPORT, API_STATUS}
    assert len({c.category for c in CASES}) >= 12


# ── Hostile but valid: taken, in a safe form ───────────────────────────────

ACCEPTED = [
    # (what is pasted, what is stored)
    ("https://exаmple.test/", "https://xn--exmple-4nf.test/"),               # Cyrillic а: stored as punycode
    ("http://ехаmрlе.test/", "http://xn--ml-6kctd8d6a.test/"),            # mostly-Cyrillic look-alike
    ("https://ＥＸＡＭＰＬＥ．ＣＯＭ/ｘ", "https://example.com/%EF%BD%98"),     # full-width host folded
    ("http://[2001:DB8:0:0::1]:8080/", "http://[2001:db8::1]:8080/"),      # IPv6, compressed
    ("https://example.com/';%20DROP%20TABLE%20reports;--", "https://example.com/';%20DROP%20TABLE%20reports;--"),
    ("https://example.com/{{7*7}}?q=<script>x", "https://example.com/%7B%7B7*7%7D%7D?q=%3Cscript%3Ex"),
    ("https://example.com/%0d%0aSet-Cookie:x", "https://example.com/%0d%0aSet-Cookie:x"),  # encoded, stays encoded
]


@pytest.mark.parametrize("pasted, kept", ACCEPTED)
def test_valid_but_hostile_addresses_are_kept_in_a_safe_form(app, client, pasted, kept):
    response = client.post("/api/v1/reports", json={"seen_on": "website", "urls": [pasted]}, base_url=HTTPS)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["urls"] == [kept]
    with app.app_context():
        assert kept in db.session().scalars(select(ReportedUrl.url)).all()


@pytest.mark.parametrize("text", ["{{7*7}} {% raw %}${7*7}", "<script>alert(1)</script>",
                                  "'; DROP TABLE reports; --", "ឈ្មោះ\u200bក្រុម"])
def test_hostile_text_is_stored_as_typed_and_shown_escaped(app, client, text):
    fields = {"seen_on": "website", "anonymous": "y", "description": text}
    page = client.post("/report/", data={"csrf_token": csrf_token(client, "/report/"), **fields,
                                         "urls": "https://example.com/kept"}, base_url=HTTPS)
    assert page.status_code == 201
    with app.app_context():
        assert text in db.session().scalars(select(Report.description)).all()
        assert db.session().scalar(select(func.count(Report.id))) > 0  # the table is still there
    # Where the text is shown again (the form, sent back with a mistake to
    # correct), it is shown as typed, escaped: never as markup.
    again = client.post("/report/", data={"csrf_token": csrf_token(client, "/report/"), **fields,
                                          "urls": "not an address"}, base_url=HTTPS)
    assert again.status_code == 400
    shown = BeautifulSoup(again.text, "html.parser").select_one("textarea[name=description]").get_text()
    assert shown.strip("\r\n") == text
    assert "<script>alert(1)</script>" not in again.text
    assert BeautifulSoup(again.text, "html.parser").select("script:not([src])") == []  # no inline script crept in
