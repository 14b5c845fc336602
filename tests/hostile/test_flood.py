"""Floods on loopback, against a real gunicorn (deploy/gunicorn.conf.py, two
workers) with the production rate limits, clients told apart as behind nginx
(X-Forwarded-For, REPORT_TRUSTED_PROXIES=1):

- one client sends thousands of reports and thousands of status checks;
- thousands of simulated clients, each from its own address (an IPv6 client
  is its /64), send a report: far more than the overall limit allows;
- all the while other people, each from their own address, check a status.

The limits hold (what one client gets stored stays within its limit, the
rest is refused with 429 and a translated message); the many clients are
each answered, since the overall limit leaves every client its fair share
(report_endpoint/ratelimit.py) rather than refusing newcomers; the other
people's status checks are all answered in time; and the workers' memory
stays bounded (the limiter forgets the oldest clients beyond
REPORT_RATE_LIMIT_MAX_CLIENTS).  nginx's shared limits are tested through
nginx in tests/deploy/test_rate_limits.py."""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gunicorn_server import OPENER, GunicornServer
from site_helpers import ROOT

WORKERS = 2
WARM_UP = 300               # requests that warm the workers before anything is measured
CONNECTION_ATTEMPTS = 3     # for status checks, which change nothing and may be sent again
REPORTS_FROM_ONE = 2000
STATUS_FROM_ONE = 2000
MANY_CLIENTS = 3000
MAX_CLIENTS = 1000          # the limiter's memory bound, small here so the flood crosses it
PER_CLIENT_REPORTS = 10     # the production defaults (report_endpoint/config.py)
OVERALL_REPORTS = 600
PER_CLIENT_STATUS = 30
STATUS_P99_BOUND_MS = 500.0


def post(base: str, path: str, body: dict, address: str, lang: str = "en") -> tuple[int, dict, float]:
    """(status, answer, milliseconds).  A status check whose connection is
    reset before any answer is sent again, at most CONNECTION_ATTEMPTS times
    in all, and its time counts from the first attempt: under a loaded
    machine the kernel or a busy worker may drop one connection of
    thousands, and a status check changes nothing.  A report is never sent
    twice: its connection error fails the test."""
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "X-Forwarded-For": address, "Accept-Language": lang})
    attempts = CONNECTION_ATTEMPTS if path == "/api/v1/status" else 1
    started = time.perf_counter()
    for attempt in range(1, attempts + 1):
        try:
            with OPENER.open(request, timeout=30) as answer:
                status, data = answer.status, answer.read()
            break
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
            break
        except (ConnectionResetError, ConnectionRefusedError, urllib.error.URLError) as error:
            if isinstance(error, urllib.error.URLError) and not isinstance(error.reason, ConnectionError):
                raise
            if attempt == attempts:
                raise
            time.sleep(0.05 * attempt)
    return status, json.loads(data or b"{}"), (time.perf_counter() - started) * 1000


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def report(n: int) -> dict:
    return {"seen_on": "website", "urls": [f"https://flood-{n}.example.com/"]}


def test_floods_are_held_and_others_are_still_answered(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")},
           "REPORT_INSTANCE_PATH": str(tmp_path / "instance"), "REPORT_TRUSTED_PROXIES": "1",
           "REPORT_RATE_LIMIT_MAX_CLIENTS": str(MAX_CLIENTS)}
    server = GunicornServer("report_endpoint:create_app()", env, tmp_path / "gunicorn.log", workers=WORKERS,
                            extra=["--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "--max-requests", "0"])
    try:
        # A real report, whose status other people check all through the flood.
        status, answer, _ = post(server.base, "/api/v1/reports", report(-1), "192.0.2.10")
        assert status == 201, answer
        mine = answer["reference"]
        workers = server.worker_pids()
        # Warm the workers first (imports, caches, SQLite pages): then measure.
        with ThreadPoolExecutor(max_workers=8) as pool:
            warm = list(pool.map(lambda n: post(server.base, "/api/v1/status", {"reference": f"{n:08d}"},
                                                f"2001:db8:2:{n:x}::1"), range(WARM_UP)))
        assert {status for status, _, _ in warm} == {200}
        memory_before = {pid: rss_kb(pid) for pid in workers}
        flooding = threading.Event()
        flooding.set()
        checks: list[tuple[int, float]] = []

        def other_people() -> None:
            # Other people, each from their own address, check a status now and then.
            while flooding.is_set():
                address = f"2001:db8:1:{len(checks):x}::1"  # each their own /64
                checks.append(post(server.base, "/api/v1/status", {"reference": mine}, address)[::2])
                time.sleep(0.05)

        watcher = threading.Thread(target=other_people, daemon=True)
        watcher.start()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            one = list(pool.map(lambda n: post(server.base, "/api/v1/reports", report(n), "203.0.113.7",
                                               "km" if n % 2 else "en"), range(REPORTS_FROM_ONE)))
            one_status = list(pool.map(lambda n: post(server.base, "/api/v1/status", {"reference": f"{n:08d}"},
                                                      "203.0.113.7"), range(STATUS_FROM_ONE)))
            many = list(pool.map(lambda n: post(server.base, "/api/v1/reports", report(10_000 + n),
                                                f"198.51.100.{n % 250}" if n < 250 else f"2001:db8:0:{n:x}::1"),
                                 range(MANY_CLIENTS)))
        seconds = time.monotonic() - started
        flooding.clear()
        watcher.join(timeout=30)
        memory_after = {pid: rss_kb(pid) for pid in workers}
        assert server.worker_pids() == workers  # no worker died or was replaced
    finally:
        server.stop()

    stored = sqlite3.connect(tmp_path / "instance" / "reports.sqlite3").execute(
        "SELECT COUNT(*) FROM reports").fetchone()[0]
    accepted_one = sum(1 for s, _, _ in one if s == 201)
    accepted_many = sum(1 for s, _, _ in many if s == 201)
    answered_one_status = sum(1 for s, _, _ in one_status if s == 200)
    # The limits hold per client, in each worker's memory.
    assert accepted_one <= PER_CLIENT_REPORTS * WORKERS
    assert answered_one_status <= PER_CLIENT_STATUS * WORKERS
    # 3,000 clients with one report each, far beyond the overall limit, yet
    # no newcomer was refused: each keeps its fair share while the overall
    # window is full (its cap on a flood is tested in tests/deploy/test_app_limiter.py).
    assert MANY_CLIENTS > OVERALL_REPORTS * WORKERS
    assert accepted_many == MANY_CLIENTS
    assert stored == 1 + accepted_one + accepted_many
    # Everything else was refused with 429 and a message in the sender's language, never a 5xx.
    for status, answer, _ in one + one_status + many:
        assert status in (200, 201, 429), (status, answer)
    refused = [(s, a) for s, a, _ in one if s == 429]
    assert refused and all(a["errors"]["request"] for _, a in refused)
    assert any("\u1780" <= a["errors"]["request"][0][0] <= "\u17ff" for _, a in refused)  # Khmer ones
    # The other people were answered every time, and in time.
    latencies = [ms for status, ms in checks if status == 200]
    assert len(latencies) == len(checks) >= 10, checks[:5]
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 100 else max(latencies)
    assert p99 < STATUS_P99_BOUND_MS, p99
    # Memory: bounded growth per worker despite 3,000 new client addresses and
    # 7,000 requests (a leak of even 10 KB a request would be 70 MB).
    growth = {pid: memory_after[pid] - memory_before[pid] for pid in workers}
    assert all(kb < 32_000 for kb in growth.values()), growth
    total = len(one) + len(one_status) + len(many)
    print(f"\nflood: {total} requests in {seconds:.1f} s ({total / seconds:.0f}/s) from 1 + {MANY_CLIENTS} clients; "
          f"stored {accepted_one} of {REPORTS_FROM_ONE} from one client, {accepted_many} of {MANY_CLIENTS} from many; "
          f"status answered {answered_one_status} of {STATUS_FROM_ONE} for the flooder; other people: "
          f"{len(latencies)} checks, all 200, p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms; "
          f"worker memory growth {sorted(growth.values())} KB")
