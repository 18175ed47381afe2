"""Messages on standard error: broken between words on a terminal narrower than them, one line anywhere else.

A new user's 80-column terminal cut ``Error: ... (did you mean Taxes?); accepted: Accounting, ...`` and the
no-ledger note in the middle of words; a script reading standard error still gets each message as one line.
"""

from __future__ import annotations

import os
import tempfile

import pytest

from cpe_cli.cli import output

from support import installed_cpe, run_in_terminal


def _terminal_env(home) -> dict[str, str]:
    env = {**os.environ, "TERM": "xterm-256color", "CPE_HOME": str(home), "CPE_PAGER": "cat"}
    env.pop("COLUMNS", None)  # the terminal's own width
    return env


@pytest.mark.parametrize(("args", "start"), [
    (["total", "--field", "taxs"], "Error: unknown field of study 'taxs' (did you mean Taxes?); accepted: "),
    (["total"], "Note: no ledger in "),
])
def test_a_long_message_breaks_between_words_at_the_terminals_width(cpe, monkeypatch, args, start):
    folder = tempfile.mkdtemp(prefix="cpe-", dir="/tmp")  # a short path, whatever the test's own temp folder is
    monkeypatch.setenv("CPE_HOME", f"{folder}/home")  # (not created: a read never creates a home)
    try:
        _check_broken_at_spaces(cpe, args, start, f"{folder}/home")
    finally:
        os.rmdir(folder)


def _check_broken_at_spaces(cpe, args, start, home):
    piped = cpe(*args)
    one_line = next(line for line in piped.stderr.splitlines() if line.startswith(start.split(" ")[0]))
    assert len(one_line) > 80
    code, screen = run_in_terminal([installed_cpe(), *args], _terminal_env(home), columns=80, rows=40)
    assert code == piped.exit_code
    lines = screen.replace("\r\n", "\n").split("\n")
    first = next(index for index, line in enumerate(lines) if line.startswith(start.split(" ")[0]))
    shown = [lines[first]]
    for line in lines[first + 1:]:  # the continuation lines, indented two spaces
        if not line.startswith("  "):
            break
        shown.append(line)
    assert all(len(line) <= 80 for line in shown)
    assert len(shown) > 1
    # The same words in the same order: nothing cut inside a word, nothing lost.
    assert " ".join(" ".join(shown).split()) == " ".join(one_line.split())


def test_piped_standard_error_keeps_each_message_on_one_line(cpe):
    result = cpe("total", "--field", "taxs")
    assert result.stderr.count("\n") == 1 and len(result.stderr) > 200


def test_a_word_wider_than_the_terminal_is_never_cut(home, cpe):
    """A path (or a SHA-256) is kept whole on a line of its own, to copy: it is the one line over the width."""
    deep = home.parent / ("x" * 90) / "cpe"
    env = {**_terminal_env(deep)}
    code, screen = run_in_terminal([installed_cpe(), "total"], env, columns=80, rows=40)
    assert code == 0
    assert str(deep) in screen.replace("\r\n", "\n")


def test_a_line_keeps_its_own_indent_and_tabs_count_as_the_terminal_shows_them(monkeypatch):
    """The list of records ``cpe rm`` asks about is indented: its broken lines stay under it, two spaces in. A
    tab is as wide as the terminal shows it (to the next multiple of 8), never one column."""
    monkeypatch.setattr(output, "_stderr_columns", lambda: 30)
    text = "    12  2026-06-01  Ethics for CPAs in the public interest\tnotes\nshort"
    assert output.for_the_terminal(text) == ("    12  2026-06-01  Ethics for\n"
                                             "      CPAs in the public\n"
                                             "      interest      notes\n"
                                             "short")
    tabbed = output.for_the_terminal("Error: one\ttwo\tthree\tfour\tfive")
    assert all(len(line.expandtabs()) <= 30 for line in tabbed.split("\n"))
    assert tabbed.split() == ["Error:", "one", "two", "three", "four", "five"]
