"""A real gunicorn on loopback, in its own process group, for tests and
benchmarks: started, waited for, stopped or killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from site_helpers import ROOT, free_port

# Loopback only: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(RuntimeError):
    """gunicorn exited or never answered; the message carries its log."""


def wait_until_serving(process: subprocess.Popen, url: str, opener, timeout: float, log: Path, name: str,
                       error: type, stop, expected: int = 200) -> None:
    """Return once url answers with the expected status (unfollowed, for a
    redirect).  If the server exits or never answers, stop() it and raise
    error with the end of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise error(f"{name} exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with opener.open(url, timeout=2) as answer:
                if answer.status == expected:
                    return
        except urllib.error.HTTPError as answer:
            if answer.code == expected:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    stop()
    raise error(f"{name} did not answer {url} in {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


class GunicornServer:
    def __init__(self, app: str, env: dict, log: Path, workers: int = 2, extra: list[str] = (),
                 startup_timeout: float = 30.0, ready_path: str = "/healthz"):
        """ready_path: a page that answers 200 once the app serves (the
        workspace has no /healthz)."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                   "--no-control-socket", *extra, app]
        with open(log, "ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_serving(self.process, f"{self.base}{ready_path}", OPENER, startup_timeout, log, "gunicorn",
                           ServerError, self.kill)

    def worker_pids(self) -> list[int]:
        """The master's children (its workers), from /proc."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    found.append(int(entry))
        return found

    def stop(self) -> None:
        """A clean stop (SIGTERM), then SIGKILL if it lingers."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once (the process group)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
