"""`cpe export csv`: the column contract, the view filters, the formula escape, atomic files, flat memory."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from support import add, as_dicts, installed_cpe, only_error, out, snapshot

from cpe_cli.core.serialize import COLUMNS


def seed(cpe, home):
    """Four records over two years, one with a certificate; returns the certificate's source path."""
    certificate = home.parent / "ethics.pdf"
    certificate.write_bytes(b"%PDF-1.4 ethics")
    add(cpe, title="Spring update", credits="1.50", date="2026-03-01", field="Taxes")
    add(cpe, title="Ethics for CPAs", credits="0.2", date="2026-06-01", delivery="Nano Learning",
        certificate=str(certificate), state="CA")
    add(cpe, title="Old course", credits="8", date="2025-05-05", source="lumiq", field="Auditing")
    add(cpe, title="Same day, later id", credits="2.25", date="2026-03-01", description="two\nlines, \"quoted\"")
    return certificate


# -- the contract -------------------------------------------------------------------------------

def test_header_and_columns_are_the_contract_oldest_first_credits_as_stored(cpe, home):
    seed(cpe, home)
    result = cpe("export", "csv", "--preset", "all")
    assert result.exit_code == 0, result.stderr
    assert out(result).startswith(",".join(COLUMNS) + "\r\n")
    assert COLUMNS == ("id", "date", "title", "credits", "field_of_study", "delivery_method", "provider", "state",
                       "source", "description", "certificate", "tags")
    rows = as_dicts(out(result))
    assert [(r["id"], r["date"]) for r in rows] == [("3", "2025-05-05"), ("1", "2026-03-01"), ("4", "2026-03-01"),
                                                   ("2", "2026-06-01")]
    assert [r["credits"] for r in rows] == ["8", "1.50", "2.25", "0.2"]
    assert rows[3]["certificate"] == "ethics.pdf" and rows[0]["certificate"] == ""
    assert rows[3]["state"] == "CA" and rows[0]["state"] == ""
    assert rows[0]["source"] == "lumiq" and rows[3]["delivery_method"] == "Nano Learning"
    assert rows[2]["description"] == "two\nlines, \"quoted\""
    assert rows[2]["title"] == "Same day, later id"


def test_rfc4180_quoting_crlf_and_utf8(cpe, home):
    add(cpe, title='Ünïcödé "quoted", 漢字 ✓', description="first\nsecond")
    result = cpe("export", "csv")
    text = out(result)
    assert text == ",".join(COLUMNS) + "\r\n" + '1,2026-06-01,"Ünïcödé ""quoted"", 漢字 ✓",2,Regulatory Ethics,' \
        'Group Live,AICPA,,external,"first\nsecond",,\r\n'
    assert result.stdout_bytes == text.encode("utf-8")


def test_export_is_the_same_bytes_as_list_format_csv(cpe, home, tmp_path):
    seed(cpe, home)
    add(cpe, title="=HYPERLINK(\"http://x\")", provider="@provider", description="-minus, \"q\"\nline")
    for number, name in enumerate(['=x,"y".pdf', "a\rb.pdf", "c\nd", "-z.pdf", "'q.pdf", "\tt.pdf", "é ✓.png"]):
        (tmp_path / name).write_bytes(b"certificate")
        add(cpe, title=f"With file {number}", certificate=str(tmp_path / name))
    for view in (["--preset", "all"], ["--year", "2026", "--field", "tax"], ["--source", "lumiq", "--preset", "all"]):
        assert out(cpe("export", "csv", *view)) == out(cpe("list", "--format", "csv", *view))


@pytest.mark.parametrize("view", [
    [], ["--preset", "all-time"], ["--year", "2025"], ["--from", "2026-03-01", "--to", "2026-05-31"],
    ["--source", "external", "--preset", "all"], ["--field", "Taxes", "--preset", "all"], ["--preset", "last-30-days"],
])
def test_the_view_options_select_what_list_shows(cpe, home, view):
    seed(cpe, home)
    listed = sorted(r["id"] for r in json.loads(cpe("list", "--format", "json", *view).stdout))
    exported = sorted(int(r["id"]) for r in as_dicts(cpe("export", "csv", *view).stdout))
    assert exported == listed


def test_an_empty_view_is_a_header_and_a_warning(cpe, home):
    seed(cpe, home)
    result = cpe("export", "csv", "--preset", "last-7-days")
    assert result.exit_code == 0
    assert out(result) == ",".join(COLUMNS) + "\r\n"
    assert "Warning: no records in this view" in result.stderr


def test_a_bad_view_option_is_one_error_line(cpe, home):
    result = cpe("export", "csv", "--year", "2025", "--from", "2025-01-01")
    assert result.exit_code == 2
    assert "--year cannot be combined" in only_error(result)


# -- spreadsheet safety ------------------------------------------------------------------------------

TRIGGERS = ["=1+2", "+1", "-1", "@SUM(A1)", "'quoted"]


@pytest.mark.parametrize("start", TRIGGERS)
def test_a_cell_that_starts_like_a_formula_gets_one_apostrophe(cpe, home, start):
    add(cpe, title=start + " title", provider=start + " provider", description=start + " description")
    row = as_dicts(cpe("export", "csv").stdout)[0]
    assert row["title"] == "'" + start + " title"
    assert row["provider"] == "'" + start + " provider"
    assert row["description"] == "'" + start + " description"
    raw = as_dicts(cpe("export", "csv", "--raw").stdout)[0]
    assert (raw["title"], raw["provider"], raw["description"]) == (start + " title", start + " provider",
                                                                    start + " description")


def test_formula_characters_inside_a_cell_are_left_alone(cpe, home):
    add(cpe, title="Tax = fun + profit - cost @ home", credits="1.5")
    row = as_dicts(cpe("export", "csv").stdout)[0]
    assert row["title"] == "Tax = fun + profit - cost @ home"
    assert row["credits"] == "1.5" and row["date"] == "2026-06-01" and row["id"] == "1"


def test_escaped_export_imports_back_unescaped(cpe, home, tmp_path, monkeypatch):
    add(cpe, title="=cmd|' /C calc'!A0", provider="@evil", description="'quoted already")
    exported = tmp_path / "out.csv"
    assert cpe("export", "csv", "-o", str(exported)).exit_code == 0
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "other-home"))
    assert cpe("import", str(exported)).exit_code == 0
    row = json.loads(cpe("list", "--format", "json").stdout)[0]
    assert (row["title"], row["provider"], row["description"]) == ("=cmd|' /C calc'!A0", "@evil", "'quoted already")


# -- writing a file ----------------------------------------------------------------------------------

def test_output_file_is_written_and_summarised(cpe, home, tmp_path):
    seed(cpe, home)
    target = tmp_path / "q1.csv"
    result = cpe("export", "csv", "--preset", "all", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"Wrote 4 records (11.95 credits) to {target}." and result.stdout == ""
    assert target.read_bytes() == cpe("export", "csv", "--preset", "all").stdout_bytes
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != home.name) == ["ethics.pdf", "q1.csv"]


def test_output_dash_is_standard_output(cpe, home, tmp_path, monkeypatch):
    seed(cpe, home)
    monkeypatch.chdir(tmp_path)
    result = cpe("export", "csv", "--preset", "all", "-o", "-")
    assert out(result) == out(cpe("export", "csv", "--preset", "all")) and len(as_dicts(out(result))) == 4
    assert not (tmp_path / "-").exists()


def test_an_existing_file_is_refused_without_force_and_replaced_with_it(cpe, home, tmp_path):
    seed(cpe, home)
    target = tmp_path / "out.csv"
    target.write_text("precious")
    before = snapshot(home)
    refused = cpe("export", "csv", "-o", str(target))
    assert refused.exit_code == 2
    assert "already exists; use --force" in only_error(refused)
    assert target.read_text() == "precious"
    assert snapshot(home) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.csv")] == []
    forced = cpe("export", "csv", "-o", str(target), "--force")
    assert forced.exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("id,date,title")


@pytest.mark.parametrize("where, message", [
    (lambda tmp, home: tmp / "missing-folder" / "out.csv", "does not exist"),
    (lambda tmp, home: tmp, "is a folder"),
    (lambda tmp, home: home / "cpe.db", "inside the ledger's home"),
    (lambda tmp, home: home / "certificates" / "x.csv", "inside the ledger's home"),
])
def test_impossible_outputs_are_refused_and_nothing_changes(cpe, home, tmp_path, where, message):
    seed(cpe, home)
    before = snapshot(home)
    result = cpe("export", "csv", "-o", str(where(tmp_path, home)), "--force")
    assert result.exit_code == 2
    assert message in only_error(result)
    assert snapshot(home) == before


def test_a_failure_while_writing_leaves_no_file(cpe, home, tmp_path, monkeypatch):
    seed(cpe, home)
    from cpe_cli.ops import exporter

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporter, "write_view_csv", broken)
    result = cpe("export", "csv", "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1
    assert "No space left on device" in only_error(result)
    assert not [p for p in tmp_path.iterdir() if "out.csv" in p.name]


def test_stdout_is_utf8_whatever_the_locale_through_the_installed_script(home, cpe_process):
    first = cpe_process("add", "--no-input", "-t", "Éthique 漢字 ✓", "-c", "2", "-f", "tax", "-m", "nano",
                        "-P", "AICPA", "-d", "2026-06-01")
    assert first.returncode == 0, first.stderr
    result = subprocess.run([installed_cpe(), "export", "csv"], capture_output=True,
                            env={**os.environ, "PYTHONIOENCODING": "latin-1", "LC_ALL": "C"})
    assert result.returncode == 0, result.stderr
    assert "Éthique 漢字 ✓".encode("utf-8") in result.stdout
    assert result.stderr == b""


def test_a_closed_pipe_is_not_an_error(home):
    _fill(home, 3_000)  # ~900 KB of CSV: more than a pipe holds, so `head` leaves while cpe still writes
    result = subprocess.run(f"'{installed_cpe()}' export csv --preset all | head -n 2", shell=True,
                            capture_output=True, text=True, env=os.environ)
    assert result.stdout.splitlines()[0].startswith("id,date,title,")
    assert result.stdout.splitlines()[1].startswith("1,2010-01-10,Course number 0 ")
    assert result.stderr == ""


# -- streaming -------------------------------------------------------------------------------------

def _fill(home, count: int) -> None:
    """``count`` records written straight into a migrated ledger (fast; the export is what is measured)."""
    from cpe_cli.store.ledger import open_ledger

    with open_ledger(home):
        pass
    conn = sqlite3.connect(home / "cpe.db", isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO records (title, credits, credits_hundredths, field_of_study, completed_on, delivery_method, "
        "provider, description, source, added_at, changed_at) VALUES (?, '1.5', 150, 'Taxes', ?, 'Group Live', "
        "'AICPA', ?, 'external', 'x', 'x')",
        ((f"Course number {n} " + "x" * 80, f"20{10 + n % 16}-0{1 + n % 9}-1{n % 10}", "d" * 200)
         for n in range(count)))
    conn.execute("COMMIT")
    conn.close()


def _peak_rss_kib(home, tmp_path) -> int:
    env = {**os.environ, "CPE_HOME": str(home)}
    with open(tmp_path / f"export-{home.name}.csv", "wb") as sink:
        process = subprocess.Popen([installed_cpe(), "export", "csv", "--preset", "all"], stdout=sink,
                                   stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, process.stderr.read()
    return usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024


@pytest.mark.slow  # a trial: two real exports, one of 40,000 records
def test_memory_stays_flat_whatever_the_number_of_records(tmp_path):
    small, large = tmp_path / "small", tmp_path / "large"
    _fill(small, 1_000)
    _fill(large, 40_000)  # about 13 MB of CSV
    grown = _peak_rss_kib(large, tmp_path) - _peak_rss_kib(small, tmp_path)
    assert (tmp_path / "export-large.csv").stat().st_size > 12_000_000
    assert grown < 8 * 1024, f"peak memory grew by {grown} KiB for 39,000 more records"


def test_only_free_text_can_start_like_a_formula():
    """The bulk export escapes and quotes title, provider, description and certificate only: every other cell
    is an id, an ISO date, a decimal or a name from the catalog, and none of those starts with a trigger or
    holds a character that needs quoting."""
    from cpe_cli.core import catalog
    from cpe_cli.core.serialize import FORMULA_TRIGGERS, FREE_TEXT

    assert set(COLUMNS) - set(FREE_TEXT) == {"id", "date", "credits", "field_of_study", "delivery_method", "state",
                                             "source", "tags"}  # tags are lowercase words and hyphens: never a formula
    names = (*catalog.FIELD_NAMES, *catalog.DELIVERY_NAMES, *catalog.JURISDICTIONS, *catalog.SOURCES)
    assert not [name for name in names if name.startswith(FORMULA_TRIGGERS)]
    assert not [name for name in names if any(char in name for char in ',"\r\n')]
