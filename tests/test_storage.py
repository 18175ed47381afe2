"""The home folder, the database file and the certificate store (core)."""

import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cpe_cli.store import certificates

from cpe_cli.store import schema
from cpe_cli.core.errors import CpeError
from cpe_cli.core.views import Filters
from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.periods import preset_window
from cpe_cli.core.records import build_record
from support import snapshot, change_database, make_version_1_ledger

TODAY = date(2026, 6, 11)


def a_record(**changes):
    values = {"title": "Ethics", "credits": "2", "field_of_study": "Regulatory Ethics",
              "delivery_method": "Group Live", "provider": "AICPA", "date": "2026-06-01"}
    values.update(changes)
    return build_record(values, TODAY)[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_home_is_private_even_under_a_permissive_umask(home, tmp_path):
    certificate = tmp_path / "cert.pdf"
    certificate.write_bytes(b"%PDF-1.4 certificate")
    old = os.umask(0)
    try:
        with open_ledger(home) as ledger:
            ledger.add(a_record(), certificate)
    finally:
        os.umask(old)
    assert mode(home) == 0o700
    assert mode(home / "certificates") == 0o700
    assert mode(home / "cpe.db") == 0o600
    stored = [p for p in (home / "certificates").iterdir() if p.is_file()]
    assert len(stored) == 1 and mode(stored[0]) == 0o600


def test_new_ledger_is_versioned_and_in_wal_mode(home):
    with open_ledger(home) as ledger:
        assert schema.read_version(ledger.conn) == (schema.APPLICATION_ID, schema.SCHEMA_VERSION)
        assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        applied = ledger.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id").fetchall()
        assert [row[0] for row in applied] == [step.__name__ for step in schema.MIGRATIONS]


def test_a_new_ledger_has_8_kib_pages_and_an_older_one_keeps_its_own(home, tmp_path):
    """8 KiB pages for a new ledger (issue 14: 246 bytes a record at 1,000,000 instead of 249); a ledger made
    with 4 KiB pages, migrated from the first schema, keeps them and is read and written as before."""
    with open_ledger(home) as ledger:
        assert ledger.conn.execute("PRAGMA page_size").fetchone()[0] == 8192
    older = tmp_path / "older"
    kept = len(make_version_1_ledger(older))
    with open_ledger(older) as ledger:
        ledger.add(a_record())
        assert ledger.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert schema.schema_differences(ledger.conn, schema.SCHEMA_VERSION) == []
        assert ledger.total(Filters(window=preset_window("all", TODAY))).count == kept + 1


def test_reopening_does_not_migrate_again(home):
    with open_ledger(home) as ledger:
        ledger.add(a_record())
    with open_ledger(home) as ledger:
        assert ledger.total(Filters(window=preset_window("all", TODAY))).count == 1
        assert ledger.conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(schema.MIGRATIONS)


def test_a_newer_ledger_is_refused_and_left_unchanged(home):
    with open_ledger(home):
        pass
    conn = sqlite3.connect(home / "cpe.db")
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    before = snapshot(home)
    with pytest.raises(CpeError, match="newer cpe") as raised:
        with open_ledger(home):
            pass
    assert raised.value.exit_code == 1
    assert snapshot(home) == before


def test_a_file_that_is_not_a_database_is_refused_and_left_unchanged(home):
    home.mkdir(mode=0o700)
    (home / "cpe.db").write_bytes(b"this is not sqlite" * 100)
    before = snapshot(home)
    with pytest.raises(CpeError, match="not a SQLite database"):
        with open_ledger(home):
            pass
    assert snapshot(home) == before


def test_someone_elses_sqlite_database_is_refused_and_left_unchanged(home):
    home.mkdir(mode=0o700)
    change_database(home, "CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    before = snapshot(home)
    with pytest.raises(CpeError, match="not a cpe ledger"):
        with open_ledger(home):
            pass
    assert snapshot(home) == before


def test_a_symlinked_certificates_folder_is_refused(home, tmp_path):
    home.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (home / "certificates").symlink_to(elsewhere)
    with pytest.raises(CpeError, match="symlink"):
        with open_ledger(home):
            pass
    assert list(elsewhere.iterdir()) == []


def test_totals_are_exact_decimals(home):
    with open_ledger(home) as ledger:
        for _ in range(10):
            ledger.add(a_record(credits="0.1", delivery_method="Independent Study"))
        total = ledger.total(Filters(window=preset_window("all", TODAY)))
    assert total.credits == Decimal("1") and total.count == 10


def test_credits_come_back_as_entered(home):
    with open_ledger(home) as ledger:
        ledger.add(a_record(credits="1.50"))
        ledger.add(a_record(credits="1.5", title="Other"))
        stored = sorted(str(r.credits) for r in ledger.records(Filters(window=preset_window("all", TODAY))))
    assert stored == ["1.5", "1.50"]


def test_duplicates_are_detected_on_identity(home):
    with open_ledger(home) as ledger:
        first = ledger.add(a_record())
        second = ledger.add(a_record())
        different = ledger.add(a_record(credits="3"))
    assert first.duplicate_of is None
    assert second.duplicate_of == first.id
    assert different.duplicate_of is None


def test_certificate_is_copied_never_moved_with_hash(home, tmp_path):
    certificate = tmp_path / "Ethics Certificate.PDF"
    payload = os.urandom(300_000)
    certificate.write_bytes(payload)
    with open_ledger(home) as ledger:
        added = ledger.add(a_record(), certificate)
        stored = ledger.get(added.id).certificate
    assert certificate.read_bytes() == payload
    import hashlib
    assert stored.original_name == "Ethics Certificate.PDF"
    assert stored.sha256 == hashlib.sha256(payload).hexdigest()
    assert stored.size == len(payload)
    assert stored.stored_name.endswith(".pdf")
    assert (home / "certificates" / stored.stored_name).read_bytes() == payload
    assert list((home / "certificates" / ".incoming").iterdir()) == []


def test_a_failed_insert_leaves_no_copied_file(home, tmp_path, monkeypatch):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"x")
    with open_ledger(home) as ledger:
        def broken_insert(record, cert):
            raise sqlite3.OperationalError("disk I/O error")
        monkeypatch.setattr(ledger, "_insert", broken_insert)
        with pytest.raises(CpeError):
            ledger.add(a_record(), certificate)
    assert [p.name for p in (home / "certificates").iterdir()] == [".incoming"]
    assert list((home / "certificates" / ".incoming").iterdir()) == []


def test_leftovers_of_a_killed_add_are_recovered_on_next_open(home, tmp_path):
    """Simulates a kill after the copy was linked but before the commit, and one after the commit."""
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"certificate")
    with open_ledger(home) as ledger:
        with ledger.write():
            orphan = certificates.stage_certificate(home, certificate)  # never committed: killed here
        with ledger.write():
            committed = certificates.stage_certificate(home, certificate)
            ledger._insert(a_record(), committed)  # committed, but the incoming mark was not removed
    assert (home / "certificates" / orphan.stored_name).exists()
    with open_ledger(home) as ledger:
        assert ledger.total(Filters(window=preset_window("all", TODAY))).count == 1
    names = sorted(p.name for p in (home / "certificates").iterdir())
    assert names == sorted([".incoming", committed.stored_name])
    assert list((home / "certificates" / ".incoming").iterdir()) == []


def test_a_reader_does_not_wait_for_a_writer_nor_undo_its_staged_copy(home):
    """A staged copy in .incoming may belong to a live writer: a reader neither waits for its lock nor
    treats the copy as a killed command's leftover."""
    from support import installed_cpe

    with open_ledger(home) as ledger:
        ledger.add(a_record())
    staged = home / "certificates" / ".incoming" / "0123abcd.pdf"
    staged.write_bytes(b"a live writer's staged copy")
    holder = sqlite3.connect(home / "cpe.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the live writer
    try:
        started = time.monotonic()
        result = subprocess.run([installed_cpe(), "total", "--preset", "all"], capture_output=True, text=True,
                                env={**os.environ, "CPE_BUSY_TIMEOUT": "5"})
        assert (result.returncode, result.stdout) == (0, "2.0\n"), result.stderr
        assert time.monotonic() - started < 3
        assert staged.exists()  # not the reader's to undo
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_two_processes_writing_at_once_both_succeed(home):
    script = ("import sys; from datetime import date; from pathlib import Path\n"
              "from cpe_cli.store.ledger import open_ledger\nfrom cpe_cli.core.records import build_record\n"
              "for n in range(25):\n"
              "    r = build_record({'title': f'{sys.argv[1]}-{n}', 'credits': '1', 'field_of_study': 'Taxes',"
              " 'delivery_method': 'Group Live', 'provider': 'P', 'date': '2026-01-02'}, date(2026, 6, 11))[0]\n"
              "    with open_ledger(Path(sys.argv[2])) as ledger: ledger.add(r)\n")
    workers = [subprocess.Popen([sys.executable, "-c", script, name, str(home)], stderr=subprocess.PIPE)
               for name in ("a", "b", "c")]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
    with open_ledger(home) as ledger:
        titles = {r.title for r in ledger.records(Filters(window=preset_window("all", TODAY)))}
    assert titles == {f"{name}-{n}" for name in "abc" for n in range(25)}
