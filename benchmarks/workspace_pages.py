"""The analysts' workspace with 100,000 reports in the database: the queue
page and the figures page, against the public status check, measured side
by side in one run.

    python benchmarks/workspace_pages.py [--reports 100000] [--requests 60]

It fills a fresh SQLite instance (in WAL mode, as served) with --reports
reports spread over three years, with the mix a busy hotline would have:
- 1.5 addresses a report, 10% of them known from earlier reports;
- 95% of reports closed, 5% still open (5,000 in the queue at 100,000),
  3% flagged "a child may be in danger";
- 70% of addresses assessed, 30% of those illegal, 80% of those removed,
  with notices.

Then it starts the workspace and the public endpoint under gunicorn (2
sync workers each, as `make serve`), signs in (a passphrase and a TOTP
code computed here), and requests the queue, the figures page and a status
check in turn, one after another, --requests times each, so that a busy
machine slows all three alike.  It prints the median and p99 of each, in
milliseconds, and each page's median against the status check's.  Only
127.0.0.1 is contacted; the addresses are reserved names."""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import pyotp  # noqa: E402
from sqlalchemy import insert  # noqa: E402

import gunicorn_server  # noqa: E402
from raised_limits import RAISED_ENV  # noqa: E402

PASSPHRASE = "lantern river mango quietly"
PLATFORMS = ["website", "social_media", "chat", "email", "file_sharing", "game", "livestream", "other"]
OUTCOMES_LEGAL = ["not_illegal", "not_accessible", "out_of_remit", "duplicate"]


def fill(instance: Path, count: int, seed: int = 7) -> str:
    """count reports in instance's database; returns one open report's reference."""
    from report_endpoint import create_app, db
    from report_endpoint.models import Notice, Report, ReportedUrl
    app = create_app({"INSTANCE_PATH": instance})
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    start = now - dt.timedelta(days=3 * 365)
    reports, urls, notices = [], [], []
    url_id = notice_id = 0
    references = rng.sample(range(10_000_000, 99_999_999), count)
    for number in range(count):
        created = start + (now - start) * (number / count)
        open_ = rng.random() < 0.05
        reports.append({"id": number + 1, "reference": str(references[number]), "created_at": created,
                        "seen_on": rng.choice(PLATFORMS), "description": None, "urgent": rng.random() < 0.03,
                        "anonymous": True, "contact": None, "all_known": False,
                        "stage": rng.choice(["received", "triage", "assessed", "notified"]) if open_ else "closed",
                        "stage_changed_at": created, "language": "en", "updates_wanted": False})
        for position in range(1 if rng.random() < 0.5 else 2):
            url_id += 1
            assessed = rng.random() < 0.7
            illegal = assessed and rng.random() < 0.3
            removed = illegal and rng.random() < 0.8
            urls.append({"id": url_id, "report_id": number + 1, "position": position,
                         "url": f"https://site-{rng.randrange(count)}.example.com/{number}/{position}",
                         "known_before": rng.random() < 0.1,
                         "assessment": (rng.choice(["baseline", "national"]) if illegal
                                        else rng.choice(OUTCOMES_LEGAL) if assessed else None),
                         "assessed_at": created + dt.timedelta(hours=rng.uniform(1, 40)) if assessed else None,
                         "removed_at": created + dt.timedelta(hours=rng.uniform(6, 200)) if removed else None,
                         "hosting_country": rng.choice(["KH", "NL", "US", "TH"]) if illegal else None})
            if illegal:
                notice_id += 1
                notices.append({"id": notice_id, "url_id": url_id, "recipient": "host",
                                "sent_at": created + dt.timedelta(hours=rng.uniform(2, 60)), "note": None})
    with app.app_context():
        session = db.session()
        for table, rows in ((Report.__table__, reports), (ReportedUrl.__table__, urls), (Notice.__table__, notices)):
            for first in range(0, len(rows), 20_000):
                session.execute(insert(table), rows[first:first + 20_000])
        session.commit()
    return next(r["reference"] for r in reports if r["stage"] != "closed")


def enrolled(instance: Path) -> str:
    """An admin account, enrolled; returns its TOTP secret."""
    from report_endpoint.workspace import accounts, create_app
    app = create_app({"INSTANCE_PATH": instance})
    client = app.test_client()
    with app.app_context():
        token = accounts.add("bench", True, "benchmark").split("t=", 1)[1]
    page = client.get(f"/workspace/enrol/?t={token}", base_url="https://localhost").text
    secret = re.search(r'name="secret" type="hidden" value="([A-Z2-7]{32})"', page).group(1)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/workspace/enrol/", base_url="https://localhost", data={
        "csrf_token": csrf, "token": token, "secret": secret, "passphrase": PASSPHRASE, "again": PASSPHRASE,
        "code": pyotp.TOTP(secret).now()})
    if answer.status_code != 303:
        raise RuntimeError(f"enrolment refused: HTTP {answer.status_code}")
    return secret


def signed_in_opener(base: str, secret: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/workspace/sign-in/", timeout=30).read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": csrf, "name": "bench", "passphrase": PASSPHRASE,
                                   "code": pyotp.TOTP(secret).at(time.time() + 30)}).encode()
    answer = opener.open(f"{base}/workspace/sign-in/", data=body, timeout=30)
    if not answer.geturl().endswith("/workspace/"):
        raise RuntimeError("sign-in refused")
    return opener


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        began = time.perf_counter()
        reference = fill(instance, args.reports)
        secret = enrolled(instance)
        print(f"filled {args.reports:,} reports in {time.perf_counter() - began:.0f} s")
        env = {**__import__("os").environ, **RAISED_ENV, "REPORT_INSTANCE_PATH": str(instance),
               "REPORT_SESSION_COOKIE_SECURE": "0"}
        log = Path(folder) / "gunicorn.log"
        workspace = gunicorn_server.GunicornServer("report_endpoint.workspace:create_app()", env, log,
                                                   ready_path="/workspace/sign-in/")
        public = gunicorn_server.GunicornServer("report_endpoint:create_app()", env, log)
        try:
            opener = signed_in_opener(workspace.base, secret)
            plain = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            status_body = json.dumps({"reference": reference}).encode()
            calls = {
                "queue page": lambda: opener.open(f"{workspace.base}/workspace/", timeout=60).read(),
                "figures page": lambda: opener.open(f"{workspace.base}/workspace/figures/", timeout=60).read(),
                "status check": lambda: plain.open(urllib.request.Request(
                    f"{public.base}/api/v1/status", data=status_body,
                    headers={"Content-Type": "application/json"}), timeout=60).read(),
            }
            for call in calls.values():       # warm up: caches, the first connection
                call()
            times: dict[str, list[float]] = {name: [] for name in calls}
            for _ in range(args.requests):
                for name, call in calls.items():
                    times[name].append(timed(call))
        finally:
            workspace.stop()
            public.stop()
    status = statistics.median(times["status check"])
    print(f"{'':14}{'median ms':>10}{'p99 ms':>10}{'x status':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:14}{median:10.1f}{p99(values):10.1f}{median / status:10.1f}")


if __name__ == "__main__":
    main()
