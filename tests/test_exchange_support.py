"""Helpers shared by the exchange tests (export csv, export zip, import); no tests of its own."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import add_args

from cpe_cli.core.serialize import COLUMNS

PLATFORM_HEADER = ("Course/Seminar Title", "CPE Credits", "Field of Study", "Delivery Method", "Completion Date",
                   "Sponsor", "State", "Course Description")
OWN_HEADER = COLUMNS


def write_rows(path: Path, header, rows, *, encoding: str = "utf-8") -> Path:
    """A CSV file as a spreadsheet or a platform would write it (RFC 4180, CRLF)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def as_dicts(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def add(cpe, **overrides: str) -> int:
    """`cpe add` a valid record (conftest.add_args, with overrides); returns its id."""
    result = cpe(*add_args(**overrides))
    assert result.exit_code == 0, result.stderr
    return int(result.stdout.split()[2].rstrip(":"))


def platform_row(title="Ethics for CPAs", credits="2", field="Regulatory Ethics", method="Group Live",
                 day="2026-06-01", provider="AICPA", state="CA", description="") -> list[str]:
    return [title, credits, field, method, day, provider, state, description]


def without_ids(text: str) -> list[list[str]]:
    """A CSV export's rows with the id column dropped (ids are the ledger's own)."""
    return [row[1:] for row in parse(text)]


def error_line(result) -> str:
    """The single `Error: ...` line a refused command prints; fails if there is anything else on stderr."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def only_error(result) -> str:
    """Like ``error_line``, and nothing else on standard error either."""
    line = error_line(result)
    assert result.stderr.strip().splitlines() == [line], result.stderr
    return line


def out(result) -> str:
    """Standard output exactly as written (CliRunner's ``stdout`` folds CRLF into LF)."""
    return result.stdout_bytes.decode("utf-8")
