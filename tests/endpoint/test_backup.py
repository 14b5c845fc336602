"""Backups that restore (`ihc-analyst backup-key`, `backup`, `restore`):

- a backup taken while a real gunicorn takes reports, restored into a fresh
  instance, holds every report acknowledged before the backup began, with its
  addresses, and its contact details still decrypt;
- the file is encrypted (no marker of a report in it), and a wrong key, a
  damaged file (truncated, altered, reordered, extended), a non-empty target
  and a key kept in the instance folder are refused with a clear message,
  changing nothing;
- the same against a real PostgreSQL server (pg_dump / pg_restore);
- deploy/systemd: every ExecStart is a real `ihc-analyst` command with options
  that exist, and `systemd-analyze verify` accepts the units.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shlex
import shutil
import sqlite3
import stat
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from gunicorn_server import OPENER, GunicornServer, ServerError
from raised_limits import RAISED_CONFIG, RAISED_ENV
from report_endpoint import backup, create_app, db
from report_endpoint.casework import view
from report_endpoint.models import Report

ROOT = Path(__file__).resolve().parents[2]
ANALYST = Path(sys.executable).with_name("ihc-analyst")
UNITS = ROOT / "deploy" / "systemd"
MARKER = "zq-backup-marker-41d7"


# --- helpers ------------------------------------------------------------------------

def new_app(instance: Path, **config):
    return create_app({"TESTING": True, "INSTANCE_PATH": instance, **RAISED_CONFIG, **config})


def cli(app, *args, ok=True):
    result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    else:  # refused with a message (click's exit status 1), not a crash
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (result.output, result.exception)
    return result.output


@pytest.fixture()
def keys(tmp_path, app):
    """A key pair outside every instance folder: (private, public)."""
    folder = tmp_path / "keys"
    folder.mkdir()
    cli(app, "backup-key", folder / "backup.key")
    return folder / "backup.key", folder / "backup.key.pub"


def report_body(number: int, contact: bool) -> dict:
    body = {"seen_on": "website", "anonymous": not contact, "description": f"{MARKER} note {number}",
            "urls": [f"https://n{number}.{MARKER}.example.com/page?x={number}", f"http://{number}.hotline.test/"]}
    if contact:
        body["contact"] = {"name": f"Reporter {MARKER}", "email": f"reporter{number}@example.org"}
    return body


def submit(client, number: int, contact: bool = False) -> tuple[str, list[str]]:
    answer = client.post("/api/v1/reports", json=report_body(number, contact))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["reference"], answer.get_json()["urls"]


def stored(app) -> dict[str, list[str]]:
    with app.app_context():
        return {r.reference: [u.url for u in r.urls] for r in db.session().scalars(select(Report))}


def contact_of(app, reference: str) -> dict | None:
    with app.app_context():
        return view(reference, "test", with_contact=True).get("contact")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under folder with a hash of its content: to show nothing
    changed.  Not SQLite's -shm, the WAL's shared-memory index, which any
    reader rewrites (it holds no data and is rebuilt when missing)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith("-shm")}


def frames(data: bytes) -> tuple[bytes, list[bytes]]:
    """The clear header and the length-prefixed chunks of a backup file."""
    at = len(backup.MAGIC) + 1 + 8
    (size,) = struct.unpack(">H", data[at:at + 2])
    at += 2 + size
    header, chunks = data[:at], []
    while at < len(data):
        (size,) = struct.unpack(">I", data[at:at + 4])
        chunks.append(data[at:at + 4 + size])
        at += 4 + size
    return header, chunks


@pytest.fixture()
def made(app, client, keys, tmp_path):
    """An instance with reports (two with contact details) and its backup."""
    references = dict(submit(client, n, contact=n % 2 == 0) for n in range(4))
    path = tmp_path / "made.ihcbackup"
    cli(app, "backup", path, "--key-file", keys[1])
    return path, references


# --- under load ---------------------------------------------------------------------

class Server(GunicornServer):
    def __init__(self, instance: Path, log: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}
        env.update({"REPORT_INSTANCE_PATH": str(instance), **RAISED_ENV, "PYTHONUNBUFFERED": "1"})
        try:
            super().__init__("report_endpoint:create_app()", env, log, workers=2, startup_timeout=20)
        except ServerError as error:
            pytest.fail(str(error))

    def report(self, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(f"{self.base}/api/v1/reports", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with OPENER.open(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, {}


def test_backup_under_load_holds_every_report_acknowledged_before_it(tmp_path, keys):
    source = tmp_path / "live"
    server = Server(source, tmp_path / "gunicorn.log")
    acknowledged: dict[str, tuple[float, list[str], dict | None]] = {}
    lock, stop, failures = threading.Lock(), threading.Event(), []
    numbers = iter(range(10 ** 9))

    def writer() -> None:
        while not stop.is_set():
            with lock:
                number = next(numbers)
            body = report_body(number, contact=number % 3 == 0)
            try:
                status, answer = server.report(body)
            except (OSError, http.client.HTTPException) as error:
                failures.append(repr(error))
                return
            if status != 201:
                failures.append(status)
                return
            with lock:
                acknowledged[answer["reference"]] = (time.monotonic(), answer["urls"], body.get("contact"))

    threads = [threading.Thread(target=writer, daemon=True) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 150 and time.monotonic() < deadline and not failures:
            time.sleep(0.05)
        # First in this process, so that "before" is taken right before the
        # copy begins (a copy of the database file without its WAL would lose
        # the newest reports); then as a separate process, as the systemd
        # timer runs it, with the instance folder named in its environment only.
        live, wanted = new_app(source), {}
        for name in ("first", "second", "third"):  # three moments: the WAL's content varies
            with lock:
                wanted[name] = {ref: urls for ref, (_, urls, _) in acknowledged.items()}
            cli(live, "backup", tmp_path / f"{name}.ihcbackup", "--key-file", keys[1])
            time.sleep(0.2)
        live.extensions["db_engine"].dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}
        env["REPORT_INSTANCE_PATH"] = str(source)
        env["REPORT_BACKUP_KEY_FILE"] = str(keys[1])
        began = time.monotonic()
        with lock:
            before = wanted["live"] = {ref: urls for ref, (_, urls, _) in acknowledged.items()}
        made = subprocess.run([str(ANALYST), "backup", str(tmp_path / "live.ihcbackup")], env=env,
                              capture_output=True, text=True, timeout=60)
        ended = time.monotonic()
        time.sleep(0.3)  # the writers go on a little after the backup
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        server.stop()
    assert made.returncode == 0, made.stderr
    assert not failures, failures[:5]
    during = sum(1 for at, _, _ in acknowledged.values() if began < at < ended)
    assert len(wanted["first"]) >= 100 and during > 0, (len(wanted["first"]), during)  # it really ran under load

    for name, before_it in wanted.items():
        target = new_app(tmp_path / f"restored-{name}")
        output = cli(target, "restore", tmp_path / f"{name}.ihcbackup", "--key-file", keys[0])
        target = new_app(tmp_path / f"restored-{name}")  # the service starts on the restored instance
        restored = stored(target)
        missing = sorted(set(before_it) - set(restored))
        assert not missing, f"{name}: acknowledged before the backup began, absent after restore: {missing[:5]}"
        for reference, urls in before_it.items():
            assert restored[reference] == urls
        assert f"restored {len(restored)} reports" in output
        assert set(restored) <= set(acknowledged)  # nothing invented, nothing doubled
        with_contact = [ref for ref in before_it if acknowledged[ref][2]]
        assert with_contact
        for reference in with_contact:
            assert contact_of(target, reference) == acknowledged[reference][2]
    # The restored files are owner-only, and the secrets are the source's.
    for name in ("reports.sqlite3", "secrets.json"):
        assert stat.S_IMODE((tmp_path / "restored-live" / name).stat().st_mode) == 0o600
    assert (tmp_path / "restored-live" / "secrets.json").read_bytes() == (source / "secrets.json").read_bytes()
    print(f"\nbackup under load: {len(before)} acknowledged before, {during} during the backup "
          f"({ended - began:.2f} s with process start), {len(restored)} restored")


# --- what the file holds ---------------------------------------------------------------

def test_the_backup_file_is_encrypted(app, made, tmp_path):
    path, references = made
    data = path.read_bytes()
    assert data.startswith(backup.MAGIC)
    for plain in (MARKER, "example.com", "hotline.test", "reporter0@example.org", *references,
                  json.loads((tmp_path / "instance" / "secrets.json").read_text())["CONTACT_KEY"], "SQLite format"):
        assert plain.encode() not in data, plain
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_restore_holds_reports_and_contact_details(app, made, keys, tmp_path):
    path, references = made
    target = new_app(tmp_path / "fresh")
    cli(target, "restore", path, "--key-file", keys[0])
    target = new_app(tmp_path / "fresh")  # the service starts on the restored instance
    assert stored(target) == references
    assert contact_of(target, next(iter(references))) == {"name": f"Reporter {MARKER}", "email": "reporter0@example.org"}
    # The restored instance takes new reports, with new references.
    reference, _ = submit(target.test_client(), 99)
    assert reference not in references and len(stored(target)) == 5


# --- refusals that change nothing ----------------------------------------------------

def test_a_wrong_key_is_refused_and_changes_nothing(app, made, tmp_path):
    path, _ = made
    other = tmp_path / "other"
    other.mkdir()
    cli(app, "backup-key", other / "other.key")
    target_folder = tmp_path / "fresh"
    target = new_app(target_folder)
    before = snapshot(target_folder)
    output = cli(target, "restore", path, "--key-file", other / "other.key", ok=False)
    assert "Wrong key" in output and "was made for backup key" in output
    output = cli(target, "restore", path, "--key-file", other / "other.key.pub", ok=False)
    assert "is a public key" in output
    assert snapshot(target_folder) == before
    assert stored(target) == {}


def damage_truncated(data: bytes) -> bytes:
    return data[:-50]


def damage_last_chunk_dropped(data: bytes) -> bytes:
    header, chunks = frames(data)
    return header + b"".join(chunks[:-1])


def damage_altered(data: bytes) -> bytes:
    at = len(data) // 2
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def damage_reordered(data: bytes) -> bytes:
    header, chunks = frames(data)
    return header + chunks[0] + chunks[2] + chunks[1] + b"".join(chunks[3:])


def damage_extended(data: bytes) -> bytes:
    header, chunks = frames(data)
    return data + chunks[-1]


def damage_header(data: bytes) -> bytes:
    at = len(backup.MAGIC) + 1 + 8 + 2 + 5  # inside the sealed data key
    return data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1:]


@pytest.mark.parametrize("damage, message", [
    (damage_truncated, "truncated"),
    (damage_last_chunk_dropped, "truncated"),
    (damage_altered, "fails authentication"),
    (damage_reordered, "reordered"),
    (damage_extended, "after its last chunk"),
    (damage_header, "header is damaged"),
    (lambda data: b"PK\x03\x04" + data[4:], "not a backup"),
])
def test_a_damaged_backup_is_refused_and_changes_nothing(app, made, keys, tmp_path, damage, message):
    path, _ = made
    damaged = tmp_path / "damaged.ihcbackup"
    damaged.write_bytes(damage(path.read_bytes()))
    target_folder = tmp_path / "fresh"
    target = new_app(target_folder)
    before = snapshot(target_folder)
    output = cli(target, "restore", damaged, "--key-file", keys[0], ok=False)
    assert message in output
    assert snapshot(target_folder) == before
    assert stored(target) == {}


def test_restore_into_an_instance_with_reports_is_refused(app, made, keys, tmp_path):
    path, _ = made
    target_folder = tmp_path / "busy"
    target = new_app(target_folder)
    reference, urls = submit(target.test_client(), 7)
    before = snapshot(target_folder)
    output = cli(target, "restore", path, "--key-file", keys[0], ok=False)
    assert "already holds reports" in output
    assert snapshot(target_folder) == before
    assert stored(target) == {reference: urls}


def test_keys_and_backups_inside_the_instance_folder_are_refused(app, client, keys, tmp_path):
    instance = tmp_path / "instance"
    submit(client, 1)
    output = cli(app, "backup-key", instance / "backup.key", ok=False)
    assert "inside" in output and "Keep it elsewhere" in output
    assert not (instance / "backup.key").exists() and not (instance / "backup.key.pub").exists()
    shutil.copy(keys[1], instance / "copied.pub")
    assert "Keep it elsewhere" in cli(app, "backup", tmp_path / "b.ihcbackup", "--key-file", instance / "copied.pub", ok=False)
    assert "Keep it elsewhere" in cli(app, "backup", instance / "b.ihcbackup", "--key-file", keys[1], ok=False)
    assert not (tmp_path / "b.ihcbackup").exists() and not (instance / "b.ihcbackup").exists()
    # Through a symbolic link too.
    (tmp_path / "link").symlink_to(instance)
    assert "Keep it elsewhere" in cli(app, "backup-key", tmp_path / "link" / "k", ok=False)
    # And a key is never overwritten.
    assert "already exists" in cli(app, "backup-key", keys[0], ok=False)


def test_keep_deletes_only_older_backups(app, client, keys, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")
    submit(client, 1)
    for _ in range(3):
        cli(app, "backup", folder, "--key-file", keys[1], "--keep", "2")
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 3 and names[-1] == "notes.txt"
    assert all(backup.NAME_PATTERN.fullmatch(name) for name in names[:2])


def test_a_backup_of_a_damaged_database_is_refused(app, client, keys, tmp_path):
    submit(client, 1)
    database = tmp_path / "instance" / "reports.sqlite3"
    app.extensions["db_engine"].dispose()
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    with open(database, "r+b") as handle:  # scribble over a page past the schema
        handle.seek(3 * page_size)
        handle.write(b"\xff" * page_size)
    output = cli(app, "backup", tmp_path / "b.ihcbackup", "--key-file", keys[1], ok=False)
    assert "integrity" in output or "malformed" in output.lower()
    assert not (tmp_path / "b.ihcbackup").exists()


# --- PostgreSQL ------------------------------------------------------------------------

def test_postgresql_backup_and_restore(tmp_path, keys, postgres_url):  # noqa: F811
    def fresh(name: str) -> str:
        import psycopg
        server, _ = postgres_url.rsplit("/", 1)
        port = int(server.rsplit(":", 1)[1])
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return f"{server}/{name}"

    source = new_app(tmp_path / "pg-source", DATABASE_URL=fresh("ihc_backup_source"))
    references = dict(submit(source.test_client(), n, contact=n % 2 == 0) for n in range(5))
    path = tmp_path / "pg.ihcbackup"
    assert "(5 reports" in cli(source, "backup", path, "--key-file", keys[1])
    data = path.read_bytes()
    assert MARKER.encode() not in data and b"PGDMP" not in data
    source.extensions["db_engine"].dispose()

    target_url = fresh("ihc_backup_target")
    target = new_app(tmp_path / "pg-target", DATABASE_URL=target_url)
    cli(target, "restore", path, "--key-file", keys[0])
    target.extensions["db_engine"].dispose()
    target = new_app(tmp_path / "pg-target", DATABASE_URL=target_url)  # the service starts again
    assert stored(target) == references
    assert contact_of(target, next(iter(references)))["email"] == "reporter0@example.org"
    # It goes on taking reports (the id sequences came back with the data).
    reference, _ = submit(target.test_client(), 50)
    assert reference not in references
    # Restoring again into the now filled database is refused, changing nothing.
    assert "already holds reports" in cli(target, "restore", path, "--key-file", keys[0], ok=False)
    assert len(stored(target)) == 6
    # A SQLite instance does not take a PostgreSQL backup.
    sqlite_target = new_app(tmp_path / "sqlite-target")
    assert "postgresql database" in cli(sqlite_target, "restore", path, "--key-file", keys[0], ok=False)
    target.extensions["db_engine"].dispose()


# --- the systemd units -------------------------------------------------------------------

def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of a unit file, in order (keys may repeat)."""
    section, found = None, []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


# Units that run something else, checked in tests/deploy/test_workspace_tls.py.
NOT_IHC_ANALYST = {"ihc-workspace.service", "ihc-workspace-crl.service"}


def test_every_execstart_is_a_real_ihc_analyst_command(app):
    services = sorted(UNITS.glob("*.service"))
    assert {p.name for p in services} >= {"ihc-backup.service", "ihc-purge.service"}
    seen = set()
    for service in services:
        if service.name in NOT_IHC_ANALYST:
            continue
        entries = unit_entries(service)
        exec_starts = [value for section, key, value in entries if section == "Service" and key == "ExecStart"]
        assert len(exec_starts) == 1, service.name
        argv = shlex.split(exec_starts[0])
        assert argv[0] == "/srv/ihc/app/.venv/bin/ihc-analyst", argv
        command = app.cli.commands.get(argv[1])
        assert command is not None, f"{service.name}: no command {argv[1]}"
        # Parsing alone (no run): unknown options, missing arguments and bad values fail here.
        with command.make_context(argv[1], argv[2:]) as context:
            params = context.params
        seen.add(argv[1])
        environment = dict(value.split("=", 1) for section, key, value in entries if key == "Environment")
        assert environment["REPORT_INSTANCE_PATH"] == "/srv/ihc/instance"
        if argv[1] == "backup":
            assert params["keep"] and params["keep"] >= 7
            assert backup.KEY_ENV in environment and environment[backup.KEY_ENV].endswith(".pub")
            assert "/srv/ihc/instance" not in environment[backup.KEY_ENV]
            assert str(params["path"]) in [v for s, k, v in entries if k == "ReadWritePaths"][0].split()
        timer = service.with_suffix(".timer")
        assert timer.exists(), f"{service.name} has no timer"
        timer_entries = unit_entries(timer)
        assert ("Timer", "Persistent", "true") in timer_entries
        assert any(key == "OnCalendar" for _, key, _ in timer_entries)
    assert seen >= {"backup", "purge"}


def test_systemd_analyze_verifies_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify checks that ExecStart's program exists: point it at this checkout's.
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text()
                                          .replace("/srv/ihc/app/.venv/bin/ihc-analyst", str(ANALYST))
                                          .replace("/srv/ihc/app/.venv/bin/gunicorn", str(ANALYST.with_name("gunicorn")))
                                          .replace("/srv/ihc/app/deploy/", str(ROOT / "deploy") + "/"))
    result = subprocess.run([analyze, "verify", "--man=no", *sorted(map(str, tmp_path.iterdir()))],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in result.stderr.splitlines()
                if "Unknown" in line or "ignoring" in line or "Failed" in line or "not executable" in line]
    assert result.returncode == 0 and not problems, result.stderr
    for timer in UNITS.glob("*.timer"):
        calendar = [v for s, k, v in unit_entries(timer) if k == "OnCalendar"][0]
        checked = subprocess.run([analyze, "calendar", calendar], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
