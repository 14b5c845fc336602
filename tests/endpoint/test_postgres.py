"""The storage behaviour against a real PostgreSQL server, which this test run
starts itself (initdb into a temporary folder, postgres on a free loopback
port, stopped at the end): migrations, reports through the API, status
checks, the analysts' casework, public counters, purging, and contact
details stored only encrypted and only when the reporter is not anonymous.

`make test` installs Debian's `postgresql` package; without its binaries
these tests fail (they are not skipped)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from report_endpoint import create_app, db
from report_endpoint.casework import assess, mark_removed, move, notify, purge, view
from report_endpoint.db import alembic_config
from report_endpoint.models import AuditEvent, Notice, Report, ReportedUrl
from raised_limits import RAISED_CONFIG

HTTPS = "https://localhost"  # the session cookie is Secure: browse the HTML pages as HTTPS

# --- the app on a fresh database of the test server (tests/postgres_server.py) --

@pytest.fixture()
def pg_app(database_url, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.delenv("REPORT_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": instance, **RAISED_CONFIG})
    assert Path(app.instance_path) == instance
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture()
def client(pg_app):
    return pg_app.test_client()


# --- helpers --------------------------------------------------------------------

def send_report(client, urls: list[str], **fields) -> dict:
    answer = client.post("/api/v1/reports", json={"seen_on": "website", "urls": urls, **fields})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert re.fullmatch(r"\d{8}", body["reference"])
    return body


def public_stage(client, reference: str) -> str:
    answer = client.post("/api/v1/status", json={"reference": reference})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["found"] is True
    return answer.get_json()["stage"]


# --- the tests ------------------------------------------------------------------

def test_migrations_create_the_schema_on_postgresql(pg_app, database_url):
    engine = pg_app.extensions["db_engine"]
    assert engine.dialect.name == "postgresql"
    tables = set(inspect(engine).get_table_names())
    assert {"reports", "reported_urls", "notices", "audit_events", "alembic_version"} <= tables
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head
        index = connection.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_reports_reference'"))
        assert index.startswith("CREATE UNIQUE INDEX")
    # A second start on the same database (another worker, a restart) migrates nothing and fails nothing.
    again = create_app({"TESTING": True, "DATABASE_URL": database_url})
    again.extensions["db_engine"].dispose()
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1


def test_report_through_the_api_then_status_received(pg_app, client):
    sent = ["example.com/a", "https://www.example.org/path?q=1", "http://video.example.test/watch"]
    body = send_report(client, sent, description="a note", danger=True)
    assert body["urls"] == ["http://example.com/a", "https://www.example.org/path?q=1",
                            "http://video.example.test/watch"]
    assert body["stage"] == "received"

    answer = client.post("/api/v1/status", json={"reference": f"{body['reference'][:4]} {body['reference'][4:]}"})
    assert answer.status_code == 200
    status = answer.get_json()
    assert status["found"] is True and status["stage"] == "received" and status["label"] == "Received"
    assert status["date"] == dt.datetime.now(dt.timezone.utc).date().isoformat()

    with pg_app.app_context():
        report = db.session().scalar(select(Report).where(Report.reference == body["reference"]))
        assert [u.url for u in report.urls] == body["urls"]
        assert report.urgent is True and report.description == "a note" and report.stage == "received"

    unknown = "00000000" if body["reference"] != "00000000" else "00000001"
    missing = client.post("/api/v1/status", json={"reference": unknown}).get_json()
    assert missing["found"] is False and missing["stage"] == "unknown"


def test_report_and_status_through_the_html_pages(pg_app, client):
    page = client.get("/report/", base_url=HTTPS)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    sent = client.post("/report/", base_url=HTTPS, data={
        "csrf_token": token, "seen_on": "chat", "urls": "https://example.com/html-form", "anonymous": "y"})
    assert sent.status_code == 201
    reference = re.search(r'data-reference="(\d{8})"', sent.text).group(1)

    page = client.get("/report/status/", base_url=HTTPS)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    checked = client.post("/report/status/", base_url=HTTPS, data={"csrf_token": token, "reference": reference})
    assert checked.status_code == 200
    assert "Received" in checked.text


def test_a_report_of_known_addresses_says_so(client):
    send_report(client, ["https://known.example.com/1"])
    again = send_report(client, ["https://known.example.com/1"])
    assert again["stage"] == "received_known"
    mixed = send_report(client, ["https://known.example.com/1", "https://new.example.com/2"])
    assert mixed["stage"] == "received"


def test_casework_moves_the_public_stage(pg_app, client):
    reference = send_report(client, ["https://a.example.com/1", "https://b.example.org/2"])["reference"]
    steps = [
        (lambda: move(reference, "triage", "analyst-1"), "assessing"),
        (lambda: assess(reference, 1, "baseline", "analyst-1"), "assessing"),
        (lambda: move(reference, "assessed", "analyst-1"), "action"),
        (lambda: notify(reference, 1, "host", "analyst-1", note="notice sent"), "action"),
        (lambda: move(reference, "notified", "analyst-1"), "action"),
        (lambda: mark_removed(reference, 1, "analyst-1"), "action"),
        (lambda: move(reference, "removed", "analyst-1"), "removed"),
        (lambda: move(reference, "closed", "analyst-1"), "closed"),
    ]
    for change, expected in steps:
        with pg_app.app_context():
            change()
        assert public_stage(client, reference) == expected

    # Nothing illegal among fully assessed addresses: no further action.
    other = send_report(client, ["https://c.example.com/3", "https://d.example.com/4"])["reference"]
    with pg_app.app_context():
        move(other, "assessed", "analyst-2")
        assess(other, 1, "not_illegal", "analyst-2")
    assert public_stage(client, other) == "assessing"
    with pg_app.app_context():
        assess(other, 2, "not_accessible", "analyst-2")
    assert public_stage(client, other) == "no_action"

    with pg_app.app_context():
        described = view(reference, "analyst-1")
        assert described["stage"] == "closed"
        assert described["urls"][0]["assessment"] == "baseline"
        assert described["urls"][0]["removed_at"] is not None
        assert [n["recipient"] for n in described["urls"][0]["notices"]] == ["host"]
        actions = db.session().scalars(
            select(AuditEvent.action).where(AuditEvent.reference == reference).order_by(AuditEvent.id)).all()
        assert actions == ["stage", "assess", "stage", "notify", "stage", "removed", "stage", "stage"]


def test_counters_from_the_stats_endpoint(pg_app, client):
    assert client.get("/api/v1/stats").get_json() == {"reports_received": 0, "urls_confirmed": 0, "urls_removed": 0}
    first = send_report(client, ["https://a.example.com/1", "https://a.example.com/2", "https://a.example.com/3"])
    send_report(client, ["https://b.example.org/1"])
    with pg_app.app_context():
        assess(first["reference"], 1, "baseline", "analyst")
        assess(first["reference"], 2, "national", "analyst")
        assess(first["reference"], 3, "not_illegal", "analyst")
        mark_removed(first["reference"], 1, "analyst")
    assert client.get("/api/v1/stats").get_json() == {"reports_received": 2, "urls_confirmed": 2, "urls_removed": 1}


def test_purge_deletes_old_reports_and_old_contact_details(pg_app, client):
    old = send_report(client, ["https://old.example.com/1"], anonymous=False,
                      contact={"email": "old-reporter@example.org"})["reference"]
    middle = send_report(client, ["https://middle.example.com/1"], anonymous=False,
                         contact={"name": "Middle Reporter", "email": "middle@example.org"})["reference"]
    recent = send_report(client, ["https://recent.example.com/1"], anonymous=False,
                         contact={"phone": "+855 12 345 678"})["reference"]
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with pg_app.app_context():
        notify(old, 1, "police", "analyst")
        session = db.session()
        session.scalar(select(Report).where(Report.reference == old)).created_at = now - dt.timedelta(days=400)
        session.scalar(select(Report).where(Report.reference == middle)).created_at = now - dt.timedelta(days=120)
        session.commit()

    with pg_app.app_context():
        result = purge("analyst", report_days=365, contact_days=90)
    assert result == {"reports_deleted": 1, "contacts_deleted": 1}

    assert client.post("/api/v1/status", json={"reference": old}).get_json()["found"] is False
    assert public_stage(client, middle) == "received"
    assert public_stage(client, recent) == "received"
    with pg_app.app_context():
        session = db.session()
        assert session.scalar(select(Report).where(Report.reference == old)) is None
        urls = session.scalars(select(ReportedUrl.url)).all()
        assert "https://old.example.com/1" not in urls and len(urls) == 2
        assert session.scalars(select(Notice)).all() == []
        assert session.scalar(select(Report).where(Report.reference == middle)).contact is None
        assert session.scalar(select(Report).where(Report.reference == recent)).contact is not None
        purged = session.scalar(select(AuditEvent).where(AuditEvent.action == "purge"))
        assert purged is not None and old not in (purged.detail or "")
    assert client.get("/api/v1/stats").get_json()["reports_received"] == 2


def test_contact_details_are_stored_encrypted(pg_app, client):
    email = "reporter.contact@example.org"
    reference = send_report(client, ["https://contact.example.com/1"], anonymous=False,
                            contact={"name": "Sokha Reporter", "email": email, "phone": "012 345 678"})["reference"]
    with pg_app.app_context():
        raw = db.session().execute(text("SELECT contact FROM reports WHERE reference = :r"), {"r": reference}).scalar()
        assert isinstance(raw, bytes) and raw
        assert email.encode() not in raw and b"Sokha" not in raw and b"345 678" not in raw
        # Nowhere else in the row either (text of every column, as PostgreSQL renders it).
        row_text = db.session().execute(text("SELECT reports::text FROM reports WHERE reference = :r"),
                                        {"r": reference}).scalar()
        assert email not in row_text and "Sokha" not in row_text
        # The analysts can read it back (and the reading is recorded).
        described = view(reference, "analyst", with_contact=True)
        assert described["contact"] == {"name": "Sokha Reporter", "email": email, "phone": "012 345 678"}
        assert db.session().scalar(select(AuditEvent.action).where(AuditEvent.reference == reference)) == "view_contact"


def test_anonymous_reports_store_no_contact_details(pg_app, client):
    email = "should-not-be-kept@example.org"
    anonymous = send_report(client, ["https://anon.example.com/1"], anonymous=True,
                            contact={"name": "Not Kept", "email": email})["reference"]
    default = send_report(client, ["https://anon.example.com/2"], contact={"email": email})["reference"]
    with pg_app.app_context():
        for reference in (anonymous, default):
            report = db.session().scalar(select(Report).where(Report.reference == reference))
            assert report.anonymous is True and report.contact is None
        dump = db.session().execute(text(
            "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM reports) t")).scalar()
        assert email not in dump and "Not Kept" not in dump
        audit = db.session().execute(text(
            "SELECT coalesce(string_agg(t::text, ' '), '') FROM (SELECT * FROM audit_events) t")).scalar()
        assert email not in audit


def test_concurrent_reports_get_distinct_references(pg_app):
    """Several threads submitting at once (the pool's connections in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    def submit(number: int) -> str:
        with pg_app.test_client() as own_client:
            return send_report(own_client, [f"https://parallel-{number}.example.com/"])["reference"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        references = list(pool.map(submit, range(40)))
    assert len(set(references)) == 40
    with pg_app.app_context():
        stored = set(db.session().scalars(select(Report.reference)).all())
    assert stored == set(references)
