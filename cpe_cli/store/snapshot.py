"""Database files beside the open ledger: backup's snapshot, and what restore reads of a file before trusting it.

Backup copies the open ledger with SQLite's online backup API in one step
(one consistent snapshot, safe while other ``cpe`` processes write) into a
new file, switched to rollback-journal mode so that the archive holds one
self-contained file. Restore counts what a home's ledger holds before
replacing it, inspects an unpacked copy read-only (a cpe ledger? one this
cpe reads? sound?), and switches the checked copy to WAL, as ``open_ledger``
expects. The decisions (refuse, warn, retry) are ``ops/backup.py``'s and
``ops/restore.py``'s; only the SQL is here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import CpeError
from . import schema
from .ledger import Ledger

_INTEGRITY_LINES = 5


@dataclass(frozen=True)
class Snapshot:
    records: int
    trash: int
    certificates: list[tuple[str, str]]  # (stored name, SHA-256) of every file a record or trash entry names


def take_snapshot(ledger: Ledger, path: Path) -> Snapshot:
    """Copy the ledger's database to ``path`` (a new, empty private file) in one step and read what it holds.

    Refuses (``CpeError``) a database that fails SQLite's integrity check: a backup of it could not be restored.
    """
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        ledger.conn.backup(copy)  # pages=-1: the whole database in one step, so one consistent snapshot
        copy.execute("PRAGMA journal_mode = DELETE")
        try:
            problems = [row[0] for row in copy.execute(f"PRAGMA integrity_check({_INTEGRITY_LINES})")]
        except sqlite3.DatabaseError as problem:
            problems = [str(problem)]
        if problems != ["ok"]:
            raise CpeError.failed("the ledger's database fails SQLite's integrity check "
                                  f"({'; '.join(problems)}); a backup of it could not be restored: run 'cpe verify'")
        records = copy.execute("SELECT count(*) FROM records").fetchone()[0]
        trash = copy.execute("SELECT count(*) FROM trash").fetchone()[0]
        # One row per stored file, however many records and trash entries share it.
        rows = copy.execute("SELECT certificate_stored, min(sha256) FROM ("
                            "SELECT certificate_stored, certificate_sha256 AS sha256 FROM records "
                            "WHERE certificate_stored IS NOT NULL UNION ALL "
                            "SELECT certificate_stored, json_extract(record, '$.certificate_sha256') FROM trash "
                            "WHERE certificate_stored IS NOT NULL) GROUP BY certificate_stored ORDER BY 1").fetchall()
    except sqlite3.Error as problem:
        raise CpeError.failed(f"could not take a snapshot of the database into {path.parent} ({problem}; "
                              "is the disk full?); nothing was written") from None
    finally:
        copy.close()
    return Snapshot(records=records, trash=trash, certificates=rows)


def count_ledger(database: Path) -> tuple[int, int] | None:
    """(records, trash entries) of the ledger in a database file; None when SQLite cannot read them."""
    try:
        # A plain connection (not read-only): closing it removes the -wal/-shm files it opens with.
        conn = sqlite3.connect(database, timeout=30)
        try:
            records, trash = conn.execute(
                "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM trash)").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return records, trash


@dataclass(frozen=True)
class Inspection:
    """What a read-only look at a database file found."""

    error: str | None = None  # SQLite could not read it (its message); nothing else is then known
    application_id: int = 0
    version: int = 0
    integrity: list[str] = field(default_factory=list)  # integrity_check's rows, ["ok"] when sound; [] when not run
    schema: list[str] = field(default_factory=list)  # how its schema differs from what cpe makes for its version


def inspect(database: Path) -> Inspection:
    """Open ``database`` read-only: its ledger marks, then, only for a cpe ledger this cpe reads, SQLite's
    integrity check (a stranger's file, or a newer cpe's, is not checked further)."""
    try:
        conn = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            application_id, version = schema.read_version(conn)
            if application_id != schema.APPLICATION_ID or version > schema.SCHEMA_VERSION:
                return Inspection(application_id=application_id, version=version)
            conn.execute("PRAGMA trusted_schema = OFF")
            problems = [row[0] for row in conn.execute(f"PRAGMA integrity_check({_INTEGRITY_LINES})")]
            differences = schema.schema_differences(conn, version) if problems == ["ok"] else []
        finally:
            conn.close()
    except sqlite3.Error as problem:
        return Inspection(error=str(problem))
    return Inspection(application_id=application_id, version=version, integrity=problems, schema=differences)


@dataclass(frozen=True)
class Condition:
    """What the database in a home is, as far as replacing it goes."""

    kind: str  # "missing", "empty" (no ledger in it yet), "ledger", "damaged" (SQLite cannot use it), "foreign"
    records: int = 0
    trash: int = 0
    detail: str = ""


def database_condition(database: Path, *, check: bool = True) -> Condition:
    """Look at a home's database before a restore replaces it: a sound ledger (and what it holds), a new empty
    one, one SQLite cannot use (garbage, a zeroed header, a truncated or corrupt file), or a stranger's.
    Without ``check``, SQLite's ``quick_check`` is skipped (the caller ran it already)."""
    import os
    import stat as stat_module

    try:
        info = os.lstat(database)
    except FileNotFoundError:
        return Condition("missing")
    if not stat_module.S_ISREG(info.st_mode):
        return Condition("foreign", detail="not a regular file")
    if info.st_size == 0:
        return Condition("empty")
    try:
        conn = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA trusted_schema = OFF")
            application_id, version = schema.read_version(conn)
            if application_id != schema.APPLICATION_ID:
                tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if application_id == 0 and version == 0 and not tables:
                    return Condition("empty")
                return Condition("foreign", detail="a SQLite database that is not a cpe ledger")
            checked = [row[0] for row in conn.execute("PRAGMA quick_check(3)")] if check else ["ok"]
            if checked != ["ok"]:
                return Condition("damaged", detail="; ".join(checked))
            records, trash = conn.execute(
                "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM trash)").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError as problem:
        if "locked" in str(problem) or "busy" in str(problem):
            raise CpeError.failed(f"{database} is in use by another program ({problem}); "
                                  "restore when no other cpe command is running") from None
        return Condition("damaged", detail=str(problem))
    except sqlite3.Error as problem:
        return Condition("damaged", detail=str(problem))
    return Condition("ledger", records=records, trash=trash)


def prepare_restored(database: Path) -> None:
    """Switch a restored copy (open nowhere else) to WAL mode, as every ledger ``open_ledger`` opens is."""
    try:
        conn = sqlite3.connect(database, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
    except sqlite3.Error as problem:
        raise CpeError.failed(f"could not prepare the restored database: {problem}") from None
