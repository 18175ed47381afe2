"""One quick read of the ledger for TAB completion: no ``Ledger``, no migration, nothing written.

Every TAB press runs ``cpe`` once, and ``cpe show <TAB>`` wants the record
ids with their titles. Opening the ledger through ``store.ledger`` brings in
the certificate store, ``dataclasses`` and ``pathlib`` (~30 ms, most of the
answer). These functions open the database read-only (an SQLite URI with
``mode=ro``: never created, written or migrated), check that it is a cpe
ledger, run one query, and answer None on anything unexpected (a missing
``-shm`` file of a read-only WAL ledger, a lock, an old schema) so that the
caller takes the full path instead.
"""

from __future__ import annotations

import os
import sqlite3

from .schema import APPLICATION_ID

# Shared with ``Ledger.recent_ids``: the same answer on both paths.
RECENT_IDS_SQL = ("SELECT id, completed_on, title FROM records WHERE CAST(id AS TEXT) LIKE ? "
                  "ORDER BY id DESC LIMIT ?")


def _read_only_uri(database: str) -> str:
    """An SQLite URI for ``database``, opened read-only (the characters URIs reserve escaped)."""
    escaped = database.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{escaped}?mode=ro"


def _query(database: str, sql: str, params: tuple = (), *, min_version: int = 1) -> list[tuple] | None:
    """The rows of one read-only query; [] without a database or below ``min_version`` (a table not made
    yet); None when this quick read cannot answer (not a cpe ledger, locked, damaged)."""
    if not os.path.isfile(database):
        return []
    try:
        conn = sqlite3.connect(_read_only_uri(database), uri=True, timeout=0.2)
    except sqlite3.Error:
        return None
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return None
        if conn.execute("PRAGMA user_version").fetchone()[0] < min_version:
            return []
        return [tuple(row) for row in conn.execute(sql, params)]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def recent_ids(database: str, prefix: str, limit: int) -> list[tuple[int, str, str]] | None:
    """(id, date, title) of the newest records whose id starts with ``prefix`` (see ``_query``)."""
    return _query(database, RECENT_IDS_SQL, (f"{prefix}%", limit))


def tracked_profile_ids(database: str) -> list[str] | None:
    """The ids of the tracked profiles (schema 4 made their table; see ``_query``)."""
    rows = _query(database, "SELECT profile_id FROM tracked_profiles ORDER BY profile_id", min_version=4)
    return None if rows is None else [profile_id for (profile_id,) in rows]
