"""Arguments and environment values at the edges give one clear `Error:` line, never "unexpected ...".

Bytes that are not UTF-8 in an option (refused by the validators, exit 2) or in a certificate's file name
(attached, under a readable name); numbers past SQLite's integers; a pinned "today" or a date before 1900
(a written year is never rewritten: "0026" is not 2026); titles that show nothing; `CPE_HOME` set to nothing;
a `cpe.db` that is a folder; a negative `COMP_CWORD`.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from support import add, add_args, installed_cpe, only_error, run_cpe, snapshot


def run_installed(*args, env=None, timeout=60) -> subprocess.CompletedProcess:
    """The installed script with raw bytes for arguments, as a shell passes them (not necessarily UTF-8)."""
    return subprocess.run([installed_cpe(), *args], capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def one_error_line(completed: subprocess.CompletedProcess) -> str:
    stderr = completed.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "unexpected" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


# -- bytes that are not UTF-8 ---------------------------------------------------------------------------

@pytest.mark.parametrize("option", ["--title", "--provider", "--description"])
def test_a_text_option_that_is_not_utf8_is_refused_by_add(home, option):
    args = [arg.encode() for arg in add_args()]
    args += [option.encode(), b"Caf\xe9 ethics"]
    result = run_installed(*args)
    assert result.returncode == 2
    assert "is not valid UTF-8 text (byte 0xE9)" in one_error_line(result)
    assert not home.exists()


@pytest.mark.parametrize("option", ["--title", "--provider", "--description"])
def test_a_text_option_that_is_not_utf8_is_refused_by_edit(cpe, home, option):
    record_id = add(cpe)
    before = snapshot(home)
    result = run_installed(b"edit", str(record_id).encode(), option.encode(), b"r\xe9sum\xe9")
    assert result.returncode == 2
    assert "is not valid UTF-8 text (byte 0xE9)" in one_error_line(result)
    assert snapshot(home) == before


def test_the_validators_refuse_a_lone_surrogate_in_process(cpe, home):
    result = cpe(*add_args(title="Tax \udcff update"))
    assert result.exit_code == 2 and "title is not valid UTF-8 text (byte 0xFF)" in only_error(result)


def test_a_certificate_whose_file_name_is_not_utf8_is_attached_with_a_readable_name(cpe, home, tmp_path):
    folder = os.fsencode(tmp_path)
    path = folder + b"/r\xe9sum\xe9.pdf"
    with open(path, "wb") as handle:
        handle.write(b"%PDF latin-1 named")
    result = run_installed(*[arg.encode() for arg in add_args()], b"--certificate", path, b"--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["certificate"] == "résumé.pdf"
    shown = run_installed(b"show", str(record["id"]).encode())
    assert shown.returncode == 0 and "Certificate:           résumé.pdf" in shown.stdout.decode()
    edited = run_installed(b"edit", str(record["id"]).encode(), b"--certificate", folder + b"/\xff\xfe.png")
    assert edited.returncode == 2  # a missing file: refused as missing, in one line (not a crash)
    one_error_line(edited)


# -- numbers and dates past what can be stored ----------------------------------------------------------

@pytest.mark.parametrize("route", [None, "typer"])
@pytest.mark.parametrize("value", ["9223372036854775808", "99999999999999999999999"])
def test_a_limit_past_sqlites_integers_is_a_usage_error(cpe, route, value):
    add(cpe)
    result = run_cpe("list", "--limit", value, route=route)
    assert result.exit_code == 2
    line = only_error(result)
    assert "--limit" in line and "9223372036854775807" in line


@pytest.mark.parametrize("args", [("verify",), ("rm", "1", "--yes"), ("rm", "--undo"),
                                  ("total", "--preset", "last-30-days"), ("total", "--preset", "last-year"),
                                  ("list", "--preset", "last-7-days"), ("status", "--profile", "ny")])
@pytest.mark.parametrize("pinned", ["0001-01-01", "9999-12-31"])
def test_a_pinned_today_out_of_range_is_refused(cpe, args, pinned):
    add(cpe)
    result = cpe(*args, env={"CPE_TODAY": pinned})
    assert result.exit_code == 2
    assert f"CPE_TODAY='{pinned}' is out of range" in only_error(result)


# Values no record may hold, each refused by name before a ledger exists: a date before 1900 (never rewritten into
# one after it), a title or provider that shows nothing.
REFUSED_VALUES = [
    *(pytest.param({"date": written}, f"date {written!r} is before 1900", id=f"date-{written}")
      for written in ["Jan 1 0001", "June 11, 0026", "1899-12-31", "06/11/0026", "0001-01-01"]),
    *(pytest.param({field: text}, f"{field} has no visible character", id=f"{field}-{text.encode('unicode_escape').decode()}")
      for field in ["title", "provider"]
      for text in ["\u200b", "\u200e", "\u200f\u200b", "\u2060", "\ufeff", " \u200b ", "\u2800"]),
]


@pytest.mark.parametrize(("values", "said"), REFUSED_VALUES)
def test_a_value_no_record_may_hold_is_refused_by_name_and_creates_nothing(cpe, home, values, said):
    result = cpe(*add_args(**values))
    assert result.exit_code == 2
    assert said in only_error(result)
    assert not home.exists()


def test_written_out_dates_keep_their_year(cpe):
    record_id = add(cpe, date="Jan 1 2001")
    assert json.loads(cpe("show", str(record_id), "--json").stdout)["date"] == "2001-01-01"
    result = cpe(*add_args(date="June 11, 26"))
    assert result.exit_code == 2 and "is not a date I can read" in only_error(result)


def test_a_period_end_past_the_calendar_is_refused(cpe):
    result = cpe("status", "--profile", "ca", "--period-end", "9999-12-31")
    assert result.exit_code == 2 and "--period-end 9999-12-31 is too far ahead" in only_error(result)


# -- titles that show nothing (refused: REFUSED_VALUES above) ------------------------------------------

def test_invisible_characters_inside_visible_text_are_kept(cpe):
    record_id = add(cpe, title="Ethics\u200b for CPAs")
    assert json.loads(cpe("show", str(record_id), "--json").stdout)["title"] == "Ethics\u200b for CPAs"


def test_an_import_row_with_an_invisible_title_is_a_row_problem(cpe, tmp_path):
    (tmp_path / "x.csv").write_text("title,credits,field_of_study,delivery_method,date,provider\n"
                                    "\u200b,1,Taxes,Group Live,2026-05-01,P\n")
    result = cpe("import", str(tmp_path / "x.csv"))
    assert result.exit_code == 2 and 'line 2, column "title": title has no visible character' in only_error(result)


# -- the environment ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_an_empty_cpe_home_is_refused_not_read_as_the_default(cpe, tmp_path, monkeypatch, value):
    monkeypatch.setenv("HOME", str(tmp_path))  # where ~/.cpe would be
    monkeypatch.setenv("CPE_HOME", value)
    for args in (("total",), add_args()):
        result = cpe(*args)
        assert result.exit_code == 2
        assert "CPE_HOME is set but empty" in only_error(result)
    assert not (tmp_path / ".cpe").exists()


def test_an_unset_cpe_home_still_means_dot_cpe(cpe, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CPE_HOME")
    assert cpe(*add_args()).exit_code == 0
    assert (tmp_path / ".cpe" / "cpe.db").is_file()


@pytest.mark.parametrize("args", [("show", "1"), ("total",), ("list",), ("verify",), ("rm", "1", "--yes"),
                                  ("edit", "1", "--credits", "2"), ("backup", "{tmp}/b.tar.gz")])
def test_a_database_that_is_a_folder_is_named_as_such(cpe, home, tmp_path, args):
    (home / "cpe.db").mkdir(parents=True)
    result = cpe(*[arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.exit_code == 1
    line = only_error(result)
    assert f"{home / 'cpe.db'} is a folder, not a cpe ledger" in line, line
    assert "no record with id" not in line


def test_a_negative_comp_cword_completes_without_a_traceback(home):
    for cword in ("-1", "-7"):
        result = run_installed(env={"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": "cpe total --pre",
                                    "COMP_CWORD": cword})
        assert result.returncode == 0, result.stderr
        assert b"Traceback" not in result.stderr and result.stderr == b""
