"""Issue 12, columns: header synonyms (data), --map, the missing-column error, unknown columns, delimiters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import error_line, only_error, write_rows

from cpe_cli.core.import_words import HEADER_SYNONYMS, header_field

FIXTURES = Path(__file__).parent / "fixtures" / "platforms"
ROW = ["Ethics for CPAs", "2", "Regulatory Ethics", "Group Live", "2026-06-01", "AICPA"]


def listed(cpe) -> list[dict]:
    result = cpe("list", "--preset", "all-time", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("field, spellings", list(HEADER_SYNONYMS.items()))
def test_every_header_synonym_names_its_field_whatever_its_case_spacing_and_punctuation(field, spellings):
    for spelling in spellings:
        assert header_field(spelling) == field
        assert header_field(f"  {spelling.upper()}  ") == field
        assert header_field(spelling.replace(" ", "_")) == field
        assert header_field(f"{spelling} (hrs)") == field  # a trailing unit in brackets


@pytest.mark.parametrize("header, field", [
    ("Credits Earned", "credits"), ("CPE Hours", "credits"), ("Hours", "credits"), ("Credit Hours", "credits"),
    ("CPE Hours Earned", "credits"), ("Credits (CPE)", "credits"),
    ("Course Name", "title"), ("Program Title", "title"), ("Program Name", "title"),
    ("Course/Seminar Title", "title"), ("Completion Date", "date"), ("Completed Date", "date"),
    ("Date Completed", "date"), ("Delivery Type", "delivery_method"), ("Delivery Format", "delivery_method"),
    ("Format", "delivery_method"), ("Instructional Method", "delivery_method"),
    ("NASBA Field of Study", "field_of_study"), ("Subject Area", "field_of_study"), ("Sponsor", "provider"),
    ("Sponsor Name", "provider"), ("Provider Name", "provider"), ("Course Hours", None), ("Learner ID", None),
])
def test_the_issue_s_header_families(header, field):
    assert header_field(header) == field


def test_three_platform_exports_import_without_any_map(cpe, tmp_path):
    results = [cpe("import", str(FIXTURES / name)) for name in ("learnhub.csv", "firmacademy.csv", "nanocpe.tsv")]
    assert [r.exit_code for r in results] == [0, 0, 0], [r.stderr for r in results]
    assert results[1].stderr.startswith("Warning: ignoring unknown column 'Learner ID' of ")
    records = {r["title"]: r for r in listed(cpe)}
    assert len(records) == 6
    assert records["Fraud Schemes"]["date"] == "2025-11-30" and records["Fraud Schemes"]["credits"] == 2.0
    assert records["Revenue Recognition Update"]["date"] == "2024-03-15"
    assert records["Revenue Recognition Update"]["credits"] == 2.0
    assert records["Ethics for Tax Pros"]["date"] == "2024-03-28"
    assert records["Ethics for Tax Pros"]["credits"] == 1.5
    assert records["Lease Accounting Deep Dive"]["date"] == "2024-03-15"
    assert records["Payroll Taxes, 2025"]["date"] == "2024-03-15"
    assert records["Excel for Auditors"]["field_of_study"] == "Computer Software & Applications"


def test_a_missing_column_lists_the_headers_found_the_closest_match_and_suggests_map(cpe, home, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", ["Course Title", "Credz", "Field of Study", "Delivery Format",
                                               "Completion Date", "Sponsor"], [ROW])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    line = error_line(result)
    assert f"{csv_file} has no credits column; headers found: 'Course Title', 'Credz', " in line
    assert "credits: closest 'Credz'" in line and "--map 'Credz=credits'" in line
    assert result.stderr.startswith("Warning: ignoring unknown column 'Credz' of ")  # named even when refused
    assert not home.exists()


def test_map_names_a_column_and_wins_over_a_synonym(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", ["Course Title", "Credz", "Field of Study", "Delivery Format",
                                               "Completion Date", "Sponsor"], [ROW])
    result = cpe("import", str(csv_file), "--map", "Credz=credits")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == "Imported 1 record (2.0 credits); skipped 0 duplicates."


def test_map_refuses_an_unknown_field_and_a_malformed_mapping(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", ["title"], [["x"]])
    assert "'credz' is not a field" in only_error(cpe("import", str(csv_file), "--map", "Credits=credz"))
    assert "is not HEADER=FIELD" in only_error(cpe("import", str(csv_file), "--map", "Credits"))


def test_unknown_columns_are_always_named_in_one_warning(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", ["title", "Notes", "Instructor"], [["x", "", ""]])
    result = cpe("import", str(csv_file))
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert warnings == [f"Warning: ignoring unknown columns 'Notes', 'Instructor' of {csv_file}"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_detected(cpe, tmp_path, delimiter):
    header = ["Title", "Credits", "Field of Study", "Delivery Method", "Date", "Provider"]
    (tmp_path / "x.csv").write_text(delimiter.join(header) + "\n" + delimiter.join(ROW) + "\n")
    result = cpe("import", str(tmp_path / "x.csv"))
    assert result.exit_code == 0, result.stderr


def test_delimiter_option_overrides_the_detection(cpe, tmp_path):
    # A header whose titles hold commas: detection would pick the comma; --delimiter says semicolon.
    (tmp_path / "x.csv").write_text("Course, Title;Credits, Earned;Field;Format;Date;Sponsor\n"
                                    "A, B;2;Taxes;Group Live;2026-06-01;AICPA\n")
    refused = cpe("import", str(tmp_path / "x.csv"), "--delimiter", ",")
    assert refused.exit_code == 2
    result = cpe("import", str(tmp_path / "x.csv"), "--delimiter", ";", "--map", "Course, Title=title",
                 "--map", "Credits, Earned=credits")
    assert result.exit_code == 0, result.stderr
    assert listed(cpe)[0]["title"] == "A, B"
    assert "is not one cpe reads" in only_error(cpe("import", str(tmp_path / "x.csv"), "--delimiter", "|"))
