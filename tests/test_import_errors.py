"""Issue 12, errors people can act on: one line per problem, accepted values once, --errors FILE, certificates."""

from __future__ import annotations

import csv

from support import error_line, only_error, snapshot, write_rows

HEADER = ["Course Title", "Credits Earned", "Field of Study", "Delivery Format", "Completion Date", "Sponsor"]


def row(title="Ethics", credits="2", field="Regulatory Ethics", method="Group Live", day="2026-06-01") -> list[str]:
    return [title, credits, field, method, day, "AICPA"]


def test_each_problem_is_one_line_and_accepted_values_are_listed_once(cpe, home, tmp_path):
    rows = [row(field="Ethics"), row(), row(field="Nope"), row(field="Zilch", credits="x")]
    result = cpe("import", str(write_rows(tmp_path / "x.csv", HEADER, rows)))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == ('line 2, column "Field of Study": field of study \'Ethics\' is ambiguous; it matches: '
                        "Behavioral Ethics, Regulatory Ethics")
    assert lines[1] == "line 4, column \"Field of Study\": unknown field of study 'Nope'"
    assert lines[2].startswith('line 5, column "Credits Earned": credits \'x\' is not a number')
    assert lines[3] == "line 5, column \"Field of Study\": unknown field of study 'Zilch'"
    assert lines[4].startswith('accepted in column "Field of Study": Accounting, ')
    assert sum("Statistics" in line for line in lines) == 1  # the list once, not per row
    assert lines[5] == f"Error: 3 invalid rows in {tmp_path / 'x.csv'}, nothing imported (4 problems, listed above)"
    assert len(lines) == 6 and max(map(len, lines[:4])) < 200
    assert not home.exists()


def test_the_first_20_problems_are_shown_then_a_count(cpe, tmp_path):
    result = cpe("import", str(write_rows(tmp_path / "x.csv", HEADER, [row(credits="0")] * 25)))
    lines = result.stderr.splitlines()
    assert sum(line.startswith("line ") for line in lines) == 20
    assert lines[20] == "... and 5 more problems (--errors FILE writes them all)"


def test_errors_file_holds_every_problem_as_csv(cpe, home, tmp_path):
    errors = tmp_path / "problems.csv"
    rows = [row(credits="0")] * 25 + [row(day="13/04/2026")]
    result = cpe("import", str(write_rows(tmp_path / "x.csv", HEADER, rows)), "--errors", str(errors))
    assert result.exit_code == 2 and error_line(result).endswith(f"every problem is in {errors}")
    with open(errors, newline="", encoding="utf-8") as handle:
        problems = list(csv.reader(handle))
    assert problems[0] == ["line", "column", "value", "problem"]
    assert len(problems) == 27
    assert problems[1][:3] == ["2", "Credits Earned", "0"]
    assert problems[-1][:3] == ["27", "Completion Date", "13/04/2026"] and "--day-first" in problems[-1][3]


def test_a_certificate_cell_naming_a_missing_file_is_an_error_of_its_line(cpe, home, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", HEADER + ["Certificate"], [row() + ["ethics.pdf"]])
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    assert ('line 2, column "Certificate": no file \'ethics.pdf\' in ' in only_error(result)
            and "--skip-missing" in only_error(result))
    assert snapshot(home) == {}


def test_skip_missing_imports_the_record_without_it_and_says_so(cpe, tmp_path):
    csv_file = write_rows(tmp_path / "x.csv", HEADER + ["Certificate"], [row() + ["ethics.pdf"]])
    result = cpe("import", str(csv_file), "--skip-missing")
    assert result.exit_code == 0, result.stderr
    assert "Warning: the certificate cell on line 2 names no file in " in result.stderr
    assert "imported without a certificate" in result.stderr
