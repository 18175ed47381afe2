"""The few lines that stand in for a standard-library module on the start-up path agree with that module.

``cpe total``, ``cpe list`` and ``cpe add`` avoid importing ``re``, ``pathlib``
and ``shutil`` (issue 14: together 10-20 ms of a 35 ms floor), so a pattern, a
path's spelling and the terminal's size are computed by hand in a few places.
Each is checked here against the module it replaces, on open-ended inputs.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpe_cli.cli.terminal import terminal_size
from cpe_cli.core.credits import _is_plain_decimal
from cpe_cli.core.environment import as_path_reads, home_text
from cpe_cli.core.matching import normalize
from cpe_cli.core.periods import _digits_joined

# Texts made mostly of the characters each rule looks at, with a few others (unicode digits, spaces, newlines).
_NUMERIC = st.text(alphabet=st.sampled_from("0123456789.-/ \n\u0663\uff11a"), max_size=12)


@settings(max_examples=400)
@given(_NUMERIC)
def test_plain_decimal_is_the_old_pattern(text):
    assert _is_plain_decimal(text) == bool(re.match(r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)$", text) and "\n" not in text)


@settings(max_examples=400)
@given(_NUMERIC)
def test_numeric_dates_are_the_old_patterns(text):
    assert _digits_joined(text, "-", (4, 4), (1, 2), (1, 2)) == bool(
        re.fullmatch(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", text))
    assert _digits_joined(text, "/", (1, 2), (1, 2), (4, 4)) == bool(
        re.fullmatch(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", text))


@settings(max_examples=300)
@given(st.text(max_size=30))
def test_normalize_is_the_old_pattern(text):
    folded = text.casefold().replace("&", " and ")
    assert normalize(text) == re.sub(r"[^0-9a-z]+", " ", folded).strip()


@settings(max_examples=400)
@given(st.text(alphabet=st.sampled_from("/.a~ "), max_size=14))
def test_a_home_reads_as_its_path_would(text):
    assert as_path_reads(text) == str(Path(text))


def test_cpe_home_is_named_as_pathlib_names_it():
    assert home_text({"CPE_HOME": "/tmp//ledgers/./mine/"}) == "/tmp/ledgers/mine"
    assert home_text({"CPE_HOME": "ledgers/../mine"}) == "ledgers/../mine"  # '..' through a symlink is kept


@pytest.mark.parametrize("columns", [None, "", "abc", "0", "-3", "132"])
@pytest.mark.parametrize("lines", [None, "x", "0", "40"])
def test_terminal_size_is_shutils(monkeypatch, columns, lines):
    for name, value in (("COLUMNS", columns), ("LINES", lines)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert terminal_size() == tuple(shutil.get_terminal_size((80, 24)))
    assert terminal_size((100, 30)) == tuple(shutil.get_terminal_size((100, 30)))


def test_terminal_size_reads_the_terminal_when_there_is_one(monkeypatch):
    """In a pseudo-terminal of 97 x 33 with no COLUMNS or LINES, both read the terminal itself."""
    import fcntl
    import pty
    import struct
    import termios

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 97, 0, 0))
        monkeypatch.setattr(sys, "__stdout__", os.fdopen(os.dup(slave), "w"))
        assert terminal_size() == tuple(shutil.get_terminal_size()) == (97, 33)
    finally:
        sys.__stdout__.close()
        os.close(master)
        os.close(slave)


def _shlex_words(text: str) -> list[str] | None:
    import shlex

    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return None


@settings(max_examples=600)
@given(st.text(alphabet=st.sampled_from("ab \t\n'\"\\#$é"), max_size=16))
def test_completion_splits_a_command_line_as_shlex_does(text):
    from cpe_cli.cli.completion import _split

    assert _split(text) == _shlex_words(text)


_NAMES = st.text(alphabet=st.sampled_from("aZ09._-/ \n~é"), max_size=12)


@settings(max_examples=500)
@given(_NAMES)
def test_stored_names_are_checked_as_the_pattern_says(name):
    """The pattern cpe gives stored names, matched whole (the old ``re.match`` with ``$`` also let a trailing
    newline through: "a.pdf\\n" is not a name cpe gives)."""
    from cpe_cli.store.certificates import is_safe_stored_name

    expected = bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}", name)) and ".." not in name
    assert is_safe_stored_name(name) == expected


@settings(max_examples=500)
@given(_NAMES)
def test_stored_extensions_are_checked_as_the_pattern_says(name):
    from cpe_cli.store.certificates import stored_extension

    extension = os.path.splitext(name)[1]
    expected = extension.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", extension) else ""
    assert stored_extension(name) == expected
