"""Encrypted backups of an instance, and their restore.

    ihc-analyst backup-key /root/ihc-backup.key       # once, on a trusted machine
    ihc-analyst backup /var/backups/ihc --key-file /etc/ihc/backup.pub --keep 14
    ihc-analyst restore FILE --key-file /media/usb/ihc-backup.key

A backup holds everything needed to bring the hotline back: the database
(a consistent snapshot taken while the service runs: SQLite's online backup
API, or `pg_dump --format=custom` inside an exported snapshot for PostgreSQL),
the instance's `secrets.json` (its CONTACT_KEY decrypts the stored contact
details) and a small manifest.

Keys.  `backup-key PATH` makes an X25519 key pair: PATH, the private key
(PEM, 0600), and PATH.pub, the public key.  Backups need only the public key,
so the server never holds what opens its backups: the private key is needed
for a restore alone and is kept off the machine.  Neither may live in the
instance folder (a copy of that folder must not carry the key with the data).

The file format (version 1), all integers big-endian:

    header   b"IHC-BACKUP" | version (1 byte) | key id (8 bytes: SHA-256 of
             the raw public key, truncated) | length (2 bytes) | HPKE sealed
             data key (RFC 9180, X25519 / HKDF-SHA256 / AES-256-GCM, with the
             bytes before it as `info`, so the header cannot be altered)
    chunks   length (4 bytes) | Fernet token, until the chunk marked last

The data key is a fresh Fernet key for each backup.  Each token's plaintext
is index (8 bytes, from 0) | part (1 byte) | flags (1 byte, 1 = last chunk)
| at most 1 MiB of data.  Parts come in order, each in one or more chunks:
0 the manifest (JSON), 1 secrets.json, 2 the database (the SQLite file,
zlib-compressed; or pg_dump's custom format, which is compressed already).
A chunk that fails authentication, an index out of sequence (chunks reordered,
dropped or repeated), a stream that ends before the last chunk, or any byte
after it: the file is refused.  Memory stays bounded by the chunk size.

Why not an existing container: age/GPG are not Python dependencies here, and
Fernet and HPKE are the maintained primitives of `cryptography`; what is
written by hand is only the framing above.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import secrets
import sqlite3
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import Callable, Iterator

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

MAGIC = b"IHC-BACKUP"
FORMAT_VERSION = 1
KEY_ENV = "REPORT_BACKUP_KEY_FILE"
SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
CHUNK_SIZE = 1 << 20
MAX_TOKEN = 2 * CHUNK_SIZE  # a 1 MiB chunk's token is about 1.4 MiB; anything longer is damage
LENGTH = struct.Struct(">I")
CHUNK_HEADER = struct.Struct(">QBB")
LAST = 1
MANIFEST, SECRETS, DATABASE = 0, 1, 2
MAX_SMALL_PART = 1 << 20  # manifest and secrets are a few hundred bytes
# Names sort by time (UTC, to the microsecond: two backups never share one).
NAME_FORMAT = "ihc-backup-%Y%m%dT%H%M%S.%fZ.ihcbackup"
NAME_PATTERN = re.compile(r"ihc-backup-\d{8}T\d{6}\.\d{6}Z\.ihcbackup")


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason.  Nothing was changed."""


# --- files -----------------------------------------------------------------------

def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _private_file(path: Path):
    """A new owner-only file opened for binary writing (never an existing one)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _temporary(directory: Path, stem: str) -> Path:
    return directory / f".{stem}.partial-{secrets.token_hex(6)}"


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def _sqlite_path(app: Flask) -> Path | None:
    url = make_url(app.config["DATABASE_URL"])
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def _data_folders(app: Flask) -> list[Path]:
    """Where a key or a backup must not be: the instance folder and the SQLite file's folder."""
    folders = [Path(app.instance_path)]
    database = _sqlite_path(app)
    if database is not None:
        folders.append(database.parent)
    return folders


def _refuse_beside_data(app: Flask, path: Path, what: str) -> None:
    for folder in _data_folders(app):
        if _inside(path, folder):
            raise BackupError(
                f"{what} {path} is inside {folder}, beside the database: a copy of that folder would carry "
                f"it with the data, and one failed disk would take both. Keep it elsewhere (see deploy/README.md).")


# --- keys ------------------------------------------------------------------------

def key_id(public_key: x25519.X25519PublicKey) -> bytes:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8]


def create_key(app: Flask, path: Path) -> tuple[Path, str]:
    """Write a new private key to path (0600) and its public key to path.pub."""
    public_path = path.with_name(path.name + ".pub")
    _refuse_beside_data(app, path, "The key file")
    for existing in (path, public_path):
        if existing.exists():
            raise BackupError(f"{existing} already exists: a key is never overwritten (backups made with it "
                              f"could no longer be restored). Choose another name.")
    private_key = x25519.X25519PrivateKey.generate()
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    for target, content in ((path, pem), (public_path, public_pem)):
        with _private_file(target) as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    _fsync_dir(path.parent)
    return public_path, key_id(private_key.public_key()).hex()


def _read_key_file(app: Flask, path: Path | None) -> bytes:
    if path is None:
        raise BackupError(f"No key file: give --key-file or set {KEY_ENV}.")
    _refuse_beside_data(app, path, "The key file")
    try:
        return path.read_bytes()
    except OSError as error:
        raise BackupError(f"Cannot read the key file {path}: {error.strerror}.") from None


def load_public_key(app: Flask, path: Path | None) -> x25519.X25519PublicKey:
    """The key a backup is made for: the public key file (or the private key, whose public half is used)."""
    data = _read_key_file(app, path)
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        key = _private_key_from(data, path).public_key()
    if not isinstance(key, x25519.X25519PublicKey):
        raise BackupError(f"{path} is not a backup key made by `ihc-analyst backup-key`.")
    return key


def _private_key_from(data: bytes, path: Path) -> x25519.X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise BackupError(f"{path} is not a backup key made by `ihc-analyst backup-key`.") from None
    if not isinstance(key, x25519.X25519PrivateKey):
        raise BackupError(f"{path} is not a backup key made by `ihc-analyst backup-key`.")
    return key


def load_private_key(app: Flask, path: Path | None) -> x25519.X25519PrivateKey:
    data = _read_key_file(app, path)
    if b"PUBLIC KEY" in data:
        raise BackupError(f"{path} is a public key: a restore needs the private key file made by "
                          f"`ihc-analyst backup-key` (the one without .pub, kept off the server).")
    return _private_key_from(data, path)


# --- the encrypted stream -------------------------------------------------------

class _ChunkWriter:
    """Cuts parts into chunks and seals each one.  The newest chunk is held
    back until the next one exists, so that the last can be flagged as last."""

    def __init__(self, handle, fernet: Fernet):
        self.handle, self.fernet = handle, fernet
        self.index, self.part, self.buffer, self.pending = 0, None, bytearray(), None

    def write(self, part: int, data: bytes) -> None:
        if part != self.part:
            self._cut()
            self.part = part
        self.buffer += data
        while len(self.buffer) >= CHUNK_SIZE:
            self._queue(bytes(self.buffer[:CHUNK_SIZE]))
            del self.buffer[:CHUNK_SIZE]

    def close(self) -> None:
        self._cut()
        self._seal(*self.pending, last=True)

    def _cut(self) -> None:
        if self.buffer:
            self._queue(bytes(self.buffer))
            self.buffer.clear()

    def _queue(self, data: bytes) -> None:
        if self.pending is not None:
            self._seal(*self.pending, last=False)
        self.pending = (self.part, data)

    def _seal(self, part: int, data: bytes, last: bool) -> None:
        token = self.fernet.encrypt(CHUNK_HEADER.pack(self.index, part, LAST if last else 0) + data)
        self.handle.write(LENGTH.pack(len(token)) + token)
        self.index += 1


def _write_header(handle, public_key: x25519.X25519PublicKey) -> Fernet:
    data_key = Fernet.generate_key()
    clear = MAGIC + bytes([FORMAT_VERSION]) + key_id(public_key)
    sealed = SUITE.encrypt(data_key, public_key, info=clear)
    handle.write(clear + struct.pack(">H", len(sealed)) + sealed)
    return Fernet(data_key)


def _read_exact(handle, size: int) -> bytes:
    data = handle.read(size)
    if len(data) < size:
        raise BackupError("The backup file is truncated (it ends before its last part): it cannot be restored.")
    return data


def _read_header(handle, private_key: x25519.X25519PrivateKey) -> Fernet:
    magic = handle.read(len(MAGIC))
    if magic != MAGIC:
        raise BackupError("This is not a backup made by `ihc-analyst backup`.")
    version = _read_exact(handle, 1)[0]
    if version != FORMAT_VERSION:
        raise BackupError(f"This backup has format version {version}; this code reads version {FORMAT_VERSION}.")
    made_for = _read_exact(handle, 8)
    mine = key_id(private_key.public_key())
    if made_for != mine:
        raise BackupError(f"Wrong key: this backup was made for backup key {made_for.hex()}, and the key file "
                          f"is key {mine.hex()}. Use the private key that belongs to the public key the "
                          f"server backs up with.")
    (size,) = struct.unpack(">H", _read_exact(handle, 2))
    sealed = _read_exact(handle, size)
    try:
        return Fernet(SUITE.decrypt(sealed, private_key, info=MAGIC + bytes([version]) + made_for))
    except Exception:  # the HPKE binding raises its own (undocumented) error types
        raise BackupError("The backup's header is damaged (it fails authentication): it cannot be restored.") from None


def _chunks(handle, fernet: Fernet) -> Iterator[tuple[int, bytes]]:
    """(part, data) of each chunk, each checked; returns only after the last chunk and the file's end."""
    expected, current = 0, MANIFEST
    while True:
        (size,) = LENGTH.unpack(_read_exact(handle, LENGTH.size))
        if not 0 < size <= MAX_TOKEN:
            raise BackupError(f"The backup is damaged at chunk {expected}: it cannot be restored.")
        try:
            plain = fernet.decrypt(_read_exact(handle, size))
        except InvalidToken:
            raise BackupError(f"The backup is damaged: chunk {expected} fails authentication "
                              f"(it was altered). It cannot be restored.") from None
        index, part, flags = CHUNK_HEADER.unpack_from(plain)
        if index != expected:
            raise BackupError(f"The backup is damaged: chunk {index} found where chunk {expected} belongs "
                              f"(chunks reordered, repeated or missing). It cannot be restored.")
        if part not in (current, current + 1) or part > DATABASE:
            raise BackupError(f"The backup is damaged: chunk {index} holds an unexpected part.")
        current, expected = part, expected + 1
        yield part, plain[CHUNK_HEADER.size:]
        if flags & LAST:
            if part != DATABASE:
                raise BackupError("The backup is incomplete: it ends before the database.")
            if handle.read(1):
                raise BackupError("The backup is damaged: there is data after its last chunk.")
            return


def read_backup(path: Path, private_key: x25519.X25519PrivateKey,
                open_sink: Callable[[dict], Callable[[bytes], None]]) -> tuple[dict, bytes]:
    """Decrypt and check the whole file.  The database's bytes (decompressed)
    go to the writer open_sink(manifest) returns; the manifest and secrets.json
    are returned once the file has been read to its authenticated end."""
    small = {MANIFEST: bytearray(), SECRETS: bytearray()}
    manifest, sink, inflate = None, None, None
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None
    with handle:
        fernet = _read_header(handle, private_key)
        for part, data in _chunks(handle, fernet):
            if part != DATABASE:
                small[part] += data
                if len(small[part]) > MAX_SMALL_PART:
                    raise BackupError("The backup is damaged: its manifest or secrets part is too large.")
                continue
            if manifest is None:
                manifest = _parse_manifest(bytes(small[MANIFEST]))
                sink = open_sink(manifest)
                inflate = zlib.decompressobj() if manifest["compression"] == "zlib" else None
            if inflate is not None:
                try:
                    data = inflate.decompress(data)
                except zlib.error:
                    raise BackupError("The backup's database part cannot be decompressed: it is damaged.") from None
            sink(data)
    if inflate is not None and (not inflate.eof or inflate.unused_data):
        raise BackupError("The backup's database part is incomplete: it is damaged.")
    return manifest, bytes(small[SECRETS])


def _parse_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data)
        understood = (manifest["format"] == FORMAT_VERSION and manifest["dialect"] in ("sqlite", "postgresql")
                      and manifest["compression"] in ("zlib", "none") and isinstance(manifest["reports"], int))
    except (ValueError, KeyError, TypeError):
        understood = False
    if not understood:
        raise BackupError("The backup's manifest is not one this code understands.")
    return manifest


# --- taking a backup --------------------------------------------------------------

def _target(app: Flask, path: Path, keep: int | None) -> Path:
    _refuse_beside_data(app, path, "The backup")
    if path.is_dir():
        return path / dt.datetime.now(dt.timezone.utc).strftime(NAME_FORMAT)
    if keep is not None:
        raise BackupError("--keep needs a folder to back up into (the backups in it are counted).")
    if path.exists():
        raise BackupError(f"{path} already exists: a backup never overwrites a file.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    return path


@contextlib.contextmanager
def _instance_lock(app: Flask):
    """One backup or restore at a time per instance: a lock on the folder
    itself, so that a refused restore leaves not even a lock file behind."""
    descriptor = os.open(app.instance_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError("Another backup or restore of this instance is running; try again when it ends.") from None
        yield
    finally:
        os.close(descriptor)


def _schema(connection) -> str | None:
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except (sqlite3.Error, TypeError):
        return None


@contextlib.contextmanager
def _sqlite_snapshot(app: Flask) -> Iterator[tuple[Path, int, str | None]]:
    """A consistent copy of the SQLite database in the instance folder (where
    its plaintext already lives), checked, and deleted afterwards."""
    instance = Path(app.instance_path)
    for stale in instance.glob(".backup-copy.partial-*"):  # left by a backup that was killed
        stale.unlink(missing_ok=True)
    copy = _temporary(instance, "backup-copy")
    _private_file(copy).close()
    try:
        source = sqlite3.connect(_sqlite_path(app), timeout=30)
        target = sqlite3.connect(copy)
        try:
            source.execute("PRAGMA query_only=ON")
            # One step (pages=-1): the whole copy is read in one read
            # transaction, a snapshot that writers (in WAL mode) do not
            # block or restart.
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check = target.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise BackupError(f"The database fails SQLite's integrity check: {check[:3]}. No backup written.")
            reports = target.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
            schema = _schema(target)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"The database cannot be copied whole ({error}): it fails SQLite's integrity "
                              f"check. No backup written.") from None
        finally:
            target.close()
            source.close()
        yield copy, reports, schema
    finally:
        copy.unlink(missing_ok=True)


def _postgres_binary(app: Flask, name: str) -> str:
    """pg_dump/pg_restore: REPORT_PG_BIN_DIR, else the newest of Debian's
    /usr/lib/postgresql/*/bin (the client must not be older than the server)."""
    folders = [Path(app.config["PG_BIN_DIR"])] if app.config.get("PG_BIN_DIR") else sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    for folder in folders:
        if (folder / name).is_file():
            return str(folder / name)
    raise BackupError(f"{name} not found in {', '.join(map(str, folders)) or '/usr/lib/postgresql/*/bin'}: "
                      f"install Debian's postgresql-client, or set REPORT_PG_BIN_DIR.")


def _libpq(app: Flask) -> tuple[str, dict]:
    """The database URL for libpq tools, and an environment with the password
    (never on the command line, where `ps` shows it)."""
    url = make_url(app.config["DATABASE_URL"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _postgres_backup(app: Flask, write: Callable[[int, bytes], None], manifest: dict) -> int:
    """pg_dump inside a snapshot this connection exported, so that the report
    count in the manifest is the count of the dump itself."""
    engine = app.extensions["db_engine"]
    dbname, env = _libpq(app)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            manifest["reports"] = connection.execute(text("SELECT COUNT(*) FROM reports")).scalar_one()
            manifest["schema"] = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            write(MANIFEST, json.dumps(manifest).encode())
            write(SECRETS, (Path(app.instance_path) / "secrets.json").read_bytes())
            # stderr to a file: an unread pipe that fills up would stall pg_dump.
            with tempfile.TemporaryFile() as stderr:
                process = subprocess.Popen(
                    [_postgres_binary(app, "pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                     f"--dbname={dbname}"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=env)
                try:
                    while block := process.stdout.read(CHUNK_SIZE):
                        write(DATABASE, block)
                    code = process.wait(timeout=60)
                finally:
                    if process.poll() is None:
                        process.kill()
                        process.wait()
                stderr.seek(0)
                errors = stderr.read().decode(errors="replace")
            if code != 0:
                raise BackupError(f"pg_dump failed ({code}): {errors.strip()[-500:]}. No backup written.")
    return manifest["reports"]


def write_backup(app: Flask, path: Path, public_key: x25519.X25519PublicKey, keep: int | None = None) -> dict:
    """Write an encrypted backup of the running instance to path (a file, or
    a folder to put a dated file in, keeping the newest `keep` there)."""
    target = _target(app, path, keep)
    dialect = app.extensions["db_engine"].dialect.name
    manifest = {"format": FORMAT_VERSION, "dialect": dialect,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "compression": "zlib" if dialect == "sqlite" else "none", "reports": 0, "schema": None}
    partial = _temporary(target.parent, target.name)
    with _instance_lock(app):
        try:
            with _private_file(partial) as handle:
                writer = _ChunkWriter(handle, _write_header(handle, public_key))
                if dialect == "sqlite":
                    with _sqlite_snapshot(app) as (copy, manifest["reports"], manifest["schema"]):
                        writer.write(MANIFEST, json.dumps(manifest).encode())
                        writer.write(SECRETS, (Path(app.instance_path) / "secrets.json").read_bytes())
                        deflate = zlib.compressobj(6)
                        with open(copy, "rb") as database:
                            while block := database.read(CHUNK_SIZE):
                                writer.write(DATABASE, deflate.compress(block))
                        writer.write(DATABASE, deflate.flush())
                elif dialect == "postgresql":
                    _postgres_backup(app, writer.write, manifest)
                else:
                    raise BackupError(f"Backups of a {dialect} database are not supported.")
                writer.close()
                handle.flush()
                os.fsync(handle.fileno())
            os.link(partial, target)  # unlike rename, never replaces a file that appeared meanwhile
        except FileExistsError:
            raise BackupError(f"{target} already exists: a backup never overwrites a file.") from None
        finally:
            partial.unlink(missing_ok=True)
        _fsync_dir(target.parent)
    removed = []
    if keep is not None:
        backups = sorted(p for p in target.parent.iterdir() if NAME_PATTERN.fullmatch(p.name))
        for old in backups[:max(len(backups) - keep, 0)]:
            old.unlink()
            removed.append(old.name)
    return {"path": str(target), "reports": manifest["reports"], "bytes": target.stat().st_size,
            "key": key_id(public_key).hex(), "removed": removed}


# --- restoring ----------------------------------------------------------------------

def _report_count(app: Flask) -> int:
    with app.extensions["db_engine"].connect() as connection:
        return connection.execute(text("SELECT COUNT(*) FROM reports")).scalar_one()


def _check_secrets(data: bytes) -> None:
    try:
        values = json.loads(data)
        Fernet(values["CONTACT_KEY"].encode())
        valid = isinstance(values["SECRET_KEY"], str) and bool(values["SECRET_KEY"])
    except (ValueError, KeyError, TypeError, AttributeError):
        valid = False
    if not valid:
        raise BackupError("The backup's secrets.json is not valid: it cannot be restored.")


def _check_schema(app: Flask, manifest: dict) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from .db import alembic_config

    if manifest.get("schema") is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config(app.config["DATABASE_URL"])).get_revision(manifest["schema"])
    except CommandError:
        raise BackupError(f"This backup's database schema ({manifest['schema']}) is newer than this code: "
                          f"update the code first, then restore.") from None


def _processes_using(path: Path) -> list[int]:
    """Other processes with the database open (a running service would go on
    writing into the replaced file, and those reports would be lost)."""
    wanted = {os.path.realpath(path), os.path.realpath(f"{path}-wal")}
    found = []
    for fd_folder in Path("/proc").glob("[0-9]*/fd"):
        pid = int(fd_folder.parent.name)
        if pid == os.getpid():
            continue
        try:
            if any(os.readlink(fd) in wanted for fd in fd_folder.iterdir()):
                found.append(pid)
        except OSError:
            continue  # gone, or another user's process (the service runs as our user)
    return found


def _place(temporary: Path, final: Path) -> None:
    os.chmod(temporary, 0o600)
    os.replace(temporary, final)


def _write_private(path: Path, data: bytes) -> None:
    with _private_file(path) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def restore(app: Flask, path: Path, private_key: x25519.X25519PrivateKey) -> dict:
    """Restore a backup into this instance, which must hold no reports yet.
    Everything is decrypted and checked before anything is put in place."""
    dialect = app.extensions["db_engine"].dialect.name
    instance = Path(app.instance_path)
    if _report_count(app):
        raise BackupError("This instance already holds reports: a restore goes into an empty instance only "
                          "(a new instance folder, and for PostgreSQL a new, empty database). Nothing was changed.")

    def matching(manifest: dict) -> None:
        if manifest["dialect"] != dialect:
            raise BackupError(f"This is a backup of a {manifest['dialect']} database; this instance uses {dialect}.")
        _check_schema(app, manifest)

    with _instance_lock(app):
        secrets_tmp = _temporary(instance, "restore-secrets")
        try:
            if dialect == "sqlite":
                return _restore_sqlite(app, path, private_key, matching, secrets_tmp)
            if dialect == "postgresql":
                return _restore_postgres(app, path, private_key, matching, secrets_tmp)
            raise BackupError(f"Restoring into a {dialect} database is not supported.")
        finally:
            secrets_tmp.unlink(missing_ok=True)


def _restore_sqlite(app, path, private_key, matching, secrets_tmp) -> dict:
    database = _sqlite_path(app)
    database_tmp = _temporary(database.parent, "restore-database")
    try:
        with _private_file(database_tmp) as out:
            def open_sink(manifest):
                matching(manifest)
                return out.write
            manifest, secrets_json = read_backup(path, private_key, open_sink)
            out.flush()
            os.fsync(out.fileno())
        _check_secrets(secrets_json)
        connection = sqlite3.connect(database_tmp)
        try:
            check = connection.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise BackupError(f"The restored database fails SQLite's integrity check: {check[:3]}. Nothing was changed.")
            restored = connection.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        finally:
            connection.close()
        if restored != manifest["reports"]:
            raise BackupError(f"The backup holds {restored} reports; its manifest says {manifest['reports']}. Nothing was changed.")
        _write_private(secrets_tmp, secrets_json)

        app.extensions["db_engine"].dispose()  # no connection of ours stays on the old file
        users = _processes_using(database)
        if users:
            raise BackupError(f"The database is open in process(es) {', '.join(map(str, users))}: stop the "
                              f"service (systemctl stop ihc-endpoint) before restoring. Nothing was changed.")
        old = sqlite3.connect(database, timeout=30)
        try:
            if old.execute("SELECT COUNT(*) FROM reports").fetchone()[0]:
                raise BackupError("Reports arrived in this instance meanwhile: nothing was changed.")
            # Fold the empty database's write-ahead log away: a WAL left beside
            # the restored file would be replayed into it.
            old.execute("PRAGMA journal_mode=DELETE")
        finally:
            old.close()
        for leftover in (f"{database}-wal", f"{database}-shm"):
            Path(leftover).unlink(missing_ok=True)
        # secrets.json first: if the machine stops in between, the instance
        # still holds no reports, and the restore can simply be run again.
        _place(secrets_tmp, Path(app.instance_path) / "secrets.json")
        _place(database_tmp, database)
        _fsync_dir(Path(app.instance_path))
        _fsync_dir(database.parent)
    finally:
        database_tmp.unlink(missing_ok=True)
    _migrate_after(app)
    return {"reports": manifest["reports"], "created_at": manifest["created_at"], "dialect": "sqlite"}


def _restore_postgres(app, path, private_key, matching, secrets_tmp) -> dict:
    # First pass: decrypt and check everything, keeping nothing.  Only a
    # whole, authentic backup goes to pg_restore, which then restores it in
    # one transaction (all or nothing).
    def discard(manifest: dict) -> Callable[[bytes], None]:
        matching(manifest)
        return lambda data: None

    manifest, secrets_json = read_backup(path, private_key, discard)
    _check_secrets(secrets_json)
    _write_private(secrets_tmp, secrets_json)
    app.extensions["db_engine"].dispose()
    dbname, env = _libpq(app)
    stderr = tempfile.TemporaryFile()  # a file: an unread pipe that fills up would stall pg_restore
    process = subprocess.Popen(
        [_postgres_binary(app, "pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", f"--dbname={dbname}"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    try:
        try:
            read_backup(path, private_key, lambda m: process.stdin.write)
        except BackupError:
            process.kill()  # before its transaction commits: nothing is restored
            raise
        except BrokenPipeError:
            pass  # pg_restore stopped early; its exit status says why
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        code = process.wait(timeout=300)
        stderr.seek(0)
        errors = stderr.read().decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        stderr.close()
    if code != 0:
        raise BackupError(f"pg_restore failed ({code}), its transaction was rolled back: {errors.strip()[-500:]}")
    restored = _report_count(app)
    if restored != manifest["reports"]:
        raise BackupError(f"pg_restore restored {restored} reports; the manifest says {manifest['reports']}.")
    _place(secrets_tmp, Path(app.instance_path) / "secrets.json")
    _fsync_dir(Path(app.instance_path))
    _migrate_after(app)
    return {"reports": manifest["reports"], "created_at": manifest["created_at"], "dialect": "postgresql"}


def _migrate_after(app: Flask) -> None:
    """A backup from older code is brought to this code's schema at once."""
    from .db import migrate

    app.extensions["db_engine"].dispose()
    migrate(app)
