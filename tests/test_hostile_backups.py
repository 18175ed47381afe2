"""Crafted backups and altered databases: restore and verify compare the whole schema with what cpe's
migrations make, rows pass the rules of `cpe add`, and a restore writes nothing beyond what the manifest and the
limits allow (issue 10, items 7 and 8)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time

import pytest

from support import (add_args, change_database, gnu_sparse_member, installed_cpe, only_error, read_members, snapshot,
                     with_database, write_archive, write_archive_with_raw)

PDF = b"%PDF-1.4 hostile backups\n" * 30


@pytest.fixture
def good(cpe, home, tmp_path):
    """A backup of three records (one with a certificate, one in the trash) and a home of two other records."""
    certificate = tmp_path / "cert.pdf"
    certificate.write_bytes(PDF)
    assert cpe(*add_args(title="Backed up", certificate=str(certificate))).exit_code == 0
    assert cpe(*add_args(title="Backed up too")).exit_code == 0
    assert cpe(*add_args(title="Then removed")).exit_code == 0
    assert cpe("rm", "3", "--yes").exit_code == 0
    archive = tmp_path / "good.tar.gz"
    assert cpe("backup", str(archive)).exit_code == 0
    return archive


def crafted(good, tmp_path, name: str, change) -> os.PathLike:
    return write_archive(tmp_path / f"{name}.tar.gz", with_database(read_members(good), change), fix_manifest=True)


def refused_and_untouched(cpe, home, archive, says: str):
    before = snapshot(home)
    result = cpe("restore", str(archive), "--force")
    assert result.exit_code == 2, result.output
    line = only_error(result)
    assert line.startswith(f"Error: {archive} is not a usable cpe backup: ") and says in line, line
    assert line.endswith("; nothing was restored")
    assert snapshot(home) == before
    assert [p.name for p in home.parent.iterdir() if p.name.startswith(f".{home.name}")] == []
    return line


SCHEMA_ATTACKS = {
    "trigger-deleting-records": ("CREATE TRIGGER wipe AFTER INSERT ON records BEGIN "
                                 "DELETE FROM records WHERE id <> NEW.id; END",
                                 "trigger 'wipe' (on records) is not part of a cpe ledger"),
    "trigger-emptying-trash": ("CREATE TRIGGER forget AFTER INSERT ON trash BEGIN DELETE FROM trash; END",
                               "trigger 'forget' (on trash) is not part of a cpe ledger"),
    "extra-table": ("CREATE TABLE notes (body TEXT)", "table 'notes' (on notes) is not part of a cpe ledger"),
    "extra-index": ("CREATE INDEX odd ON records (provider)", "index 'odd' (on records) is not part of a cpe ledger"),
    "missing-index": ("DROP INDEX records_by_date", "index 'records_by_date' is missing"),
    "changed-trigger": ("DROP TRIGGER records_count_insert; CREATE TRIGGER records_count_insert AFTER INSERT ON "
                        "records BEGIN SELECT 1; END", "trigger 'records_count_insert' is not defined as cpe"),
}


@pytest.mark.parametrize("attack", sorted(SCHEMA_ATTACKS))
def test_a_backup_whose_schema_is_not_cpes_is_refused(cpe, home, good, tmp_path, attack):
    sql, says = SCHEMA_ATTACKS[attack]
    archive = crafted(good, tmp_path, attack, lambda conn: conn.executescript(sql))
    refused_and_untouched(cpe, home, archive, says)


def test_a_records_table_replaced_by_a_view_that_swallows_inserts_is_refused(cpe, home, good, tmp_path):
    def swap_for_view(conn):
        conn.executescript("""
            ALTER TABLE records RENAME TO kept;
            CREATE VIEW records AS SELECT * FROM kept;
            CREATE TRIGGER swallow INSTEAD OF INSERT ON records BEGIN SELECT 1; END;""")

    archive = crafted(good, tmp_path, "view", swap_for_view)
    refused_and_untouched(cpe, home, archive, "schema is not what cpe makes")


@pytest.mark.parametrize("stored", ["/dev/zero", "../cpe.db", "x/../../etc/passwd"])
def test_a_certificate_name_cpe_never_gives_is_refused(cpe, home, good, tmp_path, stored):
    archive = crafted(good, tmp_path, "stored", lambda conn: conn.execute(
        "UPDATE records SET certificate_stored = ? WHERE certificate_stored IS NOT NULL", (stored,)))
    refused_and_untouched(cpe, home, archive, f"certificate name {stored!r} is not one cpe gives a stored file")


def test_a_trash_entry_naming_another_file_is_refused(cpe, home, good, tmp_path):
    archive = crafted(good, tmp_path, "trash", lambda conn: conn.execute(
        "UPDATE trash SET certificate_stored = '../cpe.db', "
        "record = json_set(record, '$.certificate_stored', '../cpe.db')"))
    refused_and_untouched(cpe, home, archive, "in the trash: certificate name '../cpe.db'")


@pytest.mark.parametrize("column, value, says", [
    ("title", "Bad\x1b[31m title", "today's rules refuse it"),
    ("credits_hundredths", 100000, "stored hundredths 100000 do not match credits"),
    ("field_of_study", "Astrology", "today's rules refuse it"),
])
def test_a_row_cpe_add_would_refuse_is_refused(cpe, home, good, tmp_path, column, value, says):
    archive = crafted(good, tmp_path, column, lambda conn: conn.execute(
        f"UPDATE records SET {column} = ? WHERE id = 2", (value,)))
    refused_and_untouched(cpe, home, archive, says)


def test_a_trash_row_cpe_add_would_refuse_is_refused(cpe, home, good, tmp_path):
    archive = crafted(good, tmp_path, "trash-row", lambda conn: conn.execute(
        "UPDATE trash SET record = json_set(record, '$.title', char(27) || '[2J')"))
    refused_and_untouched(cpe, home, archive, "record 3 in the trash: today's rules refuse it")


def test_verify_reports_a_trigger_added_to_the_ledger(cpe, home, good):
    change_database(home,
                    "CREATE TRIGGER wipe AFTER INSERT ON records BEGIN DELETE FROM records WHERE id <> NEW.id; END")
    result = cpe("verify")
    assert result.exit_code == 1
    assert "database: schema: trigger 'wipe' (on records) is not part of a cpe ledger" in result.stdout


def test_export_zip_refuses_a_stored_name_outside_the_store_instead_of_streaming_it(home, good, tmp_path):
    change_database(home,
                    "UPDATE records SET certificate_stored = '/dev/zero' WHERE certificate_stored IS NOT NULL")
    started = time.monotonic()
    result = subprocess.run([installed_cpe(), "export", "zip", "--preset", "all", "--output",
                             str(tmp_path / "a.zip")], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: ") and "'/dev/zero'" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "a.zip").exists()


# -- item 8: bounded ---------------------------------------------------------------------------------------

def test_a_sparse_database_member_of_4_gib_is_refused_before_anything_is_written(cpe, home, good, tmp_path):
    members = read_members(good)
    rest = [(info, data) for info, data in members if info.name != "cpe.db"]
    archive = write_archive_with_raw(tmp_path / "sparse.tar.gz", gnu_sparse_member("cpe.db", 4 * 1024 ** 3), rest)
    assert archive.stat().st_size < 2000
    started = time.monotonic()
    refused_and_untouched(cpe, home, archive, "member 'cpe.db' is a sparse file (a cpe backup holds none)")
    assert time.monotonic() - started < 5


def test_members_beyond_the_limit_are_refused_before_anything_is_written(cpe, home, good, monkeypatch):
    from cpe_cli.ops import archive

    def never(*args, **kwargs):
        raise AssertionError("a member was written")

    monkeypatch.setattr(archive, "_extract", never)
    monkeypatch.setenv("CPE_RESTORE_MAX_BYTES", "20000")
    refused_and_untouched(cpe, home, good, "its members add up to more than 20,000 bytes")


def test_the_default_limit_is_16_times_the_archive_or_256_mib(monkeypatch):
    from cpe_cli.ops.archive import restore_limit

    monkeypatch.delenv("CPE_RESTORE_MAX_BYTES", raising=False)
    assert restore_limit(1000) == 256 * 1024 * 1024
    assert restore_limit(100 * 1024 * 1024) == 1600 * 1024 * 1024


def test_a_member_larger_than_its_manifest_says_is_refused_before_anything_is_written(cpe, home, good, tmp_path,
                                                                                      monkeypatch):
    from cpe_cli.ops import archive

    members = read_members(good)
    manifest = json.loads(dict((m.name, d) for m, d in members)["manifest.json"])
    name = next(n for n in manifest["files"] if n.startswith("certificates/"))
    manifest["files"][name]["size"] -= 1
    changed = [(m, json.dumps(manifest).encode() if m.name == "manifest.json" else d) for m, d in members]
    target = write_archive(tmp_path / "bigger.tar.gz", changed)
    monkeypatch.setattr(archive, "_extract", lambda *args, **kwargs: pytest.fail("a member was written"))
    refused_and_untouched(cpe, home, target, f"member {name!r} does not match the SHA-256 and size in its manifest")


def test_more_certificates_than_a_ledger_holds_are_refused(cpe, home, good, tmp_path, monkeypatch):
    from cpe_cli.ops import archive

    from support import member

    members = read_members(good)
    extra = [(member(f"certificates/{n:064x}.pdf"), b"%PDF") for n in range(3)]
    target = write_archive(tmp_path / "many.tar.gz", [*members[:-1], *extra, members[-1]], fix_manifest=True)
    monkeypatch.setattr(archive, "MAX_CERTIFICATE_MEMBERS", 3)
    refused_and_untouched(cpe, home, target, "it holds more than 3 certificate files")


def test_extraction_stops_at_the_declared_size(tmp_path):
    from cpe_cli.ops.archive import _extract

    written = _extract(io.BytesIO(b"x" * 5_000_000), tmp_path / "member", 1000)
    assert written["size"] == 1000 and (tmp_path / "member").stat().st_size == 1000


def test_a_restore_that_would_not_fit_on_the_disk_is_refused(cpe, home, good, monkeypatch):
    real = os.statvfs

    class Full:
        f_bavail, f_frsize = 10, 4096

    monkeypatch.setattr(os, "statvfs", lambda path: Full() if ".restore-" in str(path) else real(path))
    before = snapshot(home)
    result = cpe("restore", str(good), "--force")
    assert result.exit_code == 1
    assert "free; nothing was restored" in only_error(result)
    assert snapshot(home) == before


def test_a_deeply_nested_manifest_is_a_refusal_not_a_crash(cpe, home, good, tmp_path):
    members = read_members(good)
    deep = b"[" * 200_000 + b"]" * 200_000
    target = write_archive(tmp_path / "deep.tar.gz", [*members[:-1], (members[-1][0], deep)])
    refused_and_untouched(cpe, home, target, "is not valid JSON (or nests too deeply)")
