"""The queries of ``cpe verify``: SQLite's own check, the schema's marks, the derived totals, what names a file.

Kept beside ``ledger.py`` rather than in it, so that the read path every
command loads stays small. What to make of the answers is
``ops/verify.py``'s job.

These functions let SQLite's errors through unchanged (``DatabaseError``):
verify reads a possibly damaged database, and a check that cannot read
becomes one line of its report, not the end of the run. Inside
``Ledger.write()`` the same error is translated as for any other write.

``start_record_read`` is what keeps ``cpe verify`` near the cost of SQLite's
own ``integrity_check`` at 1,000,000 records (issue 14): it reads every record
once, on connections of its own, while the command's connection runs the
integrity check; see its docstring.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator

from ..core.records import Certificate
from . import schema
from .ledger import Ledger, busy_timeout_seconds, file_identity

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

    One pass over the records (the sums are compared here: an ``EXCEPT`` both ways summed every record twice),
    both read in one transaction, so that a ``cpe add`` committing between the two reads is not taken for a
    difference. ``start_record_read`` gives the same answer faster; this is its fallback.
    """
    conn = ledger.conn
    conn.execute("BEGIN")
    try:
        fresh = {(month, source, field_of_study): (hundredths, count)
                 for month, source, field_of_study, hundredths, count in conn.execute(_TOTALS_FROM_RECORDS)}
        kept = _kept_totals(conn)
    finally:
        conn.execute("ROLLBACK")  # nothing was written: this only ends the read
    return totals_differing(fresh, kept)


def totals_differing(fresh: dict, kept: dict) -> int:
    """How many keys of two {(month, source, field): (hundredths, records)} maps disagree, either way."""
    return sum(1 for key in fresh.keys() | kept.keys() if fresh.get(key) != kept.get(key))


def _kept_totals(conn: sqlite3.Connection) -> dict:
    return {(month, source, field_of_study): (hundredths, count)
            for month, source, field_of_study, hundredths, count in conn.execute(_TOTALS_KEPT)}


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
    """(record id, certificate) of every record that has one, by id.

    Sorted here rather than by ``ORDER BY id``, which made SQLite scan the whole table (0.2 s at 1,000,000
    records) instead of the partial index on ``certificate_stored`` that holds only these rows."""
    return [(record_id, Certificate(original_name=name or "", stored_name=stored, sha256=sha256 or "",
                                    size=size or 0))
            for record_id, name, stored, sha256, size in sorted(ledger.conn.execute(
                "SELECT id, certificate_name, certificate_stored, certificate_sha256, certificate_size FROM records "
                "WHERE certificate_stored IS NOT NULL"))]


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
    """The records that SQL cannot prove are as ``cpe add`` would store them today, by id, raw: (id, title,
    credits, credits_hundredths, field, state, date, method, provider, description, source, tags).

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
        # GLOB stops at a NUL character: equal byte and character lengths say there is none.
        "typeof(credits) = 'text' AND length(CAST(credits AS BLOB)) = length(credits) "
        "AND credits GLOB '[0-9]*' AND credits NOT GLOB '*[^0-9.]*' "
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


# -- the fast read of every record (issue 14) -------------------------------------------------------------
#
# ``rows_to_check`` evaluates a long SQL test on every row and ``monthly_totals_differing`` sorts every row:
# 13 s at 1,000,000 records, against 1 to 1.2 s for ``integrity_check``. The read below asks SQLite, per range
# of ids, only for what the rules need to see: each column's DISTINCT stored values (a few thousand titles, a
# handful of methods and states: the rules then run once per value, not once per row), and sums the monthly
# totals from the date index alone, which holds (date, source, field, hundredths) in order: a grouping that
# streams, with no sort. It runs on connections of its own, in a thread, while the command's connection runs
# ``integrity_check``: SQLite leaves Python's lock while it steps, so on two cores the two overlap.
#
# What each part costs at 1,000,000 records on the benchmark's ledger, one thread, SQLite 3.40: reading the
# rows alone 120 ms; the titles joined 200 ms; each DISTINCT 50 to 110 ms; the credits with their hundredths
# as pairs 150 ms; the totals from the index 290 ms, with Python summing the 86,000 (day, source, field)
# groups into months. Until schema version 8 the totals were counted from one JSON key a row (700 ms in
# SQLite and 250 ms in Python), which made the read cost more than the integrity check itself: two cores
# overlap the two only in part (about 1.4 times one core's speed, measured), so the sum of both is much of
# what the user waits for. Two things that look harmless cost much: ``char(10)`` as a separator is a
# function call and an allocation on every row (a literal newline costs nothing), and ``||`` allocates on
# every row (an allocation takes SQLite's global memory lock, which two threads then fight over).

# A range of ids this long is a few hundredths of a second of work: small enough that both threads end
# together, large enough that the cost of a query does not count.
_IDS_PER_TASK = 32768

# Per range of ids. DISTINCT into JSON: SQLite refuses to put a BLOB in JSON, so a BLOB where text belongs
# stops this read (and the slow read says what it is). The credits come as (credits, hundredths) pairs, the
# one rule that joins two columns.
#
# The titles, nearly as many distinct ones as rows in many a ledger (and 4,000 in the benchmark's), are not
# collected DISTINCT (2,600 instructions a row) but joined (550), with the greatest (a BLOB if any is) and
# the longest: the ``plain`` test given to ``start_record_read`` usually clears them all at once; in a range
# it does not clear, each distinct title is judged (split from the joined text when no title holds a line
# break, else read DISTINCT by ``_TITLES``). The separator is a literal newline.
_RECORD_FACTS = (
    "SELECT count(*), group_concat(title, '\n'), max(title), min(title), max(length(title)), "
    "json_group_array(DISTINCT json_array(credits, credits_hundredths)), "
    "json_group_array(DISTINCT provider), json_group_array(DISTINCT description), "
    "json_group_array(DISTINCT delivery_method), json_group_array(DISTINCT state) "
    "FROM records WHERE id BETWEEN ? AND ?")
_JSON_COLUMNS = ("provider", "description", "delivery_method", "state")
_TITLES = "SELECT json_group_array(DISTINCT title) FROM records WHERE id BETWEEN ? AND ?"

# Read from indexes, not from the rows. The totals by day, source and field walk ``records_by_date`` (date,
# source, field, hundredths) in its order: no sort, no row read (the dates, sources and fields in use come
# with them). The tags: ``records_tagged`` holds the rows whose tags are not '': the other rows' tags are '',
# or NULL, which a ledger whose schema is cpe's and whose integrity check passed cannot hold (``finish``).
_TOTALS_BY_DAY = ("SELECT completed_on, source, field_of_study, sum(credits_hundredths), count(*) FROM records "
                  "GROUP BY completed_on, source, field_of_study")
_TAGS_IN_USE = "SELECT DISTINCT tags FROM records WHERE tags <> ''"
_TAGGED = "SELECT count(*) FROM records WHERE tags <> ''"

# The columns whose values ``RecordFacts.needing`` may name (``rows_with`` builds its query from them); the
# judge sees the credits as (credits, credits_hundredths), the one rule joining two columns.
CHECKED_COLUMNS = ("title", "credits", "field_of_study", "state", "completed_on", "delivery_method", "provider",
                   "description", "source", "tags")


class RecordFacts(namedtuple("RecordFacts", ("count", "needing", "totals", "kept"))):
    """What one read of every record found, all in one snapshot of the ledger.

    ``needing``: {column: the distinct stored values the ``judge`` given to ``start_record_read`` said a row
    cannot hold without a problem; for credits, (credits, hundredths) pairs}: each distinct value of each
    column of ``CHECKED_COLUMNS`` was judged once. ``totals``/``kept``: the per-month totals summed from the
    records and as ``monthly_totals`` keeps them, {(month, source, field): (hundredths, records)}.
    """

    __slots__ = ()


class _Unreadable(Exception):
    """This read cannot give exact facts (the slow read will say why, as it always did)."""


class RecordRead:
    """Every record read once, on one or two connections of its own opened in one snapshot (``start_record_read``).

    A helper thread starts at once; ``finish`` has the calling thread take the ranges still waiting, then
    gives the facts. ``rows_with`` reads, in the same snapshot, the rows holding given values. ``close``
    stops the work (interrupting a query under way) and closes the connections.
    """

    def __init__(self, conns: list[sqlite3.Connection], low: int | None, high: int | None, threaded: bool,
                 judge: Callable[[str, object], bool], plain: Callable[[str, str, int, int, str], bool]):
        self._conns = conns
        self._judge = judge
        self._plain = plain
        # The indexes first: the longest task (the totals), taken by the helper thread while the command's
        # thread runs the integrity check; then the ids in order, taken by whichever thread is free.
        self._tasks: list[tuple] = [("indexes",)] + [
            ("ids", start, min(start + _IDS_PER_TASK - 1, high))
            for start in (range(low, high + 1, _IDS_PER_TASK) if low is not None else ())]
        self._tasks.reverse()  # popped from the end
        self._lock = threading.Lock()
        self._judged: dict[str, dict] = {column: {} for column in CHECKED_COLUMNS}
        self._rows = 0  # counted by the ranges of ids
        self._totals: dict | None = None  # {(month, source, field): (hundredths, records)}, from the index
        self._tagged: int | None = None
        self._kept: dict = {}
        self._error: BaseException | None = None
        self._stop = False
        self._thread = None
        if threaded:
            self._thread = threading.Thread(target=self._work, args=(conns[0],), name="cpe-verify-read",
                                            daemon=True)
            self._thread.start()

    def _work(self, conn: sqlite3.Connection) -> None:
        try:
            while True:
                with self._lock:
                    if self._stop or self._error is not None or not self._tasks:
                        break
                    task = self._tasks.pop()
                if task[0] == "indexes":
                    self._read_indexes(conn)
                else:
                    self._read_ids(conn, *task[1:])
        except BaseException as problem:  # noqa: BLE001 (handed to ``finish``, in the command's thread)
            with self._lock:
                if self._error is None:
                    self._error = problem

    def _read_indexes(self, conn: sqlite3.Connection) -> None:
        totals: dict = {}
        days, sources, fields = set(), set(), set()
        for day, source, field, hundredths, records in conn.execute(_TOTALS_BY_DAY):
            # A sum over a REAL or a text is a REAL: exact totals need integers (and a bool is none).
            if type(day) is not str or type(source) is not str or type(field) is not str \
                    or type(hundredths) is not int:
                raise _Unreadable("a total the read cannot sum exactly")
            days.add(day)
            sources.add(source)
            fields.add(field)
            group = (day[:7], source, field)
            before = totals.get(group)
            totals[group] = (hundredths, records) if before is None else (before[0] + hundredths,
                                                                          before[1] + records)
        tags = [row[0] for row in conn.execute(_TAGS_IN_USE)]
        tagged = conn.execute(_TAGGED).fetchone()[0]
        kept = _kept_totals(conn)
        with self._lock:
            self._totals, self._tagged, self._kept = totals, tagged, kept
        self._judge_new("completed_on", days)
        self._judge_new("source", sources)
        self._judge_new("field_of_study", fields)
        self._judge_new("tags", tags)

    def _read_ids(self, conn: sqlite3.Connection, first: int, last: int) -> None:
        rows, titles, greatest_title, least_title, longest_title, credits, *lists = conn.execute(
            _RECORD_FACTS, (first, last)).fetchone()
        if rows == 0:
            return
        if isinstance(greatest_title, bytes) or not self._plain("title", titles, rows, longest_title, least_title):
            if isinstance(greatest_title, str) and titles.count("\n") == rows - 1:  # no title holds a line break
                self._judge_new("title", set(titles.split("\n")))
            else:
                self._judge_new("title", json.loads(conn.execute(_TITLES, (first, last)).fetchone()[0]))
        pairs = []
        for pair in json.loads(credits):
            # Text and an integer, or JSON could not give them back exactly (a REAL's 150.0 reads as 150.0).
            if len(pair) != 2 or type(pair[0]) is not str or type(pair[1]) is not int:
                raise _Unreadable("credits the read cannot carry")
            pairs.append((pair[0], pair[1]))
        self._judge_new("credits", pairs)
        with self._lock:
            self._rows += rows
        for column, text in zip(_JSON_COLUMNS, lists):
            self._judge_new(column, json.loads(text))

    def _judge_new(self, column: str, values) -> None:
        judged = self._judged[column]
        for value in values:
            if value not in judged:
                if value is not None and not isinstance(value, (str, tuple)):
                    raise _Unreadable(f"a {type(value).__name__} {column}")  # a BLOB, read from an index
                judged[value] = self._judge(column, value)

    def finish(self, constraints_hold: bool) -> RecordFacts | None:
        """The facts, or None when this read cannot give them exactly: a BLOB where text belongs, text that is
        not UTF-8, a REAL where an integer belongs, or not ``constraints_hold`` (the ledger's schema is not
        cpe's, or its integrity check failed: only then are the NOT NULL constraints known to hold, which the
        tags read from an index rely on, and the date index known to hold every row). The caller then reads
        the slow way, which says what is wrong as it always did. An error other than these is raised."""
        if self._thread is None or len(self._conns) > 1:  # never two threads on one connection
            self._work(self._conns[-1])
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            # sqlite3.Error: a BLOB in JSON, text that is not UTF-8. ValueError: JSON that Python cannot read.
            if isinstance(self._error, (_Unreadable, sqlite3.Error, ValueError)):
                return None
            raise self._error
        if not constraints_hold or self._tagged is None or self._totals is None:
            return None
        if sum(records for _, records in self._totals.values()) != self._rows:
            return None  # the index and the table disagree: not a snapshot to judge from
        if self._tagged < self._rows:
            self._judge_new("tags", [""])
        needing = {column: [value for value, bad in judged.items() if bad] for column, judged in self._judged.items()}
        return RecordFacts(self._rows, {column: values for column, values in needing.items() if values},
                           self._totals, self._kept)

    def rows_with(self, values: dict[str, list]) -> Iterator[tuple]:
        """The records, by id, raw (id, title, credits, credits_hundredths, field, state, date, method, provider,
        description, source, tags), holding any of ``values`` ({column: stored values, None
        included; for credits, (credits, hundredths) pairs}), read in the snapshot of the facts.

        The values are matched by their ``hex()``: ``json_each`` would cut a text at a NUL character, and such a
        text is one of the values a row may hold. (A full scan, run only when some value has a problem.)"""
        terms, parameters = [], []
        for column in CHECKED_COLUMNS:
            listed = values.get(column, ())
            if column == "credits":
                if listed:
                    terms.append("(hex(credits), credits_hundredths) IN (SELECT json_extract(value, '$[0]'), "
                                 "json_extract(value, '$[1]') FROM json_each(?))")
                    parameters.append(json.dumps([[_hex(credits), hundredths] for credits, hundredths in listed]))
                continue
            if any(value is not None for value in listed):
                terms.append(f"hex({column}) IN (SELECT value FROM json_each(?))")
                parameters.append(json.dumps([_hex(value) for value in listed if value is not None]))
            if any(value is None for value in listed):
                terms.append(f"{column} IS NULL")
        if not terms:
            return iter(())
        return self._conns[-1].execute(
            "SELECT id, title, credits, credits_hundredths, field_of_study, state, completed_on, delivery_method, "
            f"provider, description, source, tags FROM records WHERE {' OR '.join(terms)} ORDER BY id", parameters)

    def close(self) -> None:
        with self._lock:
            self._stop = True
        if self._thread is not None and self._thread.is_alive():
            for conn in self._conns:
                conn.interrupt()
            self._thread.join()
        for conn in self._conns:
            conn.close()


def start_record_read(ledger: Ledger, judge: Callable[[str, object], bool],
                      plain: Callable[[str, str, int, int, str], bool]) -> RecordRead | None:
    """Start reading every record (``RecordRead``), or None when it cannot be done on the ledger's own file.

    ``judge(column, value)``: whether a row holding that stored value needs the full check; called once per
    distinct value of each of ``CHECKED_COLUMNS``, in whichever thread read it. ``plain(column, joined, count,
    longest, least)``: True only if each of the ``count`` values joined by line breaks in ``joined`` (``longest``
    characters at most, ``least`` the least of them by SQLite's ``min()``) needs no check; for the titles of a range of ids, which are then not judged one by
    one (the NOT NULL constraint, which ``finish`` requires to hold, makes ``count`` the number of values).

    Its connections are opened on the file the ledger's connection has open (the same device and inode
    before and after, as ``open_ledger`` checks), read-only, and begin their read transactions while the
    ledger's connection holds the write lock for a moment, so that both see the same snapshot however
    writers come and go (without the lock at once, one connection reads alone). With a single CPU no thread
    is started: ``finish`` does the work.
    """
    if ledger.identity is None:
        return None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    conns: list[sqlite3.Connection] = []
    fenced = cpus > 1 and _take_write_lock_now(ledger.conn)
    try:
        for _ in range(2 if fenced else 1):
            conn = _open_reader(ledger)
            if conn is None:
                break
            conns.append(conn)
        # Two subqueries: SQLite reads min() or max() from the end of the table only when a query asks for one.
        low, high = (conns[0].execute("SELECT (SELECT min(id) FROM records), (SELECT max(id) FROM records)")
                     .fetchone() if conns else (None, None))
    except BaseException as problem:
        for conn in conns:
            conn.close()
        if isinstance(problem, sqlite3.Error):
            return None
        raise
    finally:
        if fenced:
            ledger.conn.execute("ROLLBACK")
    if not conns:
        return None
    return RecordRead(conns, low, high, cpus > 1, judge, plain)


def _take_write_lock_now(conn: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE if no other connection holds the write lock; False at once if one does."""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_seconds() * 1000)}")


def _open_reader(ledger: Ledger) -> sqlite3.Connection | None:
    """A read-only connection to the ledger's file, inside a read transaction; None if the file at the
    ledger's path is no longer the one its connection opened (a restore swapped it)."""
    if file_identity(ledger.shown) != ledger.identity:
        return None
    conn = sqlite3.connect(ledger.shown, timeout=busy_timeout_seconds(), isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")
        conn.execute("SELECT 1 FROM records LIMIT 1").fetchall()  # the read transaction starts here
    except BaseException:
        conn.close()
        raise
    if file_identity(ledger.shown) != ledger.identity:
        conn.close()
        return None
    return conn


def _hex(text: str) -> str:
    """What SQLite's ``hex()`` gives for this text."""
    return text.encode("utf-8").hex().upper()

