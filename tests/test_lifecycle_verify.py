"""`cpe verify`: a whole ledger in one line; each kind of damage found, listed, exit 1; --repair."""


import pytest

from cpe_cli.store import schema

from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.records import build_record
from cpe_cli.ops.verify import verify_ledger
from support import corrupt_a_page, snapshot, change_database

PDF = b"%PDF-1.5 certificate body\n" * 100


@pytest.fixture
def ledger_with_files(home, today, tmp_path):
    """Three records, two with certificates; returns the stored paths by record id."""
    stored = {}
    with open_ledger(home) as ledger:
        for number in range(1, 4):
            source = None
            if number < 3:
                source = tmp_path / f"cert{number}.pdf"
                source.write_bytes(PDF + bytes([number]))
            record, _ = build_record({"title": f"Course {number}", "credits": "2", "field_of_study": "Auditing",
                                      "delivery_method": "Group Live", "provider": "AICPA",
                                      "date": "2026-03-01"}, today)
            added = ledger.add(record, source)
            if source:
                stored[added.id] = home / "certificates" / ledger.get(added.id).certificate.stored_name
    return stored


def test_a_whole_ledger_is_said_so_in_one_line(cpe, ledger_with_files, home):
    before = snapshot(home)
    result = cpe("verify")
    assert result.exit_code == 0, result.stdout
    assert result.stderr == ("Ledger is whole: 3 records, 2 certificate files matching their SHA-256, "
                             f"SQLite integrity ok, schema version {schema.SCHEMA_VERSION}.\n")
    assert result.stdout == ""
    assert snapshot(home) == before


def test_a_deleted_certificate_file_is_found(cpe, ledger_with_files):
    ledger_with_files[2].unlink()
    result = cpe("verify")
    assert result.exit_code == 1
    assert result.stdout == f"record 2: certificate file certificates/{ledger_with_files[2].name} (cert2.pdf) " \
                            "is missing; run: cpe edit 2 --certificate FILE\n"
    assert result.stderr == "Error: the ledger has 1 problem (listed above)\n"


def test_an_altered_certificate_file_is_found_even_at_the_same_size(cpe, ledger_with_files):
    path = ledger_with_files[1]
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01  # one bit
    path.write_bytes(bytes(data))
    truncated = ledger_with_files[2]
    truncated.write_bytes(truncated.read_bytes()[:-10])
    lines = cpe("verify").stdout.splitlines()
    assert lines == [
        f"record 1: certificate file certificates/{path.name} (cert1.pdf) does not match its SHA-256: "
        "it was altered after it was stored; run: cpe edit 1 --certificate FILE",
        f"record 2: certificate file certificates/{truncated.name} (cert2.pdf) is {len(PDF) - 9:,} bytes, "
        f"not the {len(PDF) + 1:,} stored: it was altered or truncated; run: cpe edit 2 --certificate FILE",
    ]


def test_stray_files_are_listed_and_repair_moves_only_them_to_lost_and_found(cpe, ledger_with_files, home):
    (home / "certificates" / "notes.txt").write_text("mine")
    (home / "certificates" / "stray-folder").mkdir()
    (home / "certificates" / "link.pdf").symlink_to(ledger_with_files[1])
    result = cpe("verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "stray file certificates/link.pdf (no record names it; 'cpe verify --repair' moves it to lost+found/); "
        "run: cpe verify --repair",
        "stray file certificates/notes.txt (no record names it; 'cpe verify --repair' moves it to lost+found/); "
        "run: cpe verify --repair",
        "stray folder certificates/stray-folder (no record names it; verify --repair leaves folders alone: "
        "move it out yourself)",
    ]
    (home / "certificates" / "stray-folder").rmdir()
    repaired = cpe("verify", "--repair")
    assert repaired.exit_code == 0, repaired.stdout
    assert repaired.stdout.splitlines() == [
        "stray file certificates/link.pdf: moved to lost+found/link.pdf (no record names it; look at it, then "
        "delete it)",
        "stray file certificates/notes.txt: moved to lost+found/notes.txt (no record names it; look at it, then "
        "delete it)"]
    assert (home / "lost+found" / "notes.txt").read_text() == "mine"  # moved, never deleted
    assert repaired.stderr.startswith("Ledger is whole: 3 records, 2 certificate files")
    assert len(repaired.stderr.splitlines()) == 1
    assert sorted((home / "certificates").iterdir()) == sorted([*ledger_with_files.values(),
                                                                home / "certificates" / ".incoming"])
    assert ledger_with_files[1].read_bytes() == PDF + b"\x01"  # the symlink's target was not touched


def test_repair_never_deletes_a_record_or_a_named_file(cpe, ledger_with_files, home):
    ledger_with_files[1].write_bytes(b"altered")
    result = cpe("verify", "--repair")
    assert result.exit_code == 1
    assert ledger_with_files[1].read_bytes() == b"altered"
    assert cpe("total", "--preset", "all").stdout == "6.0\n"


def test_a_corrupted_database_page_is_found(cpe, ledger_with_files, home):
    corrupt_a_page(home / "cpe.db")
    result = cpe("verify")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("database: ")
    assert any("malformed" in line or "btreeInitPage" in line for line in lines)
    assert lines[-1].startswith("database: records not checked against today's rules while the database is damaged")
    assert "Traceback" not in result.stderr and result.stderr.startswith("Error: the ledger has ")


def test_a_damaged_data_page_is_found_by_the_integrity_check(home, today, tmp_path):
    with open_ledger(home) as ledger:
        for number in range(200):
            record, _ = build_record({"title": f"Course {number}", "credits": "1", "field_of_study": "tax",
                                      "delivery_method": "nano", "provider": "P"}, today)
            ledger.add(record)
        leaf = ledger.conn.execute("SELECT max(pageno) FROM dbstat WHERE name = 'records' "
                                   "AND pagetype = 'leaf'").fetchone()[0]
        size = ledger.conn.execute("PRAGMA page_size").fetchone()[0]
    with open(home / "cpe.db", "r+b") as handle:
        handle.seek((leaf - 1) * size + 8)
        handle.write(b"\x00" * 400)  # zeroes in the middle of a page of rows
    with open_ledger(home) as ledger:
        report = verify_ledger(ledger, today)
    assert not report.whole
    assert any(problem.startswith("database: ") and "records not checked" not in problem
               for problem in report.problems)


def test_records_that_todays_rules_refuse_are_listed(cpe, ledger_with_files, home, monkeypatch):
    change_database(home, "UPDATE records SET field_of_study = 'Computer Science' WHERE id = 1",  # pre-2016 field
                    "UPDATE records SET credits_hundredths = 300 WHERE id = 2",  # totals would be wrong
                    "UPDATE records SET field_of_study = 'taxes' WHERE id = 3")  # accepted, but not as stored
    monkeypatch.setenv("CPE_TODAY", "2026-02-01")  # every record now dated in the future
    lines = cpe("verify").stdout.splitlines()
    assert lines[0].startswith("record 1: today's rules refuse it: unknown field of study 'Computer Science'")
    assert "date 2026-03-01 is in the future (today is 2026-02-01)" in lines[0]
    assert lines[1] == ("record 2: today's rules refuse it: date 2026-03-01 is in the future (today is 2026-02-01); "
                        "run: cpe edit 2 --date YYYY-MM-DD")
    assert lines[0].endswith("; run: cpe edit 1 --field FIELD --date YYYY-MM-DD")
    monkeypatch.setenv("CPE_TODAY", "2026-06-11")
    lines = cpe("verify").stdout.splitlines()
    assert lines == ["record 1: today's rules refuse it: unknown field of study 'Computer Science'; accepted: "
                     + lines[0].split("accepted: ")[1],
                     "record 2: stored hundredths 300 do not match credits 2 (totals would be wrong); "
                     "run: cpe restore BACKUP --force",
                     "record 3: field of study 'taxes' is not stored as cpe stores it ('Taxes'); "
                     "run: cpe edit 3 --field Taxes"]


def test_a_tampered_certificate_name_is_reported_and_never_opened(cpe, ledger_with_files, home):
    change_database(home, "UPDATE records SET certificate_stored = '../cpe.db' WHERE id = 1")
    lines = cpe("verify").stdout.splitlines()
    assert lines[0].startswith(f"stray file certificates/{ledger_with_files[1].name}")
    assert lines[1].startswith("record 1: certificate name '../cpe.db' is not one cpe gives a stored file")


def test_trashed_certificates_are_checked_too(cpe, ledger_with_files):
    assert cpe("rm", "1", "--yes").exit_code == 0
    ledger_with_files[1].write_bytes(b"changed in the trash")
    result = cpe("verify")
    assert result.stdout.startswith("record 1 in the trash: certificate file ")


def test_verify_without_a_ledger_creates_nothing(cpe, home):
    result = cpe("verify")
    assert result.exit_code == 1 and result.stderr == f"Error: there is no ledger in {home} to verify\n"
    assert not home.exists()


def test_verify_through_the_installed_script(cpe_process, ledger_with_files, home):
    assert cpe_process("verify").returncode == 0
    (home / "certificates" / "stray.bin").write_bytes(b"x")
    result = cpe_process("verify")
    assert result.returncode == 1 and result.stdout.startswith("stray file certificates/stray.bin")
    assert cpe_process("verify", "--repair").returncode == 0
