"""`cpe show` and `cpe edit`: every field shown, edit validated exactly like add, and atomic."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from support import add_args, installed_cpe, snapshot
from cpe_cli.ops import lifecycle
from cpe_cli.core.errors import CpeError
from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.records import build_record

OLD_PDF = b"%PDF-1.4 the old certificate\n" * 50
NEW_PDF = b"%PDF-1.7 the corrected certificate\n" * 70


@pytest.fixture
def on_terminal(monkeypatch):
    monkeypatch.setattr("cpe_cli.cli.output.stdin_is_terminal", lambda: True)


@pytest.fixture
def files(tmp_path):
    old, new = tmp_path / "old.pdf", tmp_path / "new.pdf"
    old.write_bytes(OLD_PDF)
    new.write_bytes(NEW_PDF)
    return old, new


@pytest.fixture
def record_with_certificate(cpe, files):
    result = cpe(*add_args(state="CA", description="Line one\nLine two", certificate=str(files[0])))
    assert result.exit_code == 0, result.stderr


def shown(cpe, record_id=1):
    result = cpe("show", str(record_id), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def stored_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "certificates").iterdir() if p.is_file())


# -- show --------------------------------------------------------------------------------------------

def test_show_prints_every_field_and_the_certificate(cpe, record_with_certificate, home):
    result = cpe("show", "1")
    assert result.exit_code == 0, result.stderr
    [stored] = stored_files(home)
    out = result.stdout
    fields = [("Course/Seminar Title", "Ethics for CPAs"), ("CPE Credits", "2.0"),
              ("Field of Study", "Regulatory Ethics (technical)"), ("State", "California (CA)"),
              ("Date", "2026-06-01"), ("Delivery Method", "Group Live"), ("Provider", "AICPA"),
              ("Source", "External (self-reported)"), ("Course Description", "Line one\n" + " " * 25 + "Line two"),
              ("Certificate", "old.pdf"), ("  Size", f"{len(OLD_PDF):,} bytes"),
              ("  SHA-256", hashlib.sha256(OLD_PDF).hexdigest()), ("  Stored at", str(stored))]
    assert out.startswith("Record 1\n")
    assert "\n  Added:  " in out and "\n  Changed:  " in out
    for expected in (f"  {label + ':':<23}{value}\n" for label, value in fields):
        assert expected in out, expected


def test_show_json_has_the_list_keys_plus_certificate_details_and_times(cpe, record_with_certificate, home):
    data = shown(cpe)
    listed = json.loads(cpe("list", "--format", "json").stdout)[0]
    assert {key: data[key] for key in listed} == listed
    assert data["certificate"] == "old.pdf" and data["certificate_size"] == len(OLD_PDF)
    assert data["certificate_sha256"] == hashlib.sha256(OLD_PDF).hexdigest()
    assert Path(data["certificate_path"]).read_bytes() == OLD_PDF
    assert data["added_at"] and data["added_at"] == data["changed_at"]


def test_show_of_an_unknown_id_fails_without_creating_a_home(cpe, home):
    result = cpe("show", "7")
    assert result.exit_code == 1
    assert result.stderr == "Error: no record with id 7 ('cpe list' shows the ids)\n"
    assert not home.exists()
    cpe(*add_args())
    assert cpe("show", "7").stderr == "Error: no record with id 7 ('cpe list' shows the ids)\n"


def test_show_does_not_pass_terminal_escapes_through(home, today, cpe):
    record, _ = build_record({"title": "Plain", "credits": "1", "field_of_study": "tax", "delivery_method": "nano",
                              "provider": "P"}, today)
    with open_ledger(home) as ledger:
        ledger.add(record)
        ledger.conn.execute("UPDATE records SET title = 'Evil \x1b[2J title'")  # as a tampered import could
    out = cpe("show", "1").stdout
    assert "\x1b" not in out and "Evil \\x1b[2J title" in out


# -- edit: options -----------------------------------------------------------------------------------

def test_edit_changes_the_given_fields_and_the_changed_time(cpe, record_with_certificate, monkeypatch):
    before = shown(cpe)
    monkeypatch.setattr(lifecycle, "utc_timestamp", lambda: "2026-06-11T12:00:00+00:00")
    result = cpe("edit", "1", "--credits", "2.5", "--title", "Ethics for CPAs, 2026", "--state", "",
                 "--field", "behav")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == ("Updated record 1: title 'Ethics for CPAs' -> 'Ethics for CPAs, 2026'; "
                                             "credits 2 -> 2.5; field of study 'Regulatory Ethics' -> "
                                             "'Behavioral Ethics'; state CA -> (none).")
    assert "year to date: 2.5 (1 record)" in result.stderr
    after = shown(cpe)
    assert after == {**before, "title": "Ethics for CPAs, 2026", "credits": 2.5, "state": None,
                     "field_of_study": "Behavioral Ethics", "changed_at": "2026-06-11T12:00:00+00:00"}


def test_edit_json_prints_the_record_as_show_json_does(cpe, record_with_certificate):
    result = cpe("edit", "1", "--credits", "3", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == shown(cpe) and shown(cpe)["credits"] == 3
    assert result.stderr.startswith("Updated record 1: credits 2 -> 3.")


def test_an_edit_that_changes_nothing_writes_nothing(cpe, record_with_certificate, home):
    before = snapshot(home)
    result = cpe("edit", "1", "--credits", "2", "--field", "reg eth", "--remove-certificate", "--date", "06/01/2026")
    assert result.exit_code == 0
    assert "Updated record 1" in result.stderr  # the certificate was removed...
    again = snapshot(home)
    result = cpe("edit", "1", "--credits", "2", "--remove-certificate")
    assert result.stderr == "Record 1 unchanged.\n"  # ...and now nothing is left to change
    assert snapshot(home) == again != before


# One bad value per option, and the empty values an edit could mistake for "clear" or "keep"; the rules
# themselves are tested on the core.
BAD_OPTIONS = [
    ("--credits", "0"), ("--credits", ""), ("--date", "2026-06-12"), ("--date", ""), ("--field", "acc"),
    ("--delivery", "hybrid"), ("--state", "Narnia"), ("--title", ""), ("--title", "x" * 301), ("--provider", " "),
    ("--description", "d" * 5001), ("--source", "web"),
]


@pytest.mark.parametrize("option,value", BAD_OPTIONS)
def test_edit_refuses_exactly_what_add_refuses(cpe, record_with_certificate, home, option, value):
    added = cpe(*add_args(**{option[2:]: value}))
    before = snapshot(home)
    edited = cpe("edit", "1", option, value)
    assert edited.exit_code == added.exit_code == 2
    assert edited.stderr == added.stderr and edited.stderr.startswith("Error: ") and edited.stderr.count("\n") == 1
    assert snapshot(home) == before


def test_edit_names_every_problem_at_once(cpe, record_with_certificate):
    result = cpe("edit", "1", "--credits", "-1", "--date", "tomorrow", "--delivery", "x")
    assert result.exit_code == 2
    assert "credits '-1'" in result.stderr and "date 'tomorrow'" in result.stderr and \
        "delivery method 'x'" in result.stderr


def test_edit_refuses_a_bad_certificate_like_add(cpe, record_with_certificate, home, tmp_path):
    before = snapshot(home)
    for bad in (tmp_path, tmp_path / "missing.pdf"):
        result = cpe("edit", "1", "--certificate", str(bad))
        assert result.exit_code == 2 and result.stderr == cpe(*add_args(certificate=str(bad))).stderr
    assert snapshot(home) == before


def test_edit_usage_errors(cpe, record_with_certificate, home, files):
    before = snapshot(home)
    both = cpe("edit", "1", "--certificate", str(files[1]), "--remove-certificate")
    assert both.exit_code == 2 and "not both" in both.stderr
    nothing = cpe("edit", "1")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr
    missing = cpe("edit", "9", "--credits", "1")
    assert missing.exit_code == 1 and missing.stderr == "Error: no record with id 9 ('cpe list' shows the ids)\n"
    assert snapshot(home) == before


def test_edit_warns_like_add_about_unusual_increments_and_duplicates(cpe, record_with_certificate):
    cpe(*add_args(title="Other"))
    result = cpe("edit", "2", "--credits", "1.3")
    assert "Warning: 1.3 credits is not a NASBA increment for Group Live" in result.stderr
    result = cpe("edit", "2", "--title", "Ethics for CPAs", "--credits", "2")
    assert "Warning: record 2 now looks like a duplicate of record 1" in result.stderr
    cpe(*add_args(title="Third"))
    result = cpe("edit", "1", "--title", "Third", "--no-input")  # a copy of a newer record warns too
    assert result.exit_code == 0 and "Warning: record 1 now looks like a duplicate of record 3" in result.stderr


# -- edit: certificates and atomicity ----------------------------------------------------------------

def test_replacing_a_certificate_removes_the_old_file_after_commit(cpe, record_with_certificate, home, files):
    [old_stored] = stored_files(home)
    result = cpe("edit", "1", "--certificate", str(files[1]))
    assert result.exit_code == 0, result.stderr
    assert "certificate 'old.pdf' replaced by 'new.pdf'" in result.stderr and result.stdout == ""
    data = shown(cpe)
    assert not old_stored.exists()
    assert stored_files(home) == [Path(data["certificate_path"])]
    assert Path(data["certificate_path"]).read_bytes() == NEW_PDF
    assert data["certificate_sha256"] == hashlib.sha256(NEW_PDF).hexdigest()
    assert files[1].read_bytes() == NEW_PDF  # copied, never moved
    assert cpe("verify").exit_code == 0


def test_a_failure_inside_the_edit_changes_nothing(cpe, record_with_certificate, home, files, monkeypatch):
    """The new file is staged and the old one marked before the UPDATE: a failure there undoes both."""
    before = snapshot(home)

    def fail():
        raise CpeError.failed("disk trouble")

    monkeypatch.setattr(lifecycle, "utc_timestamp", fail)
    result = cpe("edit", "1", "--certificate", str(files[1]), "--credits", "3")
    assert result.exit_code == 1 and result.stderr == "Error: disk trouble\n"
    assert snapshot(home) == before


KILLED_EDIT = """
import os, sys
from pathlib import Path
from cpe_cli.ops import lifecycle
from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.records import build_record
from datetime import date

home, new_file, moment = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if moment == "before-commit":
    lifecycle.utc_timestamp = lambda: os._exit(9)  # called for "changed_at", inside the transaction
else:
    lifecycle._FileChanges.committed = lambda self: os._exit(9)
with open_ledger(home) as ledger:
    before = ledger.get(1)
    values = {**lifecycle.record_values(before), "credits": "3"}
    lifecycle.edit_record(ledger, before, build_record(values, date(2026, 6, 11))[0], date(2026, 6, 11),
                          certificate_file=new_file)
"""


@pytest.mark.parametrize("moment", ["before-commit", "after-commit"])
def test_an_edit_killed_at_any_moment_leaves_the_old_or_the_new_state(cpe, record_with_certificate, home, files,
                                                                      moment):
    before = shown(cpe)
    killed = subprocess.run([sys.executable, "-c", KILLED_EDIT, str(home), str(files[1]), moment],
                            capture_output=True, text=True, timeout=30)
    assert killed.returncode == 9, killed.stderr
    verified = cpe("verify")  # opening the ledger finishes or undoes what the kill left
    assert verified.exit_code == 0, verified.stdout
    after = shown(cpe)
    expected = OLD_PDF if moment == "before-commit" else NEW_PDF
    assert Path(after["certificate_path"]).read_bytes() == expected
    assert stored_files(home) == [Path(after["certificate_path"])]
    assert after["credits"] == (2 if moment == "before-commit" else 3)
    assert (after == before) is (moment == "before-commit")


def test_an_edit_refuses_when_the_record_changed_meanwhile(home, today, record_with_certificate):
    with open_ledger(home) as ledger:
        seen = ledger.get(1)
        ledger.conn.execute("UPDATE records SET title = 'Changed by someone else'")
        record, _ = build_record({**lifecycle.record_values(seen), "credits": "3"}, today)
        with pytest.raises(CpeError, match="changed by another cpe command"):
            lifecycle.edit_record(ledger, seen, record, today)
        assert ledger.get(1).credits == 2


# -- edit: the form ----------------------------------------------------------------------------------

def test_the_form_offers_current_values_and_enter_keeps_them(cpe, record_with_certificate, home, on_terminal):
    before = snapshot(home)
    result = cpe("edit", "1", input="\n" * 20)  # Enter at every question (more lines than questions)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # the form's questions are messages, on standard error
    assert "Edit record 1" in result.stderr
    for prompt in ("Course/Seminar Title [Ethics for CPAs]", "CPE Credits [2]",
                   "Field of Study (number or name) [Regulatory Ethics]",
                   "State (optional, code or name) [CA; - clears]",
                   "Date [2026-06-01]", "Delivery Method (number or name) [Group Live]",
                   "Provider (number or name) [AICPA]", "Course Description (optional) [Line one...; - clears]",
                   "Certificate file (Enter keeps 'old.pdf', a path replaces it, - removes it)"):
        assert prompt in result.stderr, prompt
    assert result.stderr.endswith("Record 1 unchanged.\n")
    assert snapshot(home) == before


def test_the_form_changes_clears_and_re_asks(cpe, record_with_certificate, home, on_terminal):
    answers = ["", "abc", "3", "", "-", "", "2", "", "-", "", "-"]  # credits re-asked; state, description,
    result = cpe("edit", "1", input="\n".join(answers) + "\n")             # (tags kept) cert cleared
    assert result.exit_code == 0, result.stderr
    assert "credits 'abc'" in result.stderr and result.stdout == ""
    data = shown(cpe)
    assert (data["credits"], data["state"], data["delivery_method"], data["description"], data["certificate"]) == \
        (3, None, "Group Internet Based", None, None)  # cleared: absent, null
    assert stored_files(home) == []


def test_no_input_never_walks_the_form(cpe, record_with_certificate, on_terminal):
    result = cpe("edit", "1", "--no-input")
    assert result.exit_code == 2 and "nothing to change" in result.stderr


def test_the_edit_form_in_a_real_terminal(cpe, record_with_certificate, home, files):
    env = {**os.environ, "TERM": "dumb"}
    child = pexpect.spawn(installed_cpe(), ["edit", "1"], env=env, encoding="utf-8", timeout=20,
                          dimensions=(40, 160))
    child.expect(r"Course/Seminar Title \[Ethics for CPAs\]")
    child.sendline("")
    child.expect(r"CPE Credits \[2\]")
    child.sendline("4")
    for prompt in (r"Field of Study", r"State", r"Date", r"Delivery Method", r"Provider", r"Course Description"):
        child.expect(prompt)
        child.sendline("")
    if child.expect([r"Certificate file", r"Tags"]) == 1:  # Enter keeps the tags, where the form asks for them
        child.sendline("")
        child.expect("Certificate file")
    child.sendline(str(files[1]))
    child.expect("Updated record 1: credits 2 -> 4; certificate 'old.pdf' replaced by 'new.pdf'")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert Path(shown(cpe)["certificate_path"]).read_bytes() == NEW_PDF


def test_ctrl_c_in_the_edit_form_says_the_record_is_unchanged(cpe, record_with_certificate, home):
    before = shown(cpe)
    child = pexpect.spawn(installed_cpe(), ["edit", "1"], env={**os.environ, "TERM": "dumb"}, encoding="utf-8",
                          timeout=20, dimensions=(40, 160))
    child.expect(r"Course/Seminar Title \[Ethics for CPAs\]")
    child.sendline("Half typed")
    child.expect(r"CPE Credits \[2\]")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Cancelled: record 1 is unchanged." in child.before and "Traceback" not in child.before
    assert shown(cpe) == before


def test_show_and_edit_through_the_installed_script(cpe_process, record_with_certificate):
    edited = cpe_process("edit", "1", "--provider", "NASBA")
    assert edited.returncode == 0, edited.stderr
    shown_now = cpe_process("show", "1", "--json")
    assert json.loads(shown_now.stdout)["provider"] == "NASBA"
    refused = cpe_process("edit", "1", "--credits", "0")
    assert refused.returncode == 2 and refused.stderr.startswith("Error: credits '0'")
    assert "Traceback" not in refused.stderr
