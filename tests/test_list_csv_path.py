"""`cpe list --format csv` and `cpe export csv` are one CSV path (issue 14): the same bytes, built by SQLite.

Only a sorted, reversed or limited listing (which the export has no option for) goes through Python's
csv writer; it must write the same bytes for the same records.
"""

from __future__ import annotations

from support import add_args

HOSTILE_TITLES = ["=SUM(A1:A9)", "+1 call", '-"quoted", comma', "@handle", "semi;colon", "back\\slash",
                  "Ünïcödé – dash", "Plain"]


def _ledger(cpe):
    for n, title in enumerate(HOSTILE_TITLES, 1):
        result = cpe(*add_args(title=title, date=f"2026-0{1 + n % 5}-1{n}", credits=str(n),
                               description="=cmd|' /C calc'!A0" if n % 2 else "Line one\nline\ttwo", tag="fl-ethics" if n % 3 else None))
        assert result.exit_code == 0, result.stderr


def test_list_csv_is_the_export_byte_for_byte(cpe):
    _ledger(cpe)
    for view in (["--preset", "all-time"], ["--year", "2026", "--field", "Regulatory Ethics"], ["--tag", "fl-ethics"]):
        listed = cpe("list", "--format", "csv", *view)
        exported = cpe("export", "csv", *view)
        assert listed.exit_code == 0 and exported.exit_code == 0, (listed.stderr, exported.stderr)
        assert listed.stdout_bytes == exported.stdout_bytes
        assert listed.stdout_bytes.count(b"\r\n") > 1


def test_the_python_writer_and_the_sql_lines_agree(cpe):
    """A limit large enough to keep every row takes the csv.writer path: same bytes as the SQL path."""
    _ledger(cpe)
    sql_path = cpe("list", "--format", "csv", "--preset", "all-time")
    python_path = cpe("list", "--format", "csv", "--preset", "all-time", "--limit", "1000")
    assert sql_path.stdout_bytes == python_path.stdout_bytes
    reversed_rows = cpe("list", "--format", "csv", "--preset", "all-time", "--reverse").stdout_bytes.split(b"\r\n")
    header, *rows = sql_path.stdout_bytes.split(b"\r\n")
    assert reversed_rows[0] == header
