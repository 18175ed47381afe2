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
    """How many rows of ``monthly_totals`` (kept by triggers) differ from a fresh sum of the records, either way.

    One pass over the records (the sums are compared here: an ``EXCEPT`` both ways summed every record twice).
    """
    fresh = {(month, source, field_of_study): (hundredths, count)
             for month, source, field_of_study, hundredths, count in ledger.conn.execute(_TOTALS_FROM_RECORDS)}
    kept = {(month, source, field_of_study): (hundredths, count)
            for month, source, field_of_study, hundredths, count in ledger.conn.execute(_TOTALS_KEPT)}
    return sum(1 for key in fresh.keys() | kept.keys() if fresh.get(key) != kept.get(key))


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


def record_count(ledger: Ledger) -> int:
    return ledger.conn.execute("SELECT count(*) FROM records").fetchone()[0]


def _plain_text(column: str, maximum: int, *, required: bool) -> str:
    """SQL true only for printable ASCII text (no control character), no space at either end, at most ``maximum``
    characters: what the rules keep exactly as stored. ``json_valid`` refuses a raw character below U+0020 (and
    a quote or a backslash, which only sends the row to the full check); equal byte and character lengths mean
    ASCII; U+007F is the one ASCII control JSON allows."""
    return (f"typeof({column}) = 'text' AND length({column}) BETWEEN {1 if required else 0} AND {int(maximum)} "
            f"AND length(CAST({column} AS BLOB)) = length({column}) AND json_valid('\"' || {column} || '\"') "
            f"AND instr({column}, char(127)) = 0 AND substr({column}, 1, 1) <> ' ' AND substr({column}, -1, 1) <> ' '")


def _listed(column: str, values) -> str:
    return f"{column} IN ({', '.join(_literal(value) for value in values)})"


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def rows_to_check(ledger: Ledger, today: str, *, fields, methods, states, sources, title_max: int,
                  provider_max: int, description_max: int) -> Iterator[tuple]:
    """The records (``stored_rows``' shape, by id) that SQL cannot prove are as ``cpe add`` would store them today.

    One pass over the table with a conservative test: a row passes only if every column is in the form the
    rules keep unchanged (printable ASCII texts without spaces at the ends, a listed field, method, state
    and source, a real ISO date from 1900 to ``today``, plain credits of at most two decimals whose
    hundredths match, no tags). Any other row (non-ASCII text, a tag, a quote in a title: rare, not wrong)
    is handed back for the full check in Python, so at 1,000,000 records verify runs the rules on the few
    rows that need them instead of on every row. ``fields`` etc. are the stored spellings the rules accept.
    """
    passes = " AND ".join((
        _plain_text("title", title_max, required=True),
        _plain_text("provider", provider_max, required=True),
        _plain_text("description", description_max, required=False),
        "typeof(credits) = 'text' AND credits GLOB '[0-9]*' AND credits NOT GLOB '*[^0-9.]*' "
        "AND credits NOT GLOB '*.*.*' AND (instr(credits, '.') = 0 OR length(credits) - instr(credits, '.') <= 2) "
        "AND typeof(credits_hundredths) = 'integer' AND credits_hundredths BETWEEN 1 AND 100000 "
        "AND credits_hundredths = CAST(round(CAST(credits AS REAL) * 100) AS INTEGER)",
        _listed("field_of_study", fields),
        _listed("delivery_method", methods),
        f"(state IS NULL OR {_listed('state', states)})",
        _listed("source", sources),
        # date() alone keeps '2026-02-30' as it is; a modifier makes SQLite normalise it (to 2026-03-02).
        "typeof(completed_on) = 'text' AND completed_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "
        f"AND completed_on BETWEEN '1900-01-01' AND {_literal(today)} AND date(completed_on, '+0 days') = completed_on",
        "tags = ''",
    ))
    yield from ledger.conn.execute(
        "SELECT id, title, credits, credits_hundredths, field_of_study, state, completed_on, delivery_method, "
        f"provider, description, source, tags FROM records WHERE NOT coalesce(({passes}), 0) ORDER BY id")


def schema_differences(ledger: Ledger, version: int) -> list[str]:
    """How the ledger's schema differs from what cpe's migrations make for ``version`` (``schema.py``)."""
    return schema.schema_differences(ledger.conn, version)


def trash_rows(ledger: Ledger) -> Iterator[tuple[int, int, str | None, str]]:
    """Every trash entry as stored: (entry id, record id, certificate_stored, the record's JSON), by id."""
    yield from ledger.conn.execute("SELECT id, record_id, certificate_stored, record FROM trash ORDER BY id")


def migrations_table_problem(ledger: Ledger) -> str | None:
    """What is wrong with sqlite-utils' record of applied migrations, if anything (``schema.py``)."""
    return schema.migrations_table_problem(ledger.conn)
