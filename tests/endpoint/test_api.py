"""The JSON API: reports, status, counters, the OpenAPI document, and errors
as JSON with a translated message per field."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from report_endpoint import db
from report_endpoint.models import Report


def count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(Report.id)))


def post(client, path, body, **headers):
    return client.post(path, data=json.dumps(body) if not isinstance(body, (bytes, str)) else body,
                       content_type=headers.pop("content_type", "application/json"), headers=headers)


def test_report_is_created_with_a_reference(app, client):
    answer = post(client, "/api/v1/reports", {"seen_on": "chat", "urls": ["example.com/a", "https://example.org/b"]})
    assert answer.status_code == 201
    body = answer.get_json()
    assert len(body["reference"]) == 8 and body["reference"].isdigit()
    assert body["urls"] == ["http://example.com/a", "https://example.org/b"]
    assert body["stage"] == "received"
    assert count(app) == 1


def test_urls_may_be_one_string(client):
    answer = post(client, "/api/v1/reports", {"seen_on": "website", "urls": "example.com/a, example.org/b"})
    assert answer.status_code == 201 and len(answer.get_json()["urls"]) == 2


# (body, field with an error)
INVALID = [
    ({"seen_on": "website"}, "urls"),
    ({"seen_on": "website", "urls": []}, "urls"),
    ({"seen_on": "website", "urls": ""}, "urls"),
    ({"seen_on": "website", "urls": ["javascript:alert(1)"]}, "urls"),
    ({"seen_on": "website", "urls": ["data:text/plain,x"]}, "urls"),
    ({"seen_on": "website", "urls": [f"example.com/{i}" for i in range(21)]}, "urls"),
    ({"seen_on": "website", "urls": [1, 2]}, "urls"),
    ({"seen_on": "website", "urls": {"a": 1}}, "urls"),
    ({"urls": ["example.com"]}, "seen_on"),
    ({"seen_on": "nowhere", "urls": ["example.com"]}, "seen_on"),
    ({"seen_on": 7, "urls": ["example.com"]}, "seen_on"),
    ({"seen_on": "website", "urls": ["example.com"], "description": "x" * 2001}, "description"),
    ({"seen_on": "website", "urls": ["example.com"], "anonymous": "no"}, "anonymous"),
    ({"seen_on": "website", "urls": ["example.com"], "anonymous": False, "contact": {"email": "nope"}}, "email"),
    ({"seen_on": "website", "urls": ["example.com"], "contact": {"address": "x"}}, "contact"),
    ({"seen_on": "website", "urls": ["example.com"], "file": "aGVsbG8="}, "file"),
]


@pytest.mark.parametrize(("body", "field"), INVALID)
@pytest.mark.parametrize("lang", ["en", "km"])
def test_invalid_reports_get_translated_errors_and_store_nothing(app, client, body, field, lang):
    answer = post(client, f"/api/v1/reports?lang={lang}", body)
    assert answer.status_code == 400
    errors = answer.get_json()["errors"]
    assert field in errors and errors[field] and all(isinstance(m, str) for m in errors[field])
    if lang == "km":
        assert all(any("\u1780" <= ch <= "\u17ff" for ch in message) for message in errors[field]), errors
    assert count(app) == 0


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"null", b"{bad json", b"\xff\xfe",
                                  b"[" * 30000 + b"]" * 30000, b'{"a":' * 10000 + b"1" + b"}" * 10000,
                                  b'{"seen_on": "website", "urls": ["example.com"], "description": "\xc3\x28"}'],
                         ids=lambda body: body[:12].decode("latin-1") + f"..{len(body)}b")
def test_bodies_that_are_not_a_json_object_are_refused(app, client, body):
    answer = post(client, "/api/v1/reports", body)
    assert answer.status_code == 400 and "body" in answer.get_json()["errors"]
    assert count(app) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_other_content_types_are_refused(app, client, content_type):
    answer = client.post("/api/v1/reports", data="seen_on=website&urls=example.com", content_type=content_type)
    assert answer.status_code == 415 and answer.get_json()["errors"]
    assert count(app) == 0


@pytest.mark.parametrize("path", ["/api/v1/reports", "/report/", "/km/report/", "/api/v1/status"])
def test_multipart_bodies_are_refused_everywhere(app, client, path):
    body = (b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
            b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--x--\r\n")
    answer = client.post(path, data=body, content_type="multipart/form-data; boundary=x")
    assert answer.status_code == 415
    assert count(app) == 0


def test_oversized_bodies_are_refused(app, client):
    body = {"seen_on": "website", "urls": ["example.com"], "description": "x" * 70_000}
    answer = post(client, "/api/v1/reports", body)
    assert answer.status_code == 413 and answer.get_json()["errors"]["request"]
    assert count(app) == 0


def test_status_has_the_same_shape_for_known_and_unknown_references(client):
    reference = post(client, "/api/v1/reports", {"seen_on": "email", "urls": ["example.com"]}).get_json()["reference"]
    known = post(client, "/api/v1/status", {"reference": reference}).get_json()
    other = "00000000" if reference != "00000000" else "11111111"
    unknown = post(client, "/api/v1/status", {"reference": other}).get_json()
    assert set(known) == set(unknown)
    assert known["found"] and known["stage"] == "received" and known["date"]
    assert not unknown["found"] and unknown["stage"] == "unknown" and unknown["date"] is None
    # Nothing about the content or the reporter.
    assert "urls" not in known and "contact" not in known and "description" not in known


@pytest.mark.parametrize(("body", "status"), [
    ({"reference": "1234"}, 400), ({"reference": 12345678}, 400), ({}, 400), ({"reference": "12345678", "x": 1}, 400),
    ({"reference": "១២៣៤ ៥៦៧៨"}, 200), ({"reference": "1234-5678"}, 200),
])
def test_status_input(client, body, status):
    assert post(client, "/api/v1/status", body).status_code == status


def test_language_explicit_choice_beats_accept_language(client):
    body = {"seen_on": "website", "urls": ["javascript:x"]}
    khmer = post(client, "/api/v1/reports", body, **{"Accept-Language": "km,en;q=0.5"}).get_json()
    chosen = post(client, "/api/v1/reports?lang=en", body, **{"Accept-Language": "km"}).get_json()
    default = post(client, "/api/v1/reports", body, **{"Accept-Language": "fr"}).get_json()
    assert "អាសយដ្ឋាន" in khmer["errors"]["urls"][0]
    assert "not a web address" in chosen["errors"]["urls"][0]
    assert "not a web address" in default["errors"]["urls"][0]


def test_stats_count_reports_confirmed_and_removed(app, client):
    from report_endpoint import casework
    reference = post(client, "/api/v1/reports", {"seen_on": "website", "urls": ["example.com/1", "example.com/2"]}).get_json()["reference"]
    with app.app_context():
        casework.assess(reference, 1, "baseline", "tester")
        casework.assess(reference, 2, "not_illegal", "tester")
        casework.mark_removed(reference, 1, "tester")
    assert client.get("/api/v1/stats").get_json() == {"reports_received": 1, "urls_confirmed": 1, "urls_removed": 1}


def test_openapi_document_is_served_and_lists_the_api(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/reports", "/api/v1/status", "/api/v1/stats", "/healthz"} <= set(document["paths"])


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_unknown_api_path_is_json(client):
    answer = client.get("/api/v1/nothing", headers={"Accept-Language": "km"})
    assert answer.status_code == 404 and answer.get_json()["errors"]["request"][0][0] >= "\u1780"


@pytest.mark.parametrize("clashes", [1, 3])
def test_a_reference_clash_draws_another(client, monkeypatch, clashes):
    from report_endpoint import reports
    first = post(client, "/api/v1/reports", {"seen_on": "chat", "urls": ["example.com/a"]}).get_json()["reference"]
    drawn = iter([first] * clashes + ["87654321" if first != "87654321" else "12345678"])
    monkeypatch.setattr(reports, "new_reference", lambda: next(drawn))
    second = post(client, "/api/v1/reports", {"seen_on": "chat", "urls": ["example.com/b"]})
    assert second.status_code == 201 and second.get_json()["reference"] != first
