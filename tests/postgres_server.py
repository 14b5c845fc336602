"""A PostgreSQL server for tests, started by the test run itself: initdb
into a temporary folder, postgres on a free loopback port (trust
authentication on 127.0.0.1 only), stopped at the end.  Shared by
tests/endpoint/test_postgres.py and tests/endpoint/test_backup.py.

Import the fixtures into a test module: `from postgres_server import
database_url, postgres_url`."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(re.search(r"/postgresql/(\d+)/", p).group(1)))
    if not found:
        pytest.fail("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
                    "install Debian's `postgresql` package (`make test` does: apt-get install postgresql)",
                    pytrace=False)
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` system user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def run(command: list[str], cwd: Path, log: Path | None = None) -> None:
    result = subprocess.run(as_server_user(command), cwd=cwd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        pytest.fail(f"{Path(command[0]).name} failed ({result.returncode}):\n{result.stdout[-2000:]}\n"
                    f"{result.stderr[-2000:]}\n{server_log}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_url():
    """A SQLAlchemy URL to an empty database on a PostgreSQL server started
    for this test run on 127.0.0.1 (trust authentication on loopback only)."""
    binaries = postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="ihc-postgres-"))
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        server_user = pwd.getpwnam("postgres")
        for path in (base, sockets):
            os.chown(path, server_user.pw_uid, server_user.pw_gid)
    port = free_port()
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data)]
    run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
         "--locale=C", "--no-sync", "--no-instructions"], cwd=base)
    started = False
    try:
        run([*pg_ctl, "-l", str(log), "-w", "-t", "60", "-o",
             f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockets} -c max_connections=200",
             "start"], cwd=base, log=log)
        started = True
        admin = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE ihc_test")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/ihc_test"
    finally:
        if started:
            subprocess.run(as_server_user([*pg_ctl, "-m", "fast", "-w", "stop"]), cwd=base,
                           capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


_databases = itertools.count(1)


@pytest.fixture()
def database_url(postgres_url):
    """A fresh, empty database on the server for each test."""
    name = f"ihc_test_{next(_databases)}"
    server, _ = postgres_url.rsplit("/", 1)
    port = int(server.rsplit(":", 1)[1])
    with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"
