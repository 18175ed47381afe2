"""The trash table: removed records, kept ``TRASH_DAYS`` days so that ``cpe rm --undo`` can bring them back.

An entry holds the removed row, every column, as a JSON object (see the
migration ``schema._add_trash``), so a column added to ``records`` later
comes back with it; ``batch`` groups the records of one ``cpe rm`` and
``removed_on`` is the day (cpe's "today") the days count from.

Only the SQL is here. Every function runs inside the caller's write
transaction (``Ledger.write``), and the certificate files are the caller's
(``ops/lifecycle.py``): a trashed record's file stays in ``certificates/``,
named by ``certificate_stored`` here, until its entry expires.
"""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import date, timedelta

from ..core.records import Certificate
from .ledger import Ledger

TRASH_DAYS = 30


def trash_cutoff(today: date) -> str:
    """Trash removed before this day is past its ``TRASH_DAYS`` days."""
    return (today - timedelta(days=TRASH_DAYS)).isoformat()


class TrashEntry(namedtuple("TrashEntry", ("record_id", "batch", "removed_on", "title", "certificate"))):
    """A record in the trash: its id, removal batch, day removed, title and certificate (or None). A named
    tuple, not a dataclass: ``dataclasses`` (with ``inspect``) is 10-15 ms of ``cpe verify``'s start-up."""

    __slots__ = ()


def entries(ledger: Ledger, today: date | None = None) -> list[TrashEntry]:
    """What the trash holds (only what is not yet expired when ``today`` is given), newest removal first."""
    query = "SELECT record_id, batch, removed_on, record FROM trash"
    params: tuple = ()
    if today is not None:
        query += " WHERE removed_on >= ?"
        params = (trash_cutoff(today),)
    found = []
    for record_id, batch, removed_on, raw in ledger.conn.execute(query + " ORDER BY batch DESC, id", params):
        data = json.loads(raw)
        certificate = None
        if data.get("certificate_stored"):
            certificate = Certificate(original_name=data.get("certificate_name") or "",
                                      stored_name=data["certificate_stored"],
                                      sha256=data.get("certificate_sha256") or "",
                                      size=data.get("certificate_size") or 0)
        found.append(TrashEntry(record_id=record_id, batch=batch, removed_on=removed_on,
                                title=str(data.get("title", "")), certificate=certificate))
    return found


def expired_entries(ledger: Ledger, today: date) -> list[tuple[int, str | None]]:
    """(entry id, stored certificate name) of every entry past its ``TRASH_DAYS`` days."""
    return ledger.conn.execute("SELECT id, certificate_stored FROM trash WHERE removed_on < ?",
                               (trash_cutoff(today),)).fetchall()


def forget_entry(ledger: Ledger, entry_id: int) -> None:
    ledger.conn.execute("DELETE FROM trash WHERE id = ?", (entry_id,))


def next_batch(ledger: Ledger) -> int:
    """The batch number of a new removal."""
    return ledger.conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM trash").fetchone()[0]


def keep_copy(ledger: Ledger, record_id: int, *, batch: int, removed_at: str, removed_on: date) -> None:
    """Copy a record's row, every column, into the trash (the caller then deletes the record)."""
    cursor = ledger.conn.execute("SELECT * FROM records WHERE id = ?", (record_id,))
    row = dict(zip((column[0] for column in cursor.description), cursor.fetchone()))
    ledger.conn.execute("INSERT INTO trash (batch, record_id, removed_at, removed_on, certificate_stored, record) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (batch, record_id, removed_at, removed_on.isoformat(), row.get("certificate_stored"),
                         json.dumps(row, ensure_ascii=False)))


def restore_last_batch(ledger: Ledger) -> list[tuple[int, int]]:
    """Put the records of the last removal back and drop their entries; return (old id, new id) of each.

    A record gets its old id back unless a newer record has taken it since.
    An empty list: the trash is empty.
    """
    conn = ledger.conn
    rows = conn.execute("SELECT id, record_id, record FROM trash WHERE batch = (SELECT max(batch) FROM trash) "
                        "ORDER BY id").fetchall()
    if not rows:
        return []
    columns = [info[1] for info in conn.execute("PRAGMA table_info(records)")]
    restored = []
    for entry_id, original_id, raw in rows:
        data = json.loads(raw)
        values = {column: data[column] for column in columns if column in data}
        if conn.execute("SELECT 1 FROM records WHERE id = ?", (original_id,)).fetchone():
            values.pop("id", None)
        names = ", ".join(f'"{column}"' for column in values)
        cursor = conn.execute(f"INSERT INTO records ({names}) VALUES ({', '.join('?' * len(values))})",
                              list(values.values()))
        forget_entry(ledger, entry_id)
        restored.append((original_id, int(cursor.lastrowid)))
    return restored
