"""A home that lost its database is an error, never a new empty ledger beside the orphaned certificates; and
`verify --repair` never deletes a certificate, it moves strays to lost+found/ (issue 10, item 3)."""

from __future__ import annotations

import hashlib
import os

import pytest

from support import PLATFORM_HEADER, add_args, only_error, platform_row, snapshot, write_rows

PDF = b"%PDF-1.4 the only copy\n" * 50


@pytest.fixture
def lost(cpe, home, tmp_path):
    """A ledger with two certificates whose database is then lost; returns how it was lost."""
    for n in range(2):
        certificate = tmp_path / f"c{n}.pdf"
        certificate.write_bytes(PDF + bytes([n]))
        assert cpe(*add_args(title=f"Course {n}", certificate=str(certificate))).exit_code == 0
    return home


def lose(home, how: str) -> None:
    for name in ("cpe.db-wal", "cpe.db-shm"):
        if (home / name).exists():
            (home / name).unlink()
    if how == "removed":
        (home / "cpe.db").unlink()
    else:
        (home / "cpe.db").write_bytes(b"")


COMMANDS = [
    ["total"],
    ["list"],
    ["show", "1"],
    add_args(title="New"),
    ["rm", "1", "--yes"],
    ["rm", "--undo"],
    ["edit", "1", "--credits", "3", "--no-input"],
    ["verify"],
    ["verify", "--repair"],
    ["export", "csv"],
    ["export", "zip", "--output", "{tmp}/audit.zip"],
    ["backup", "{tmp}/b.tar.gz"],
    ["import", "{tmp}/rows.csv"],
]


CASES = [pytest.param(args, how, id=f"{' '.join(args[:2])}-{how}")
         for args in COMMANDS for how in ("removed", "emptied")]


@pytest.mark.parametrize("args, how", CASES)
def test_every_command_refuses_a_home_that_lost_its_database(cpe, lost, tmp_path, how, args):
    write_rows(tmp_path / "rows.csv", PLATFORM_HEADER, [platform_row()])
    lose(lost, how)
    before = snapshot(lost)
    result = cpe(*[arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.exit_code == 1, result.output
    state = "missing" if how == "removed" else "empty (0 bytes)"
    assert only_error(result) == (f"Error: {lost} holds certificate files but its database {lost / 'cpe.db'} is "
                                  f"{state}: the ledger was lost. Nothing was changed; restore it from a backup: "
                                  "cpe restore BACKUP --force")
    assert snapshot(lost) == before
    assert not (tmp_path / "audit.zip").exists() and not (tmp_path / "b.tar.gz").exists()


def test_a_new_home_and_an_empty_one_still_start_a_ledger(cpe, home):
    assert cpe(*add_args(title="First")).exit_code == 0  # no home at all: created
    assert cpe("rm", "1", "--purge", "--yes").exit_code == 0
    (home / "cpe.db").unlink()
    assert cpe(*add_args()).exit_code == 0  # certificates/ empty: nothing was lost
    assert cpe("total").stdout == "2.0\n"


def test_restoring_a_backup_into_a_home_that_lost_its_database_keeps_the_certificates_it_lacks(cpe, home,
                                                                                               tmp_path):
    first = tmp_path / "first.pdf"
    first.write_bytes(PDF)
    assert cpe(*add_args(title="Before the backup", certificate=str(first))).exit_code == 0
    archive = tmp_path / "b.tar.gz"
    assert cpe("backup", str(archive)).exit_code == 0
    later = tmp_path / "later.pdf"
    later.write_bytes(PDF + b"added after the backup")
    assert cpe(*add_args(title="After the backup", certificate=str(later))).exit_code == 0
    lose(home, "removed")
    refused = cpe("restore", str(archive))
    assert refused.exit_code == 2
    assert "(it holds 2 certificate files but no database (a lost ledger)); add --force" in only_error(refused)
    result = cpe("restore", str(archive), "--force")
    assert result.exit_code == 0, result.stderr
    assert "1 certificate file the backup lacks" in result.stderr
    kept = next((home / "lost+found").iterdir())
    [orphan] = list((kept / "certificates").iterdir())
    assert orphan.read_bytes() == later.read_bytes()  # the only copy of the later certificate: kept
    assert cpe("total", "--preset", "all").stdout == "2.0\n"


def test_verify_repair_moves_strays_to_lost_and_found_and_never_deletes_them(cpe, home, tmp_path):
    assert cpe(*add_args()).exit_code == 0
    stray = home / "certificates" / "scan-0001.pdf"
    stray.write_bytes(b"%PDF a certificate no record names")
    digest = hashlib.sha256(stray.read_bytes()).hexdigest()
    listed = cpe("verify")
    assert listed.exit_code == 1
    assert "stray file certificates/scan-0001.pdf (no record names it; 'cpe verify --repair' moves it to " \
           "lost+found/)" in listed.stdout
    repaired = cpe("verify", "--repair")
    assert repaired.exit_code == 0, repaired.stdout
    assert "stray file certificates/scan-0001.pdf: moved to lost+found/scan-0001.pdf" in repaired.stdout
    moved = home / "lost+found" / "scan-0001.pdf"
    assert hashlib.sha256(moved.read_bytes()).hexdigest() == digest
    assert not stray.exists()
    assert (home / "lost+found").stat().st_mode & 0o777 == 0o700
    again = cpe("verify")
    assert again.exit_code == 0
    assert "note: lost+found/scan-0001.pdf was set aside by cpe" in again.stdout  # reported until removed
    stray.write_bytes(b"%PDF another with the same name")
    assert cpe("verify", "--repair").exit_code == 0
    assert sorted(os.listdir(home / "lost+found")) == ["scan-0001.pdf", "scan-0001.pdf.1"]
