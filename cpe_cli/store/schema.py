"""The database schema and its versions.

Versions are applied with ``sqlite_utils.Migrations``; ``PRAGMA user_version``
mirrors how many have run, so that a command can tell in one cheap read,
without importing sqlite-utils (~100 ms), that nothing needs doing.
``PRAGMA application_id`` marks the file as a cpe ledger, so a stranger's
SQLite file is refused instead of being written into.

Add a migration by appending a function to ``MIGRATIONS``: never edit one
that has shipped, since ledgers in the field have already run it.
"""

from __future__ import annotations

import sqlite3

from ..core.errors import CpeError

APPLICATION_ID = 0x43504531  # "CPE1"
MIGRATION_SET = "cpe"


def _create_records(db) -> None:
    db.execute("""
        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            credits TEXT NOT NULL,
            credits_hundredths INTEGER NOT NULL
                CHECK (credits_hundredths > 0 AND credits_hundredths <= 100000),
            field_of_study TEXT NOT NULL,
            state TEXT,
            completed_on TEXT NOT NULL CHECK (completed_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
            delivery_method TEXT NOT NULL,
            provider TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL CHECK (source IN ('external', 'lumiq')),
            certificate_name TEXT,
            certificate_stored TEXT UNIQUE,
            certificate_sha256 TEXT,
            certificate_size INTEGER,
            added_at TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )""")
    # Covering index: totals for a window and source are read from the index alone.
    db.execute("CREATE INDEX records_by_date ON records (completed_on, source, credits_hundredths)")
    db.execute("CREATE INDEX records_by_field ON records (field_of_study, completed_on)")
    # Duplicate detection (add warns, import skips) looks records up by what identifies a course.
    db.execute("CREATE INDEX records_identity ON records (completed_on, title, provider)")


def _add_trash(db) -> None:
    """Removed records, kept 30 days so that ``cpe rm --undo`` can bring them back.

    ``record`` holds the removed row, every column, as a JSON object, so a
    column added to ``records`` later comes back with it. A trashed record's
    certificate file stays where it was, in ``certificates/``, named by
    ``certificate_stored`` here (so verify and backup know it is owned).
    ``batch`` groups the records of one ``cpe rm``; ``removed_on`` is the day
    (in cpe's "today") that the 30 days count from.
    """
    db.execute("""
        CREATE TABLE trash (
            id INTEGER PRIMARY KEY,
            batch INTEGER NOT NULL,
            record_id INTEGER NOT NULL,
            removed_at TEXT NOT NULL,
            removed_on TEXT NOT NULL CHECK (removed_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
            certificate_stored TEXT UNIQUE,
            record TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX trash_by_batch ON trash (batch)")
    db.execute("CREATE INDEX trash_by_day ON trash (removed_on)")


def _add_monthly_totals(db) -> None:
    """Credits and record counts per month, source and field, kept by triggers.

    Sums over the whole ledger (all time, and the badge's "outside this
    window" hint, which is all time minus the window) read a few hundred
    rows here instead of scanning every record: at 1,000,000 records the
    scan took ~180 ms. Triggers keep it exact through every insert, update
    and delete, whichever command makes it; ``cpe verify`` recomputes it.
    """
    db.execute("""
        CREATE TABLE monthly_totals (
            month TEXT NOT NULL,
            source TEXT NOT NULL,
            field_of_study TEXT NOT NULL,
            hundredths INTEGER NOT NULL,
            records INTEGER NOT NULL,
            PRIMARY KEY (month, source, field_of_study)
        ) WITHOUT ROWID""")
    db.execute("""
        INSERT INTO monthly_totals
        SELECT substr(completed_on, 1, 7), source, field_of_study, sum(credits_hundredths), count(*)
        FROM records GROUP BY 1, 2, 3""")
    add = """
        INSERT INTO monthly_totals VALUES (substr(NEW.completed_on, 1, 7), NEW.source, NEW.field_of_study,
                                           NEW.credits_hundredths, 1)
        ON CONFLICT (month, source, field_of_study)
        DO UPDATE SET hundredths = hundredths + excluded.hundredths, records = records + 1;"""
    take = """
        UPDATE monthly_totals SET hundredths = hundredths - OLD.credits_hundredths, records = records - 1
        WHERE month = substr(OLD.completed_on, 1, 7) AND source = OLD.source
          AND field_of_study = OLD.field_of_study;"""
    db.execute(f"CREATE TRIGGER records_count_insert AFTER INSERT ON records BEGIN {add} END")
    db.execute(f"CREATE TRIGGER records_count_delete AFTER DELETE ON records BEGIN {take} END")
    db.execute("CREATE TRIGGER records_count_update AFTER UPDATE OF completed_on, source, field_of_study, "
               f"credits_hundredths ON records BEGIN {take} {add} END")


def _add_tags_and_profiles(db) -> None:
    """Record tags and the compliance profiles a user tracks (issue 11).

    ``records.tags`` holds a record's tags sorted and separated by one
    space ('' for none): tags are lowercase words of letters, digits and
    hyphens (``core.tags``), so a space never occurs inside one. The partial
    index lists the tags in use (completion) without reading untagged rows.
    ``tracked_profiles`` lives in the ledger so that a backup carries it:
    ``period_end`` is the end of one of the user's periods (NULL: the
    profile's own anchor), ``declared`` the words of ``--declare``,
    space-separated.

    ``compliance_months`` sums credits per month and per (field, method,
    tags): what ``cpe status`` reads for whole months, kept exact by triggers
    as ``monthly_totals`` is. A profile's windows run over whole months (its
    periods end on a month's last day), so a status reads a few thousand of
    these rows instead of every record (see ``store.compliance``).
    """
    db.execute("ALTER TABLE records ADD COLUMN tags TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX records_tagged ON records (tags) WHERE tags <> ''")
    db.execute("""
        CREATE TABLE tracked_profiles (
            profile_id TEXT PRIMARY KEY,
            period_end TEXT CHECK (period_end IS NULL OR period_end GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
            declared TEXT NOT NULL DEFAULT '',
            tracked_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE compliance_months (
            month TEXT NOT NULL,
            field_of_study TEXT NOT NULL,
            delivery_method TEXT NOT NULL,
            tags TEXT NOT NULL,
            hundredths INTEGER NOT NULL,
            records INTEGER NOT NULL,
            PRIMARY KEY (month, field_of_study, delivery_method, tags)
        ) WITHOUT ROWID""")
    db.execute("""
        INSERT INTO compliance_months
        SELECT substr(completed_on, 1, 7), field_of_study, delivery_method, tags, sum(credits_hundredths), count(*)
        FROM records GROUP BY 1, 2, 3, 4""")
    add = """
        INSERT INTO compliance_months VALUES (substr(NEW.completed_on, 1, 7), NEW.field_of_study,
                                              NEW.delivery_method, NEW.tags, NEW.credits_hundredths, 1)
        ON CONFLICT (month, field_of_study, delivery_method, tags)
        DO UPDATE SET hundredths = hundredths + excluded.hundredths, records = records + 1;"""
    take = """
        UPDATE compliance_months SET hundredths = hundredths - OLD.credits_hundredths, records = records - 1
        WHERE month = substr(OLD.completed_on, 1, 7) AND field_of_study = OLD.field_of_study
          AND delivery_method = OLD.delivery_method AND tags = OLD.tags;"""
    db.execute(f"CREATE TRIGGER records_months_insert AFTER INSERT ON records BEGIN {add} END")
    db.execute(f"CREATE TRIGGER records_months_delete AFTER DELETE ON records BEGIN {take} END")
    db.execute("CREATE TRIGGER records_months_update AFTER UPDATE OF completed_on, field_of_study, delivery_method, "
               f"tags, credits_hundredths ON records BEGIN {take} {add} END")


def _share_certificate_files(db) -> None:
    """Certificates stored by content (issue 10, item 15): several records, and trash entries, may name one file.

    ``certificate_stored`` was UNIQUE in ``records`` and ``trash``; SQLite
    cannot drop a constraint, so both tables are rebuilt without it (every
    row, id and column kept; their indexes and triggers, whatever earlier
    migrations made, re-created as they were). New indexes find who names a
    file (a file is removed only when nothing does) and a stored copy of a
    given content. Existing files keep their names: a record names whichever
    file holds its content, and new files are named by their SHA-256.
    """
    for table in ("records", "trash"):
        _rebuild(db, table, "certificate_stored TEXT UNIQUE", "certificate_stored TEXT")
    db.execute("CREATE INDEX records_by_certificate ON records (certificate_stored) "
               "WHERE certificate_stored IS NOT NULL")
    db.execute("CREATE INDEX records_by_content ON records (certificate_sha256, certificate_size) "
               "WHERE certificate_sha256 IS NOT NULL")
    db.execute("CREATE INDEX trash_by_certificate ON trash (certificate_stored) WHERE certificate_stored IS NOT NULL")


def _add_import_batches(db) -> None:
    """Import batches (issue 12): every ``cpe import`` that adds records is one batch.

    ``import_batches`` keeps when a batch was imported, from what (the file
    name as the user gave it, ``-`` for standard input) and its counts, so
    ``cpe import --history`` can list it; ``records.import_batch`` names the
    batch a record came from (NULL for records added any other way), so
    ``cpe import --undo`` and ``cpe list --batch`` find its records through
    the partial index without reading the others. A record keeps its batch
    through ``cpe edit`` and through the trash (the trash holds every
    column), so ``cpe rm --undo`` brings an undone batch back whole.
    """
    db.execute("""
        CREATE TABLE import_batches (
            id INTEGER PRIMARY KEY,
            imported_at TEXT NOT NULL,
            source_name TEXT NOT NULL,
            imported INTEGER NOT NULL CHECK (imported >= 0),
            skipped INTEGER NOT NULL CHECK (skipped >= 0)
        )""")
    db.execute("ALTER TABLE records ADD COLUMN import_batch INTEGER")
    db.execute("CREATE INDEX records_by_batch ON records (import_batch) WHERE import_batch IS NOT NULL")


def _narrow_record_indexes(db) -> None:
    """Fewer indexes on ``records`` (issue 14): 379 bytes a record at 1,000,000 records, 43% of them indexes, down
    to about 232.

    ``records_identity`` (completed_on, title, provider), 77 MiB at 1,000,000 records, and ``records_by_field``
    (field_of_study, completed_on), 37 MiB, are dropped: ``records_by_date`` (completed_on, source,
    credits_hundredths) serves every query on records by day. Totals of a window (with or without a source)
    are read from it alone; the list walks it in date order; duplicate detection (``cpe add``, ``cpe import``)
    looks a course up by three of its seven identity columns (date, source, credits: a few dozen rows a key at
    1,000,000 records) and compares the other four on those rows; the compliance windows read it by date; a
    field's total over all time reads the per-month totals. Measured against a cheaper identity key: the
    date index widened with the field (date, source, field, credits) made duplicate lookups exact to a row or
    two but cost 16 more bytes a record (about 249 in all), too close to the 250 allowed. A page freed here is
    reused by the ledger's next writes (SQLite keeps it in the file until then). (Version 8 widens the date index
    after all, with the field: ``_index_dates_with_fields``.)
    """
    db.execute("DROP INDEX records_identity")
    db.execute("DROP INDEX records_by_field")


def _index_dates_with_fields(db) -> None:
    """The date index holds each record's field too (issue 14): (completed_on, source, field_of_study,
    credits_hundredths).

    ``cpe verify`` compares ``monthly_totals`` with a fresh sum of the records by month, source and field.
    With the field in the index that sum walks the index in its order, a grouping that streams (0.3 s at
    1,000,000 records, reading no row); without it, every row was read and its group counted (1 s, more than
    SQLite's own integrity check). Duplicate detection now finds a course by four of its seven identity
    columns, exact to a row or two. Every query the index served before it still serves (its first two
    columns are unchanged; a window's total per source reads it alone). It costs 15 bytes a record (the
    benchmark's ledger: 234 to 249 at 4 KiB pages, 246 at the 8 KiB pages a new ledger now has).
    """
    db.execute("DROP INDEX records_by_date")
    db.execute("CREATE INDEX records_by_date ON records (completed_on, source, field_of_study, credits_hundredths)")


def _rebuild(db, table: str, old_column: str, new_column: str) -> None:
    """Re-create ``table`` with one column definition changed, keeping its rows, indexes and triggers."""
    (table_sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    dependents = [sql for (sql,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL "
        "ORDER BY type, name", [table]).fetchall()]
    head = f"CREATE TABLE {table} ("
    if table_sql.count(old_column) != 1 or not table_sql.startswith(head):
        raise sqlite3.DatabaseError(f"table {table} is not as cpe created it; cannot migrate it")
    rebuilt = f"{table}_rebuilt"
    db.execute(table_sql.replace(old_column, new_column).replace(head, f"CREATE TABLE {rebuilt} (", 1))
    db.execute(f"INSERT INTO {rebuilt} SELECT * FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    for sql in dependents:
        db.execute(sql)


MIGRATIONS = (_create_records, _add_trash, _add_monthly_totals, _add_tags_and_profiles, _share_certificate_files,
              _add_import_batches, _narrow_record_indexes, _index_dates_with_fields)
SCHEMA_VERSION = len(MIGRATIONS)


def read_version(conn: sqlite3.Connection) -> tuple[int, int]:
    """(application_id, user_version), the two header fields that identify a ledger."""
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return application_id, version


def check_compatible(conn: sqlite3.Connection, shown: str) -> bool:
    """Say whether the ledger needs migrating; refuse a stranger's or a newer cpe's database."""
    application_id, version = read_version(conn)
    if application_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise CpeError.failed(f"{shown} was written by a newer cpe (schema version {version}; this cpe "
                                  f"understands up to {SCHEMA_VERSION}); upgrade cpe to open it")
        return version < SCHEMA_VERSION
    has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if application_id != 0 or version != 0 or has_tables:
        raise CpeError.failed(f"{shown} is a SQLite database but not a cpe ledger; "
                              "move it away or point CPE_HOME at another folder")
    return True


def migrate(conn: sqlite3.Connection, shown: str) -> None:
    """Bring the ledger to ``SCHEMA_VERSION`` in one transaction, or leave it as it was."""
    import sqlite_utils

    migrations = sqlite_utils.Migrations(MIGRATION_SET)
    for step in MIGRATIONS:
        migrations(name=step.__name__)(step)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not check_compatible(conn, shown):  # another process migrated while we waited
            conn.execute("ROLLBACK")
            return
        db = sqlite_utils.Database(conn, execute_plugins=False)
        migrations.apply(db)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# -- the schema a ledger must have ----------------------------------------------------------------

_REFERENCES: dict[int, dict[tuple[str, str], tuple[str, str]]] = {}
_MIGRATIONS_TABLE = "_sqlite_migrations"


def reference_schema(version: int) -> dict[tuple[str, str], tuple[str, str]]:
    """What cpe's first ``version`` migrations create: {(type, name): (table, normalised SQL)}, built once
    per process by running them on an in-memory database."""
    if version not in _REFERENCES:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        try:
            try:
                for step in MIGRATIONS[:version]:  # steps that only call db.execute run on the bare connection
                    step(conn)                     # (no ~100 ms import: sqlite-utils' table is not compared)
            except AttributeError:  # a step using more of sqlite-utils' API
                import sqlite_utils

                conn.close()
                conn = sqlite3.connect(":memory:", isolation_level=None)
                db = sqlite_utils.Database(conn, execute_plugins=False)
                for step in MIGRATIONS[:version]:
                    step(db)
            _REFERENCES[version] = schema_objects(conn)
        finally:
            conn.close()
    return _REFERENCES[version]


def schema_objects(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, str]]:
    """Every table, index, trigger and view of a database: {(type, name): (table, normalised SQL)}.

    sqlite-utils' own bookkeeping table (and its indexes) is left out: its exact text depends on the
    sqlite-utils version that created it; ``migrations_table_problem`` checks it instead.
    """
    found = {}
    for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if table == _MIGRATIONS_TABLE and (kind == "table" or (kind == "index" and name.startswith(
                ("sqlite_autoindex_", f"idx_{_MIGRATIONS_TABLE}")))):
            continue
        found[(kind, name)] = (table, normalise_sql(sql))
    return found


def normalise_sql(sql: str | None) -> str:
    """SQL text compared as SQLite reads it: case, spacing and identifier quotes do not matter, string
    literals do."""
    import re

    if sql is None:
        return ""
    parts = re.split(r"('(?:[^']|'')*')", sql)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(part)
            continue
        part = re.sub(r'["`\[\]]', "", part).lower()
        part = re.sub(r"\s+", " ", part)
        part = re.sub(r"\s*([(),;=<>])\s*", r"\1", part)
        out.append(part)
    return "".join(out).strip()


def schema_differences(conn: sqlite3.Connection, version: int) -> list[str]:
    """How a database's schema differs from what cpe's migrations make for ``version``, one line each
    (empty: identical). Extra triggers, views, tables and indexes count, as do changed definitions."""
    if not 1 <= version <= SCHEMA_VERSION:
        return [f"schema version {version} is not one cpe made (1 to {SCHEMA_VERSION})"]
    expected = reference_schema(version)
    found = schema_objects(conn)
    problems = []
    for key in sorted(set(found) - set(expected)):
        problems.append(f"{key[0]} {key[1]!r} (on {found[key][0]}) is not part of a cpe ledger")
    for key in sorted(set(expected) - set(found)):
        problems.append(f"{key[0]} {key[1]!r} is missing")
    for key in sorted(set(expected) & set(found)):
        if expected[key] != found[key]:
            problems.append(f"{key[0]} {key[1]!r} is not defined as cpe defines it")
    problem = migrations_table_problem(conn)
    if problem:
        problems.append(problem)
    return problems


def migrations_table_problem(conn: sqlite3.Connection) -> str | None:
    columns = {row[1] for row in conn.execute(f"PRAGMA table_info({_MIGRATIONS_TABLE})")}
    kind = conn.execute("SELECT type FROM sqlite_master WHERE name = ?", (_MIGRATIONS_TABLE,)).fetchone()
    if kind is None or kind[0] != "table" or not {"migration_set", "name", "applied_at"} <= columns:
        return f"table {_MIGRATIONS_TABLE!r} (the record of applied migrations) is missing or not a table"
    return None
