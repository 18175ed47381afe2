"""Certificates are stored once per content (SHA-256), shared by the records and trash entries naming them, and
one command adds at most a capped number of bytes; ledgers from before are migrated (issue 10, item 15)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
import sqlite_utils

from cpe_cli.store import schema
from support import PLATFORM_HEADER, add_args, only_error, platform_row, read_members, snapshot, write_rows

MIB = 1024 * 1024


def stored(home: Path) -> list[Path]:
    return sorted(p for p in (home / "certificates").iterdir() if p.is_file())


def certificate_names(home: Path) -> list[str | None]:
    conn = sqlite3.connect(home / "cpe.db")
    try:
        return [name for (name,) in conn.execute("SELECT certificate_stored FROM records ORDER BY id")]
    finally:
        conn.close()


def test_one_file_named_by_300_rows_is_stored_once(cpe, home, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    payload = os.urandom(10 * MIB)
    (folder / "cert.pdf").write_bytes(payload)
    rows = [[*platform_row(title=f"Course {n}"), "cert.pdf"] for n in range(300)]
    csv_file = write_rows(folder / "rows.csv", [*PLATFORM_HEADER, "Certificate File"], rows)
    started = time.monotonic()
    result = cpe("import", str(csv_file))
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    [only] = stored(home)
    assert only.name == hashlib.sha256(payload).hexdigest() + ".pdf"
    assert only.read_bytes() == payload and only.stat().st_mode & 0o777 == 0o600
    assert set(certificate_names(home)) == {only.name} and len(certificate_names(home)) == 300
    assert sum(p.stat().st_size for p in stored(home)) == 10 * MIB  # not 3 GiB
    assert elapsed < 30, elapsed
    verify = cpe("verify")
    assert verify.exit_code == 0 and "1 certificate file matching its SHA-256," in verify.stderr, verify.output


def test_a_shared_file_stays_while_any_record_or_the_trash_names_it(cpe, home, tmp_path):
    certificate = tmp_path / "shared.pdf"
    certificate.write_bytes(b"%PDF shared by three records")
    for n in range(3):
        assert cpe(*add_args(title=f"Course {n}", certificate=str(certificate))).exit_code == 0
    [shared] = stored(home)
    assert cpe("rm", "1", "--yes", "--purge").exit_code == 0
    assert stored(home) == [shared]  # records 2 and 3 still name it
    assert cpe("rm", "2", "--yes").exit_code == 0  # to the trash: the trash names it
    assert cpe("rm", "3", "--yes", "--purge").exit_code == 0
    assert stored(home) == [shared]
    undone = cpe("rm", "--undo")
    assert undone.exit_code == 0, undone.stderr
    assert cpe("verify").exit_code == 0
    assert cpe("rm", "2", "--yes", "--purge").exit_code == 0
    assert stored(home) == []  # nothing names it any more
    assert list((home / "certificates" / ".incoming").iterdir()) == []


def test_the_trash_expiring_releases_a_file_only_when_nothing_else_names_it(cpe, home, tmp_path):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"%PDF expiring")
    for n in range(2):
        assert cpe(*add_args(title=f"Course {n}", certificate=str(certificate))).exit_code == 0
    assert cpe("rm", "1", "--yes").exit_code == 0
    later = {"CPE_TODAY": "2026-08-01"}  # 51 days later: the trash entry has expired
    assert cpe(*add_args(title="Later", date="2026-07-01"), env=later).exit_code == 0
    assert cpe("rm", "3", "--yes", env=later).exit_code == 0  # purges the expired entry
    assert len(stored(home)) == 1  # record 2 still names the file
    assert cpe("rm", "2", "--yes", "--purge", env=later).exit_code == 0
    assert stored(home) == []


def test_edit_to_the_same_content_and_to_new_content(cpe, home, tmp_path):
    first, same, other = tmp_path / "a.pdf", tmp_path / "b.pdf", tmp_path / "c.pdf"
    first.write_bytes(b"%PDF one")
    same.write_bytes(b"%PDF one")
    other.write_bytes(b"%PDF two")
    assert cpe(*add_args(certificate=str(first))).exit_code == 0
    before = stored(home)
    assert cpe("edit", "1", "--certificate", str(same), "--no-input").exit_code == 0
    assert stored(home) == before
    assert cpe("edit", "1", "--certificate", str(other), "--no-input").exit_code == 0
    assert [p.read_bytes() for p in stored(home)] == [b"%PDF two"]
    assert cpe("verify").exit_code == 0


def test_an_import_may_add_at_most_the_capped_bytes_of_new_files(cpe, home, tmp_path, monkeypatch):
    assert cpe(*add_args(title="Seed")).exit_code == 0
    folder = tmp_path / "csv"
    folder.mkdir()
    for name in ("a.pdf", "b.pdf"):
        (folder / name).write_bytes(os.urandom(800))
    rows = [[*platform_row(title="A"), "a.pdf"], [*platform_row(title="B"), "b.pdf"],
            [*platform_row(title="A again"), "a.pdf"]]
    csv_file = write_rows(folder / "rows.csv", [*PLATFORM_HEADER, "Certificate File"], rows)
    monkeypatch.setenv("CPE_IMPORT_MAX_BYTES", "1000")
    before = snapshot(home)
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2, result.output
    assert only_error(result).endswith("the certificates would add more than 1,000 bytes of new files to the "
                                       "ledger in one command (the cap; set CPE_IMPORT_MAX_BYTES to change it); "
                                       "nothing was written")
    assert snapshot(home) == before
    monkeypatch.setenv("CPE_IMPORT_MAX_BYTES", "1600")  # the same file twice costs once
    assert cpe("import", str(csv_file)).exit_code == 0
    assert len(stored(home)) == 2


def test_the_default_cap_is_one_gib(monkeypatch):
    from cpe_cli.core.errors import CpeError
    from cpe_cli.store.certificates import import_cap

    monkeypatch.delenv("CPE_IMPORT_MAX_BYTES", raising=False)
    assert import_cap() == 1024 ** 3
    monkeypatch.setenv("CPE_IMPORT_MAX_BYTES", "lots")
    with pytest.raises(CpeError, match="is not a number of bytes"):
        import_cap()


def test_a_backup_holds_a_shared_file_once_and_restores_it(cpe, home, tmp_path):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(os.urandom(50_000))
    for n in range(5):
        assert cpe(*add_args(title=f"Course {n}", certificate=str(certificate))).exit_code == 0
    archive = tmp_path / "b.tar.gz"
    result = cpe("backup", str(archive))
    assert result.exit_code == 0 and "and 1 certificate file" in result.stderr
    assert [m.name for m, _ in read_members(archive)].count(f"certificates/{stored(home)[0].name}") == 1
    fresh = tmp_path / "fresh"
    restored = cpe("restore", str(archive), env={"CPE_HOME": str(fresh)})
    assert restored.exit_code == 0, restored.stderr
    assert len(stored(fresh)) == 1 and len(certificate_names(fresh)) == 5
    assert cpe("verify", env={"CPE_HOME": str(fresh)}).exit_code == 0


def test_a_stored_file_that_was_altered_is_never_named_again(cpe, home, tmp_path):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"%PDF original")
    assert cpe(*add_args(certificate=str(certificate))).exit_code == 0
    [copy] = stored(home)
    copy.write_bytes(b"%PDF tampered")
    result = cpe(*add_args(title="Again", certificate=str(certificate)))
    assert result.exit_code == 1
    assert "exists but does not hold the content its name says" in only_error(result)
    assert len(certificate_names(home)) == 1


# -- ledgers from before: migrated, their files kept as they are -------------------------------------

def make_ledger_of_version(home: Path, version: int, payload: bytes) -> list[tuple]:
    """A ledger made by the first ``version`` migrations, with two records naming random-named files."""
    (home / "certificates" / ".incoming").mkdir(parents=True, mode=0o700)
    conn = sqlite3.connect(home / "cpe.db", isolation_level=None)
    migrations = sqlite_utils.Migrations(schema.MIGRATION_SET)
    for step in schema.MIGRATIONS[:version]:
        migrations(name=step.__name__)(step)
    migrations.apply(sqlite_utils.Database(conn))
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {version}")
    digest = hashlib.sha256(payload).hexdigest()
    for n, stored_name in enumerate(("0123456789abcdef0123456789abcdef.pdf", "fedcba9876543210fedcba9876543210.pdf")):
        (home / "certificates" / stored_name).write_bytes(payload)
        conn.execute("INSERT INTO records (title, credits, credits_hundredths, field_of_study, state, completed_on, "
                     "delivery_method, provider, description, source, certificate_name, certificate_stored, "
                     "certificate_sha256, certificate_size, added_at, changed_at) VALUES (?, '2', 200, "
                     "'Taxes', 'CA', '2026-01-02', 'Group Live', 'AICPA', '', 'external', 'c.pdf', ?, ?, ?, "
                     "'2026-01-20T10:00:00+00:00', '2026-01-20T10:00:00+00:00')",
                     (f"Old {n}", stored_name, digest, len(payload)))
    rows = conn.execute("SELECT * FROM records ORDER BY id").fetchall()
    conn.close()
    return rows


def test_a_ledger_of_schema_4_is_migrated_and_its_files_stay_as_they_are(cpe, home, tmp_path):
    payload = b"%PDF stored before content naming"
    rows = make_ledger_of_version(home, 4, payload)
    files_before = snapshot(home / "certificates")
    verify = cpe("verify")
    assert verify.exit_code == 0, verify.stdout
    assert f"schema version {schema.SCHEMA_VERSION}" in verify.stderr
    conn = sqlite3.connect(home / "cpe.db")
    # Every row kept as it was; later migrations only add columns (import_batch: NULL, not imported).
    assert [row[:len(rows[0])] for row in conn.execute("SELECT * FROM records ORDER BY id")] == rows
    assert schema.schema_differences(conn, schema.SCHEMA_VERSION) == []
    conn.close()
    assert snapshot(home / "certificates") == files_before
    again = tmp_path / "again.pdf"
    again.write_bytes(payload)
    assert cpe(*add_args(title="Same content", certificate=str(again))).exit_code == 0
    assert snapshot(home / "certificates") == files_before  # named again, not copied again
    assert certificate_names(home)[2] == "0123456789abcdef0123456789abcdef.pdf"
    assert cpe("rm", "1", "--yes", "--purge").exit_code == 0
    assert (home / "certificates" / "0123456789abcdef0123456789abcdef.pdf").exists()  # record 3 names it
    assert cpe("verify").exit_code == 0


def test_the_migration_keeps_totals_triggers_and_the_trash_working(cpe, home):
    make_ledger_of_version(home, 4, b"%PDF x")
    assert cpe("total", "--preset", "all").stdout == "4.0\n"
    assert cpe(*add_args(title="New")).exit_code == 0
    assert cpe("total", "--preset", "all").stdout == "6.0\n"
    assert cpe("rm", "1", "--yes").exit_code == 0
    assert cpe("total", "--preset", "all").stdout == "4.0\n"
    assert cpe("rm", "--undo").exit_code == 0
    assert cpe("verify").exit_code == 0
    shown = json.loads(cpe("show", "1", "--json").stdout)
    assert shown["title"] == "Old 0"


# -- killed at the exact steps of the protocol -------------------------------------------------------

KILLED_AFTER_COMMIT = r"""
import os, sys
from cpe_cli.store import certificates
certificates.FileChanges.committed = lambda self: os._exit(9)  # killed right after the COMMIT
sys.argv = ["cpe", *sys.argv[1:]]
from cpe_cli.__main__ import main
main()
"""


@pytest.mark.parametrize("others", [0, 1])
def test_a_purge_killed_after_its_commit_is_settled_by_the_next_command(cpe, home, tmp_path, others):
    import subprocess
    import sys

    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"%PDF purged while shared")
    for n in range(1 + others):
        assert cpe(*add_args(title=f"Course {n}", certificate=str(certificate))).exit_code == 0
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_COMMIT, "rm", "1", "--yes", "--purge"],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == 9, killed.stderr
    assert cpe(*add_args(title="Next command")).exit_code == 0  # a writing command settles the marks
    assert list((home / "certificates" / ".incoming").iterdir()) == []
    assert len(stored(home)) == others  # kept while record 2 names it, gone otherwise
    assert cpe("verify").exit_code == 0


def test_recovery_never_puts_back_a_copy_cut_short(cpe, home, tmp_path):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"%PDF whole " * 1000)
    assert cpe(*add_args(certificate=str(certificate))).exit_code == 0
    [copy] = stored(home)
    copy.unlink()  # the ledger names a file that is gone...
    (home / "certificates" / ".incoming" / f"{copy.name}~0123456789ab").write_bytes(b"%PDF whole ")  # ...and a cut copy
    assert cpe(*add_args(title="Next command")).exit_code == 0
    assert stored(home) == []
    assert list((home / "certificates" / ".incoming").iterdir()) == []
    verify = cpe("verify")
    assert verify.exit_code == 1 and f"certificate file certificates/{copy.name} (c.pdf) is missing" in verify.stdout
    assert cpe(*add_args(title="Attached again", certificate=str(certificate))).exit_code == 0
    assert cpe("verify").exit_code == 0  # storing the same content again brought the file back
