"""The SQL of import batches: ``cpe import --history`` and ``cpe import --undo``.

Every ``cpe import`` that adds records is one row of ``import_batches``
(migration ``schema._add_import_batches``), written in the import's own
transaction (``exchange.insert_kept``), and its records carry its id in
``records.import_batch``; the partial index ``records_by_batch`` finds them
without reading the rest of the ledger.

Undoing a batch moves its records to the trash the way ``cpe rm`` does (one
trash batch, each row kept whole as a JSON object of every column, see
``trash.keep_copy``), so ``cpe rm --undo`` brings them back, batch column
and all. It is done here in two statements instead of a row at a time,
because a batch can hold a million records.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .ledger import Ledger, translate_error


@dataclass(frozen=True)
class Batch:
    id: int
    imported_at: str  # UTC, ISO 8601 to the microsecond: its records' added_at (and changed_at until edited)
    source_name: str  # the file as given on the command line, "-" for standard input
    imported: int
    skipped: int
    in_ledger: int  # of its records, how many are still in the ledger (not removed or undone)


def record_batch(ledger: Ledger, *, imported_at: str, source_name: str, imported: int, skipped: int) -> int:
    """Add a batch row inside the import's write transaction; return its id."""
    cursor = ledger.conn.execute(
        "INSERT INTO import_batches (imported_at, source_name, imported, skipped) VALUES (?, ?, ?, ?)",
        (imported_at, source_name, imported, skipped))
    return int(cursor.lastrowid)


_SELECT = ("SELECT b.id, b.imported_at, b.source_name, b.imported, b.skipped, "
           "(SELECT count(*) FROM records WHERE import_batch = b.id) FROM import_batches AS b")


def history(ledger: Ledger) -> list[Batch]:
    """Every batch, oldest first."""
    try:
        return [Batch(*row) for row in ledger.conn.execute(f"{_SELECT} ORDER BY b.id")]
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None


def find(ledger: Ledger, batch_id: int) -> Batch | None:
    row = ledger.conn.execute(f"{_SELECT} WHERE b.id = ?", (batch_id,)).fetchone()
    return Batch(*row) if row else None


def latest_with_records(ledger: Ledger) -> Batch | None:
    """The newest batch that still has records in the ledger (the default of ``--undo``)."""
    row = ledger.conn.execute("SELECT max(import_batch) FROM records WHERE import_batch IS NOT NULL").fetchone()
    return find(ledger, row[0]) if row and row[0] is not None else None


def edited_count(ledger: Ledger, batch_id: int) -> int:
    """How many of the batch's records were changed (``cpe edit``) after they were imported."""
    return ledger.conn.execute("SELECT count(*) FROM records WHERE import_batch = ? AND changed_at <> added_at",
                               (batch_id,)).fetchone()[0]


def credits_hundredths(ledger: Ledger, batch_id: int) -> int:
    return ledger.conn.execute("SELECT coalesce(sum(credits_hundredths), 0) FROM records WHERE import_batch = ?",
                               (batch_id,)).fetchone()[0]


def move_to_trash(ledger: Ledger, batch_id: int, *, trash_batch: int, removed_at: str, removed_on: str) -> int:
    """Inside ``ledger.write()``: copy the batch's records into the trash, every column as ``trash.keep_copy``
    keeps it (a JSON object, values with their SQLite types), then delete them; return how many.

    Their certificate files stay in the store: the trash entries name them.
    """
    conn = ledger.conn
    columns = [info[1] for info in conn.execute("PRAGMA table_info(records)")]
    pairs = ", ".join(f"'{column}', \"{column}\"" for column in columns)
    conn.execute("INSERT INTO trash (batch, record_id, removed_at, removed_on, certificate_stored, record) "
                 f"SELECT ?, id, ?, ?, certificate_stored, json_object({pairs}) FROM records "
                 "WHERE import_batch = ? ORDER BY id", (trash_batch, removed_at, removed_on, batch_id))
    return conn.execute("DELETE FROM records WHERE import_batch = ?", (batch_id,)).rowcount
