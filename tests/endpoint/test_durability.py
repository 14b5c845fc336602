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
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5
CLIENTS = 4
STARTUP_TIMEOUT = 20.0
# Straight to the loopback address: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn on a free loopback port, in its own process group."""

    def __init__(self, instance: Path, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}
        env.update({
            "REPORT_INSTANCE_PATH": str(instance),
            "REPORT_REPORT_LIMIT_PER_CLIENT": "100000,60",
            "REPORT_REPORT_LIMIT_OVERALL": "100000,60",
            "REPORT_STATUS_LIMIT_PER_CLIENT": "100000,60",
            "REPORT_STATUS_LIMIT_OVERALL": "100000,60",
            "PYTHONUNBUFFERED": "1",
        })
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                 "--no-control-socket", "report_endpoint:create_app()"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with OPENER.open(f"{self.base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"gunicorn did not answer /healthz in {STARTUP_TIMEOUT} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once (the process group)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

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
