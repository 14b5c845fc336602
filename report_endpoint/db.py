"""The database: one engine per app, a session per request, migrations.

SQLite (the default) runs in WAL mode with synchronous=FULL, so a commit is on
disk before the reference is shown; PostgreSQL works through the same code
with REPORT_DATABASE_URL=postgresql+psycopg://...
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: each commit is synced to disk, so an acknowledged report survives a crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted reports are overwritten, not left readable in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Checkpoint the WAL often, in small steps: a commit that happens to run a
    # large checkpoint keeps every other writer waiting.
    cursor.execute("PRAGMA wal_autocheckpoint=256")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def init_app(app: Flask) -> None:
    app.extensions["db_engine"] = engine = make_engine(app.config["DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        # Opened lazily per process (after gunicorn forks): see sqlite_writer().
        app.extensions["db_write_lock_path"] = Path(app.instance_path) / "write.lock"
    app.extensions["db_sessions"] = sessionmaker(engine, expire_on_commit=False)
    if app.config["MIGRATE_ON_START"]:
        migrate(app)
    app.teardown_appcontext(close_session)


def engine() -> Engine:
    return current_app.extensions["db_engine"]


def driver_sql(engine_or_connection):
    """Write SQL with ? placeholders; get it in the driver's own style."""
    if engine_or_connection.dialect.paramstyle == "qmark":
        return lambda statement: statement
    return lambda statement: statement.replace("?", "%s")


_lock_files: dict = {}


@contextlib.contextmanager
def sqlite_writer():
    """Serialise SQLite writers across worker processes with a file lock.

    SQLite lets one writer in at a time and makes the others poll, sleeping a
    millisecond or more between tries; a lock the kernel hands over wakes the
    next writer the moment the previous commit (and its fsync) is done.  Other
    databases need no such lock."""
    path = current_app.extensions.get("db_write_lock_path")
    if path is None:
        yield
        return
    # One open file per process: flock on a descriptor inherited across a fork
    # would be shared with the parent and exclude nothing.
    key = (os.getpid(), str(path))
    lock_file = _lock_files.get(key)
    if lock_file is None:
        lock_file = _lock_files[key] = open(path, "a")
    fcntl.flock(lock_file, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock_file, fcntl.LOCK_UN)


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
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with app.extensions["db_engine"].begin() as connection:
                config = alembic_config(app.config["DATABASE_URL"])
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
