"""A ledger made by the first cpe (schema version 1, before the trash) is upgraded in place, losing nothing."""

import hashlib
import sqlite3

import sqlite_utils

from cpe_cli.store import schema
from cpe_cli.store.ledger import open_ledger
from cpe_cli.ops.lifecycle import remove_records, undo_removal
from cpe_cli.ops.verify import verify_ledger

CERTIFICATE = b"%PDF-1.3 issued in 2025\n" * 30


def make_version_1_ledger(home):
    """Exactly what schema version 1 created: only the first migration, then the header fields."""
    (home / "certificates" / ".incoming").mkdir(parents=True, mode=0o700)
    (home / "certificates" / "0123abcd.pdf").write_bytes(CERTIFICATE)
    conn = sqlite3.connect(home / "cpe.db", isolation_level=None)
    migrations = sqlite_utils.Migrations(schema.MIGRATION_SET)
    first = schema.MIGRATIONS[0]
    migrations(name=first.__name__)(first)
    migrations.apply(sqlite_utils.Database(conn))
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    rows = [("Ethics 2025", "4", 400, "Regulatory Ethics", "CA", "2025-11-02", "Group Live", "AICPA", "", "external",
             "ethics.pdf", "0123abcd.pdf", hashlib.sha256(CERTIFICATE).hexdigest(), len(CERTIFICATE)),
            ("Lease accounting", "1.50", 150, "Accounting", None, "2026-01-15", "QAS Self Study", "Becker", "notes",
             "lumiq", None, None, None, None)]
    for row in rows:
        conn.execute("INSERT INTO records (title, credits, credits_hundredths, field_of_study, state, completed_on, "
                     "delivery_method, provider, description, source, certificate_name, certificate_stored, "
                     "certificate_sha256, certificate_size, added_at, changed_at) VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '2026-01-20T10:00:00+00:00', "
                     "'2026-01-20T10:00:00+00:00')", row)
    assert "trash" not in {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    everything = conn.execute("SELECT * FROM records ORDER BY id").fetchall()
    conn.close()
    return everything


def test_a_version_1_ledger_is_migrated_forward_and_keeps_its_records(home, today):
    before = make_version_1_ledger(home)
    with open_ledger(home) as ledger:
        assert schema.read_version(ledger.conn) == (schema.APPLICATION_ID, schema.SCHEMA_VERSION)
        assert ledger.conn.execute("SELECT * FROM records ORDER BY id").fetchall() == before
        applied = [name for (name,) in ledger.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
        assert applied == [step.__name__ for step in schema.MIGRATIONS]
        assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert verify_ledger(ledger, today).whole
        # The new table works on the upgraded ledger: remove to the trash and bring back, certificate included.
        remove_records(ledger, [1], today)
        assert ledger.conn.execute("SELECT count(*) FROM trash").fetchone()[0] == 1
        [restored] = undo_removal(ledger, today)
        assert restored.record.id == 1 and restored.record.certificate.original_name == "ethics.pdf"
        assert ledger.conn.execute("SELECT * FROM records ORDER BY id").fetchall() == before
    assert (home / "certificates" / "0123abcd.pdf").read_bytes() == CERTIFICATE
