"""The analysts' command line end to end: a report is submitted, assessed,
notified, removed and closed, and the status check shows each public stage.
Every change lands in the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from sqlalchemy import select

from report_endpoint import db
from report_endpoint.models import AuditEvent, Report


def submit(client, urls, **extra):
    answer = client.post("/api/v1/reports", json={"seen_on": "website", "urls": urls, **extra})
    assert answer.status_code == 201
    return answer.get_json()["reference"]


def public(client, reference, lang="en"):
    return client.post(f"/api/v1/status?lang={lang}", json={"reference": reference}).get_json()


def cli(runner, *args):
    result = runner.invoke(args=[*args, "--analyst", "analyst.one"] if args[0] not in ("queue", "counters") else list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_report_journey_through_the_command_line(app, client, runner):
    reference = submit(client, ["example.com/one", "example.org/two"])
    assert public(client, reference)["label"] == "Received"

    cli(runner, "stage", reference, "triage")
    assert public(client, reference)["stage"] == "assessing"
    assert public(client, reference, "km")["label"] == "កំពុងវាយតម្លៃ"

    cli(runner, "assess", reference, "1", "baseline")
    cli(runner, "assess", reference, "2", "not_accessible")
    cli(runner, "stage", reference, "assessed")
    assert public(client, reference)["stage"] == "action"

    cli(runner, "notify", reference, "1", "partner_hotline", "--note", "ICCAM record")
    cli(runner, "stage", reference, "notified")
    assert public(client, reference)["label"] == "Action taken"

    cli(runner, "removed", reference, "1")
    cli(runner, "stage", reference, "removed")
    assert public(client, reference)["label"] == "Content removed"
    assert public(client, reference, "km")["label"] == "មាតិកាត្រូវបានដកចេញ"

    cli(runner, "stage", reference, "closed")
    assert public(client, reference)["label"] == "Closed"

    shown = json.loads(cli(runner, "show", reference))
    assert shown["urls"][0]["assessment"] == "baseline" and shown["urls"][0]["notices"][0]["recipient"] == "partner_hotline"
    assert shown["urls"][0]["removed_at"] and shown["stage"] == "closed"

    with app.app_context():
        actions = [(e.actor, e.action) for e in db.session().scalars(
            select(AuditEvent).where(AuditEvent.reference == reference).order_by(AuditEvent.id))]
    assert actions == [("analyst.one", a) for a in
                       ("stage", "assess", "assess", "stage", "notify", "stage", "removed", "stage", "stage")]


def test_not_illegal_everywhere_is_no_further_action(client, runner):
    reference = submit(client, ["example.com/fine"])
    cli(runner, "assess", reference, "1", "not_illegal")
    cli(runner, "stage", reference, "assessed")
    assert public(client, reference)["label"] == "Assessed, no further action"


def test_queue_puts_danger_first_then_oldest(app, client, runner):
    first = submit(client, ["example.com/1"])
    second = submit(client, ["example.com/2"])
    urgent = submit(client, ["example.com/3"], danger=True)
    lines = cli(runner, "queue").splitlines()
    assert [line.split()[0] for line in lines] == [urgent, first, second]
    assert "DANGER" in lines[0]


def test_refused_commands_explain_and_change_nothing(client, runner):
    reference = submit(client, ["example.com/1"])
    for args in (["assess", reference, "5", "baseline"], ["stage", "99999999", "closed"]):
        result = runner.invoke(args=[*args, "--analyst", "a"])
        assert result.exit_code != 0 and "Error" in result.output
    result = runner.invoke(args=["assess", reference, "1", "maybe", "--analyst", "a"])
    assert result.exit_code != 0
    assert public(client, reference)["stage"] == "received"


def test_export_csv_and_json_for_iccam(client, runner):
    reference = submit(client, ["example.com/1", "example.org/2"], anonymous=False, contact={"email": "p@example.com"})
    cli(runner, "assess", reference, "1", "national")
    rows = list(csv.DictReader(io.StringIO(cli(runner, "export", "--format", "csv"))))
    assert [(r["reference"], r["url_number"], r["url"], r["assessment"]) for r in rows] == [
        (reference, "1", "http://example.com/1", "national"), (reference, "2", "http://example.org/2", "")]
    exported = cli(runner, "export", "--format", "json")
    assert json.loads(exported)[0]["url"] == "http://example.com/1"
    assert "p@example.com" not in exported  # contact details never leave in exports


def test_contact_is_shown_only_on_request_and_that_is_audited(app, client, runner):
    reference = submit(client, ["example.com/1"], anonymous=False, contact={"email": "p@example.com"})
    assert "p@example.com" not in cli(runner, "show", reference)
    assert json.loads(cli(runner, "show", reference, "--contact"))["contact"] == {"email": "p@example.com"}
    with app.app_context():
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "view_contact")).actor == "analyst.one"


def test_counters_command(client, runner):
    submit(client, ["example.com/1"])
    assert json.loads(cli(runner, "counters")) == {"reports_received": 1, "urls_confirmed": 0, "urls_removed": 0}


def test_purge_deletes_old_reports_and_old_contacts(app, client, runner):
    old = submit(client, ["example.com/old"])
    contact = submit(client, ["example.com/contact"], anonymous=False, contact={"phone": "012345678"})
    recent = submit(client, ["example.com/new"])
    with app.app_context():
        session = db.session()
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        session.scalar(select(Report).where(Report.reference == old)).created_at = now - dt.timedelta(days=400)
        session.scalar(select(Report).where(Report.reference == contact)).created_at = now - dt.timedelta(days=100)
        session.commit()
    result = json.loads(cli(runner, "purge"))
    assert result == {"reports_deleted": 1, "contacts_deleted": 1}
    assert not public(client, old)["found"]
    assert public(client, contact)["found"] and public(client, recent)["found"]
    with app.app_context():
        assert db.session().scalar(select(Report).where(Report.reference == contact)).contact is None
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with open(database, "rb") as raw:
        assert b"example.com/old" not in raw.read()  # deletion is real, not a flag
