"""A ledger made by the first cpe (schema version 1, before the trash) is upgraded in place, losing nothing."""

from cpe_cli.store import schema
from cpe_cli.store.ledger import open_ledger
from cpe_cli.ops.lifecycle import remove_records, undo_removal
from cpe_cli.ops.verify import verify_ledger
from support import CERTIFICATE, make_version_1_ledger

VERSION_1_COLUMNS = ("id, title, credits, credits_hundredths, field_of_study, state, completed_on, delivery_method, "
                     "provider, description, source, certificate_name, certificate_stored, certificate_sha256, "
                     "certificate_size, added_at, changed_at")


def test_a_version_1_ledger_is_migrated_forward_and_keeps_its_records(home, today):
    before = make_version_1_ledger(home)
    with open_ledger(home) as ledger:
        assert schema.read_version(ledger.conn) == (schema.APPLICATION_ID, schema.SCHEMA_VERSION)
        assert ledger.conn.execute(f"SELECT {VERSION_1_COLUMNS} FROM records ORDER BY id").fetchall() == before
        assert ledger.conn.execute("SELECT DISTINCT tags FROM records").fetchall() == [("",)]  # added since
        applied = [name for (name,) in ledger.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
        assert applied == [step.__name__ for step in schema.MIGRATIONS]
        assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert verify_ledger(ledger, today).whole
        # The new table works on the upgraded ledger: remove to the trash and bring back, certificate included.
        remove_records(ledger, [1], today)
        assert ledger.conn.execute("SELECT count(*) FROM trash").fetchone()[0] == 1
        [restored] = undo_removal(ledger, today)
        assert restored.record.id == 1 and restored.record.certificate.original_name == "ethics.pdf"
        assert ledger.conn.execute(f"SELECT {VERSION_1_COLUMNS} FROM records ORDER BY id").fetchall() == before
    assert (home / "certificates" / "0123abcd.pdf").read_bytes() == CERTIFICATE
