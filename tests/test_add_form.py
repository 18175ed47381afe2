"""The interactive "Add External Certificate" form: CliRunner and a real pseudo-terminal."""

import json
import os

import pexpect
import pytest

from support import add_args, installed_cpe


@pytest.fixture
def on_terminal(monkeypatch):
    monkeypatch.setattr("cpe_cli.cli.output.stdin_is_terminal", lambda: True)


def listed(cpe):
    return json.loads(cpe("list", "--format", "json", "--preset", "all").stdout)


def test_form_asks_every_field_in_order_and_re_asks_bad_answers(cpe, on_terminal, tmp_path):
    certificate = tmp_path / "cert.pdf"
    certificate.write_bytes(b"%PDF")
    answers = "\n".join([
        "",                       # title: required, re-asked
        "Ethics for CPAs",
        "abc",                    # credits: re-asked
        "4",
        "acc",                    # field: ambiguous, re-asked
        "17",                     # field by number: Regulatory Ethics
        "Narnia",                 # state: re-asked
        "ca",
        "2026-02-30",             # date: re-asked
        "06/01/2026",
        "hybrid",                 # delivery: re-asked
        "1",                      # Group Live
        "AICPA",
        "A yearly ethics update",
        "Fraud, CA-Regulatory-Review",  # tags: comma-separated, any case
        str(tmp_path / "missing.pdf"),  # certificate: re-asked
        str(certificate),
    ]) + "\n"
    result = cpe("add", input=answers)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # the form talks on standard error; standard output stays for data
    out = result.stderr
    labels = ["Course/Seminar Title", "CPE Credits", "Field of Study", "State (optional", "Date",
              "Delivery Method", "Provider", "Course Description (optional)", "Tags (optional",
              "Certificate file (optional"]
    positions = [out.index(label) for label in labels]
    assert positions == sorted(positions)
    assert out.count("Course/Seminar Title") == 2  # an empty title is asked again
    for reason in ("credits 'abc'", "ambiguous", "unknown state 'Narnia'",
                   "not a real calendar date", "unknown delivery method 'hybrid'", "does not exist"):
        assert reason in result.stderr
    assert " 17. Regulatory Ethics" in out
    [record] = listed(cpe)
    assert record == {**record, "title": "Ethics for CPAs", "credits": 4, "field_of_study": "Regulatory Ethics",
                      "state": "CA", "date": "2026-06-01", "delivery_method": "Group Live", "provider": "AICPA",
                      "description": "A yearly ethics update", "certificate": "cert.pdf",
                      "tags": ["ca-regulatory-review", "fraud"]}


def test_form_asks_only_what_was_not_given(cpe, on_terminal):
    result = cpe("add", "--title", "Given", "--credits", "2", "--field", "taxes", input="\n\n3\nBecker\n\n\n\n")
    assert result.exit_code == 0, result.stderr
    assert "Course/Seminar Title" not in result.stderr and "CPE Credits" not in result.stderr
    [record] = listed(cpe)
    assert (record["title"], record["state"], record["date"], record["delivery_method"], record["provider"]) == \
        ("Given", None, "2026-06-11", "QAS Self Study", "Becker")


def test_form_refuses_a_bad_option_before_asking(cpe, on_terminal, home):
    result = cpe("add", "--credits", "zero", input="x\n")
    assert result.exit_code == 2
    assert "credits 'zero'" in result.stderr
    assert "Course/Seminar Title" not in result.stderr
    assert not home.exists()


def test_form_suggests_providers_used_before(cpe, on_terminal):
    cpe(*add_args(provider="Surgent"))
    cpe(*add_args(provider="Becker", title="Other"))
    answers = "T\n1\ntaxes\n\n\n1\n2\n\n\n\n"  # provider: pick number 2 of the suggestions
    result = cpe("add", input=answers)
    assert result.exit_code == 0, result.stderr
    assert "1. Becker" in result.stderr and "2. Surgent" in result.stderr
    assert listed(cpe)[0]["provider"] == "Surgent"


def test_form_interrupted_writes_nothing(cpe, on_terminal, home):
    result = cpe("add", input="Title only\n")  # input ends: like Ctrl-D
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    assert not home.exists()


def spawn(*args, env_extra=None):
    env = {**os.environ, "TERM": "dumb", **(env_extra or {})}
    return pexpect.spawn(installed_cpe(), list(args), env=env, encoding="utf-8", timeout=20,
                         dimensions=(40, 160))


def test_form_in_a_real_terminal(home, tmp_path):
    certificate = tmp_path / "Certificate.pdf"
    certificate.write_bytes(b"%PDF-1.7")
    child = spawn("add")
    child.expect("Course/Seminar Title")
    child.sendline("Fraud in Governmental Audits")
    child.expect("CPE Credits")
    child.sendline("1.25")
    child.expect(r"Field of Study \(number or name\)")
    child.sendline("Auditing (Gov")
    child.expect("State")
    child.sendline("Texas")
    child.expect("Date")
    child.sendline("")  # default: today
    child.expect(r"Delivery Method \(number or name\)")
    child.sendline("group internet")
    child.expect("Provider")
    child.sendline("Surgent")
    child.expect("Course Description")
    child.sendline("Case studies")
    child.expect("Tags")
    child.sendline("fraud ")
    child.expect("Certificate file")
    child.sendline(str(certificate))
    child.expect("Added record 1")
    child.expect("year to date: 1.25")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    child = spawn("list", "--format", "json")
    child.expect(pexpect.EOF)
    [record] = json.loads(child.before)
    assert record["field_of_study"] == "Auditing (Governmental)" and record["state"] == "TX"
    assert record["date"] == "2026-06-11" and record["certificate"] == "Certificate.pdf"
    assert record["tags"] == ["fraud"]


def test_a_wrong_name_in_a_numbered_list_is_asked_again_without_the_list_twice(home):
    child = spawn("add", "-t", "T", "-c", "1", "-m", "gl", "-P", "P", "-d", "2026-06-01")
    child.expect(r"Field of Study \(number or name\)")
    child.sendline("taxs")
    child.expect(r"unknown field of study 'taxs' \(did you mean Taxes\?\); choose a number from 1 to 20, or type a "
                 r"name")
    assert "accepted:" not in child.before + child.after
    child.expect(r"Field of Study \(number or name\)")
    child.sendline("20")
    child.expect(r"State \(optional")  # taken: the form goes on
    child.sendintr()
    child.expect(pexpect.EOF)


@pytest.mark.parametrize("route", [None, "typer"])
def test_ctrl_c_in_a_real_terminal_leaves_nothing(home, route):
    """Both routes say it alike (Typer alone would end with 130 and say nothing)."""
    child = spawn("add", env_extra={"CPE_ROUTE": route} if route else None)
    child.expect("Course/Seminar Title")
    child.sendline("Half done")
    child.expect("CPE Credits")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in child.before
    assert "Cancelled: nothing was added." in child.before
    assert not (home / "cpe.db").exists()


def test_badge_in_a_real_terminal(cpe, home):
    cpe(*add_args(credits="2.5"))
    cpe(*add_args(credits="1", date="2024-05-05", title="Old"))
    child = spawn("total", env_extra={"NO_COLOR": "1"})
    child.expect(pexpect.EOF)
    screen = child.before
    assert "Total CPE Credits" in screen and "2.5 credits" in screen
    assert "Jan 1, 2026 - Jun 11, 2026" in screen
    assert "1 record (1.0 credits) falls outside this window" in screen


def test_badge_on_an_empty_ledger_says_how_to_start(home):
    child = spawn("total", env_extra={"NO_COLOR": "1"})
    child.expect(pexpect.EOF)
    assert "0.0 credits" in child.before and "No records yet: add one with 'cpe add'" in child.before


def test_form_takes_paths_as_people_paste_them(cpe, on_terminal, tmp_path, monkeypatch):
    """Quoted, shell-escaped, with a trailing space or ~: dragged into a terminal, all mean the same file."""
    folder = tmp_path / "Downloads"
    folder.mkdir()
    (folder / "Ethics Certificate 2026.pdf").write_bytes(b"%PDF")
    monkeypatch.setenv("HOME", str(tmp_path))
    typed = ["'~/Downloads/Ethics Certificate 2026.pdf' ", str(folder).replace(" ", "\\ ") + "/Ethics\\ Certificate\\ 2026.pdf",
             f'"{folder}/Ethics Certificate 2026.pdf"']
    for number, path in enumerate(typed):
        answers = f"T{number}\n1\ntaxes\n\n\n1\nBecker\n\n\n{path}\n"
        result = cpe("add", input=answers)
        assert result.exit_code == 0, (path, result.stderr)
    assert [item["certificate"] for item in listed(cpe)] == ["Ethics Certificate 2026.pdf"] * 3
    missing = cpe("add", input="T\n1\ntaxes\n\n\n1\nBecker\n\n\nMy\\ Missing.pdf\n\n")
    assert "'My Missing.pdf' does not exist" in missing.stderr, missing.stderr  # as typed, no doubled backslash


def test_form_matches_a_known_provider_and_confirms_a_new_one(cpe, on_terminal):
    cpe(*add_args(provider="Lumiq"))
    result = cpe("add", input="T\n1\ntaxes\n\n\n1\nlum\n\n\n\n")
    assert result.exit_code == 0, result.stderr
    assert listed(cpe)[0]["provider"] == "Lumiq"
    declined = cpe("add", input="T2\n1\ntaxes\n\n\n1\nAcme Training\nn\nAcme Training\ny\n\n\n\n")
    assert declined.exit_code == 0, declined.stderr
    assert "have not used before" in declined.stderr
    assert "  type the provider's name again, or a number from the list\n" in declined.stderr  # said once, plainly
    assert listed(cpe)[0]["provider"] == "Acme Training"


def test_enter_adds_a_new_provider_unless_it_is_close_to_one_used_before(cpe, on_terminal):
    """A name typed on purpose is added with Enter ([Y/n]); a near miss of a known one ('AICAP' for AICPA) is
    named, and Enter there declines ([y/N]), so a typo does not become a second provider."""
    cpe(*add_args(provider="AICPA"))
    added = cpe("add", input="T\n1\ntaxes\n\n\n1\nAcme Training\n\n\n\n\n")
    assert added.exit_code == 0, added.stderr
    assert "'Acme Training' is a provider you have not used before: add it? [Y/n]" in added.stderr
    assert listed(cpe)[0]["provider"] == "Acme Training"
    typo = cpe("add", input="T2\n1\ntaxes\n\n\n1\nAICAP\n\nAICPA\n\n\n\n")
    assert typo.exit_code == 0, typo.stderr
    assert "'AICAP' is a provider you have not used before (close to 'AICPA'): add it? [y/N]" in typo.stderr
    assert listed(cpe)[0]["provider"] == "AICPA"


def test_the_increment_warning_comes_at_the_credits_question(cpe, on_terminal):
    result = cpe("add", "--delivery", "nano", input="T\n0.5\ntaxes\n\n\nBecker\n\n\n\n")
    assert result.exit_code == 0, result.stderr
    err = result.stderr
    assert err.count("exactly 0.2 credits") == 1  # once, not again at the end
    assert err.index("exactly 0.2 credits") < err.index("Field of Study")
