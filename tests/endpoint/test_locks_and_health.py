"""Locks with a timeout and a health check that tells the truth.

- While another process holds the database's write lock, a report is
  refused after the lock timeout with a clear, translated "busy, nothing was
  stored, try again" (503 and Retry-After), and nothing is stored; the form
  keeps what was typed.
- Status checks never wait behind a writer: they are reads of their own.
- /healthz fails when the database cannot take a commit or the disk is
  nearly full, not only when it cannot be read."""

from __future__ import annotations

import fcntl
import shutil
import sqlite3
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from report_endpoint import create_app

from conftest import HTTPS, csrf_token

BODY = {"seen_on": "website", "urls": ["https://locks.example.com/page"]}


@pytest.fixture()
def app(tmp_path):
    # A short lock timeout keeps the waits in these tests short.
    return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "LOCK_TIMEOUT": 0.5})


def database(app) -> str:
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


def stored_reports(app) -> int:
    with sqlite3.connect(database(app)) as connection:
        return connection.execute("SELECT count(*) FROM reports").fetchone()[0]


@pytest.fixture()
def writer_lock_held(app):
    """Another process's turn to write: the workers' file lock, held."""
    with open(Path(app.instance_path) / "write.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield
        fcntl.flock(held, fcntl.LOCK_UN)


@pytest.fixture()
def database_write_locked(app):
    """Another connection in the middle of a write transaction (SQLite's own lock)."""
    connection = sqlite3.connect(database(app), isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("UPDATE health_checks SET checked_at = CURRENT_TIMESTAMP")
    yield
    connection.rollback()
    connection.close()


@pytest.mark.parametrize("lock", ["writer_lock_held", "database_write_locked"])
def test_a_report_is_refused_as_busy_and_nothing_is_stored(app, client, lock, request):
    before = stored_reports(app)
    request.getfixturevalue(lock)
    answer = client.post("/api/v1/reports", json=BODY)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert "Nothing was stored" in answer.get_json()["errors"]["request"][0]
    khmer = client.post("/api/v1/reports", json=BODY, headers={"Accept-Language": "km"})
    assert khmer.status_code == 503
    assert "គ្មានអ្វីត្រូវបានរក្សាទុកទេ" in khmer.get_json()["errors"]["request"][0]
    assert "reference" not in answer.get_json()
    assert stored_reports(app) == before


def test_the_form_says_busy_and_keeps_what_was_typed(app, client, writer_lock_held):
    for prefix, words in (("", "your report was not stored"), ("/km", "មិនទាន់ត្រូវបានរក្សាទុកទេ")):
        data = {"csrf_token": csrf_token(client, f"{prefix}/report/"), "seen_on": "website", "anonymous": "y",
                "urls": "https://typed.example.org/kept", "description": "typed note"}
        answer = client.post(f"{prefix}/report/", data=data, base_url=HTTPS)
        assert answer.status_code == 503
        page = BeautifulSoup(answer.text, "html.parser")
        assert words in page.select_one("[role=alert]").get_text()
        assert page.select_one("textarea[name=urls]").get_text().strip() == "https://typed.example.org/kept"
        assert page.select_one("textarea[name=description]").get_text().strip() == "typed note"
        assert "data-reference" not in answer.text
    assert stored_reports(app) == 0


@pytest.mark.parametrize("lock", ["writer_lock_held", "database_write_locked"])
def test_status_checks_do_not_wait_behind_a_writer(app, client, lock, request):
    reference = client.post("/api/v1/reports", json=BODY).get_json()["reference"]
    request.getfixturevalue(lock)
    # Were the read to wait for the writer, it would time out into a 503.
    answer = client.post("/api/v1/status", json={"reference": reference})
    assert answer.status_code == 200 and answer.get_json()["found"]
    data = {"csrf_token": csrf_token(client, "/report/status/"), "reference": reference}
    page = client.post("/report/status/", data=data, base_url=HTTPS)
    assert page.status_code == 200 and "busy" not in page.text


def test_healthz_is_ok_when_the_database_takes_a_commit(app, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    with sqlite3.connect(database(app)) as connection:
        first = connection.execute("SELECT checked_at FROM health_checks").fetchone()[0]
    client.get("/healthz")
    with sqlite3.connect(database(app)) as connection:
        assert connection.execute("SELECT checked_at FROM health_checks").fetchone()[0] != first  # really written


def test_healthz_fails_when_the_database_cannot_be_written(app, client, database_write_locked):
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "failing", "problem": "database locked"}


def test_healthz_fails_when_the_disk_is_nearly_full(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    free = shutil.disk_usage(instance).free
    app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "HEALTH_MIN_FREE_BYTES": free * 2})
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["problem"] == "disk nearly full"


def test_healthz_fails_when_the_health_row_is_gone(app, client):
    with sqlite3.connect(database(app)) as connection:
        connection.execute("DELETE FROM health_checks")
    assert client.get("/healthz").status_code == 503


def test_an_analyst_command_on_a_locked_database_says_so_and_changes_nothing(app, client):
    reference = client.post("/api/v1/reports", json=BODY).get_json()["reference"]
    connection = sqlite3.connect(database(app), isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = app.test_cli_runner().invoke(args=["stage", reference, "triage", "--analyst", "analyst.one"])
    finally:
        connection.rollback()
        connection.close()
    assert result.exit_code == 1
    assert "busy" in result.output and "nothing was changed" in result.output
    with sqlite3.connect(database(app)) as check:
        assert check.execute("SELECT stage FROM reports WHERE reference = ?", (reference,)).fetchone()[0] == "received"
        assert check.execute("SELECT count(*) FROM audit_events WHERE action = 'stage'").fetchone()[0] == 0
