"""The queries of ``cpe verify``: SQLite's own check, the schema's marks, the derived totals, what names a file.

Kept beside ``ledger.py`` rather than in it, so that the read path every
command loads stays small. What to make of the answers is
``ops/verify.py``'s job.

These functions let SQLite's errors through unchanged (``DatabaseError``):
verify reads a possibly damaged database, and a check that cannot read
becomes one line of its report, not the end of the run. Inside
``Ledger.write()`` the same error is translated as for any other write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from ..core.records import Certificate
from . import schema
from .ledger import Ledger

# What any query here may raise when the database is damaged; callers outside the store catch this name.
DatabaseError = sqlite3.Error


def integrity_check(ledger: Ledger, lines: int) -> list[str]:
    """SQLite's ``integrity_check``, at most ``lines`` rows: ``["ok"]`` when the file is sound."""
    return [row[0] for row in ledger.conn.execute(f"PRAGMA integrity_check({int(lines)})")]


def schema_marks(ledger: Ledger) -> tuple[int, int]:
    """(application_id, user_version) of the open ledger (``schema.read_version``)."""
    return schema.read_version(ledger.conn)


def applied_migrations(ledger: Ledger) -> set[str]:
    """The names of the migrations of cpe's set that sqlite-utils recorded as applied."""
    return {row[0] for row in ledger.conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (schema.MIGRATION_SET,))}


_TOTALS_FROM_RECORDS = ("SELECT substr(completed_on, 1, 7), source, field_of_study, sum(credits_hundredths), count(*) "
                        "FROM records GROUP BY 1, 2, 3")
_TOTALS_KEPT = "SELECT month, source, field_of_study, hundredths, records FROM monthly_totals WHERE records != 0"


def monthly_totals_differing(ledger: Ledger) -> int:
    """How many rows of ``monthly_totals`` (kept by triggers) differ from a fresh sum of the records, either way."""
    return ledger.conn.execute(
        f"SELECT count(*) FROM (SELECT * FROM ({_TOTALS_FROM_RECORDS} EXCEPT {_TOTALS_KEPT}) "
        f"UNION ALL SELECT * FROM ({_TOTALS_KEPT} EXCEPT {_TOTALS_FROM_RECORDS}))").fetchone()[0]


def rebuild_monthly_totals(ledger: Ledger) -> None:
    """Recompute ``monthly_totals`` from the records, in one write transaction (derived data: no record changes)."""
    with ledger.write():
        ledger.conn.execute("DELETE FROM monthly_totals")
        ledger.conn.execute(f"INSERT INTO monthly_totals {_TOTALS_FROM_RECORDS}")


def referenced_certificates(ledger: Ledger) -> set[str]:
    """Every stored file name a record or a trash entry names."""
    rows = ledger.conn.execute("SELECT certificate_stored FROM records WHERE certificate_stored IS NOT NULL "
                               "UNION SELECT certificate_stored FROM trash WHERE certificate_stored IS NOT NULL")
    return {row[0] for row in rows}


def record_certificates(ledger: Ledger) -> list[tuple[int, Certificate]]:
    """(record id, certificate) of every record that has one, by id."""
    return [(record_id, Certificate(original_name=name or "", stored_name=stored, sha256=sha256 or "",
                                    size=size or 0))
            for record_id, name, stored, sha256, size in ledger.conn.execute(
                "SELECT id, certificate_name, certificate_stored, certificate_sha256, certificate_size FROM records "
                "WHERE certificate_stored IS NOT NULL ORDER BY id")]


def stored_rows(ledger: Ledger) -> Iterator[tuple]:
    """Every record as stored, by id, streamed: (id, title, credits, credits_hundredths, field_of_study, state,
    completed_on, delivery_method, provider, description, source, tags), the raw values (no conversion, so
    that verify sees what is really there)."""
    yield from ledger.conn.execute(
        "SELECT id, title, credits, credits_hundredths, field_of_study, state, completed_on, delivery_method, "
        "provider, description, source, tags FROM records ORDER BY id")


def schema_differences(ledger: Ledger, version: int) -> list[str]:
    """How the ledger's schema differs from what cpe's migrations make for ``version`` (``schema.py``)."""
    return schema.schema_differences(ledger.conn, version)


def trash_rows(ledger: Ledger) -> Iterator[tuple[int, int, str | None, str]]:
    """Every trash entry as stored: (entry id, record id, certificate_stored, the record's JSON), by id."""
    yield from ledger.conn.execute("SELECT id, record_id, certificate_stored, record FROM trash ORDER BY id")


def migrations_table_problem(ledger: Ledger) -> str | None:
    """What is wrong with sqlite-utils' record of applied migrations, if anything (``schema.py``)."""
    return schema.migrations_table_problem(ledger.conn)
