"""`cpe verify` at scale (issue 14) and its fixes (issue 13).

Verify proves most rows sound in one SQL pass and runs the rules of ``cpe add`` on the rest
(``store/integrity.rows_to_check``): every kind of row the SQL test sends on must still be judged exactly,
a row it lets through must be one the rules accept as stored, and each problem line ends with the command
that fixes it, which, run as printed, does.
"""

from __future__ import annotations

import shlex
import sqlite3

import pytest

from support import add_args


@pytest.fixture
def four_records(cpe, home):
    for n in range(1, 5):
        assert cpe(*add_args(title=f"Course {n}", credits="1.5")).exit_code == 0
    return home / "cpe.db"


def _alter(database, sql, *params):
    conn = sqlite3.connect(database)
    conn.execute("DROP TRIGGER records_count_update")  # keep the monthly totals out of these cases
    conn.execute("DROP TRIGGER records_months_update")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def _restore_triggers(database):
    """Put back the two triggers dropped by ``_alter`` exactly as the migrations made them."""
    from cpe_cli.store import schema

    conn = sqlite3.connect(":memory:")
    for step in schema.MIGRATIONS:
        step(conn)
    sql = [row[0] for row in conn.execute("SELECT sql FROM sqlite_master WHERE name IN "
                                          "('records_count_update', 'records_months_update')")]
    conn.close()
    conn = sqlite3.connect(database)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


# Values the rules accept exactly as stored, though the SQL test cannot prove it: verify must not list them.
ACCEPTED = [
    ("title", "Éthique et déontologie"),          # not ASCII
    ("title", 'The "new" lease standard'),          # a quote
    ("title", "Back\\slash"),                       # a backslash
    ("description", "Two lines\nof notes"),         # a newline (allowed in a description)
    ("provider", "Surgent – CPE"),                  # an en dash
    ("credits", "1.50"),                            # the same credits, spelled with two decimals
    ("state", None),
]


@pytest.mark.parametrize(("column", "value"), ACCEPTED)
def test_rows_the_sql_cannot_prove_are_judged_by_the_rules(cpe, four_records, column, value):
    _alter(four_records, f"UPDATE records SET {column} = ? WHERE id = 2", value)
    _restore_triggers(four_records)
    result = cpe("verify")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""
    assert "Ledger is whole: 4 records" in result.stderr


# (column, stored value, the start of the problem line, the fix verify names)
REFUSED = [
    ("title", "Tab\there", "record 2: today's rules refuse it: title contains a control character",
     "cpe edit 2 --title TITLE"),
    ("title", "Escape\x1b[31m", "record 2: today's rules refuse it: title contains a control character",
     "cpe edit 2 --title TITLE"),
    ("title", "Delete\x7f", "record 2: today's rules refuse it: title contains a control character",
     "cpe edit 2 --title TITLE"),
    ("title", "Trailing ", "record 2: title 'Trailing ' is not stored as cpe stores it ('Trailing')",
     "cpe edit 2 --title Trailing"),
    ("title", "", "record 2: today's rules refuse it: title is required", "cpe edit 2 --title TITLE"),
    ("provider", " AICPA", "record 2: provider ' AICPA' is not stored as cpe stores it ('AICPA')",
     "cpe edit 2 --provider AICPA"),
    ("description", "note\x00hidden", "record 2: today's rules refuse it: description contains a control",
     "cpe edit 2 --description DESCRIPTION"),
    ("credits_hundredths", 151, "record 2: stored hundredths 151 do not match credits 1.5",
     "cpe restore BACKUP --force"),  # editing to the same credits changes nothing: only a backup has the row
    ("credits", "1.555", "record 2: today's rules refuse it: credits '1.555' has more than 2 decimal places",
     "cpe edit 2 --credits CREDITS"),
    ("completed_on", "2026-02-30", "record 2: today's rules refuse it: date '2026-02-30' is not a real calendar",
     "cpe edit 2 --date YYYY-MM-DD"),
    ("completed_on", "2026-06-12", "record 2: today's rules refuse it: date 2026-06-12 is in the future",
     "cpe edit 2 --date YYYY-MM-DD"),
    ("field_of_study", "taxes", "record 2: field of study 'taxes' is not stored as cpe stores it ('Taxes')",
     "cpe edit 2 --field Taxes"),
    ("delivery_method", "Webcast", "record 2: today's rules refuse it: unknown delivery method",
     "cpe edit 2 --delivery METHOD"),
    ("state", "ca", "record 2: state 'ca' is not stored as cpe stores it ('CA')", "cpe edit 2 --state CA"),
    ("tags", "b a", "record 2: tags 'b a' are not stored as cpe stores them", "cpe edit 2 --tag a --tag b"),
]


@pytest.mark.parametrize(("column", "value", "line", "fix"), REFUSED, ids=[f"{c}-{i}" for i, (c, *_) in
                                                                          enumerate(REFUSED)])
def test_each_kind_of_bad_row_is_listed_with_its_fix(cpe, four_records, column, value, line, fix):
    _alter(four_records, f"UPDATE records SET {column} = ? WHERE id = 2", value)
    _restore_triggers(four_records)
    result = cpe("verify")
    assert result.exit_code == 1
    [listed] = [text for text in result.stdout.splitlines() if text.startswith("record 2")]
    assert listed.startswith(line), listed
    assert listed.endswith(f"; run: {fix}"), listed


@pytest.mark.parametrize(("column", "value"), [("title", "Trailing "), ("field_of_study", "taxes"),
                                               ("state", "ca"), ("tags", "b a")])
def test_the_named_fix_fixes_it(cpe, four_records, column, value):
    _alter(four_records, f"UPDATE records SET {column} = ? WHERE id = 2", value)
    _restore_triggers(four_records)
    listed = cpe("verify").stdout
    fix = listed.rsplit("; run: ", 1)[1].strip()
    words = shlex.split(fix)
    assert words[:2] == ["cpe", "edit"]
    cpe(*words[1:], "--no-input")
    # Whatever the edit printed, the ledger is whole again (the totals it wrote are the triggers').
    result = cpe("verify", "--repair")  # the monthly totals the test's own UPDATE bypassed
    result = cpe("verify")
    assert result.exit_code == 0, result.stdout


def test_derived_and_stray_problems_name_repair(cpe, four_records, home):
    conn = sqlite3.connect(four_records)
    conn.execute("UPDATE monthly_totals SET hundredths = hundredths + 100")
    conn.commit()
    conn.close()
    (home / "certificates" / "notes.txt").write_text("mine")
    lines = cpe("verify").stdout.splitlines()
    assert lines[0].startswith("database: 1 monthly total(s) differ") and lines[0].endswith(
        "; run: cpe verify --repair")
    assert lines[1].startswith("stray file certificates/notes.txt") and lines[1].endswith("; run: cpe verify --repair")
    assert cpe("verify", "--repair").exit_code == 0
    assert cpe("verify").exit_code == 0
