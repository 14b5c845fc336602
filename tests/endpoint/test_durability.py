"""A report acknowledged by the API survives the server process being killed
with SIGKILL right after the answer: a real gunicorn (master and two workers),
a real SQLite file in a temporary instance folder.

Each round starts gunicorn on the same instance folder, first checks through
the API that every reference acknowledged in the earlier rounds is still
found, then has a few clients send reports at the same time and kills the
whole process group (master and workers) the instant the round's chosen
201 arrives, so other reports are caught half-way at different moments.
After every kill the SQLite file is opened directly: every acknowledged
reference must be there with its addresses, in order and unchanged.

Only 127.0.0.1 is contacted; the reported addresses are reserved names and
are never fetched."""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import signal
from pathlib import Path

import pytest

from gunicorn_server import OPENER, GunicornServer, ServerError

ROUNDS = 5
CLIENTS = 4
STARTUP_TIMEOUT = 20.0


class Server(GunicornServer):
    """The endpoint under gunicorn on one instance folder, rate limits raised."""

    def __init__(self, instance: Path, log: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}
        env.update({
            "REPORT_INSTANCE_PATH": str(instance),
            "REPORT_REPORT_LIMIT_PER_CLIENT": "100000,60",
            "REPORT_REPORT_LIMIT_OVERALL": "100000,60",
            "REPORT_STATUS_LIMIT_PER_CLIENT": "100000,60",
            "REPORT_STATUS_LIMIT_OVERALL": "100000,60",
            "PYTHONUNBUFFERED": "1",
        })
        try:
            super().__init__("report_endpoint:create_app()", env, log, startup_timeout=STARTUP_TIMEOUT)
        except ServerError as error:
            pytest.fail(str(error))

    def post(self, path: str, body: dict, timeout: float = 10) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.base}{path}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with OPENER.open(request, timeout=timeout) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def report_body(round_number: int, client: int, sequence: int) -> dict:
    host = f"r{round_number}-c{client}-n{sequence}.example.com"
    return {
        "seen_on": "website",
        "urls": [f"https://{host}/gallery/{sequence}?page=2&sort=new",
                 f"https://files.example.org/{round_number}/{client}/{sequence}/a%20b",
                 f"http://{round_number}-{client}-{sequence}.hotline.test/"],
        "description": f"durability round {round_number}",
        "anonymous": True,
    }


def run_round(server: Server, round_number: int, kill_after: int) -> dict[str, list[str]]:
    """Clients send reports together; the process group is killed the instant
    the kill_after-th 201 arrives.  Returns every acknowledged reference with
    the addresses the API echoed."""
    acknowledged: dict[str, list[str]] = {}
    lock = threading.Lock()
    killed = threading.Event()
    failures: list[str] = []

    def client(number: int) -> None:
        sequence = 0
        while not killed.is_set():
            sent = report_body(round_number, number, sequence)
            sequence += 1
            try:
                status, answer = server.post("/api/v1/reports", sent)
            except (OSError, http.client.HTTPException, ValueError):
                return  # the server died under this request: it was never acknowledged
            if status != 201:
                if not killed.is_set():
                    failures.append(f"{status} {answer}")
                return
            with lock:
                acknowledged[answer["reference"]] = sent["urls"]
                if answer["urls"] != sent["urls"]:
                    failures.append(f"{answer['reference']}: API echoed different addresses")
                if len(acknowledged) >= kill_after and not killed.is_set():
                    server.kill()  # right after the answer, before anything else
                    killed.set()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    if not killed.is_set():
        server.kill()
    assert not failures, failures
    assert len(acknowledged) >= kill_after
    return acknowledged


def stored_on_disk(database: Path) -> dict[str, list[str]]:
    """Every reference in the SQLite file with its addresses in order, read
    directly (sqlite3 recovers the WAL the killed server left behind)."""
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute(
            "SELECT r.reference, u.url FROM reports r JOIN reported_urls u ON u.report_id = r.id "
            "ORDER BY r.reference, u.position").fetchall()
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    assert check == "ok"
    stored: dict[str, list[str]] = {}
    for reference, url in rows:
        stored.setdefault(reference, []).append(url)
    return stored


def test_acknowledged_reports_survive_sigkill(tmp_path):
    instance = tmp_path / "instance"
    database = instance / "reports.sqlite3"
    log = tmp_path / "gunicorn.log"
    acknowledged: dict[str, list[str]] = {}
    started = time.monotonic()

    for round_number in range(ROUNDS + 1):
        server = Server(instance, log)
        try:
            # Everything acknowledged before the earlier kills is still there.
            for reference in acknowledged:
                status, answer = server.post("/api/v1/status", {"reference": reference})
                assert status == 200, answer
                assert answer["found"] is True, reference
                assert answer["stage"] == "received"
            if round_number == ROUNDS:
                break
            # Different moments: the first answer, then later ones with more in flight.
            new = run_round(server, round_number, kill_after=1 + 2 * round_number)
        finally:
            server.kill()
        assert server.process.returncode == -signal.SIGKILL

        acknowledged.update(new)
        stored = stored_on_disk(database)
        missing = sorted(set(acknowledged) - set(stored))
        assert not missing, f"acknowledged but lost after SIGKILL in round {round_number}: {missing}"
        for reference, urls in acknowledged.items():
            assert stored[reference] == urls, reference

    assert len(acknowledged) >= sum(1 + 2 * r for r in range(ROUNDS))
    # Nothing a reporter sent reaches the server's log.
    text = log.read_text()
    assert "example.com" not in text and "example.org" not in text and "hotline.test" not in text
    assert time.monotonic() - started < 60
