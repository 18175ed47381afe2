"""`cpe import`: headers, validation as `cpe add`, line numbers, all or nothing, duplicates, certificates, bytes."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest

from support import (OWN_HEADER, PLATFORM_HEADER, add, add_args, error_line, installed_cpe, only_error, platform_row,
                     snapshot, write_rows)

from cpe_cli.ops import importer

from cpe_cli.store import exchange as ledger_exchange
from cpe_cli.ops.importer import CsvSource, import_csv
from cpe_cli.store.ledger import open_ledger


def listed(cpe, *view):
    return json.loads(cpe("list", "--format", "json", "--preset", "all", *view).stdout)


def own_row(title="Ethics for CPAs", credits="2", day="2026-06-01", field="Regulatory Ethics", method="Group Live",
            provider="AICPA", state="", source="external", description="", certificate="", record_id="1"):
    """A row under OWN_HEADER (`cpe export csv`'s columns); columns appended to the contract stay empty."""
    cells = {"id": record_id, "date": day, "title": title, "credits": credits, "field_of_study": field,
             "delivery_method": method, "provider": provider, "state": state, "source": source,
             "description": description, "certificate": certificate}
    return [cells.get(column, "") for column in OWN_HEADER]


# -- headers -------------------------------------------------------------------------------------

def test_a_platform_export_loads_with_source_lumiq(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "platform.csv", PLATFORM_HEADER, [
        platform_row(title="Revenue Recognition", credits="1.5", field="tax", method="Group-Live",
                     day="06/01/2026", provider="Lumiq", state="California", description="ASC 606"),
        platform_row(title="Nano ethics", credits="0.2", field="reg eth", method="nano", day="June 2, 2026",
                     state=""),
    ])
    result = cpe("import", str(csv_file), "--source", "lumiq")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == "Imported 2 records (1.7 credits); skipped 0 duplicates."
    assert result.stdout == ""
    first, second = sorted(listed(cpe), key=lambda r: r["id"])
    assert (first["title"], first["credits"], first["field_of_study"], first["delivery_method"], first["date"],
            first["provider"], first["state"], first["source"], first["description"]) == (
        "Revenue Recognition", 1.5, "Taxes", "Group Live", "2026-06-01", "Lumiq", "CA", "lumiq", "ASC 606")
    assert (second["date"], second["state"], second["field_of_study"]) == ("2026-06-02", None, "Regulatory Ethics")


def test_headers_match_case_insensitively_and_by_spelling(cpe, tmp_path):
    header = ["TITLE", " Credits ", "FIELD_OF_STUDY", "delivery method", "Date", "sponsor", "Course Description"]
    csv_file = write_rows(tmp_path / "x.csv", header, [["T", "1", "Taxes", "QAS Self Study", "2026-01-02", "P", "D"]])
    assert cpe("import", str(csv_file)).exit_code == 0
    record = listed(cpe)[0]
    assert (record["title"], record["provider"], record["description"], record["source"]) == ("T", "P", "D",
                                                                                              "external")


def test_unknown_columns_are_named_in_one_warning_and_ignored(cpe, tmp_path):
    header = list(PLATFORM_HEADER) + ["Instructor", "Notes", ""]
    csv_file = write_rows(tmp_path / "x.csv", header, [platform_row() + ["Jane", "n", ""]])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"Warning: ignoring unknown columns 'Instructor', 'Notes', column 11 (no name) of {csv_file}",
        "Imported 1 record (2.0 credits); skipped 0 duplicates."]


def test_the_own_export_columns_including_id_raise_no_warning(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "own.csv", OWN_HEADER, [own_row(record_id="77")])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ["Imported 1 record (2.0 credits); skipped 0 duplicates."]
    assert listed(cpe)[0]["id"] == 1


@pytest.mark.parametrize("header, missing", [
    (["title", "credits", "field", "delivery method", "provider"], "no date column"),
    (["Course Title", "Field of Study", "Delivery Method", "Date", "Sponsor"], "no credits column"),
    (["id", "notes"], "no title, credits, field_of_study, delivery_method, date, provider columns"),
])
def test_a_missing_required_column_is_refused_before_any_row(cpe, home, tmp_path, header, missing):
    add(cpe)
    before = snapshot(home)
    csv_file = write_rows(tmp_path / "x.csv", header, [["not", "even", "valid"]] * 3)
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    line = error_line(result)
    assert missing in line and "line 2" not in line and "nothing imported" in line
    assert snapshot(home) == before


def test_a_semicolon_file_gets_a_hint(cpe, tmp_path):
    (tmp_path / "x.csv").write_text("title;credits;field;delivery;date;provider\r\nT;1;Taxes;Live;2026-01-01;P\r\n")
    result = cpe("import", str(tmp_path / "x.csv"))
    # The semicolons are detected (issue 12); the one unknown header is named with its closest match and --map.
    assert result.exit_code == 2 and "delivery_method: closest 'delivery'" in error_line(result)
    assert "--map 'delivery=delivery_method'" in error_line(result)


def test_two_columns_for_one_field_are_refused(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", list(PLATFORM_HEADER) + ["title"], [platform_row() + ["Other"]])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    assert "columns 'Course/Seminar Title' and 'title'" in only_error(result)


# -- rows: the rules and words of `cpe add` ----------------------------------------------------------

@pytest.mark.parametrize("column, value, add_option", [  # one per column: the rules are tested on the core
    ("credits", "abc", "credits"), ("field", "a", "field"), ("method", "hybrid", "delivery"),
    ("day", "2026-06-12", "date"), ("title", "x" * 301, "title"), ("provider", "bad\x07bell", "provider"),
    ("state", "Atlantis", "state"),
])
def test_a_bad_value_is_refused_with_the_words_of_cpe_add(cpe, tmp_path, column, value, add_option):
    refused_add = cpe(*add_args(**{add_option: value}))
    assert refused_add.exit_code == 2
    add_message = only_error(refused_add).removeprefix("Error: ")
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, [platform_row(), platform_row(**{column: value})])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    label = {"credits": "CPE Credits", "field": "Field of Study", "method": "Delivery Method",
             "day": "Completion Date", "title": "Course/Seminar Title", "provider": "Sponsor", "state": "State"}
    assert only_error(result) == (f"Error: 1 invalid row in {csv_file}, nothing imported: "
                                  f'line 3, column "{label[column]}": {add_message}')
    assert listed(cpe) == []


def test_the_date_is_required_in_an_import(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, [platform_row(day="")])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    assert 'line 2, column "Completion Date": date is required' in only_error(result)


def test_line_numbers_count_physical_lines_and_every_field_is_reported(cpe, tmp_path):
    rows = [platform_row(description="one\ntwo\nthree"),  # lines 2-4
            platform_row(title="Second"),                   # line 5
            platform_row(credits="-1", field="nope", day="tomorrow"),  # line 6
            platform_row(description="a\r\nb"),             # lines 7-8
            platform_row(method="")]                        # line 9
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, rows)
    result = cpe("import", str(csv_file))
    line = error_line(result)  # issue 12: one line per problem above the error line
    assert line == f"Error: 2 invalid rows in {csv_file}, nothing imported (4 problems, listed above)"
    problems = result.stderr.splitlines()
    assert problems[0].startswith('line 6, column "CPE Credits": ')
    assert problems[1] == "line 6, column \"Field of Study\": unknown field of study 'nope'"
    assert problems[2].startswith('line 6, column "Completion Date": ')
    assert problems[3] == 'line 9, column "Delivery Method": delivery method is required'
    assert problems[4].startswith('accepted in column "Field of Study": Accounting, ')


def test_the_first_20_problems_are_listed_then_counted_on_one_line(cpe, home, tmp_path):
    add(cpe)
    before = snapshot(home)
    rows = [platform_row(title=f"Row {n}", credits="0" if n % 2 else "1") for n in range(60)]
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, rows)
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()  # issue 12: one line per problem, the first 20, then a count
    assert lines[-1] == f"Error: 30 invalid rows in {csv_file}, nothing imported (30 problems, listed above)"
    assert sum(line.startswith('line ') for line in lines) == 20 and lines[20].startswith("... and 10 more problems")
    assert 'line 41, column "CPE Credits"' in result.stderr and "line 43" not in result.stderr
    assert snapshot(home) == before


def test_a_ragged_row_is_a_row_problem(cpe, tmp_path):
    (tmp_path / "x.csv").write_text(",".join(PLATFORM_HEADER) + "\n" + ",".join(platform_row()) + "\n"
                                    + "Short,1,Taxes\n" + ",".join(platform_row() + ["extra"]) + "\n")
    result = cpe("import", str(tmp_path / "x.csv"))
    assert "2 invalid rows" in error_line(result)
    assert result.stderr.splitlines()[:2] == ["line 3: 3 cells where the header has 8",
                                              "line 4: 9 cells where the header has 8"]


def test_blank_lines_are_skipped(cpe, tmp_path):
    (tmp_path / "x.csv").write_text(",".join(PLATFORM_HEADER) + "\n\n" + ",".join(platform_row()) + "\n"
                                    + ",,,,,,,\n\n")
    result = cpe("import", str(tmp_path / "x.csv"))
    assert result.exit_code == 0 and "Imported 1 record (2.0 credits)" in result.stderr


# -- all or nothing ----------------------------------------------------------------------------------

def test_one_bad_row_in_many_leaves_the_home_byte_for_byte_unchanged(cpe, home, tmp_path):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"pdf")
    add(cpe, certificate=str(certificate))
    before = snapshot(home)
    rows = [platform_row(title=f"Course {n}") for n in range(500)]
    rows[417] = platform_row(title="Bad", credits="1.001")
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, rows)
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2 and 'line 419, column "CPE Credits"' in only_error(result)
    assert snapshot(home) == before


def test_a_failure_while_writing_rolls_back_and_removes_staged_certificates(cpe, home, tmp_path, monkeypatch):
    add(cpe)
    (tmp_path / "c.pdf").write_bytes(b"certificate")
    csv_file = write_rows(tmp_path / "x.csv", list(PLATFORM_HEADER) + ["certificate"],
                          [platform_row(title="With file") + ["c.pdf"], platform_row(title="Plain") + [""]])
    before = snapshot(home)

    def disk_full(ledger, **batch):  # after the batch row is written: both roll back
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ledger_exchange, "insert_kept", disk_full)
    result = cpe("import", str(csv_file))
    assert result.exit_code == 1 and "No space left on device" in error_line(result)
    assert snapshot(home) == before


def test_dry_run_reports_and_writes_nothing(cpe, home, tmp_path):
    add(cpe, title="Already here")
    before = snapshot(home)
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER,
                          [platform_row(title="Already here"), platform_row(title="New", credits="1.5"),
                           platform_row(title="New", credits="1.50")])
    result = cpe("import", str(csv_file), "--dry-run")
    assert result.exit_code == 0
    assert result.stderr.strip() == ("Dry run: would import 1 record (1.5 credits) and skip 2 duplicates; "
                                     "nothing was written.")
    assert snapshot(home) == before


def test_json_prints_the_counts_and_nothing_else_on_standard_output(cpe, home, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER,
                          [platform_row(title="A"), platform_row(title="B"), platform_row(title="A")])
    rehearsed = cpe("import", str(csv_file), "--json", "--dry-run")
    assert rehearsed.exit_code == 0, rehearsed.stderr
    assert json.loads(rehearsed.stdout) == {"imported": 2, "skipped": 1, "batch": None, "dry_run": True}
    assert listed(cpe) == []
    result = cpe("import", str(csv_file), "--json")
    assert json.loads(result.stdout) == {"imported": 2, "skipped": 1, "batch": 1, "dry_run": False}
    assert result.stderr == "Imported 2 records (4.0 credits); skipped 1 duplicate.\n"
    assert len(listed(cpe)) == 2


# -- duplicates ---------------------------------------------------------------------------------------

def test_reimporting_the_same_file_adds_nothing(cpe, home, tmp_path):
    rows = [platform_row(title=f"Course {n}", credits=str(n % 4 + 1)) for n in range(10)]
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, rows)
    first = cpe("import", str(csv_file))
    assert first.stderr.strip() == "Imported 10 records (23.0 credits); skipped 0 duplicates."
    again = cpe("import", str(csv_file))
    assert again.exit_code == 0
    assert again.stderr.strip() == "Imported 0 records (0.0 credits); skipped 10 duplicates."
    assert len(listed(cpe)) == 10


def test_duplicates_are_by_identity_within_the_file_and_against_the_ledger(cpe, tmp_path):
    add(cpe, title="From add", credits="2")
    rows = [platform_row(title="From add", credits="2.00"),          # same as the added record
            platform_row(title="Twice"), platform_row(title="Twice"),  # same row twice
            platform_row(title="Twice", provider="Other"),            # another provider: a different course
            platform_row(title="twice"),                              # titles are compared exactly
            platform_row(title="From add", credits="2")]
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, rows)
    result = cpe("import", str(csv_file))
    assert result.stderr.strip() == "Imported 3 records (6.0 credits); skipped 3 duplicates."
    assert [r["title"] for r in sorted(listed(cpe), key=lambda r: r["id"])] == ["From add", "Twice", "Twice",
                                                                                  "twice"]


def test_rows_keep_their_own_source_and_default_to_the_option(cpe, tmp_path):
    rows = [own_row(title="Mine", source=""), own_row(title="Platform", source="lumiq")]
    csv_file = write_rows(tmp_path / "x.csv", OWN_HEADER, rows)
    assert cpe("import", str(csv_file), "--source", "external").exit_code == 0
    assert {r["title"]: r["source"] for r in listed(cpe)} == {"Mine": "external", "Platform": "lumiq"}


def test_an_unknown_source_option_is_refused(cpe, home, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, [platform_row()])
    result = cpe("import", str(csv_file), "--source", "all")
    assert result.exit_code == 2 and "unknown source 'all'" in only_error(result)
    assert not home.exists()


# -- certificates ---------------------------------------------------------------------------------------

def test_a_certificate_cell_attaches_the_file_beside_the_csv(cpe, home, tmp_path):
    folder = tmp_path / "batch"
    (folder / "certs").mkdir(parents=True)
    (folder / "certs" / "ethics.pdf").write_bytes(b"%PDF ethics")
    csv_file = write_rows(folder / "x.csv", list(PLATFORM_HEADER) + ["Certificate"],
                          [platform_row() + ["certs/ethics.pdf"], platform_row(title="No file") + [""]])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 0
    assert result.stderr.strip() == "Imported 2 records (4.0 credits, 1 certificate attached); skipped 0 duplicates."
    assert {r["title"]: r["certificate"] for r in listed(cpe)} == {"Ethics for CPAs": "ethics.pdf", "No file": None}
    stored = [p for p in (home / "certificates").iterdir() if p.is_file()]
    assert [p.read_bytes() for p in stored] == [b"%PDF ethics"]
    assert (folder / "certs" / "ethics.pdf").exists()  # copied, never moved
    assert list((home / "certificates" / ".incoming").iterdir()) == []


def test_certificate_names_without_files_are_one_warning_with_the_lines(cpe, tmp_path):
    """With --skip-missing (issue 12: without it, each is an error of its line)."""
    rows = [own_row(title=f"C{n}", certificate="original.pdf" if n % 2 else "") for n in range(6)]
    csv_file = write_rows(tmp_path / "own.csv", OWN_HEADER, rows)
    result = cpe("import", str(csv_file), "--skip-missing")
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if not line.startswith("Imported ")]
    assert len(warnings) == 1 and result.stderr.count("Imported 6 records") == 1
    assert warnings[0].startswith("Warning: the certificate cells on lines 3, 5, 7 name no file in ")
    assert "imported without a certificate" in warnings[0]
    assert all(r["certificate"] is None for r in listed(cpe))


@pytest.mark.parametrize("cell", ["{secret}", "../secret.pdf", "sub/../../secret.pdf"])
def test_a_certificate_cell_outside_the_csv_folder_is_refused(cpe, home, tmp_path, cell):
    """A downloaded CSV must not attach (and so copy into the ledger) any file the user can read."""
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"private key")
    folder = tmp_path / "download"
    (folder / "sub").mkdir(parents=True)
    csv_file = write_rows(folder / "courses.csv", list(PLATFORM_HEADER) + ["certificate"],
                          [platform_row() + [cell.format(secret=secret)]])
    add(cpe, title="Seed")
    before = snapshot(home)
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    assert "is outside the CSV file's folder" in only_error(result)
    assert snapshot(home) == before


@pytest.mark.parametrize("make, message", [
    (lambda folder: (folder / "dir.pdf").mkdir(), "is a directory"),
    (lambda folder: (folder / "dir.pdf").write_bytes(b"x" * (10 * 1024 * 1024 + 1)), "the limit is 10 MiB"),
])
def test_a_refused_certificate_file_is_a_row_problem(cpe, home, tmp_path, make, message):
    add(cpe)
    before = snapshot(home)
    make(tmp_path)
    csv_file = write_rows(tmp_path / "x.csv", list(PLATFORM_HEADER) + ["certificate"],
                          [platform_row(title="Fine") + [""], platform_row(title="Refused") + ["dir.pdf"]])
    line = only_error(cpe("import", str(csv_file)))
    assert 'line 3, column "certificate": certificate' in line and message in line
    assert snapshot(home) == before


def test_the_same_file_for_two_records_is_attached_to_each(cpe, home, tmp_path):
    """Each record names the certificate and reads it back whole (how the store keeps the bytes, once per
    content, is test_certificate_store.py's)."""
    (tmp_path / "c.pdf").write_bytes(b"shared")
    csv_file = write_rows(tmp_path / "x.csv", list(PLATFORM_HEADER) + ["certificate"],
                          [platform_row(title="A") + ["c.pdf"], platform_row(title="B") + ["c.pdf"]])
    assert cpe("import", str(csv_file)).exit_code == 0
    for record in listed(cpe):
        shown = json.loads(cpe("show", str(record["id"]), "--json").stdout)
        assert shown["certificate"] == "c.pdf" and Path(shown["certificate_path"]).read_bytes() == b"shared"
    assert cpe("verify").exit_code == 0


# -- the bytes of the file ----------------------------------------------------------------------------

def _platform_bytes(title: str = "Ethics for CPAs") -> bytes:
    return (",".join(PLATFORM_HEADER) + "\r\n" + ",".join(platform_row(title=title)) + "\r\n").encode("utf-8")


def test_a_bom_is_accepted(cpe, tmp_path):
    (tmp_path / "x.csv").write_bytes(b"\xef\xbb\xbf" + _platform_bytes("Café"))
    assert cpe("import", str(tmp_path / "x.csv")).exit_code == 0
    assert listed(cpe)[0]["title"] == "Café"


@pytest.mark.parametrize("data, message", [
    (_platform_bytes("Caf\u00e9").replace("é".encode(), b"\xe9"), "line 2 of X is not UTF-8 text (byte 0xE9"),
    (_platform_bytes().decode().encode("utf-16"), "X is UTF-16 text"),
    (b"", "X is empty; expected a header row"),
    (b"\r\n" + _platform_bytes(), "the first line of X is empty"),
    (_platform_bytes() + b'"unclosed,2,Taxes,Group Live,2026-01-01,P,,\r\n',
     "the record starting on line 3 of X is not valid CSV (a quoted cell is never closed)"),
    (_platform_bytes() + b'a"b,"c"d,x\r\n', "the record starting on line 3 of X is not valid CSV"),
    (_platform_bytes() + b"x" * (2 * 1024 * 1024) + b"\r\n", "line 3 of X is longer than 1,048,576 bytes"),
    (_platform_bytes() + b'"' + b"y\n" * 70_000 + b'",1,Taxes,Live,2026-01-01,P,,\r\n',
     "the record starting on line 3 of X is not valid CSV (a cell is longer than 131,072 characters)"),
])
def test_unreadable_bytes_are_one_clear_error_and_change_nothing(cpe, home, tmp_path, data, message):
    add(cpe)
    before = snapshot(home)
    (tmp_path / "x.csv").write_bytes(data)
    result = cpe("import", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert message.replace("X", str(tmp_path / "x.csv")) in only_error(result)
    assert snapshot(home) == before


def test_a_header_without_rows_imports_nothing_and_says_so(cpe, tmp_path):
    (tmp_path / "x.csv").write_text(",".join(PLATFORM_HEADER) + "\r\n")
    result = cpe("import", str(tmp_path / "x.csv"))
    assert result.exit_code == 0
    assert "has a header but no records" in result.stderr
    assert "Imported 0 records" in result.stderr


def test_missing_or_unreadable_files_are_refused_before_the_home_is_created(cpe, home, tmp_path):
    for argument, message in ((str(tmp_path / "nope.csv"), "does not exist"), (str(tmp_path), "is a folder")):
        result = cpe("import", argument)
        assert result.exit_code == 2 and message in only_error(result)
    write_rows(tmp_path / "bad.csv", ["title"], [["x"]])
    assert cpe("import", str(tmp_path / "bad.csv")).exit_code == 2
    assert not home.exists()


def test_standard_input_is_read_for_a_dash(cpe, tmp_path):
    result = cpe("import", "-", input=_platform_bytes("From stdin").decode())
    assert result.exit_code == 0, result.stderr
    assert listed(cpe)[0]["title"] == "From stdin"


# -- the formula escape, reversed ----------------------------------------------------------------------

def test_one_leading_apostrophe_is_removed_unless_raw(cpe, tmp_path, monkeypatch):
    rows = [own_row(title="'=SUM(A1)", provider="''double", description="'-minus")]
    csv_file = write_rows(tmp_path / "x.csv", OWN_HEADER, rows)
    assert cpe("import", str(csv_file)).exit_code == 0
    record = listed(cpe)[0]
    assert (record["title"], record["provider"], record["description"]) == ("=SUM(A1)", "'double", "-minus")
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "raw-home"))
    assert cpe("import", str(csv_file), "--raw").exit_code == 0
    record = listed(cpe)[0]
    assert (record["title"], record["provider"], record["description"]) == ("'=SUM(A1)", "''double", "'-minus")


# -- the core, directly --------------------------------------------------------------------------------

def test_progress_is_reported_in_bytes_up_to_the_size(home, tmp_path):
    rows = [platform_row(title=f"Course {n}") for n in range(10_000)]
    data = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, rows).read_bytes()
    seen = []
    source = CsvSource(io.BytesIO(data), "x.csv", tmp_path, len(data))
    plan = importer.read_header(source, progress=seen.append)
    with open_ledger(home) as ledger:
        result = importer.import_rows(ledger, plan, today=date(2026, 6, 11))
    assert result.added == 10_000
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] == len(data)


def test_staging_does_not_hold_the_write_lock_while_reading(home, tmp_path):
    """Another writer may commit while a long file is being validated: rows are staged in a TEMP table."""
    rows = [platform_row(title=f"Course {n}") for n in range(5000)]
    data = write_rows(tmp_path / "x.csv", PLATFORM_HEADER, rows).read_bytes()
    from cpe_cli.core.records import build_record

    with open_ledger(home) as ledger, open_ledger(home) as other:
        def lines_then_write(progress_bytes):
            if progress_bytes < len(data):  # once, in the middle of the file (every 4,096 lines)
                other.conn.execute("PRAGMA busy_timeout = 0")
                record, _ = build_record({"title": "Concurrent", "credits": "1", "field_of_study": "tax",
                                          "delivery_method": "live", "provider": "P"}, date(2026, 6, 11))
                other.add(record)

        source = CsvSource(io.BytesIO(data), "x.csv", tmp_path, len(data))
        plan = importer.read_header(source, progress=lines_then_write)
        result = importer.import_rows(ledger, plan, today=date(2026, 6, 11))
        count = ledger.conn.execute("SELECT count(*) FROM records").fetchone()[0]
    assert result.added == 5000 and count == 5000 + 1


def test_import_csv_in_the_core_reports_rows_added_and_skipped(home, tmp_path):
    data = _platform_bytes() + ",".join(platform_row()).encode() + b"\r\n"
    with open_ledger(home) as ledger:
        result = import_csv(ledger, CsvSource(io.BytesIO(data), "x", tmp_path, None), today=date(2026, 6, 11),
                            default_source="lumiq")
        source = ledger.conn.execute("SELECT source FROM records").fetchone()[0]
    assert (result.rows, result.added, result.duplicates, str(result.credits)) == (2, 1, 1, "2")
    assert source == "lumiq"


def test_unusual_credits_are_kept_with_one_warning(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", PLATFORM_HEADER,
                          [platform_row(credits="0.3", method="Group Live"), platform_row(title="Fine")])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 0
    assert result.stderr.count("Warning:") == 1
    assert "1 row has unusual credits for the delivery method, kept as entered: line 2: Group Live" in result.stderr


def test_installed_script_imports_from_a_pipe_and_exports_it_back(home, cpe_process, tmp_path):
    data = _platform_bytes("Piped in").decode()
    result = cpe_process("import", "-", input=data)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "Imported 1 record (2.0 credits); skipped 0 duplicates.\n"  # no progress bar when piped
    assert result.stdout == ""
    exported = cpe_process("export", "csv")
    assert exported.stdout.splitlines()[1] == "1,2026-06-01,Piped in,2,Regulatory Ethics,Group Live,AICPA,CA," \
                                              "external,,,"
    again = cpe_process("import", "-", input=data)
    assert "skipped 1 duplicate" in again.stderr


def test_hashes_of_attached_certificates_are_recorded(home, tmp_path):
    (tmp_path / "c.pdf").write_bytes(b"hash me")
    data = (",".join(PLATFORM_HEADER) + ",certificate\r\n" + ",".join(platform_row()) + ",c.pdf\r\n").encode()
    with open_ledger(home) as ledger:
        import_csv(ledger, CsvSource(io.BytesIO(data), "x", tmp_path, None), today=date(2026, 6, 11))
        record = next(ledger.records(ledger_filters_all()))
    assert record.certificate.sha256 == hashlib.sha256(b"hash me").hexdigest()
    assert record.certificate.original_name == "c.pdf" and record.certificate.size == 7
    assert Path(home / "certificates" / record.certificate.stored_name).read_bytes() == b"hash me"


def ledger_filters_all():
    from cpe_cli.core.views import Filters
    from cpe_cli.core.periods import preset_window

    return Filters(window=preset_window("all-time", date(2026, 6, 11)))


def test_old_mac_line_endings_are_named(cpe, tmp_path):
    (tmp_path / "x.csv").write_bytes(_platform_bytes().replace(b"\r\n", b"\r"))
    line = only_error(cpe("import", str(tmp_path / "x.csv")))
    assert "a carriage return alone ends a line inside a cell" in line


def test_a_progress_bar_is_drawn_only_on_a_terminal(home, tmp_path):
    import os
    import pty
    import subprocess

    rows = [platform_row(title=f"A long enough course title, number {n}") for n in range(20_000)]
    csv_file = write_rows(tmp_path / "big.csv", PLATFORM_HEADER, rows)
    assert csv_file.stat().st_size > 1024 * 1024
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([installed_cpe(), "import", str(csv_file)], env=env, stdout=subprocess.PIPE,
                               stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    stdout = process.stdout.read().decode()
    assert process.wait() == 0
    assert "Reading" in drawn.decode(errors="replace") and b"\x1b[" in drawn
    assert "Imported 20,000 records (40000.0 credits); skipped 0 duplicates." in drawn.decode(errors="replace")
    assert stdout == ""
