"""The whole system as deployed, measured through nginx, against the endpoint
served by gunicorn alone, in the same run.

    python benchmarks/through_nginx.py [--repeats 3] [--duration 6] [--connections 8]

The set-up is the tests' (tests/deploy): deploy/nginx/ihc.conf in a real
nginx on loopback with TLS (a certificate of our own), in front of one
gunicorn with deploy/gunicorn.conf.py (2 sync workers), SQLite, the built
site from `python -m resources.build` (as `make build`).  Rate limits are raised through REPORT_* variables.

1. First visit to the Khmer Report page in a fresh headless Chromium, through
   nginx: requests, bytes on the wire (nginx's gzip), requests to other hosts.
2. Report submissions (POST /api/v1/reports: durable, each answered report is
   on disk) with wrk at a fixed number of connections: through nginx (https,
   as visitors reach it) and straight to gunicorn (http).  Runs alternate
   between the two; medians of --repeats runs; ratios nginx / gunicorn.
3. The same for the Khmer Report page itself (GET /km/report/: the built page
   with the form put in its slot).
Needs wrk (Debian: apt-get install wrk) and nginx.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

from playwright.sync_api import sync_playwright  # noqa: E402

from endpoint_throughput import RAISED_LIMITS, WRK_DONE, lua_script, run_wrk  # noqa: E402
from nginx_server import Deployment  # noqa: E402
from site_build_and_weight import first_visit  # noqa: E402
from site_helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def alternate(targets: dict[str, str], path: str, script_text: str, args, work: Path) -> dict[str, list[dict]]:
    """wrk runs on each target in turn, --repeats rounds, after a warm-up of each."""
    script = work / f"{abs(hash((path, script_text)))}.lua"
    script.write_text(script_text)
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for name, base in targets.items():
        run_wrk(base, path, script, args.warmup, args.threads, args.connections)
    for _ in range(args.repeats):
        for name, base in targets.items():
            runs[name].append(run_wrk(base, path, script, args.duration, args.threads, args.connections))
    return runs


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def report_rows(title: str, runs: dict[str, list[dict]]) -> None:
    alone, proxied = runs["gunicorn alone"], runs["through nginx"]
    print(f"\n{title}")
    print(f"{'target':16} {'req/s (median)':>15} {'range':>17} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, these in runs.items():
        low, high = min(r["rps"] for r in these), max(r["rps"] for r in these)
        print(f"{name:16} {median_of(these, 'rps'):>15,.0f} {f'{low:,.0f}-{high:,.0f}':>17} "
              f"{median_of(these, 'p50_ms'):>8.1f} {median_of(these, 'p99_ms'):>8.1f} "
              f"{sum(r['errors'] for r in these):>7}")
    print(f"ratio nginx / gunicorn alone: throughput {median_of(proxied, 'rps') / median_of(alone, 'rps'):.2f}x, "
          f"p99 latency {median_of(proxied, 'p99_ms') / median_of(alone, 'p99_ms'):.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--duration", type=float, default=6, help="seconds of each run (default 6)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per target; medians kept (default 3)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per target")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is not installed (Debian: apt-get install {tool})")

    work = Path(tempfile.mkdtemp(prefix="ihc-nginx-bench-"))
    servers = []
    try:
        deployment = Deployment.of_a_fresh_build(work, RAISED_LIMITS)
        servers.append(deployment)
        endpoint, nginx = deployment.endpoint, deployment.nginx
        targets = {"gunicorn alone": endpoint.base, "through nginx": nginx.base}

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            visits = [first_visit(browser, f"{nginx.base}/km/report/", ignore_https_errors=True)
                      for _ in range(args.repeats)]
            browser.close()
        print("First visit to the Khmer Report page through nginx (fresh Chromium, gzip, TLS)")
        print(f"requests {visits[0]['requests']}, bytes on the wire "
              f"{statistics.median(v['bytes'] for v in visits) / 1000:.1f} KB (median of {len(visits)}), "
              f"requests to other hosts {max(v['other_hosts'] for v in visits)}")
        for url, size in visits[0]["rows"]:
            print(f"  {size / 1000:>7.1f} KB  {url.replace(nginx.base, '')}")

        print(f"\nwrk, {args.connections} connections, {args.threads} threads, {args.repeats} x {args.duration:g} s "
              f"per target, alternating; load average before {os.getloadavg()[0]:.2f}", flush=True)
        report_rows("Report submissions, POST /api/v1/reports (durable)",
                    alternate(targets, "/api/v1/reports", lua_script("report", "nginx", []), args, work))
        report_rows("The Khmer Report page, GET /km/report/ (built page + form)",
                    alternate(targets, "/km/report/", WRK_DONE, args, work))
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
