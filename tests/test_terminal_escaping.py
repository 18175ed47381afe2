"""Control characters that reach the ledger anyway (a restored backup can hold anything) never reach the terminal.

Validation refuses escape sequences in what `cpe add`, `edit` and `import` accept, so these tests write them
straight into the database, as a crafted backup would, or put them where cpe cannot refuse them (a file name
given on the command line, a profile file). Whatever cpe prints about them, on standard output or standard
error, shows the codes (`\\x1b`) instead of the bytes; data (JSON, CSV) stays exact.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from support import add, add_args, only_error

ESC = "\x1b"
CSI = "\x9b"  # the one-byte C1 form of ESC [
CLEAR_SCREEN = "\x1b[2J"
TITLE_BAR = "\x1b]0;owned\x07"
OVERRIDE = "\u202e"  # right-to-left override: text reads differently from what is stored


def raw_controls(text: str) -> list[str]:
    """The characters in ``text`` that a terminal acts on (C0 except newline, C1, bidi overrides)."""
    return [char for char in text
            if (ord(char) < 0x20 and char != "\n") or 0x7F <= ord(char) <= 0x9F or char == OVERRIDE]


def assert_printed_safely(result) -> None:
    assert not raw_controls(result.stdout), repr(result.stdout)
    assert not raw_controls(result.stderr), repr(result.stderr)


def tamper(home, record_id: int, **columns: str) -> None:
    """Write values into a record's columns behind cpe's back, as a hostile backup's database would hold them."""
    conn = sqlite3.connect(home / "cpe.db")
    conn.execute(f"UPDATE records SET {', '.join(f'{name} = ?' for name in columns)} WHERE id = ?",
                 (*columns.values(), record_id))
    conn.commit()
    conn.close()


@pytest.fixture
def hostile_record(cpe, home, tmp_path):
    """One record whose every stored text field (not only the free text) holds an escape sequence."""
    certificate = tmp_path / "ethics.pdf"
    certificate.write_bytes(b"%PDF-1.4 certificate")
    record_id = add(cpe, certificate=str(certificate), state="CA")
    tamper(home, record_id, title=f"Ethics {CLEAR_SCREEN}", provider=f"AI{ESC}[31mCPA{OVERRIDE}",
           state=f"C{CLEAR_SCREEN}A", field_of_study=f"Tax{ESC}es", delivery_method=f"Gr{CSI}oup Live",
           tags=f"fraud{ESC}", description=f"line one{TITLE_BAR}\nline two",
           certificate_name=f"cert{TITLE_BAR}.pdf", added_at=f"2026-06-01{ESC}[5m",
           changed_at=f"2026{OVERRIDE}-06-02")
    return record_id


def test_show_escapes_every_field_state_certificate_name_and_timestamps(cpe, hostile_record):
    result = cpe("show", str(hostile_record))
    assert result.exit_code == 0, result.stderr
    assert_printed_safely(result)
    shown = result.stdout
    for code in ("C\\x1b[2JA", "Tax\\x1bes", "Gr\\x9boup Live", "fraud\\x1b",
                 "cert\\x1b]0;owned\\x07.pdf", "2026-06-01\\x1b[5m", "2026\\u202e-06-02", "AI\\x1b[31mCPA\\u202e"):
        assert code in shown, (code, shown)
    assert "line one\\x1b]0;owned\\x07" in shown and "line two" in shown  # the description keeps its lines


def test_show_json_keeps_the_stored_text_exact(cpe, hostile_record):
    record = json.loads(cpe("show", str(hostile_record), "--json").stdout)
    assert record["state"] == f"C{CLEAR_SCREEN}A" and record["certificate"] == f"cert{TITLE_BAR}.pdf"
    assert record["added_at"] == f"2026-06-01{ESC}[5m"


def test_the_list_table_escapes_every_cell(cpe, hostile_record):
    result = cpe("list", "--preset", "all-time")
    assert result.exit_code == 0, result.stderr
    assert_printed_safely(result)
    assert "C\\x1b[2JA" in result.stdout and "Gr\\x9boup" in result.stdout
    assert "CPA\\u202e" in result.stdout  # a bidi override (not a control character) shown as its code too


def test_rm_and_undo_summaries_escape_the_title_and_certificate_name(cpe, hostile_record):
    for args in (("rm", str(hostile_record), "--yes"), ("rm", "--undo")):
        result = cpe(*args)
        assert result.exit_code == 0, result.stderr
        assert_printed_safely(result)


def test_verify_lists_problems_with_codes_not_bytes(cpe, hostile_record):
    result = cpe("verify")
    assert result.exit_code == 1
    assert_printed_safely(result)
    assert "C\\x1b[2JA" in result.stdout


def test_export_error_messages_escape_what_the_database_holds(cpe, home, hostile_record, tmp_path):
    tamper(home, hostile_record, certificate_stored=f"{ESC}[2J{ESC}]0;owned\x07.pdf")
    result = cpe("export", "zip", "--preset", "all-time", "-o", str(tmp_path / "audit.zip"))
    assert result.exit_code == 1
    assert_printed_safely(result)
    only_error(result)
    assert not (tmp_path / "audit.zip").exists()


def test_a_missing_stored_file_is_named_with_codes(cpe, home, hostile_record, tmp_path):
    conn = sqlite3.connect(home / "cpe.db")
    stored = conn.execute("SELECT certificate_stored FROM records WHERE id = ?", (hostile_record,)).fetchone()[0]
    conn.close()
    (home / "certificates" / stored).unlink()
    result = cpe("export", "zip", "--preset", "all-time", "-o", str(tmp_path / "audit.zip"))
    assert result.exit_code == 1 and "is missing from the store" in only_error(result)
    assert_printed_safely(result)


def test_an_error_quoting_a_path_with_an_escape_shows_the_code(cpe, tmp_path):
    folder = tmp_path / f"no{CLEAR_SCREEN}such"
    result = cpe("export", "csv", "-o", str(folder / "out.csv"))
    assert result.exit_code == 2
    assert_printed_safely(result)
    assert "no\\x1b[2Jsuch" in only_error(result)


def test_warnings_quoting_a_file_name_show_the_code(cpe, tmp_path):
    csv_file = tmp_path / f"header-only{ESC}[31m.csv"
    csv_file.write_text("title,credits,field_of_study,delivery_method,date,provider\r\n")
    result = cpe("import", str(csv_file))
    assert result.exit_code == 0, result.stderr
    assert_printed_safely(result)
    assert "header-only\\x1b[31m.csv has a header but no records" in result.stderr


def test_status_and_profiles_escape_what_a_profile_file_says(cpe, home):
    (home / "profiles").mkdir(parents=True)
    (home / "profiles" / "acme.toml").write_text(
        'schema = 1\nid = "acme"\nname = "Acme \\u001b[2J firm"\nnotes = ["see \\u001b]0;x\\u0007 this"]\n'
        '[period]\nmonths = 12\nanchor = 2026-12-31\n'
        '[[rule]]\nid = "total"\nkind = "min"\nhours = 10\nexact = false\nnote = "n\\u001b[31m"\n')
    assert cpe(*add_args()).exit_code == 0
    assert cpe("profile", "use", "acme").exit_code == 0
    for args in (("status",), ("status", "--check"), ("profile", "show", "acme"), ("profile", "list")):
        result = cpe(*args)
        assert result.exit_code in (0, 3), result.stderr
        assert_printed_safely(result)
    assert "Acme \\x1b[2J firm" in cpe("status").stdout


def test_printable_text_is_left_alone(cpe, home):
    """No-break spaces, accents, emoji with joiners and Hebrew direction marks are text, not escapes."""
    title = "Caf\u00e9\u00a0ethics \U0001F469\u200d\U0001F4BC \u05e9\u05dc\u05d5\u05dd\u200f"
    record_id = add(cpe, title=title)
    assert f"Course/Seminar Title:  {title}" in cpe("show", str(record_id)).stdout
