"""The database: one engine per app, a session per request, migrations.

SQLite (the default) runs in WAL mode with synchronous=FULL, so a commit is on
disk before the reference is shown; PostgreSQL works through the same code
with REPORT_DATABASE_URL=postgresql+psycopg://...
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import create_engine, event, exc, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .models import HealthCheck, utcnow

MIGRATIONS = Path(__file__).with_name("migrations")
# How long a request waits for a lock (the writer's turn, a row another
# transaction holds) before it answers "busy, nothing was stored, try again".
LOCK_TIMEOUT_SECONDS = 5
MIGRATE_LOCK_TIMEOUT_SECONDS = 60


class Busy(Exception):
    """The database stayed locked longer than the lock timeout.  Nothing was
    stored: the caller answers 503 and asks the person to try again."""


def is_busy(error: BaseException) -> bool:
    """True for a driver's "locked" or "lock timeout" error (SQLite's busy
    timeout, PostgreSQL's lock_timeout and statement_timeout)."""
    original = getattr(error, "orig", error)  # SQLAlchemy's wrapper, or the driver's own error
    if getattr(original, "sqlstate", None) in {"55P03", "57014"}:  # lock_not_available, query_canceled
        return True
    return type(original).__name__ == "OperationalError" and any(
        word in str(original).lower() for word in ("database is locked", "database table is locked", "busy"))


@contextlib.contextmanager
def busy_as_503():
    """Turn a driver's lock timeout into Busy (errors.py answers it)."""
    try:
        yield
    except Exception as error:
        if is_busy(error):
            raise Busy(type(getattr(error, "orig", error)).__name__) from error
        raise


def _sqlite_pragmas(lock_timeout: float):
    def on_connect(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: each commit is synced to disk, so an acknowledged report survives a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted reports are overwritten, not left readable in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        # Checkpoint the WAL often, in small steps: a commit that happens to run a
        # large checkpoint keeps every other writer waiting.
        cursor.execute("PRAGMA wal_autocheckpoint=256")
        cursor.close()
    return on_connect


def make_engine(url: str, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> Engine:
    if url.startswith("sqlite"):
        engine_ = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine_, "connect", _sqlite_pragmas(lock_timeout))
        return engine_
    # The same bound on waiting for a lock as SQLite's busy timeout, and on any
    # one statement, so no request waits without end behind another.
    milliseconds = int(lock_timeout * 1000)
    timeouts = f"-c lock_timeout={milliseconds} -c statement_timeout={4 * milliseconds}"
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args={"options": timeouts})


def init_app(app: Flask) -> None:
    app.extensions["db_engine"] = engine = make_engine(app.config["DATABASE_URL"], app.config["LOCK_TIMEOUT"])
    if engine.dialect.name == "sqlite":
        # Opened lazily per process (after gunicorn forks): see sqlite_writer().
        app.extensions["db_write_lock_path"] = Path(app.instance_path) / "write.lock"
    app.extensions["db_sessions"] = sessionmaker(engine, expire_on_commit=False)
    if app.config["MIGRATE_ON_START"]:
        migrate(app)
    app.teardown_appcontext(close_session)


def engine() -> Engine:
    return current_app.extensions["db_engine"]


class DriverStatement:
    """A Core statement compiled once for the engine's dialect and run on the
    driver's own connection, its results converted by the columns' own types.

    Why: the status check is the busiest query, and SQLAlchemy's
    Connection.execute roughly doubles its cost (about 70 µs on top of a
    55 µs query here: benchmarks/endpoint_throughput.py).  The SQL still
    comes from Core, one definition from the models; only the wrapper that
    runs it is skipped."""

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect: dict = {}

    def _prepared(self, dialect):
        prepared = self._by_dialect.get(dialect.name)
        if prepared is None:
            compiled = self.statement.compile(dialect=dialect)
            processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                          for column in self.statement.selected_columns]
            prepared = self._by_dialect[dialect.name] = (str(compiled), compiled, processors)
        return prepared

    def rows(self, engine_: Engine, values: dict) -> list[tuple]:
        sql, compiled, processors = self._prepared(engine_.dialect)
        parameters = compiled.construct_params(values)
        if compiled.positional:
            parameters = tuple(parameters[name] for name in compiled.positiontup)
        with busy_as_503(), contextlib.closing(engine_.raw_connection()) as connection:
            cursor = connection.cursor()
            cursor.execute(sql, parameters)
            rows = cursor.fetchall()
            connection.rollback()  # end the read before the connection goes back to the pool
        return [tuple(process(value) if process else value for process, value in zip(processors, row))
                for row in rows]


_lock_files: dict = {}


def _flock_within(lock_file, seconds: float) -> None:
    """flock, giving up after `seconds` with Busy.  flock has no timeout of its
    own (and a SIGALRM would not reach a thread), so after a first try the
    wait polls every 0.1 to 0.4 ms: a commit takes a few milliseconds, and a
    longer step left the next writer idle after it (durable submissions
    fell by 30% with 2 ms steps: benchmarks/endpoint_side_by_side.py).
    Each try is one system call."""
    deadline = time.monotonic() + seconds
    delay = 0.0001
    while True:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise Busy("write lock") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.0004)


@contextlib.contextmanager
def sqlite_writer():
    """Serialise SQLite writers across worker processes with a file lock.

    SQLite lets one writer in at a time and makes the others poll, sleeping a
    millisecond or more between tries (and up to 100 ms once they have waited
    a while); the lock here keeps the wait short and fair among the workers.
    It is given up after LOCK_TIMEOUT_SECONDS (Busy: nothing is stored).
    Other databases need no such lock."""
    path = current_app.extensions.get("db_write_lock_path")
    if path is None:
        with busy_as_503():
            yield
        return
    # One open file per process: flock on a descriptor inherited across a fork
    # would be shared with the parent and exclude nothing.
    key = (os.getpid(), str(path))
    lock_file = _lock_files.get(key)
    if lock_file is None:
        lock_file = _lock_files[key] = open(path, "a")
    _flock_within(lock_file, current_app.config.get("LOCK_TIMEOUT", LOCK_TIMEOUT_SECONDS))
    try:
        with busy_as_503():
            yield
    finally:
        fcntl.flock(lock_file, fcntl.LOCK_UN)


def truncate_wal(engine_: Engine, attempts: int = 50) -> None:
    """Copy the WAL into the database file and cut the WAL to zero bytes, so
    that nothing deleted can still be read from it (SQLite only).  A reader
    in the middle of a transaction holds the checkpoint back: wait and retry
    (status checks last milliseconds), then give up with Busy."""
    if engine_.dialect.name != "sqlite":
        return
    for _attempt in range(attempts):
        with engine_.connect() as connection:
            busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return
        time.sleep(0.1)
    raise Busy("the WAL could not be checkpointed: readers kept it busy")


def health_problem(app: Flask) -> str | None:
    """Why the database cannot take a report just now, or None.

    A report is taken only if it can be written: a database that can be
    read but not written (disk full, locked, read-only) is not healthy.  So:
    enough free space where SQLite writes, then a real committed write."""
    if app.extensions.get("db_write_lock_path") is not None:
        free = shutil.disk_usage(app.instance_path).free
        if free < app.config["HEALTH_MIN_FREE_BYTES"]:
            return "disk nearly full"
    try:
        with sqlite_writer(), engine().begin() as connection:
            written = connection.execute(update(HealthCheck).where(HealthCheck.id == 1).values(checked_at=utcnow()))
            if written.rowcount != 1:
                return "health check row missing"
    except Busy:
        return "database locked"
    except exc.SQLAlchemyError as error:
        return f"database cannot be written ({type(getattr(error, 'orig', error)).__name__})"
    return None


def session() -> Session:
    """This request's (or command's) database session."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessions"]()
    return g.db_session


def close_session(_error=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(app: Flask) -> None:
    """Bring the schema up to date.  A lock file in the instance folder keeps
    workers that start together from migrating at the same time."""
    lock_path = Path(app.instance_path) / "migrate.lock"
    with open(lock_path, "w") as lock:
        try:
            # A migration can take a while; a worker that waits a minute
            # for another's has met a stuck process, and says so.
            _flock_within(lock, MIGRATE_LOCK_TIMEOUT_SECONDS)
        except Busy:
            raise RuntimeError(f"another process has held {lock_path} for {MIGRATE_LOCK_TIMEOUT_SECONDS} s") from None
        try:
            with app.extensions["db_engine"].begin() as connection:
                config = alembic_config(app.config["DATABASE_URL"])
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
