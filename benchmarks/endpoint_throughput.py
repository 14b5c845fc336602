"""Throughput and latency of the report endpoint under gunicorn, as ratios to a
trivial Flask view served with the same settings in the same run.

    python benchmarks/endpoint_throughput.py [--repeats 3] [--duration 6] [--connections 8]

Three targets, each on its own gunicorn (same command line: 2 sync workers
by default, as `make endpoint` runs it, bound to 127.0.0.1):
- the trivial view (benchmarks/trivial_wsgi.py: POST -> {"status": "ok"});
- status checks, POST /api/v1/status, on references that exist;
- report submissions, POST /api/v1/reports, durable: SQLite in WAL mode with
  synchronous=FULL, so each answered report has been committed to disk.

For each: peak throughput with a fixed number of connections (closed loop:
the median of --repeats runs), then p50/p99 latency at half that peak rate
with an open-loop client (requests go out on a fixed schedule whatever the
server does, and latency counts from the scheduled time, so a stall is not
hidden by the client waiting for it).

The load comes from another process: `wrk` (Debian: apt-get install wrk)
for the peak when it is installed, else the Python client in this file
(plain non-blocking sockets); the open-loop client is always the Python one,
and its own lag behind the schedule is printed, so a client that could not
keep up is seen.  Rate limits are raised through REPORT_* variables.
Reported addresses are reserved names (*.example.com); nothing is fetched,
only 127.0.0.1 is contacted.

Targets printed at the end: status checks >= 0.5x the trivial view, durable
report submissions >= 0.3x, p99 under 50 ms at half the peak rate.
--check makes the exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import selectors
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))

from gunicorn_server import GunicornServer, ServerError  # noqa: E402
from raised_limits import RAISED_ENV as RAISED_LIMITS  # noqa: E402
TRIVIAL_BODY = '{"reference":"12345678"}'
TARGETS = {"status": 0.5, "report": 0.3}
P99_TARGET_MS = 50.0


# --- servers --------------------------------------------------------------------

class Gunicorn(GunicornServer):
    """gunicorn in its own process group, the same settings for every app."""

    def __init__(self, app: str, workers: int, env: dict, log: Path, extra: list[str] = ()):
        try:
            super().__init__(app, env, log, workers=workers, extra=list(extra))
        except ServerError as error:
            sys.exit(str(error))


# --- what is sent ------------------------------------------------------------------

def report_body(tag: str, number: int) -> str:
    return json.dumps({"seen_on": "website", "urls": [f"https://bench-{tag}-{number}.example.com/page"],
                       "description": "benchmark"})


def body_source(kind: str, tag: str, references: list[str]):
    """A function from a request number to the JSON body to send."""
    if kind == "report":
        return lambda n: report_body(tag, n)
    if kind == "status":
        bodies = [json.dumps({"reference": r}) for r in references]
        return lambda n: bodies[n % len(bodies)]
    return lambda n: TRIVIAL_BODY


# wrk's done(): one JSON line with the counts and latency percentiles.
WRK_DONE = (
    'function done(summary, latency, requests)\n'
    '  local e = summary.errors\n'
    '  io.write(string.format(\'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,'
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\\n\', summary.requests, summary.duration,'
    ' e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))\n'
    'end\n')


def lua_script(kind: str, tag: str, references: list[str]) -> str:
    """wrk's request() for the kind, and a done() that prints one JSON line."""
    head = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
    if kind == "report":
        body = (
            'local made = 0\n'
            'function setup(thread) made = made + 1; thread:set("tid", made) end\n'
            'local n = 0\n'
            'function request()\n'
            '  n = n + 1\n'
            f'  return wrk.format(nil, nil, nil, string.format(\'{{"seen_on":"website","urls":'
            f'["https://bench-{tag}-%d-%d.example.com/page"],"description":"benchmark"}}\', tid, n))\n'
            'end\n')
    elif kind == "status":
        bodies = ",\n".join(f"  '{json.dumps({'reference': r})}'" for r in references)
        body = (f'local bodies = {{\n{bodies}\n}}\n'
                'local i = math.random(#bodies)\n'
                'function request()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n')
    else:
        body = f"wrk.body = '{TRIVIAL_BODY}'\n"
    return head + body + WRK_DONE


# --- load generators ---------------------------------------------------------------

def run_wrk(base: str, path: str, script: Path, seconds: float, threads: int, connections: int) -> dict:
    """wrk against base + path (http or https), closed loop; its summary."""
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
         "-s", str(script), f"{base}{path}"],
        capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        sys.exit(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line[len("WRKJSON "):])
    errors = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    seconds_run = data["duration_us"] / 1e6
    return {"rps": (data["requests"] - data["status"]) / seconds_run, "p50_ms": data["p50_us"] / 1e3,
            "p99_ms": data["p99_us"] / 1e3, "errors": errors, "requests": data["requests"]}


def run_python_client(spec: dict) -> dict:
    """This script again, in its own process, as the Python load generator."""
    result = subprocess.run([sys.executable, __file__, "_client", json.dumps(spec)], capture_output=True,
                            text=True, timeout=spec["seconds"] + spec.get("warmup", 0) + 120)
    if result.returncode != 0:
        sys.exit(f"load generator failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


class _Exchange:
    """One request on its own connection: gunicorn's sync workers close each
    connection after the answer.  The answer counts as complete when its
    Content-Length is in; the socket is closed once the server has closed
    its side, so TIME_WAIT stays with the server, not the client's ports."""

    __slots__ = ("sock", "scheduled", "started", "request", "buffer", "finished", "status", "counted")

    def __init__(self, port: int, request: bytes, scheduled: float, counted: bool):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.scheduled, self.started = scheduled, time.perf_counter()
        self.request, self.buffer = request, bytearray()
        self.finished, self.status, self.counted = None, 0, counted
        self.sock.connect_ex(("127.0.0.1", port))

    def complete(self) -> bool:
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        head = bytes(self.buffer[:head_end]).lower()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if len(self.buffer) - head_end - 4 < length:
            return False
        self.status = int(self.buffer[9:12]) if self.buffer.startswith(b"HTTP/1.") else 0
        return True


def _request_bytes(port: int, path: str, body: str) -> bytes:
    payload = body.encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def load(spec: dict) -> dict:
    """The Python load generator: plain non-blocking sockets and one selector.

    mode "open": requests start on a fixed schedule (`rate` per second)
    whatever the server does, and latency counts from the scheduled time.
    mode "closed": `connections` clients, each starting its next request when
    its last one is answered; latency counts from the start of the request.
    The first `warmup` seconds are sent but not counted."""
    port, path, mode = spec["port"], spec["path"], spec["mode"]
    bodies = body_source(spec["kind"], spec["tag"], spec["references"])
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    lags: list[float] = []
    errors = 0
    timeout = 10.0
    start = time.perf_counter() + 0.05
    counted_from = start + spec["warmup"]
    end = counted_from + spec["seconds"]
    rate = spec.get("rate", 0.0)
    total = int(rate * (spec["warmup"] + spec["seconds"])) if mode == "open" else None
    number = 0
    active: set[_Exchange] = set()
    next_sweep = start

    def launch(scheduled: float) -> None:
        nonlocal number
        exchange = _Exchange(port, _request_bytes(port, path, bodies(number)), scheduled, scheduled >= counted_from)
        number += 1
        active.add(exchange)
        selector.register(exchange.sock, selectors.EVENT_WRITE, exchange)
        if exchange.counted:
            lags.append(exchange.started - scheduled)

    def finish(exchange: _Exchange, now: float) -> None:
        nonlocal errors
        selector.unregister(exchange.sock)
        exchange.sock.close()
        active.discard(exchange)
        if exchange.finished is None:  # closed or timed out before a whole answer
            exchange.status, exchange.finished = 0, now
        if mode == "closed":
            counted = exchange.started >= counted_from and exchange.finished <= end
        else:
            counted = exchange.counted
        if counted:
            if 200 <= exchange.status < 300:
                latencies.append(exchange.finished - exchange.scheduled)
            else:
                errors += 1
        if mode == "closed" and now < end:
            launch(now)

    if mode == "closed":
        for _ in range(spec["connections"]):
            launch(time.perf_counter())
    while True:
        now = time.perf_counter()
        if mode == "open":
            while number < total and start + number / rate <= now:
                launch(start + number / rate)
            if number >= total and not active:
                break
            wait = max(0.0, start + number / rate - time.perf_counter()) if number < total else 0.05
        else:
            if now >= end and not active:
                break
            wait = 0.05
        for key, events in selector.select(min(wait, 0.05)):
            exchange: _Exchange = key.data
            now = time.perf_counter()
            try:
                if events & selectors.EVENT_WRITE:
                    if exchange.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        finish(exchange, now)
                        continue
                    exchange.sock.sendall(exchange.request)  # a few hundred bytes: fits the socket buffer
                    selector.modify(exchange.sock, selectors.EVENT_READ, exchange)
                    continue
                chunk = exchange.sock.recv(65536)
            except OSError:
                finish(exchange, now)
                continue
            if chunk:
                exchange.buffer += chunk
                if exchange.finished is None and exchange.complete():
                    exchange.finished = now
            else:
                finish(exchange, now)
        now = time.perf_counter()
        if now >= next_sweep:
            next_sweep = now + 0.1
            for exchange in [e for e in active if now - e.started > timeout]:
                finish(exchange, now)
    selector.close()
    seconds = spec["seconds"]
    result = {"rps": len(latencies) / seconds, "achieved": len(latencies) / seconds, "errors": errors,
              "requests": len(latencies) + errors,
              "p50_ms": _percentile(latencies, 0.50) * 1e3, "p99_ms": _percentile(latencies, 0.99) * 1e3}
    if mode == "open":
        result.update(rate=rate, lag_p99_ms=_percentile(lags, 0.99) * 1e3)
    return result


def client_main(spec: dict) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(json.dumps(load(spec)))


# --- the measurement -----------------------------------------------------------------

def measure(name: str, kind: str, server: Gunicorn, path: str, args, work: Path, references: list[str]) -> dict:
    tag = f"{kind}{random.randrange(10 ** 6)}"
    use_wrk = args.client == "wrk"

    def peak_run(seconds: float, run_tag: str) -> dict:
        if use_wrk:
            script = work / f"{name}-{run_tag}.lua"
            script.write_text(lua_script(kind, run_tag, references))
            return run_wrk(server.base, path, script, seconds, args.threads, args.connections)
        return run_python_client({"mode": "closed", "port": server.port, "path": path, "kind": kind,
                                  "tag": run_tag, "references": references, "seconds": seconds,
                                  "connections": args.connections, "warmup": 0})

    peak_run(args.warmup, f"{tag}w")  # warm the workers, caches and the database file
    runs = [peak_run(args.duration, f"{tag}r{i}") for i in range(args.repeats)]
    runs.sort(key=lambda r: r["rps"])
    median = runs[len(runs) // 2]
    # Several open-loop runs, the median p99 kept: one stall of this shared
    # machine must not decide the figure (the spread is printed).
    halves = sorted((run_python_client({"mode": "open", "port": server.port, "path": path, "kind": kind,
                                        "tag": f"{tag}h{i}", "references": references, "rate": median["rps"] / 2,
                                        "seconds": args.open_duration, "warmup": 1.0})
                     for i in range(args.repeats)), key=lambda r: r["p99_ms"])
    half = halves[len(halves) // 2]
    return {"name": name, "peak": median, "peak_min": runs[0]["rps"], "peak_max": runs[-1]["rps"],
            "peak_errors": sum(r["errors"] for r in runs), "half": half,
            "half_p99_spread": (halves[0]["p99_ms"], halves[-1]["p99_ms"])}


def durability_settings(database: Path) -> str:
    """The SQLite settings the endpoint's own engine applies, read back."""
    sys.path.insert(0, str(ROOT))
    from report_endpoint.db import make_engine  # noqa: E402

    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    engine.dispose()
    names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    return f"journal_mode={journal}, synchronous={names.get(synchronous, synchronous)}"


def existing_references(database: Path, count: int = 1000) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        return [r for (r,) in connection.execute("SELECT reference FROM reports ORDER BY random() LIMIT ?", (count,))]
    finally:
        connection.close()


def tool_version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return (result.stdout or result.stderr).splitlines()[0].strip()
    except (OSError, IndexError):
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2, as `make endpoint`)")
    parser.add_argument("--connections", type=int, default=8, help="fixed concurrency for the peak (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--duration", type=float, default=6, help="seconds of each peak run (default 6)")
    parser.add_argument("--repeats", type=int, default=3, help="peak runs per target; the median is kept (default 3)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up load before the peak runs")
    parser.add_argument("--open-duration", type=float, default=6,
                        help="seconds of each open-loop run at half peak (--repeats runs, median p99 kept)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="peak load generator (auto: wrk when installed)")
    parser.add_argument("--check", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args()
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="ihc-endpoint-bench-"))
    instance = work / "instance"
    log = work / "gunicorn.log"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}
    env = {**base_env, **RAISED_LIMITS, "REPORT_INSTANCE_PATH": str(instance)}
    load_before = os.getloadavg()
    results = {}
    servers: list[Gunicorn] = []
    try:
        print("measuring the trivial view ...", file=sys.stderr)
        trivial = Gunicorn("trivial_wsgi:app", args.workers, base_env, log, ["--pythonpath", str(HERE)])
        servers.append(trivial)
        results["trivial"] = measure("trivial", "trivial", trivial, "/trivial", args, work, [])
        trivial.stop()

        endpoint = Gunicorn("report_endpoint:create_app()", args.workers, env, log)
        servers.append(endpoint)
        print("measuring report submissions ...", file=sys.stderr)
        results["report"] = measure("report", "report", endpoint, "/api/v1/reports", args, work, [])
        references = existing_references(instance / "reports.sqlite3")
        print("measuring status checks ...", file=sys.stderr)
        results["status"] = measure("status", "status", endpoint, "/api/v1/status", args, work, references)
        endpoint.stop()
        durability = durability_settings(instance / "reports.sqlite3")
        stored = len(existing_references(instance / "reports.sqlite3", 10 ** 9))
        log_text = log.read_text(errors="replace")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    base = results["trivial"]["peak"]["rps"]
    wrk_version = tool_version(["wrk", "--version"]).split()
    client = (f"wrk {wrk_version[1] if len(wrk_version) > 1 else '?'}, {args.threads} threads"
              if args.client == "wrk" else "Python client (separate process)")
    print()
    print("Report endpoint throughput")
    print(f"  machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"  server: gunicorn {metadata.version('gunicorn')}, Flask {metadata.version('flask')}, {args.workers} sync "
          f"workers, 127.0.0.1, rate limits raised; database: SQLite file, {durability}")
    print(f"  peak: {args.connections} connections, closed loop, {client}; median of {args.repeats} x "
          f"{args.duration:g} s after {args.warmup:g} s warm-up")
    print(f"  half peak: open loop at half the median peak rate, median p99 of {args.repeats} x {args.open_duration:g} s, Python client, "
          f"latency from the scheduled send time")
    print()
    header = (f"  {'':52} {'peak req/s':>10} {'(min-max)':>13} {'x trivial':>9} {'p50 ms':>7} {'p99 ms':>7}"
              f" | {'rate/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'lag p99':>8}")
    print(f"  {'':52} {'--- peak, closed loop ':-<60} | {'--- half peak, open loop ':-<40}")
    print(header)
    labels = {"trivial": "trivial Flask view (POST, small JSON)",
              "status": "status check (POST /api/v1/status)",
              "report": "report submission (POST /api/v1/reports), durable"}
    for key in ("trivial", "status", "report"):
        r = results[key]
        peak, half = r["peak"], r["half"]
        spread = f"({r['peak_min']:.0f}-{r['peak_max']:.0f})"
        print(f"  {labels[key]:52} {peak['rps']:10.0f} {spread:>13} {peak['rps'] / base:8.2f}x {peak['p50_ms']:7.1f}"
              f" {peak['p99_ms']:7.1f} | {half['achieved']:7.0f} {half['p50_ms']:7.1f} {half['p99_ms']:7.1f}"
              f" {half['errors']:6d} {half['lag_p99_ms']:6.1f}ms"
              f"  (p99 runs {r['half_p99_spread'][0]:.1f}-{r['half_p99_spread'][1]:.1f})")
    errors = {k: r["peak_errors"] for k, r in results.items() if r["peak_errors"]}
    if errors:
        print(f"  errors during the peak runs (non-2xx or socket): {errors}")
    print(f"  reports stored during the run: {stored}")
    lagging = [k for k, r in results.items() if r["half"]["lag_p99_ms"] > 5]
    if lagging:
        print(f"  WARNING: the open-loop client fell behind its schedule for {lagging} (lag p99 > 5 ms): "
              "their half-peak latencies include the client's own delay")

    print()
    print("Targets")
    missed = 0
    for key, target in TARGETS.items():
        ratio = results[key]["peak"]["rps"] / base
        ok = ratio >= target
        missed += not ok
        print(f"  {labels[key]:52} >= {target:.1f}x trivial: {ratio:5.2f}x  {'met' if ok else 'MISSED'}")
    for key in ("status", "report"):
        p99 = results[key]["half"]["p99_ms"]
        ok = p99 < P99_TARGET_MS and results[key]["half"]["errors"] == 0
        missed += not ok
        print(f"  {labels[key]:52} p99 < {P99_TARGET_MS:.0f} ms at half peak: {p99:5.1f} ms"
              f"  {'met' if ok else 'MISSED'}")
    leaked = [word for word in ("example.com", "127.0.0.1:", "User-Agent") if word in log_text.replace(
        "Listening at: http://127.0.0.1:", "")]
    if leaked:
        print(f"  WARNING: the server log contains {leaked}")
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_client":
        client_main(json.loads(sys.argv[2]))
    else:
        sys.exit(main())
