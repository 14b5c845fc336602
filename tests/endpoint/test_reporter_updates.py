"""Updates to reporters who ask for them (report_endpoint/updates.py, mail.py),
against a real SMTP server on loopback with STARTTLS (tests/smtp_server.py)
and the default .eml folder: opting in, one message in the reporter's
language when the public stage moves, nothing a stranger could use in it,
retries when the relay refuses, nothing lost or doubled when the sender is
killed, and "stop updates" deleting the contact details."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from report_endpoint import create_app, db, updates
from report_endpoint.models import AuditEvent, OutboxMessage, Report, utcnow
from smtp_server import silent_server, smtp_server

from conftest import HTTPS, csrf_token, reference_in, submit_form

ROOT = Path(__file__).resolve().parents[2]
REPORTED = "example.com/secret-page-7"
DESCRIPTION = "The account is called marker-description-42"
EMAIL = "reporter@example.org"


def opt_in(client, lang="en", **extra):
    answer = client.post(f"/api/v1/reports?lang={lang}", json={
        "seen_on": "website", "urls": [REPORTED], "description": DESCRIPTION, "anonymous": False,
        "contact": {"email": EMAIL}, "updates": True, **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["reference"]


def cli(runner, *args):
    result = runner.invoke(args=[*args, "--analyst", "analyst.one"])
    assert result.exit_code == 0, result.output
    return result.output


def eml_files(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "mail"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def stored(app, reference) -> Report:
    with app.app_context():
        report = db.session().scalar(select(Report).where(Report.reference == reference))
        db.session().expunge(report)
        return report


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session().scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in rows:
            db.session().expunge(row)
        return rows


def says_nothing_a_stranger_could_use(message, reference):
    text = message.get_content()
    assert "secret-page-7" not in text and "marker-description" not in text
    assert "secret-page-7" not in str(message) and "marker-note" not in str(message)
    return text


# ── The default: .eml files in instance/mail/, written without another command ──

def test_a_khmer_report_gets_one_khmer_message_per_stage_change(app, client, runner):
    page = submit_form(client, lang="km", anonymous=None, email=EMAIL, updates="y", urls=REPORTED,
                       description=DESCRIPTION)
    assert page.status_code == 201
    reference = reference_in(page.text)
    assert "ផ្ញើអ៊ីមែលទៅអ្នក" in page.text           # the confirmation says updates will come
    assert eml_files(app) == []                       # "received" is what they were shown already

    cli(runner, "stage", reference, "triage")
    [message] = eml_files(app)
    assert message["To"] == EMAIL and message["Content-Language"] == "km"
    assert message["Subject"] == "ព័ត៌មានថ្មីអំពីរបាយការណ៍របស់អ្នក"
    text = says_nothing_a_stranger_could_use(message, reference)
    khmer_reference = reference[:4].translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")) + " " + \
        reference[4:].translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    assert khmer_reference in text and "កំពុងវាយតម្លៃ" in text       # the reference, the stage "Being assessed"
    assert "/km/report/status/" in text and "/km/updates/stop/?t=" in text
    assert not re.search(r"\b(Hello|Status|Reference)\b", text)      # all of it in Khmer

    cli(runner, "stage", reference, "hosting_traced")   # "assessing" -> "action": one more
    cli(runner, "stage", reference, "notified")         # still "action": none
    assert len(eml_files(app)) == 2
    assert [row.sent_at is not None and row.payload is None for row in outbox(app)] == [True, True]


def test_no_message_for_those_who_did_not_ask(app, client, runner):
    answer = client.post("/api/v1/reports", json={"seen_on": "website", "urls": [REPORTED], "anonymous": False,
                                                  "contact": {"email": EMAIL}})
    reference = answer.get_json()["reference"]
    cli(runner, "stage", reference, "triage")
    assert eml_files(app) == [] and outbox(app) == []


@pytest.mark.parametrize("lang, contact, anonymous", [("en", {}, False), ("km", {"email": EMAIL}, True),
                                                      ("en", {"phone": "012 345 678"}, False)])
def test_asking_for_updates_needs_an_email_and_no_anonymity(client, lang, contact, anonymous):
    answer = client.post(f"/api/v1/reports?lang={lang}", json={
        "seen_on": "website", "urls": [REPORTED], "anonymous": anonymous, "contact": contact, "updates": True})
    assert answer.status_code == 400
    message = answer.get_json()["errors"]["updates"][0]
    assert ("អ៊ីមែល" in message) if lang == "km" else ("email address" in message)


def test_the_form_says_what_to_fix_and_keeps_what_was_typed(client):
    page = submit_form(client, updates="y", urls=REPORTED)   # still anonymous
    assert page.status_code == 400
    assert 'id="updates-error"' in page.text and "untick" in page.text and REPORTED in page.text


def test_closing_sends_the_last_update_and_deletes_the_contact(app, client, runner):
    reference = opt_in(client)
    cli(runner, "stage", reference, "closed")
    [message] = eml_files(app)
    assert "Closed" in message.get_content()
    report = stored(app, reference)
    assert report.contact is None and not report.updates_wanted and report.stop_token_hash is None
    assert outbox(app)[0].payload is None        # the address is gone from the outbox too


# ── Stopping ───────────────────────────────────────────────────────────────

def stop_link(message) -> str:
    return re.search(r"https?://\S+/updates/stop/\?t=\S+", message.get_content()).group(0)


def test_stop_updates_asks_then_deletes_the_contact_details(app, client, runner):
    reference = opt_in(client, lang="km")
    cli(runner, "stage", reference, "triage")
    link = stop_link(eml_files(app)[0])
    path = link.split("8000", 1)[1]
    assert path.startswith("/km/updates/stop/?t=")

    asked = client.get(path, base_url=HTTPS)
    assert asked.status_code == 200 and "បញ្ឈប់ ហើយលុបព័ត៌មានរបស់ខ្ញុំ" in asked.text
    assert stored(app, reference).contact is not None   # opening the link alone changes nothing

    token = link.split("t=", 1)[1]
    refused = client.post("/km/updates/stop/", data={"token": token}, base_url=HTTPS)   # no CSRF token
    assert refused.status_code == 400 and stored(app, reference).contact is not None

    done = client.post("/km/updates/stop/", data={"token": token, "csrf_token": csrf_token(client, path)},
                       base_url=HTTPS)
    assert done.status_code == 200 and "បានបញ្ឈប់ការផ្ញើព័ត៌មានថ្មី" in done.text
    report = stored(app, reference)
    assert report.contact is None and not report.updates_wanted and report.stop_token_hash is None
    with app.app_context():
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "stop_updates")).reference == reference

    cli(runner, "stage", reference, "hosting_traced")
    assert len(eml_files(app)) == 1                       # no more messages
    again = client.get(path, base_url=HTTPS)
    assert again.status_code == 404 and "លែងប្រើបាន" in again.text


def test_an_unknown_stop_token_changes_nothing(app, client):
    reference = opt_in(client)
    page = client.get("/updates/stop/?t=not-a-token", base_url=HTTPS)
    assert page.status_code == 404
    assert stored(app, reference).contact is not None


# ── A real SMTP relay on loopback, STARTTLS required ─────────────────────────

def relay_app(tmp_path, url, ca_file):
    return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "SMTP_URL": url,
                       "SMTP_CA_FILE": ca_file})


def test_through_a_relay_with_starttls(tmp_path):
    with smtp_server(tmp_path) as (url, ca_file, mailbox):
        app = relay_app(tmp_path, url, ca_file)
        reference = opt_in(app.test_client())
        cli(app.test_cli_runner(), "notify", reference, "1", "police", "--note", "marker-note from the analyst")
        cli(app.test_cli_runner(), "stage", reference, "triage")
        [message] = mailbox.messages
        text = says_nothing_a_stranger_could_use(message, reference)
        assert f"{reference[:4]} {reference[4:]}" in text and "Being assessed" in text
        assert not (Path(app.instance_path) / "mail").exists()


def test_a_relay_that_refuses_then_accepts_gets_the_message_once(tmp_path):
    with smtp_server(tmp_path, refuse_first=1) as (url, ca_file, mailbox):
        app = relay_app(tmp_path, url, ca_file)
        reference = opt_in(app.test_client())
        runner = app.test_cli_runner()
        cli(runner, "stage", reference, "triage")          # the relay refuses: the change still stands
        assert mailbox.refused == 1 and mailbox.messages == []
        [row] = outbox(app)
        assert row.attempts == 1 and row.sent_at is None and "451" in row.last_error and EMAIL not in row.last_error
        with app.app_context():
            assert updates.send_due()["sent"] == 0            # not due yet: it waits its back-off
            result = updates.send_due(now=utcnow() + dt.timedelta(seconds=updates.BACKOFF[0] + 1))
            assert result == {"sent": 1, "failed": 0, "pending": 0}
            assert updates.send_due(now=utcnow() + dt.timedelta(days=1))["sent"] == 0
        assert len(mailbox.messages) == 1


def test_no_starttls_no_message(tmp_path):
    with smtp_server(tmp_path, starttls=False) as (url, ca_file, mailbox):
        app = relay_app(tmp_path, url, ca_file)
        reference = opt_in(app.test_client())
        cli(app.test_cli_runner(), "stage", reference, "triage")
        assert mailbox.messages == []
        assert "STARTTLS" in outbox(app)[0].last_error


def test_send_mail_command_says_what_it_did(tmp_path):
    with smtp_server(tmp_path, refuse_first=5) as (url, ca_file, mailbox):
        app = relay_app(tmp_path, url, ca_file)
        reference = opt_in(app.test_client())
        cli(app.test_cli_runner(), "stage", reference, "triage")
        with app.app_context():
            db.session().execute(OutboxMessage.__table__.update().values(due_at=utcnow()))
            db.session().commit()
        result = app.test_cli_runner().invoke(args=["send-mail"])
        assert result.exit_code == 1 and '"failed": 1' in result.output and '"pending": 1' in result.output


def test_a_sender_killed_before_sending_loses_nothing_and_doubles_nothing(tmp_path):
    """The analyst's command queues the update, commits, and starts sending
    to a relay that never answers; it is killed there.  The update is still
    queued; once its lease has run out, send-mail sends it, once."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance"})
    reference = opt_in(app.test_client())
    with silent_server() as silent:
        env = {**os.environ, "REPORT_INSTANCE_PATH": str(tmp_path / "instance"), "REPORT_SMTP_URL": silent,
               "FLASK_APP": "report_endpoint"}
        process = subprocess.Popen([sys.executable, "-m", "flask", "stage", reference, "triage",
                                    "--analyst", "analyst.one"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not [row for row in outbox(app) if row.claimed_until]:   # queued, claimed, now sending
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert stored(app, reference).stage == "triage"       # the change itself was committed
    [row] = outbox(app)
    assert row.sent_at is None and row.payload is not None
    with smtp_server(tmp_path / "relay" if (tmp_path / "relay").mkdir() is None else tmp_path) as (url, ca, mailbox):
        relay = relay_app(tmp_path, url, ca)
        with relay.app_context():
            assert updates.send_due()["sent"] == 0                   # still leased to the dead sender
            later = utcnow() + updates.LEASE + dt.timedelta(seconds=1)
            assert updates.send_due(now=later)["sent"] == 1
            assert updates.send_due(now=later + dt.timedelta(hours=1))["sent"] == 0
        assert len(mailbox.messages) == 1


def test_no_address_or_reference_in_the_log(tmp_path, caplog):
    with smtp_server(tmp_path, refuse_first=1) as (url, ca_file, mailbox):
        app = relay_app(tmp_path, url, ca_file)
        reference = opt_in(app.test_client())
        with caplog.at_level("DEBUG", logger="report_endpoint"):
            cli(app.test_cli_runner(), "stage", reference, "triage")
            with app.app_context():
                updates.send_due(now=utcnow() + dt.timedelta(hours=1))
        assert len(mailbox.messages) == 1
        # Ours only: the test's SMTP server (aiosmtpd, logger mail.log) logs whole messages.
        logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("report_endpoint"))
        assert "update not sent" in logged
        assert EMAIL not in logged and reference not in logged and "secret-page" not in logged
