"""Regressions found in review: trash-owned files survive recovery, readers never wait on a writer's cleanup,
edit warns of a duplicate of another record, and imports attach only files beside the CSV."""

import json
import os
import sqlite3
import subprocess
import time

import pytest

from support import add_args, installed_cpe, snapshot
from cpe_cli.store.ledger import open_ledger


def test_recovery_keeps_a_certificate_owned_by_the_trash(cpe, home, tmp_path):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"%PDF trash-owned")
    cpe(*add_args(certificate=str(certificate)))
    with open_ledger(home) as ledger:
        stored = ledger.get(1).certificate.stored_name
    assert cpe("rm", "1", "--yes").exit_code == 0
    # An edit/rm that marked the trashed file for deletion died before committing:
    os.link(home / "certificates" / stored, home / "certificates" / ".incoming" / stored)
    assert cpe("total").exit_code == 0  # the next command recovers
    assert (home / "certificates" / stored).read_bytes() == b"%PDF trash-owned"
    assert cpe("rm", "--undo").exit_code == 0
    assert cpe("verify").exit_code == 0


def test_a_reader_does_not_wait_for_a_writer_holding_the_lock(cpe, home, monkeypatch):
    cpe(*add_args())
    (home / "certificates" / ".incoming" / "0123abcd.pdf").write_bytes(b"a live writer's staged copy")
    holder = sqlite3.connect(home / "cpe.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the live writer
    try:
        started = time.monotonic()
        result = subprocess.run([installed_cpe(), "total"], capture_output=True, text=True,
                                env={**os.environ, "CPE_BUSY_TIMEOUT": "5"})
        assert (result.returncode, result.stdout) == (0, "2.0\n"), result.stderr
        assert time.monotonic() - started < 3
        assert (home / "certificates" / ".incoming" / "0123abcd.pdf").exists()  # not the reader's to undo
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_edit_warns_when_it_makes_a_copy_of_another_record(cpe):
    cpe(*add_args(title="First"))
    cpe(*add_args(title="Second"))
    result = cpe("edit", "1", "--title", "Second", "--no-input")
    assert result.exit_code == 0
    assert "record 1 now looks like a duplicate of record 2" in result.stderr


def test_from_after_today_says_today(cpe):
    result = cpe("total", "--from", "2027-01-01")
    assert result.exit_code == 2
    assert "--from 2027-01-01 is after today (2026-06-11)" in result.stderr


@pytest.mark.parametrize("cell", ["{secret}", "../secret.pdf", "sub/../../secret.pdf"])
def test_import_attaches_only_files_beside_the_csv(cpe, home, tmp_path, cell):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"private key")
    folder = tmp_path / "download"
    (folder / "sub").mkdir(parents=True)
    csv_file = folder / "courses.csv"
    csv_file.write_text("title,credits,field_of_study,delivery_method,date,provider,certificate\n"
                        f"T,1,Taxes,Group Live,2026-05-01,P,{cell.format(secret=secret)}\n")
    cpe(*add_args(title="Seed"))
    before = snapshot(home)
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    assert "is outside the CSV file's folder" in result.stderr
    assert snapshot(home) == before


def test_import_still_attaches_a_file_beside_the_csv(cpe, home, tmp_path):
    (tmp_path / "cert.pdf").write_bytes(b"%PDF beside")
    csv_file = tmp_path / "courses.csv"
    csv_file.write_text("title,credits,field_of_study,delivery_method,date,provider,certificate\n"
                        "T,1,Taxes,Group Live,2026-05-01,P,cert.pdf\n")
    assert cpe("import", str(csv_file)).exit_code == 0
    assert cpe("show", "1", "--json").stdout.count("cert.pdf") >= 1


def test_restore_does_not_swap_a_ledger_another_command_is_writing(cpe, home, tmp_path, monkeypatch):
    cpe(*add_args(title="In the backup"))
    archive = tmp_path / "b.tar.gz"
    assert cpe("backup", str(archive)).exit_code == 0
    cpe(*add_args(title="Written after the backup"))
    holder = sqlite3.connect(home / "cpe.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a command in the middle of a write
    monkeypatch.setenv("CPE_BUSY_TIMEOUT", "0.5")
    try:
        result = cpe("restore", str(archive), "--force")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "in use by another program" in result.stderr
    assert [r["title"] for r in json.loads(cpe("list", "--format", "json").stdout)] == \
        ["Written after the backup", "In the backup"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cpe-home.restore-")]
