"""`cpe backup` and `cpe restore`: a consistent archive, checked whole before anything is replaced."""

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from support import (CERTIFICATE, add_args, corrupt_a_page, hostile, installed_cpe, make_version_1_ledger, member,
                     only_error, read_members, snapshot, write_archive)
from cpe_cli.ops import backup as backup_module
from cpe_cli.ops import restore as restore_module
from cpe_cli.ops import lifecycle
from cpe_cli.store import schema
from cpe_cli.store import swap as swap_module
from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.records import build_record


@pytest.fixture
def filled(home, tmp_path, today):
    """Four records, three with certificates, one of them in the trash (made through the core: fast)."""
    with open_ledger(home) as ledger:
        for number in range(1, 5):
            source = None
            if number != 2:
                source = tmp_path / f"certificate {number}.pdf"
                source.write_bytes(b"%PDF-1.6\n" + os.urandom(3000 * number))
            record, _ = build_record({"title": f"Course {number}", "credits": f"{number}.5",
                                      "field_of_study": "Regulatory Ethics", "delivery_method": "Group Live",
                                      "provider": "AICPA", "date": f"2026-0{number}-10"}, today)
            ledger.add(record, source)
        lifecycle.remove_records(ledger, [4], today)


def views(cpe) -> tuple:
    """What a user sees of a ledger: the list, the total and verify's verdict (its problems on standard
    output, "Ledger is whole ..." on standard error)."""
    verdict = cpe("verify")
    return (cpe("list", "--format", "json", "--preset", "all").stdout, cpe("total", "--preset", "all").stdout,
            verdict.exit_code, verdict.stdout, verdict.stderr)


def file_hashes(home: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in (home / "certificates").iterdir() if path.is_file()}


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


def test_a_restore_into_an_empty_home_gives_the_same_list_total_and_verify(cpe, filled, home, tmp_path, monkeypatch):
    archive = tmp_path / "cpe-backup.tar.gz"
    result = cpe("backup", str(archive))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Backed up 3 records (and 1 in the trash) and 3 certificate files to {archive} (")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    seen, hashes = views(cpe), file_hashes(home)
    assert seen[2:4] == (0, "")
    assert seen[4].startswith("Ledger is whole: 3 records, 1 in the trash, 3 certificate files")

    other = tmp_path / "new-machine" / "cpe"
    monkeypatch.setenv("CPE_HOME", str(other))
    restored = cpe("restore", str(archive))
    assert restored.exit_code == 0, restored.stderr
    assert restored.stderr.startswith("Restored 3 records (and 1 in the trash) and 3 certificate files from the "
                                      "backup of 20")
    assert views(cpe) == seen
    assert file_hashes(other) == hashes
    assert stat.S_IMODE(other.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (other / "certificates").iterdir() if p.is_file())
    with open_ledger(other) as ledger:
        assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "Restored record 4" in cpe("rm", "--undo").stderr  # the trash came along, certificate included
    assert cpe("verify").exit_code == 0
    assert leftovers(other.parent) == []


def test_the_archive_holds_the_database_certificates_and_a_manifest_last(cpe, filled, home, tmp_path):
    archive = tmp_path / "b.tar.gz"
    cpe("backup", str(archive))
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        manifest = json.load(tar.extractfile("manifest.json"))
        assert names[0] == "cpe.db" and names[-1] == "manifest.json"
        assert sorted(names[1:-1]) == sorted(f"certificates/{name}" for name in file_hashes(home))
        for stored in members[:-1]:
            data = tar.extractfile(stored).read()
            assert manifest["files"][stored.name] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert (manifest["format"], manifest["version"], manifest["records"], manifest["trash"]) == ("cpe-backup", 1, 3, 1)
    assert manifest["schema_version"] == schema.SCHEMA_VERSION


def test_backup_refuses_to_overwrite_without_force(cpe, filled, tmp_path):
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(b"an older backup")
    refused = cpe("backup", str(archive))
    assert refused.exit_code == 2
    assert refused.stderr == f"Error: {archive} exists; add --force to replace it\n"
    assert archive.read_bytes() == b"an older backup"
    assert cpe("backup", str(archive), "--force").exit_code == 0
    assert tarfile.is_tarfile(archive)
    assert leftovers(tmp_path) == []


def test_backup_never_writes_through_a_symlink(cpe, filled, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "b.tar.gz"
    link.symlink_to(target)
    assert cpe("backup", str(link)).exit_code == 2
    assert cpe("backup", str(link), "--force").exit_code == 0
    assert target.read_text() == "keep me" and not link.is_symlink() and tarfile.is_tarfile(link)


def test_backup_refusals(cpe, filled, home, tmp_path):
    before = snapshot(home)
    inside = cpe("backup", str(home / "b.tar.gz"))
    assert inside.exit_code == 2 and "is inside the ledger's home" in inside.stderr
    folder = cpe("backup", str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in folder.stderr
    nowhere = cpe("backup", str(tmp_path / "missing" / "b.tar.gz"))
    assert nowhere.exit_code == 2 and "does not exist" in nowhere.stderr
    assert snapshot(home) == before


def test_backup_without_a_ledger_creates_nothing(cpe, home, tmp_path):
    result = cpe("backup", str(tmp_path / "b.tar.gz"))
    assert result.exit_code == 1 and "there is no ledger" in result.stderr
    assert not home.exists() and not (tmp_path / "b.tar.gz").exists()


def test_backup_of_a_damaged_database_is_refused(cpe, filled, home, tmp_path):
    corrupt_a_page(home / "cpe.db")
    result = cpe("backup", str(tmp_path / "b.tar.gz"))
    assert result.exit_code == 1 and "fails SQLite's integrity check" in result.stderr
    assert os.listdir(tmp_path).count("b.tar.gz") == 0 and leftovers(tmp_path) == []


def test_a_missing_certificate_is_warned_about_and_restores_with_the_same_verify(cpe, filled, home, tmp_path,
                                                                                 monkeypatch):
    victim = sorted((home / "certificates").glob("*.pdf"))[0]
    victim.unlink()
    found = cpe("verify")
    assert found.exit_code == 1 and victim.name in found.stdout
    result = cpe("backup", str(tmp_path / "b.tar.gz"))
    assert result.exit_code == 0
    assert f"Warning: certificate file certificates/{victim.name} is missing; backed up without it" in result.stderr
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "elsewhere"))
    restored = cpe("restore", str(tmp_path / "b.tar.gz"))
    assert restored.exit_code == 0 and "Warning: the restored ledger has 1 problem" in restored.stderr
    again = cpe("verify")
    assert (again.exit_code, again.stdout, again.stderr) == (found.exit_code, found.stdout, found.stderr)


def test_a_certificate_removed_during_the_backup_makes_it_take_a_new_snapshot(home, filled, tmp_path, today,
                                                                             monkeypatch):
    """Between the snapshot and copying the files, another command purges a record: the backup starts over."""
    real_snapshot = backup_module._snapshot
    calls = []

    def snapshot_then_purge(ledger, path, summary):
        owned = real_snapshot(ledger, path, summary)
        calls.append(len(owned))
        if len(calls) == 1:
            with open_ledger(home) as other:
                lifecycle.remove_records(other, [1], today, purge=True)
        return owned

    monkeypatch.setattr(backup_module, "_snapshot", snapshot_then_purge)
    summary = backup_module.create_backup(home, tmp_path / "b.tar.gz")
    assert calls == [3, 2] and summary.records == 2 and summary.warnings == []
    restore_module.restore_backup(tmp_path / "restored", tmp_path / "b.tar.gz", today)
    with open_ledger(tmp_path / "restored") as ledger:
        from cpe_cli.ops.verify import verify_ledger

        assert verify_ledger(ledger, today).whole


# -- restore: refusing to replace, replacing safely ---------------------------------------------------


def test_restore_refuses_a_home_with_records_without_force(cpe, archive, home):
    cpe(*add_args(title="Added after the backup"))
    before = snapshot(home)
    result = cpe("restore", str(archive))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {home} is not empty (it holds a ledger of 4 records and 1 in the trash); "
                             "add --force to replace it (the current ledger is kept aside until the restore has "
                             "succeeded)\n")
    assert snapshot(home) == before


def test_restore_accepts_a_home_holding_only_an_empty_ledger(cpe, archive, tmp_path, monkeypatch):
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "fresh"))
    assert cpe("total").stdout == "0.0\n"  # the README's set-up creates an empty ledger
    result = cpe("restore", str(archive))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("Restored ") and "replacing" not in result.stderr
    assert result.stdout == ""
    assert cpe("total", "--preset", "all").stdout == "7.5\n"


def test_restore_with_force_replaces_the_ledger_and_removes_the_old_one(cpe, archive, home):
    cpe(*add_args(title="Added after the backup"))
    result = cpe("restore", str(archive), "--force")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.rstrip().endswith(f"into {home}, replacing a ledger of 4 records and 1 in the trash.")
    assert result.stdout == ""
    assert [r["title"] for r in json.loads(cpe("list", "--format", "json", "--preset", "all").stdout)] == \
        ["Course 3", "Course 2", "Course 1"]
    assert leftovers(home.parent) == []


def test_a_swap_that_fails_is_one_error_and_puts_the_old_home_back(cpe, archive, home, monkeypatch):
    """Without an atomic exchange the old home is renamed aside; if the new one cannot take its place,
    the old one goes back, nothing of the restore is left, and the user reads one worded error (a
    failed operation, exit 1), not the catch-all for an unexpected exception."""
    cpe(*add_args(title="Added after the backup"))
    before = snapshot(home)
    around = sorted(os.listdir(home.parent))
    monkeypatch.setattr(swap_module, "_exchange", lambda first, second: False)
    real_rename = os.rename

    def rename(source, destination):
        if ".restore-" in str(source):
            raise OSError(28, "No space left on device")
        return real_rename(source, destination)

    monkeypatch.setattr(swap_module.os, "rename", rename)
    result = cpe("restore", str(archive), "--force")
    assert result.exit_code == 1, result.stderr
    line = only_error(result)
    assert "No space left on device" in line and str(home) in line
    assert "unexpected" not in line and "CPE_DEBUG" not in line
    assert result.stdout == ""
    assert snapshot(home) == before
    assert sorted(os.listdir(home.parent)) == around and leftovers(home.parent) == []


def test_restore_does_not_swap_a_ledger_another_command_is_writing(cpe, archive, home, tmp_path, monkeypatch):
    cpe(*add_args(title="Written after the backup"))
    before = snapshot(home)
    holder = sqlite3.connect(home / "cpe.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a command in the middle of a write
    monkeypatch.setenv("CPE_BUSY_TIMEOUT", "0.5")
    try:
        result = cpe("restore", str(archive), "--force")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "in use by another program" in only_error(result)
    assert snapshot(home) == before
    assert leftovers(home.parent) == []


def test_restore_without_exchange_still_replaces(cpe, archive, home, monkeypatch):
    monkeypatch.setattr(swap_module, "_exchange", lambda first, second: False)
    cpe(*add_args(title="Added after the backup"))
    assert cpe("restore", str(archive), "--force").exit_code == 0
    assert cpe("total", "--preset", "all").stdout == "7.5\n"
    assert leftovers(home.parent) == []


# -- restore: hostile and damaged archives -------------------------------------------------------------


HOSTILE = {
    "dotdot": "member '../escaped.txt' points outside the folder it is restored into (..)",
    "dotdot-deep": "member 'certificates/../../escaped.txt' points outside",
    "absolute": "is an absolute path",
    "symlink": "member 'certificates/link.pdf' is a link",
    "hardlink": "member 'certificates/x.pdf' is a link",
    "device": "member 'certificates/zero' is not a regular file",
    "folder": "member 'certificates' is not a regular file",
    "unexpected-name": "member 'notes.txt' is not part of a cpe backup",
    "wrong-hash": "does not match the SHA-256 and size in its manifest",
    "unlisted-member": "member 'certificates/extra.pdf' is not listed in its manifest",
    "missing-member": "but the archive does not hold it",
    "duplicate": "appears twice",
    "no-manifest": "it has no manifest.json",
    "bad-manifest": "its manifest.json is not valid JSON",
    "foreign-manifest": "its manifest.json is not a cpe backup manifest",
    "newer-format": "it is in backup format version 2",
    "newer-schema": "its database was written by a newer cpe (schema version 99",
    "foreign-database": "its database is not a cpe ledger",
    "corrupt-database": "its database",
    "truncated": "it is damaged or truncated",
    "truncated-tar": "damaged or truncated",
    "not-an-archive": "is not a cpe backup (.tar.gz, as `cpe backup FILE` writes)",
    "empty": "is not a cpe backup (.tar.gz",
    "a-folder": "is not a regular file",
    "missing": "does not exist",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_or_damaged_archive_is_refused_before_anything_changes(cpe, archive, home, tmp_path, kind):
    cpe(*add_args(title="Added after the backup"))
    bad = hostile(kind, archive, tmp_path)
    before = snapshot(home)
    around = sorted(os.listdir(home.parent))
    result = cpe("restore", str(bad), "--force")  # --force: only the archive's checks stand in the way
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert HOSTILE[kind] in result.stderr
    assert snapshot(home) == before
    assert sorted(os.listdir(home.parent)) == around  # no staging folder left behind
    assert not (tmp_path / "escaped.txt").exists() and not (home.parent / "escaped.txt").exists()



@pytest.mark.parametrize("kind", ["missing", "a-csv", "a-folder"])
def test_restore_names_a_wrong_archive_before_asking_for_force(cpe, archive, home, tmp_path, kind):
    """A non-empty home would need --force, but --force cannot fix a missing file, a CSV or a folder:
    the archive is checked first, so the one error names the real problem."""
    bad = {"missing": tmp_path / "nowhere.tar.gz", "a-csv": tmp_path / "records.csv", "a-folder": tmp_path}[kind]
    if kind == "a-csv":
        bad.write_text("id,date,title\n1,2026-01-02,Ethics\n")
    before = snapshot(home)
    result = cpe("restore", str(bad))  # no --force, and the home holds a ledger
    assert result.exit_code == 2
    error = result.stderr
    assert error.count("\n") == 1 and "--force" not in error and "ReadError" not in error
    assert {"missing": "does not exist", "a-csv": "is not a cpe backup (.tar.gz",
            "a-folder": "is not a regular file"}[kind] in error
    assert snapshot(home) == before

def test_a_refused_restore_into_a_new_place_leaves_no_folder_behind(cpe, archive, tmp_path, monkeypatch):
    target = tmp_path / "new" / "deeper" / "cpe"
    monkeypatch.setenv("CPE_HOME", str(target))
    result = cpe("restore", str(hostile("wrong-hash", archive, tmp_path)))
    assert result.exit_code == 2
    assert not (tmp_path / "new").exists()
    assert cpe("restore", str(archive)).exit_code == 0
    assert cpe("total", "--preset", "all").stdout == "7.5\n"


def test_a_backup_of_an_older_schema_is_restored_and_upgraded(cpe, archive, tmp_path, monkeypatch):
    old_home = tmp_path / "version-1"
    old_home.mkdir()
    make_version_1_ledger(old_home)
    manifest = read_members(archive)[-1]
    members = [(member("cpe.db"), (old_home / "cpe.db").read_bytes()),
               (member("certificates/0123abcd.pdf"), CERTIFICATE), manifest]
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "upgraded"))
    result = cpe("restore", str(write_archive(tmp_path / "v1.tar.gz", members, fix_manifest=True)))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("Restored 2 records and 1 certificate file")
    verified = cpe("verify")
    assert verified.exit_code == 0 and verified.stdout == ""
    assert verified.stderr.endswith(f"schema version {schema.SCHEMA_VERSION}.\n")
    assert cpe("total", "--preset", "all").stdout == "5.5\n"


# -- backups while another process writes -------------------------------------------------------------

ADD_LOOP = """
i=0
while [ ! -e "$STOP" ]; do
  i=$((i+1))
  cert=""
  if [ $((i % 2)) -eq 0 ]; then { cat "$CERT"; echo "$i"; } > "$CERT.$i"; cert="--certificate=$CERT.$i"; fi
  "$CPE" add --no-input -t "Course $i" -c 1 -f tax -m "group live" -P AICPA -d 2026-06-01 $cert >/dev/null || exit 1
done
"""


def test_a_backup_taken_while_cpe_add_runs_restores_to_a_whole_ledger(cpe_process, home, tmp_path, today):
    from cpe_cli.ops.verify import verify_ledger

    certificate = tmp_path / "cert.pdf"
    certificate.write_bytes(b"%PDF-1.4\n" + os.urandom(20000))
    stop = tmp_path / "stop"
    writer = subprocess.Popen(["bash", "-c", ADD_LOOP], env={**os.environ, "STOP": str(stop),
                                                             "CERT": str(certificate), "CPE": installed_cpe()})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _count(home) >= 3:
            time.sleep(0.05)
        backups = []
        for number in range(2):
            path = tmp_path / f"during-{number}.tar.gz"
            result = cpe_process("backup", str(path))
            assert result.returncode == 0, result.stderr
            assert result.stderr.startswith("Backed up ") and "Warning" not in result.stderr, result.stderr
            backups.append(path)
    finally:
        stop.touch()
        assert writer.wait(timeout=30) == 0
    final = _count(home)
    counts = []
    for number, path in enumerate(backups):
        other = tmp_path / f"restored-{number}"
        restore_module.restore_backup(other, path, today)
        with open_ledger(other) as ledger:
            report = verify_ledger(ledger, today)
            assert report.whole, report.problems
            ids = [row[0] for row in ledger.conn.execute("SELECT id FROM records ORDER BY id")]
        assert ids == list(range(1, len(ids) + 1))  # a snapshot: records 1..n, none half-added
        assert report.certificates == len(ids) // 2  # every second add carries a certificate
        counts.append(len(ids))
    assert 3 <= counts[0] <= counts[1] <= final


WRITER = """
import sys
from datetime import date
from pathlib import Path
from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.records import build_record

home, certificate, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
number = 0
while not stop.exists():
    number += 1
    attached = None
    if number % 2:  # a file of its own each time: every second record brings one more stored file
        attached = certificate.with_name(f"certificate-{number}.pdf")
        attached.write_bytes(certificate.read_bytes() + str(number).encode())
    with open_ledger(home) as ledger:
        record, _ = build_record({"title": f"Fast {number}", "credits": "1", "field_of_study": "tax",
                                  "delivery_method": "nano", "provider": "P"}, date(2026, 6, 11))
        ledger.add(record, attached)
"""


def test_backups_under_a_fast_writer_are_consistent_snapshots(home, tmp_path, today):
    """The core under a writer adding dozens of records a second, half with certificates."""
    import sys

    from cpe_cli.ops.verify import verify_ledger

    certificate = tmp_path / "cert.pdf"
    certificate.write_bytes(os.urandom(50000))
    stop = tmp_path / "stop"
    with open_ledger(home):
        pass
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(home), str(certificate), str(stop)])
    try:
        while _count(home) < 10:
            time.sleep(0.02)
        summaries = [backup_module.create_backup(home, tmp_path / f"fast-{n}.tar.gz") for n in range(3)]
    finally:
        stop.touch()
        assert writer.wait(timeout=30) == 0
    for number, summary in enumerate(summaries):
        restored = tmp_path / f"fast-restored-{number}"
        restore_module.restore_backup(restored, summary.path, today)
        with open_ledger(restored) as ledger:
            report = verify_ledger(ledger, today)
            assert report.whole, report.problems
            assert report.records == summary.records and report.certificates == summary.certificates
            assert summary.certificates == (summary.records + 1) // 2


def _count(home: Path) -> int:
    try:
        conn = sqlite3.connect(home / "cpe.db", timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM records").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_backup_and_restore_through_the_installed_script(cpe_process, cpe, filled, tmp_path):
    archive = tmp_path / "script.tar.gz"
    assert cpe_process("backup", str(archive)).returncode == 0
    refused = cpe_process("restore", str(archive))
    assert refused.returncode == 2 and "add --force" in refused.stderr
    replaced = cpe_process("restore", str(archive), "--force")
    assert replaced.returncode == 0, replaced.stderr
    assert cpe_process("verify").returncode == 0


@pytest.fixture
def archive(cpe, filled, tmp_path):
    path = tmp_path / "b.tar.gz"
    assert cpe("backup", str(path)).exit_code == 0
    return path
