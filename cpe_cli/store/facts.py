"""Counts and sizes that describe a ledger (``cpe info``), read in one short read transaction."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .ledger import Ledger, translate_error


def ledger_facts(ledger: Ledger) -> dict:
    """Records, trash, certificates (named by records) and schema version, plus SQLite's own version."""
    try:
        conn = ledger.conn
        records, named = conn.execute("SELECT count(*), count(certificate_stored) FROM records").fetchone()
        trash = conn.execute("SELECT count(*) FROM trash").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        page_count = conn.execute("PRAGMA page_count").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None
    return {"records": records, "records_with_certificate": named, "trash": trash, "schema_version": version,
            "database_bytes": page_count * page_size, "sqlite_version": sqlite3.sqlite_version}


def sqlite_version() -> str:
    """The SQLite library cpe runs on (what ``cpe info`` reports even before a ledger exists)."""
    return sqlite3.sqlite_version


def folder_size(folder: Path) -> tuple[int, int]:
    """(files, bytes) of the regular files directly in ``folder`` (the certificate store), 0 when absent."""
    files = size = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    files += 1
                    size += entry.stat(follow_symlinks=False).st_size
    except FileNotFoundError:
        pass
    return files, size
