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


MIGRATIONS = (_create_records, _add_trash, _add_monthly_totals, _add_tags_and_profiles)
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
