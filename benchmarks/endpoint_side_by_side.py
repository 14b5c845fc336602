"""Status checks and durable report submissions per second, this tree
against a git revision, side by side in one run.

    python benchmarks/endpoint_side_by_side.py --baseline REV [--rounds 4] [--seconds 5]

Both endpoints run at once under gunicorn (2 sync workers each, SQLite in
WAL mode with synchronous=FULL, rate limits raised), the baseline from a
temporary `git worktree` of REV.  The same client (8 keep-alive connections
in threads of this process) hammers one, then the other, round after round,
so that a busy machine slows both alike; the medians and their ratio are
printed.  Only 127.0.0.1 is contacted; reported addresses are reserved names.
Use it for a change to the hot path (issue 13: the move to SQLAlchemy Core).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import gunicorn_server  # noqa: E402
from raised_limits import RAISED_ENV  # noqa: E402

JSON = {"Content-Type": "application/json"}


def hammer(port: int, kind: str, references: list[str], seconds: float, connections: int) -> float:
    """Requests answered per second, closed loop."""
    stop = time.monotonic() + seconds
    counts = [0] * connections

    def client(number: int) -> None:
        connection = HTTPConnection("127.0.0.1", port, timeout=10)
        sent = 0
        while time.monotonic() < stop:
            if kind == "status":
                body = {"reference": references[sent % len(references)]}
            else:
                body = {"seen_on": "website", "urls": [f"https://c{number}-{sent}.example.com/"]}
            connection.request("POST", f"/api/v1/{'status' if kind == 'status' else 'reports'}",
                               body=json.dumps(body), headers=JSON)
            answer = connection.getresponse()
            answer.read()
            if answer.status not in (200, 201):
                raise RuntimeError(f"{kind}: HTTP {answer.status}")
            sent += 1
        counts[number] = sent
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def start(tree: Path, work: Path) -> tuple[gunicorn_server.GunicornServer, list[str]]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}, **RAISED_ENV,
           "REPORT_INSTANCE_PATH": str(work / "instance"), "PYTHONPATH": str(tree)}
    gunicorn_server.ROOT = tree  # gunicorn runs in the tree, so it imports that tree's endpoint
    server = gunicorn_server.GunicornServer("report_endpoint:create_app()", env, work / "gunicorn.log")
    references = []
    for number in range(50):
        request = urllib.request.Request(f"{server.base}/api/v1/reports", headers=JSON, data=json.dumps(
            {"seen_on": "website", "urls": [f"https://seed-{number}.example.com/"]}).encode())
        with gunicorn_server.OPENER.open(request, timeout=10) as answer:
            references.append(json.loads(answer.read())["reference"])
    return server, references


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ihc-side-by-side-") as temporary:
        work = Path(temporary)
        baseline = work / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(baseline), args.baseline], cwd=ROOT, check=True)
        servers = {}
        try:
            for name, tree in (("baseline", baseline), ("this tree", ROOT)):
                folder = work / f"run-{len(servers)}"
                folder.mkdir()
                servers[name] = start(tree, folder)
            results = {(name, kind): [] for name in servers for kind in ("status", "report")}
            for server, references in servers.values():  # warm-up
                hammer(server.port, "status", references, 1, args.connections)
            for _round in range(args.rounds):
                for kind in ("status", "report"):
                    for name, (server, references) in servers.items():
                        results[(name, kind)].append(hammer(server.port, kind, references, args.seconds, args.connections))
        finally:
            for server, _references in servers.values():
                server.stop()
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False)
    print(f"Side by side: {args.rounds} rounds x {args.seconds:g} s, {args.connections} connections, "
          f"2 sync workers each; load average now {os.getloadavg()[0]:.2f}")
    for kind, label in (("status", "status check (POST /api/v1/status)"),
                        ("report", "durable report submission (POST /api/v1/reports)")):
        before = statistics.median(results[("baseline", kind)])
        after = statistics.median(results[("this tree", kind)])
        runs = " ".join(f"{v:.0f}/{w:.0f}" for v, w in zip(results[("baseline", kind)], results[("this tree", kind)]))
        print(f"  {label:50s} {args.baseline[:10]}: {before:6.0f}/s  this tree: {after:6.0f}/s  "
              f"ratio {after / before:.2f}   (rounds, baseline/this: {runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
