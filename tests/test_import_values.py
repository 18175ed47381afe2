"""Issue 12, values: --map-value, every date form, --day-first and its hint, credits with a unit."""

from __future__ import annotations

import json

import pytest

from support import only_error, write_rows

HEADER = ["Course Title", "Credits Earned", "Field of Study", "Delivery Format", "Completion Date", "Sponsor"]


def row(title="Ethics", credits="2", field="Regulatory Ethics", method="Group Live", day="2026-06-01",
        provider="AICPA") -> list[str]:
    return [title, credits, field, method, day, provider]


def imported(cpe, tmp_path, rows, *options) -> list[dict]:
    result = cpe("import", str(write_rows(tmp_path / "x.csv", HEADER, rows)), *options)
    assert result.exit_code == 0, result.stderr
    return json.loads(cpe("list", "--preset", "all-time", "--format", "json").stdout)


@pytest.mark.parametrize("written, iso", [
    ("2024-03-15", "2024-03-15"), ("3/15/2024", "2024-03-15"), ("3/15/24", "2024-03-15"),
    ("2024/03/15", "2024-03-15"), ("2024-03-28 00:00:00", "2024-03-28"), ("2024-03-28T13:45", "2024-03-28"),
    ("Mar 15, 2024", "2024-03-15"), ("March 15, 2024", "2024-03-15"), ("15-Mar-2024", "2024-03-15"),
    ("June 11, 2026", "2026-06-11"),
])
def test_every_date_form(cpe, tmp_path, written, iso):
    assert [r["date"] for r in imported(cpe, tmp_path, [row(day=written)])] == [iso]


def test_day_first_reads_numeric_dates_day_then_month(cpe, tmp_path):
    records = imported(cpe, tmp_path, [row(title="A", day="13/04/2026"), row(title="B", day="02/03/26")],
                       "--day-first")
    assert {r["title"]: r["date"] for r in records} == {"A": "2026-04-13", "B": "2026-03-02"}


def test_a_date_only_valid_day_first_gets_a_hint_naming_day_first(cpe, tmp_path):
    result = cpe("import", str(write_rows(tmp_path / "x.csv", HEADER, [row(day="13/04/2026")])))
    assert result.exit_code == 2
    assert only_error(result).endswith('line 2, column "Completion Date": date \'13/04/2026\' is not a real '
                                       "month-first date (M/D/YYYY); if the file writes the day first, give "
                                       "--day-first")


def test_an_unreadable_date_lists_the_forms(cpe, tmp_path):
    line = only_error(cpe("import", str(write_rows(tmp_path / "x.csv", HEADER, [row(day="the ides of March")]))))
    assert "is not a date I can read: YYYY-MM-DD, YYYY-MM-DD HH:MM:SS, YYYY/MM/DD, M/D/YYYY, M/D/YY" in line


@pytest.mark.parametrize("written, credits", [("1.5", 1.5), ("1.5 CPE", 1.5), ("2 hrs", 2.0), ("2 hours", 2.0),
                                              ("3 Credits", 3.0)])
def test_credits_with_a_unit(cpe, tmp_path, written, credits):
    assert [r["credits"] for r in imported(cpe, tmp_path, [row(credits=written)])] == [credits]


@pytest.mark.parametrize("written", ["2 apples", "two", "1e3", "2 hrs 30 min"])
def test_other_credits_are_refused_as_before(cpe, tmp_path, written):
    line = only_error(cpe("import", str(write_rows(tmp_path / "x.csv", HEADER, [row(credits=written)]))))
    assert f"credits {written!r} is not a number" in line


def test_map_value_translates_a_platform_s_vocabulary(cpe, tmp_path):
    records = imported(cpe, tmp_path, [row(field="Accounting & Auditing", method="Webcast")],
                       "--map-value", "field_of_study:Accounting & Auditing=Auditing",
                       "--map-value", "Delivery Format:webcast=Group Internet Based")
    assert [(r["field_of_study"], r["delivery_method"]) for r in records] == [("Auditing", "Group Internet Based")]


def test_map_value_refuses_a_malformed_mapping(cpe, tmp_path):
    csv_file = str(write_rows(tmp_path / "x.csv", HEADER, [row()]))
    assert "is not FIELD:VALUE=NEW" in only_error(cpe("import", csv_file, "--map-value", "field_of_study=x"))
    assert "'colour' is not a field" in only_error(cpe("import", csv_file, "--map-value", "colour:a=b"))
