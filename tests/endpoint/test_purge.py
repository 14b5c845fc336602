"""Deletion that deletes: after `ihc-analyst purge`, run while the service
keeps serving, nothing of a purged report (its description, addresses,
reference, encrypted contact record) and nothing of a cleared contact
record can be read from any file of the instance or from the server's log.
The audit trail keeps its events, without the purged reference."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gunicorn_server import OPENER, GunicornServer
from raised_limits import RAISED_ENV

MARKER = "purge-marker-7f3a9c"
BIN = Path(sys.executable).parent


def post(server, path: str, body: dict) -> dict:
    import urllib.request
    request = urllib.request.Request(f"{server.base}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with OPENER.open(request, timeout=10) as answer:
        return json.loads(answer.read())


def every_file(*folders: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for folder in folders for path in folder.rglob("*") if path.is_file()}


@pytest.fixture()
def served(tmp_path):
    instance = tmp_path / "instance"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}, **RAISED_ENV,
           "REPORT_INSTANCE_PATH": str(instance)}
    server = GunicornServer("report_endpoint:create_app()", env, tmp_path / "gunicorn.log")
    try:
        yield server, instance, env
    finally:
        server.stop()


def analyst(env: dict, *args: str) -> str:
    result = subprocess.run([str(BIN / "ihc-analyst"), *args, "--analyst", "tester"], env=env,
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_nothing_purged_remains_in_any_file(served, tmp_path):
    server, instance, env = served
    old = post(server, "/api/v1/reports", {
        "seen_on": "website", "urls": [f"https://{MARKER}.example.com/gallery"],
        "description": f"note {MARKER}", "anonymous": False, "contact": {"email": f"{MARKER}@example.org"}})["reference"]
    contact_only = post(server, "/api/v1/reports", {
        "seen_on": "chat", "urls": ["https://kept.example.org/a"], "anonymous": False,
        "contact": {"phone": "012 345 678"}})["reference"]
    analyst(env, "assess", old, "1", "baseline")  # an audit event naming the reference
    for number in range(30):  # later traffic, so the WAL holds more than the purged rows
        post(server, "/api/v1/reports", {"seen_on": "website", "urls": [f"https://later-{number}.example.com/"]})
    database = instance / "reports.sqlite3"
    with sqlite3.connect(database) as connection:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        connection.execute("UPDATE reports SET created_at = ? WHERE reference = ?",
                            ((now - dt.timedelta(days=400)).isoformat(" "), old))
        connection.execute("UPDATE reports SET created_at = ? WHERE reference = ?",
                            ((now - dt.timedelta(days=100)).isoformat(" "), contact_only))
        tokens = [row[0] for row in connection.execute(
            "SELECT contact FROM reports WHERE reference IN (?, ?)", (old, contact_only))]
    assert len(tokens) == 2 and all(tokens)
    secrets_before = (instance / "secrets.json").read_bytes()
    # Before the purge the marker is on disk (so the search below can find it).
    assert any(MARKER.encode() in content for content in every_file(instance).values())

    result = json.loads(analyst(env, "purge"))
    assert result == {"reports_deleted": 1, "contacts_deleted": 1}
    # The service goes on answering: the kept reports are still there.
    assert post(server, "/api/v1/status", {"reference": contact_only})["found"]
    assert not post(server, "/api/v1/status", {"reference": old})["found"]

    files = every_file(instance)
    files[tmp_path / "gunicorn.log"] = (tmp_path / "gunicorn.log").read_bytes()
    assert instance / "reports.sqlite3-wal" not in files or files[instance / "reports.sqlite3-wal"] == b""
    for path, content in files.items():
        for secret in (MARKER.encode(), old.encode(), *tokens):
            assert secret not in content, f"{path.name} still holds {secret[:20]!r}"
    assert (instance / "secrets.json").read_bytes() == secrets_before
    with sqlite3.connect(database) as connection:
        events = connection.execute("SELECT action, reference FROM audit_events ORDER BY id").fetchall()
    assert ("assess", None) in events and ("purge", None) in events  # kept, without the reference
