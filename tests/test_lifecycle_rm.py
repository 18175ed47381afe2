"""`cpe rm`: confirmation rules, the trash, `cpe rm --undo` and `--purge`."""

import json
import os
import sqlite3
from pathlib import Path

import pexpect
import pytest

from support import add_args, installed_cpe, snapshot
from cpe_cli.ops import lifecycle
from cpe_cli.store.ledger import open_ledger

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture
def on_terminal(monkeypatch):
    monkeypatch.setattr("cpe_cli.cli.output.stdin_is_terminal", lambda: True)


@pytest.fixture
def two_records(cpe, tmp_path):
    """Record 1 with a certificate (binary bytes), record 2 without."""
    certificate = tmp_path / "Ethics Certificate.pdf"
    certificate.write_bytes(PDF)
    assert cpe(*add_args(title="Ethics for CPAs", credits="2", certificate=str(certificate))).exit_code == 0
    assert cpe(*add_args(title="Tax update", credits="1.5", field="Taxes")).exit_code == 0
    return certificate


def listed(cpe):
    return json.loads(cpe("list", "--format", "json", "--preset", "all").stdout)


def stored_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "certificates").iterdir() if p.is_file())


def test_without_a_terminal_rm_refuses_without_yes_and_changes_nothing(cpe, two_records, home):
    before = snapshot(home)
    result = cpe("rm", "1")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: cpe rm asks for confirmation, and standard input is not a terminal: "
                                     "add --yes to remove without asking")
    assert snapshot(home) == before


def test_yes_removes_the_record_and_says_how_to_undo(cpe, two_records, home):
    result = cpe("rm", "1", "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "Removed record 1: 2026-06-01  Ethics for CPAs  2.0 credits, certificate 'Ethics Certificate.pdf'; "
        "to the trash (undo: cpe rm --undo)",
        "Total CPE credits, year to date: 1.5 (1 record)"]
    assert result.stdout == ""
    assert [r["id"] for r in listed(cpe)] == [2]
    assert cpe("show", "1").exit_code == 1


def test_on_a_terminal_rm_shows_what_goes_and_asks(cpe, two_records, home, on_terminal):
    before = snapshot(home)
    declined = cpe("rm", "1", "2", input="n\n")
    assert declined.exit_code == 1
    assert "1  2026-06-01  Ethics for CPAs  2.0 credits" in declined.stderr
    assert "2  2026-06-01  Tax update  1.5 credits" in declined.stderr
    assert "Remove 2 records (3.5 credits)?" in declined.stderr
    assert declined.stderr.endswith("Error: nothing removed\n")
    assert declined.stdout == ""
    assert snapshot(home) == before
    accepted = cpe("rm", "1", "2", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert "Removed record 1: " in accepted.stderr and "Removed record 2: " in accepted.stderr
    assert accepted.stdout == ""
    assert listed(cpe) == []


def test_end_of_input_at_the_question_cancels_like_ctrl_c(cpe, two_records, home, on_terminal):
    before = snapshot(home)
    result = cpe("rm", "1", input="")
    assert result.exit_code == 130
    assert "Remove 1 record (2.0 credits)?" in result.stderr and result.stderr.endswith("Interrupted.\n")
    assert "Removed" not in result.stderr and result.stdout == ""
    assert snapshot(home) == before


def test_purge_on_a_terminal_warns_that_it_cannot_be_undone(cpe, two_records, on_terminal):
    result = cpe("rm", "--purge", "1", input="n\n")
    assert "for good? This cannot be undone." in result.stderr
    assert result.exit_code == 1 and result.stderr.endswith("Error: nothing removed\n")


def test_an_unknown_id_removes_nothing_even_with_known_ones(cpe, two_records, home):
    before = snapshot(home)
    result = cpe("rm", "1", "7", "--yes")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no record with id 7 ('cpe list' shows the ids)"
    assert snapshot(home) == before


def test_rm_on_a_home_that_does_not_exist_creates_nothing(cpe, home):
    assert cpe("rm", "1", "--yes").exit_code == 1
    assert cpe("rm", "--undo").exit_code == 1
    assert not home.exists()


def test_undo_brings_the_last_removal_back_with_its_certificate_byte_for_byte(cpe, two_records, home):
    shown_before = json.loads(cpe("show", "1", "--json").stdout)
    [stored] = stored_files(home)
    assert cpe("rm", "1", "--yes").exit_code == 0
    assert cpe("rm", "2", "--yes").exit_code == 0
    first = cpe("rm", "--undo")  # the last removal: record 2
    assert first.exit_code == 0, first.stderr
    assert "Restored record 2: 2026-06-01  Tax update  1.5 credits" in first.stderr
    assert [r["id"] for r in listed(cpe)] == [2]
    second = cpe("rm", "--undo")
    assert "Restored record 1" in second.stderr
    assert json.loads(cpe("show", "1", "--json").stdout) == shown_before  # same id, fields, hash, times
    assert Path(shown_before["certificate_path"]).read_bytes() == PDF
    assert stored_files(home) == [stored]
    assert cpe("verify").exit_code == 0
    empty = cpe("rm", "--undo")
    assert empty.exit_code == 1 and "the trash is empty" in empty.stderr


def test_undo_of_a_several_record_removal_brings_them_all(cpe, two_records):
    cpe("rm", "1", "2", "--yes")
    result = cpe("rm", "--undo")
    assert result.exit_code == 0
    assert sorted(r["id"] for r in listed(cpe)) == [1, 2]


def test_trashed_certificates_stay_in_place_and_count_as_owned(cpe, two_records, home):
    [stored] = stored_files(home)
    cpe("rm", "1", "--yes")
    assert stored.read_bytes() == PDF
    verified = cpe("verify")
    assert verified.exit_code == 0, verified.stdout
    assert verified.stdout == ""
    assert "Ledger is whole: 1 record, 1 in the trash, 1 certificate file" in verified.stderr


def test_recovery_keeps_a_certificate_owned_by_the_trash(cpe, two_records, home):
    """An edit or purge that marked a trashed record's file for deletion died before committing: the next
    command's recovery must keep the file, since the trash still owns it."""
    [stored] = stored_files(home)
    assert cpe("rm", "1", "--yes").exit_code == 0
    os.link(stored, home / "certificates" / ".incoming" / stored.name)
    assert cpe("total").exit_code == 0  # the next command recovers
    assert stored.read_bytes() == PDF
    assert cpe("rm", "--undo").exit_code == 0
    assert cpe("verify").exit_code == 0


def test_a_reused_id_gives_the_restored_record_a_new_one(cpe, two_records):
    cpe("rm", "2", "--yes")
    cpe(*add_args(title="Newer course"))  # takes id 2 again (SQLite reuses the highest id)
    result = cpe("rm", "--undo")
    assert "Restored record 2 (as record 3: id 2 was taken by a newer record)" in result.stderr
    titles = {r["id"]: r["title"] for r in listed(cpe)}
    assert titles == {1: "Ethics for CPAs", 2: "Newer course", 3: "Tax update"}


def test_purge_removes_the_certificate_file_and_skips_the_trash(cpe, two_records, home):
    cpe("rm", "2", "--yes")
    result = cpe("rm", "--purge", "1", "--yes")
    assert result.exit_code == 0
    assert "Removed record 1: " in result.stderr and "for good" in result.stderr
    assert stored_files(home) == []
    assert list((home / "certificates" / ".incoming").iterdir()) == []
    undo = cpe("rm", "--undo")  # brings back the last removal that went to the trash: record 2
    assert "Restored record 2" in undo.stderr
    assert [r["id"] for r in listed(cpe)] == [2]


def test_the_trash_keeps_removals_30_days_then_purges_them_on_write(cpe, two_records, home, monkeypatch):
    [stored] = stored_files(home)
    cpe("rm", "1", "--yes")  # on 2026-06-11
    monkeypatch.setenv("CPE_TODAY", "2026-07-11")  # day 30: still there
    assert cpe("rm", "--undo").exit_code == 0
    monkeypatch.setenv("CPE_TODAY", "2026-06-11")
    cpe("rm", "1", "--yes")
    monkeypatch.setenv("CPE_TODAY", "2026-07-12")  # day 31: the next write purges it
    assert cpe("edit", "2", "--credits", "3").exit_code == 0
    assert not stored.exists()
    result = cpe("rm", "--undo")
    assert result.exit_code == 1 and "the trash is empty" in result.stderr
    assert cpe("verify").exit_code == 0


def test_undo_options_are_checked(cpe, two_records, home):
    before = snapshot(home)
    assert cpe("rm", "--undo", "1").exit_code == 2
    assert cpe("rm", "--undo", "--purge").exit_code == 2
    nothing = cpe("rm", "--yes")
    assert nothing.exit_code == 2 and "give the id of at least one record" in nothing.stderr
    assert cpe("rm", "abc").exit_code == 2
    assert snapshot(home) == before


@pytest.fixture
def core_record(home, tmp_path, today):
    """Record 1 with a certificate, added through the core."""
    from cpe_cli.core.records import build_record

    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(PDF)
    record, _ = build_record({"title": "T", "credits": "1", "field_of_study": "tax", "delivery_method": "nano",
                              "provider": "P"}, today)
    with open_ledger(home) as ledger:
        ledger.add(record, certificate)


def test_a_failed_purge_keeps_the_record_and_its_file(home, core_record, today, monkeypatch):
    """A failure inside the transaction rolls back: the record stays, its file stays, no mark is left."""
    before = snapshot(home)
    real_fetch = lifecycle.fetch

    def fetch_then_fail(ledger, ids):
        found = real_fetch(ledger, ids)
        ledger.conn.execute("CREATE TABLE IF NOT EXISTS boom (x)")  # a write that must be rolled back too
        return found + [ledger.get(99)]

    monkeypatch.setattr(lifecycle, "fetch", fetch_then_fail)
    with open_ledger(home) as ledger, pytest.raises(Exception, match="no record with id 99"):
        lifecycle.remove_records(ledger, [1], today, purge=True)
    assert snapshot(home) == before


def test_a_purge_killed_after_its_commit_is_finished_by_the_next_command(home, core_record, today, monkeypatch):
    monkeypatch.setattr(lifecycle._FileChanges, "committed", lambda self: None)  # "killed" right after COMMIT
    with open_ledger(home) as ledger:
        lifecycle.remove_records(ledger, [1], today, purge=True)
    assert list((home / "certificates" / ".incoming").iterdir())  # the kill left the file's mark to settle...
    monkeypatch.undo()
    with open_ledger(home) as ledger:  # ...until any command opens the ledger
        assert ledger.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 0
    assert stored_files(home) == []
    assert list((home / "certificates" / ".incoming").iterdir()) == []


def test_trash_rows_keep_every_column_of_the_record(cpe, two_records, home):
    cpe("rm", "1", "--yes")
    conn = sqlite3.connect(home / "cpe.db")
    [(raw,)] = conn.execute("SELECT record FROM trash").fetchall()
    columns = [row[1] for row in conn.execute("PRAGMA table_info(records)")]
    conn.close()
    assert sorted(json.loads(raw)) == sorted(columns)


def spawn(*args):
    env = {**os.environ, "TERM": "dumb"}
    return pexpect.spawn(installed_cpe(), list(args), env=env, encoding="utf-8", timeout=20, dimensions=(40, 160))


def answer_rm_in_a_terminal(answer: str, then: str) -> int:
    child = spawn("rm", "1")
    child.expect(r"Remove 1 record \(2.0 credits\)\? It stays in the trash for 30 days")
    child.sendline(answer)
    child.expect(then)
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_rm_asks_in_a_real_terminal(cpe, two_records, home):
    assert answer_rm_in_a_terminal("n", "Error: nothing removed") == 1
    assert answer_rm_in_a_terminal("y", "Removed record 1") == 0
    assert [r["id"] for r in listed(cpe)] == [2]


def test_rm_and_undo_through_the_installed_script(cpe_process, cpe, two_records):
    refused = cpe_process("rm", "2")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    removed = cpe_process("rm", "2", "--yes")
    assert removed.returncode == 0, removed.stderr
    restored = cpe_process("rm", "--undo")
    assert restored.returncode == 0 and "Restored record 2" in restored.stderr
    assert sorted(r["id"] for r in listed(cpe)) == [1, 2]


@pytest.mark.parametrize("args", [("show", "0"), ("show", "99999999999999999999"), ("edit", "-5", "-c", "1"),
                                  ("rm", "1", "0", "--yes"), ("rm", "2", "99999999999999999999", "--yes"),
                                  ("rm", "abc", "--yes")])
def test_malformed_ids_are_usage_errors_that_change_nothing(cpe, two_records, home, args):
    before = snapshot(home)
    result = cpe(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert snapshot(home) == before
