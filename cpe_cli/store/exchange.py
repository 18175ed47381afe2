"""The SQL of bulk exchange: streaming export rows and the staged, all-or-nothing import.

Kept beside ``ledger.py`` (and taking a ``Ledger``) rather than in it, so the
read path that every command loads stays small. Both directions push the
per-row work into SQLite's C loop, since they must keep pace with plain
``sqlite3 -csv`` and ``sqlite-utils insert``:

* an export is one ordered SELECT whose rows are finished CSV lines (quoting
  and the spreadsheet escape done in SQL: ``serialize.csv_cell_sql``), written
  in batches;
* an import fills a TEMP table (``temp.cpe_import``, private to this
  connection and taking no lock on the ledger) with already validated rows,
  then, under the write lock, marks which rows are new (not an existing
  record, not an earlier row of the same file) and copies those in with one
  INSERT ... SELECT. One transaction: a kill leaves all rows or none.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from ..core.views import Filters
from ..core.errors import CpeError
from .ledger import DATABASE_NAME, Ledger, translate_error, utc_timestamp, where_clause
from ..core.records import Certificate
from ..core.serialize import COLUMNS, FREE_TEXT, csv_cell_sql, csv_line_sql

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; no pathlib for ``cpe list --format csv``
if TYPE_CHECKING:
    from pathlib import Path

_BATCH = 2048  # lines fetched and written at once

# Export: each contract column (serialize.COLUMNS) as stored.
_STORED = {"id": "id", "date": "completed_on", "certificate": "certificate_name", "state": "coalesce(state, '')",
           "tags": "replace(tags, ' ', ';')"}  # stored space-separated, exported joined by serialize.TAG_SEPARATOR


def export_select(filters: Filters, *, raw: bool) -> tuple[str, list]:
    """The SELECT of a view's CSV lines in contract order, oldest first; formula-escaped unless ``raw``."""
    cells = []
    for column in COLUMNS:
        stored = _STORED.get(column, column)
        cells.append(csv_cell_sql(stored, escape=not raw) if column in FREE_TEXT else stored)
    where, params = where_clause(filters)
    return f"SELECT {csv_line_sql(cells)} FROM records{where} ORDER BY completed_on, id", params


def write_export_lines(ledger: Ledger, filters: Filters, write: Callable[[str], object], *, raw: bool) -> None:
    """Write the view's CSV lines, built by SQLite, in batches: Python does no work per row but a join.

    At a million rows a Python tuple and a csv.writer call per row cost more than
    the query itself; the lines are byte for byte what ``serialize.write_csv`` writes
    (tests/test_exchange_roundtrip.py checks it on hostile text).
    """
    sql, params = export_select(filters, raw=raw)
    try:
        cursor = ledger.conn.execute(sql, params)
        while True:
            lines = cursor.fetchmany(_BATCH)
            if not lines:
                break
            write("".join([line for (line,) in lines]))
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None


@contextmanager
def _transaction(ledger: Ledger, *, keep: bool) -> Iterator[None]:
    """A deferred transaction: no lock until the first read, and none on the ledger for TEMP-only writes.

    ``keep`` commits at the end; otherwise it is rolled back (a read snapshot).
    """
    conn = ledger.conn
    try:
        conn.execute("BEGIN")
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None
    try:
        yield
        conn.execute("COMMIT" if keep else "ROLLBACK")
    except BaseException as problem:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(problem, sqlite3.Error):
            raise translate_error(problem, ledger.shown) from None
        raise


def snapshot(ledger: Ledger):
    """One read transaction, so that a count and the rows it counts see the same ledger."""
    return _transaction(ledger, keep=False)


# -- import ---------------------------------------------------------------

STAGED_COLUMNS = ("line", "title", "credits", "credits_hundredths", "field_of_study", "state", "completed_on",
                  "delivery_method", "provider", "description", "source", "tags", "certificate_path",
                  "certificate_check", "certificate_name", "identity_key")
# certificate_check: the file's identity when checked (certificate_source), or for a ZIP's entry the SHA-256 it
# was checked against; certificate_name: for a ZIP's entry, the original name its manifest gives (a file in a
# folder keeps its own name, set with the rest of the certificate by ``attach_staged``); identity_key: a hash of
# the row's identity (``Record.identity``), so that finding duplicates compares integers first (``mark_new_rows``).
_RECORD_COLUMNS = ("title", "credits", "credits_hundredths", "field_of_study", "state", "completed_on",
                   "delivery_method", "provider", "description", "source", "tags", "certificate_name",
                   "certificate_stored", "certificate_sha256", "certificate_size")
# What makes two records the same course taken once (Record.identity, Ledger.find_duplicate).
_IDENTITY = ("source", "title", "completed_on", "provider", "credits_hundredths", "field_of_study",
             "delivery_method")


def create_staging(ledger: Ledger) -> None:
    conn = ledger.conn
    conn.execute("DROP TABLE IF EXISTS temp.cpe_import")
    conn.execute("""
        CREATE TEMP TABLE cpe_import (
            line INTEGER PRIMARY KEY, title TEXT, credits TEXT, credits_hundredths INTEGER,
            field_of_study TEXT, state TEXT, completed_on TEXT, delivery_method TEXT, provider TEXT,
            description TEXT, source TEXT, tags TEXT NOT NULL DEFAULT '', certificate_path TEXT,
            certificate_check TEXT, certificate_name TEXT, certificate_stored TEXT, certificate_sha256 TEXT, certificate_size INTEGER,
            identity_key INTEGER NOT NULL DEFAULT 0, keep INTEGER NOT NULL DEFAULT 0)""")


def drop_staging(ledger: Ledger) -> None:
    try:
        ledger.conn.execute("DROP TABLE IF EXISTS temp.cpe_import")
    except sqlite3.Error:
        pass  # the connection is closing anyway; a TEMP table dies with it


def fill_staging(ledger: Ledger, rows: Iterable[tuple]) -> None:
    """Stream validated rows (``STAGED_COLUMNS`` order) into the staging table, in one TEMP-only transaction."""
    placeholders = ", ".join("?" for _ in STAGED_COLUMNS)
    with _transaction(ledger, keep=True):
        ledger.conn.executemany(
            f"INSERT INTO temp.cpe_import ({', '.join(STAGED_COLUMNS)}) VALUES ({placeholders})", rows)


def mark_new_rows(ledger: Ledger) -> tuple[int, int, int]:
    """Keep the first of each identity that no record has yet; return (rows, kept, kept hundredths).

    Call inside a transaction (``ledger.write()``, or ``snapshot`` for a dry run) so
    the answer holds for what is then written. An earlier row of the same identity
    is looked up by ``identity_key`` (an integer index), then compared column by
    column, so a hash collision never makes a duplicate: grouping a million rows by
    seven text columns cost twice as much per row as a hundred thousand did.
    """
    same_identity = " AND ".join(f"r.{column} = cpe_import.{column}" for column in _IDENTITY)
    same_as_earlier = " AND ".join(f"e.{column} = cpe_import.{column}" for column in _IDENTITY)
    conn = ledger.conn
    conn.execute("CREATE INDEX IF NOT EXISTS temp.cpe_import_by_key ON cpe_import (identity_key, line)")
    conn.execute(
        "UPDATE temp.cpe_import SET keep = 1 "
        "WHERE NOT EXISTS (SELECT 1 FROM temp.cpe_import AS e WHERE e.identity_key = cpe_import.identity_key "
        f"AND e.line < cpe_import.line AND {same_as_earlier}) "
        f"AND NOT EXISTS (SELECT 1 FROM main.records AS r WHERE {same_identity})")
    rows, kept, hundredths = conn.execute(
        "SELECT count(*), coalesce(sum(keep), 0), coalesce(sum(credits_hundredths * keep), 0) "
        "FROM temp.cpe_import").fetchone()
    return rows, kept, hundredths


def kept_certificates(ledger: Ledger) -> list[tuple[int, str, str, str | None]]:
    """(line, path, identity when checked, ZIP entry's original name) of the new rows that attach a file, in
    file order."""
    return ledger.conn.execute("SELECT line, certificate_path, certificate_check, certificate_name "
                               "FROM temp.cpe_import WHERE keep AND certificate_path IS NOT NULL "
                               "ORDER BY line").fetchall()


def ledger_exists(home: Path) -> bool:
    """Whether ``home`` has a database (of any kind: opening it says what is wrong with it); a home that lost
    its database but still holds certificates is refused here, before anything is made in it."""
    from .ledger import check_not_lost

    check_not_lost(home)
    return os.path.lexists(home / DATABASE_NAME)


@contextmanager
def scratch_ledger(home: Path) -> Iterator[Ledger]:
    """A private, temporary database (on disk, gone when closed) to stage an import into before a home exists.

    It has an empty ``records`` table with the identity columns, so
    ``mark_new_rows`` counts duplicates within the file exactly as in a new ledger.
    """
    try:
        conn = sqlite3.connect("", isolation_level=None)
        conn.execute(f"CREATE TABLE main.records ({', '.join(_IDENTITY)})")
    except sqlite3.Error as problem:
        raise CpeError.failed(f"could not create a temporary database to check the import: {problem}") from None
    try:
        yield Ledger(home, conn)
    finally:
        conn.close()


def copy_staging(source: Ledger, target: Ledger) -> None:
    """The staged rows of ``source`` (a scratch ledger) into ``target``'s staging table (``create_staging`` first)."""
    fill_staging(target, source.conn.execute(
        f"SELECT {', '.join(STAGED_COLUMNS)} FROM temp.cpe_import ORDER BY line"))


def attach_staged(ledger: Ledger, line: int, certificate: Certificate) -> None:
    ledger.conn.execute(
        "UPDATE temp.cpe_import SET certificate_name = ?, certificate_stored = ?, certificate_sha256 = ?, "
        "certificate_size = ? WHERE line = ?",
        (certificate.original_name, certificate.stored_name, certificate.sha256, certificate.size, line))


# The page cache one import's write may use, per staged row and at most (see ``bulk_cache``).
CACHE_BYTES_PER_ROW = 64  # measured: 8 to 512 bytes a row all gave about the same million-row insert
CACHE_MAX_BYTES = 256 * 1024 * 1024
_DEFAULT_CACHE_KIB = 2000  # SQLite's default page cache: 2,000 KiB


@contextmanager
def bulk_cache(ledger: Ledger) -> Iterator[None]:
    """A page cache sized for the staged rows while they are marked and inserted; the setting put back after.

    The indexes of ``records`` are keyed by date, title and field, so a large
    import inserts into them at random places, and with SQLite's default 2 MiB
    page cache it spends its time evicting, spilling and re-reading the same
    pages (the insert of a million rows took 23 to 26 s instead of about 15);
    marking the new rows builds an index over them, whose sort works within
    the same cache. So both run with ``CACHE_BYTES_PER_ROW`` per staged row,
    from 2 MiB to ``CACHE_MAX_BYTES`` (64 MiB for a million rows): memory, taken
    only as pages are used, against time.
    """
    conn = ledger.conn
    before = {schema: conn.execute(f"PRAGMA {schema}.cache_size").fetchone()[0] for schema in ("main", "temp")}
    (rows,) = conn.execute("SELECT count(*) FROM temp.cpe_import").fetchone()
    wanted_kib = min(rows * CACHE_BYTES_PER_ROW, CACHE_MAX_BYTES) // 1024
    if wanted_kib > _DEFAULT_CACHE_KIB:
        for schema in before:  # the ledger's pages, and the staged rows' (with the index that finds duplicates)
            conn.execute(f"PRAGMA {schema}.cache_size = {-int(wanted_kib)}")
    try:
        yield
    finally:
        for schema, size in before.items():
            conn.execute(f"PRAGMA {schema}.cache_size = {int(size)}")


def insert_kept(ledger: Ledger, *, batch: int | None = None, stamp: str | None = None) -> int:
    """Copy the new rows into the ledger in file order, as import ``batch`` (inside ``ledger.write()``, and
    ``bulk_cache`` for a large import); return how many. ``stamp`` is their added and changed time."""
    stamp = stamp or utc_timestamp()
    columns = ", ".join(_RECORD_COLUMNS)
    cursor = ledger.conn.execute(
        f"INSERT INTO main.records ({columns}, added_at, changed_at, import_batch) "
        f"SELECT {columns}, ?, ?, ? FROM temp.cpe_import WHERE keep ORDER BY line", (stamp, stamp, batch))
    return cursor.rowcount

