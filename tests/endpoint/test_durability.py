"""A report acknowledged by the API survives the server being killed with
SIGKILL at any moment: a real gunicorn (master and two workers), a real
SQLite file in a temporary instance folder, many rounds.

Each round starts gunicorn on the same instance folder, first checks through
the API that every reference acknowledged in all earlier rounds is still
found, then has a few clients send reports at the same time and kills with
SIGKILL, at a moment chosen at random for the round, in one of three ways:
the whole process group at once the instant the round's chosen 201 arrives;
the workers alone at a random time (the master starts new ones and the
clients go on) and then everything; or the master first at a random time
and its workers a moment later.  Other reports are caught half-way at
different points.  After every kill the SQLite file is opened directly:
every acknowledged reference must be there with its addresses, in order and
unchanged, and no report may be torn (without its addresses, or with gaps)
or doubled.

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
import random
import signal
from pathlib import Path

import pytest

from gunicorn_server import OPENER, GunicornServer, ServerError
from raised_limits import RAISED_ENV

ROUNDS = 18
CLIENTS = 4
KILL_WAYS = ("group after a 201", "workers, then group", "master, then workers")
STARTUP_TIMEOUT = 20.0


class Server(GunicornServer):
    """The endpoint under gunicorn on one instance folder, rate limits raised."""

    def __init__(self, instance: Path, log: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}
        env.update({
            "REPORT_INSTANCE_PATH": str(instance),
            **RAISED_ENV,
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


def kill_all(server: Server) -> None:
    """SIGKILL to whatever is left of the process group, and wait until it is gone."""
    server.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(server.process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError("gunicorn processes outlived SIGKILL")


def run_round(server: Server, round_number: int, rng: random.Random) -> tuple[dict[str, list[str]], str]:
    """Clients send reports together until the round's kill.  Returns every
    acknowledged reference with the addresses the API echoed, and the way
    the server was killed."""
    way = rng.choice(KILL_WAYS)
    kill_after = rng.randint(1, 12)
    acknowledged: dict[str, list[str]] = {}
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[str] = []

    def client(number: int) -> None:
        sequence = 0
        while not stop.is_set():
            sent = report_body(round_number, number, sequence)
            sequence += 1
            try:
                status, answer = server.post("/api/v1/reports", sent)
            except (OSError, http.client.HTTPException, ValueError):
                time.sleep(0.01)  # a worker died under this request: never acknowledged; go on
                continue
            if status != 201:
                if not stop.is_set():
                    failures.append(f"{status} {answer}")
                return
            with lock:
                acknowledged[answer["reference"]] = sent["urls"]
                if answer["urls"] != sent["urls"]:
                    failures.append(f"{answer['reference']}: API echoed different addresses")
                if way == KILL_WAYS[0] and len(acknowledged) >= kill_after and not stop.is_set():
                    server.kill()  # right after the answer, before anything else
                    stop.set()

    def timed_kills() -> None:
        time.sleep(rng.uniform(0.02, 0.5))
        if way == KILL_WAYS[1]:
            for pid in server.worker_pids():
                os.kill(pid, signal.SIGKILL)
            time.sleep(rng.uniform(0.3, 1.0))  # the master starts new workers; clients go on
        else:
            os.kill(server.process.pid, signal.SIGKILL)
            time.sleep(rng.uniform(0.0, 0.3))  # orphaned workers may still answer meanwhile
        server.kill()
        stop.set()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    if way != KILL_WAYS[0]:
        threads.append(threading.Thread(target=timed_kills, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    stop.set()
    kill_all(server)
    assert not failures, failures
    return acknowledged, way


def stored_on_disk(database: Path) -> dict[str, list[str]]:
    """Every reference in the SQLite file with its addresses in order, read
    directly (sqlite3 recovers the WAL the killed server left behind).  No
    report is doubled or torn: each has its addresses at positions 0..n-1,
    and no address belongs to no report."""
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute(
            "SELECT r.reference, u.position, u.url FROM reports r JOIN reported_urls u ON u.report_id = r.id "
            "ORDER BY r.reference, u.position").fetchall()
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        doubled = connection.execute(
            "SELECT reference FROM reports GROUP BY reference HAVING COUNT(*) > 1").fetchall()
        empty = connection.execute(
            "SELECT reference FROM reports r WHERE NOT EXISTS "
            "(SELECT 1 FROM reported_urls u WHERE u.report_id = r.id)").fetchall()
        orphans = connection.execute(
            "SELECT COUNT(*) FROM reported_urls u LEFT JOIN reports r ON r.id = u.report_id "
            "WHERE r.id IS NULL").fetchone()[0]
    finally:
        connection.close()
    assert check == "ok"
    assert doubled == [] and empty == [] and orphans == 0, (doubled, empty, orphans)
    stored: dict[str, list[str]] = {}
    positions: dict[str, list[int]] = {}
    for reference, position, url in rows:
        stored.setdefault(reference, []).append(url)
        positions.setdefault(reference, []).append(position)
    for reference, found in positions.items():
        assert found == list(range(len(found))), f"torn report {reference}: positions {found}"
    return stored


def assert_checkable(server: Server, references: list[str], seed: int) -> None:
    """Each reference answers "found" on the status API (4 clients at once)."""
    failures: list[str] = []

    def check(part: list[str]) -> None:
        for reference in part:
            status, answer = server.post("/api/v1/status", {"reference": reference})
            if status != 200 or answer.get("found") is not True or answer.get("stage") != "received":
                failures.append(f"{reference}: {status} {answer}")

    threads = [threading.Thread(target=check, args=(references[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, f"seed {seed}: not checkable after restart: {failures[:5]}"


def test_acknowledged_reports_survive_sigkill(tmp_path):
    instance = tmp_path / "instance"
    database = instance / "reports.sqlite3"
    log = tmp_path / "gunicorn.log"
    acknowledged: dict[str, list[str]] = {}
    seed = random.randrange(2 ** 31)
    rng = random.Random(seed)
    ways: dict[str, int] = {}
    started = time.monotonic()

    new: dict[str, list[str]] = {}
    for round_number in range(ROUNDS + 1):
        server = Server(instance, log)
        try:
            # Checkable through the API after the restart: the last round's
            # references and a sample of older ones; after the last round, all.
            older = sorted(set(acknowledged) - set(new))
            checked = (list(acknowledged) if round_number == ROUNDS
                       else list(new) + rng.sample(older, min(50, len(older))))
            assert_checkable(server, checked, seed)
            if round_number == ROUNDS:
                break
            new, way = run_round(server, round_number, rng)
        finally:
            kill_all(server)
        ways[way] = ways.get(way, 0) + 1

        acknowledged.update(new)
        stored = stored_on_disk(database)
        missing = sorted(set(acknowledged) - set(stored))
        assert not missing, f"seed {seed}: acknowledged but lost after SIGKILL ({way}) in round {round_number}: {missing}"
        for reference, urls in acknowledged.items():
            assert stored[reference] == urls, f"seed {seed}: {reference} changed"

    print(f"\nkill rounds: {ROUNDS} ({ways}), acknowledged {len(acknowledged)}, "
          f"stored {len(stored)} (the rest were in flight when killed), lost 0, seed {seed}, "
          f"{time.monotonic() - started:.1f} s")
    assert len(acknowledged) >= ROUNDS
    assert len(ways) == len(KILL_WAYS) or ROUNDS < 10
    # Nothing a reporter sent reaches the server's log.
    text = log.read_text()
    assert "example.com" not in text and "example.org" not in text and "hotline.test" not in text
