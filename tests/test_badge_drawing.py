"""The badge cpe draws by hand is the badge Rich's Panel drew (issue 14: "Rich imported only for what it draws").

``cpe_cli/cli/badge.py`` no longer imports Rich: loading ``rich.console`` cost
~65 ms, most of ``cpe total`` on a terminal. Rich is still installed (Typer
uses it), so these tests keep it as the oracle: the Rich badge as cpe built it
before (``rich_badge`` below is that code), drawn by a Rich ``Console`` set up
as the real terminal sets it up, must be character for character, escape for
escape, what cpe draws now:

* for random content and widths (hypothesis): totals, windows, filter words
  with wide characters and overlong words, notes, 1 to 200 columns, styles on
  and off, NO_COLOR;
* for the console's own decisions, under the environments people have
  (TERM, NO_COLOR, FORCE_COLOR, TTY_COMPATIBLE, COLUMNS, LINES, a terminal of
  some size or none), through ``print_badge`` against Rich's ``Console.print``;
* end to end, through the real entry point in a pseudo-terminal at 80 columns,
  where Rich must not even be imported.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from support import MODULES_PROBE, add_args, run_in_terminal

from cpe_cli.cli import badge
from cpe_cli.cli.output import filter_words, outside_window
from cpe_cli.core.credits import format_total
from cpe_cli.core.periods import Window, describe
from cpe_cli.core.views import Filters, source_label
from cpe_cli.store.ledger import Total


# ---------------------------------------------------------------------------------------------------------------
# The oracle: the Rich badge exactly as cpe built it before issue 14, and a Rich console set up as a terminal's
# ---------------------------------------------------------------------------------------------------------------

def rich_badge(total, window, source, outside, narrowed=""):
    body = Text()
    body.append(format_total(total.credits), style="bold green")
    body.append(" credits\n")
    body.append(f"{describe(window)}\n", style="bold")
    body.append(f"{source_label(source)}{narrowed} · {total.count} record{'s' if total.count != 1 else ''}")
    if outside.count:
        body.append(f"\n{outside_window(outside)}", style="dim")
    elif not total.count and source == "all":
        body.append("\nNo records yet: add one with 'cpe add', or a CSV with 'cpe import FILE'", style="dim")
    return Panel(body, title="Total CPE Credits", title_align="left", expand=False, padding=(0, 2))


def rich_lines(lines):
    """The badge's Rich ``Text`` with arbitrary text in each place, built as ``rich_badge`` builds it."""
    (total, _), (credits, _) = lines[0]
    body = Text()
    body.append(total, style="bold green")
    body.append(f"{credits}\n")
    body.append(f"{lines[1][0][0]}\n", style="bold")
    body.append(lines[2][0][0])
    if len(lines) > 3:
        body.append(f"\n{lines[3][0][0]}", style="dim")
    return Panel(body, title="Total CPE Credits", title_align="left", expand=False, padding=(0, 2))


def rich_draw(panel, width, *, terminal, no_color=False, color_system="256", encoding="utf-8"):
    """What Rich writes on a terminal ``width`` columns wide: a fixed size (so neither COLUMNS nor TERM=dumb
    changes it), styles as on xterm-256color (green is a standard colour: every system writes it alike)."""
    out = Stream(encoding=encoding)
    console = Console(file=out, width=width, height=25, force_terminal=terminal, no_color=no_color,
                      color_system=color_system if terminal else None, highlight=False, soft_wrap=False,
                      legacy_windows=False, force_jupyter=False)
    console.print(panel)
    return out.getvalue()


class Stream(io.StringIO):
    """Standard output as a test wants it: a terminal or not, in some encoding."""

    def __init__(self, *, tty=False, encoding="utf-8"):
        super().__init__()
        self._tty, self._encoding = tty, encoding

    def isatty(self):
        return self._tty

    @property
    def encoding(self):
        return self._encoding


def runs(total, description, source, note=None):
    lines = [[(total, "bold green"), (" credits", "")], [(description, "bold")], [(source, "")]]
    return lines + ([[(note, "dim")]] if note is not None else [])


# ---------------------------------------------------------------------------------------------------------------
# Text people give: words of ASCII, accents, CJK and Hangul (two cells), marks and joiners (none), long words
# ---------------------------------------------------------------------------------------------------------------

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-,.:()&'/"
WIDE = "日本語税務会計監査한국어세금ＡＢＣ😀🧾☰䷀"  # East Asian wide, full-width, emoji, Unicode 16 wide symbols
SPECIAL = "éüñøß\u0301\u0308\u200b\u200d\u00ad\u0600\u1161\u3164\U0001f3fd·–"  # marks, joiners, fillers
# Any assigned, printable character but the emoji variation selector (the one documented difference).
ANY = st.characters(exclude_categories=("Cc", "Cs", "Cn", "Zl", "Zp"),
                    exclude_characters="\ufe0f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
word = st.one_of(st.text(LATIN, min_size=1, max_size=12),
                 st.text(LATIN + WIDE + SPECIAL, min_size=1, max_size=8),
                 st.text(ANY, min_size=1, max_size=4),
                 st.text(LATIN + WIDE, min_size=2, max_size=8).map(lambda w: w * 12))  # longer than a line
gap = st.sampled_from([" ", " ", " ", "  ", " · ", "\u00a0", "\u3000", "\u2002"])
phrase = st.lists(st.tuples(word, gap), max_size=6).map(lambda pairs: "".join(w + g for w, g in pairs).strip(" "))
widths = st.one_of(st.integers(20, 200), st.integers(20, 200), st.integers(1, 19))


@settings(max_examples=200, deadline=None)
@given(total=st.one_of(st.text(st.sampled_from("0123456789."), min_size=1, max_size=12), word),
       description=phrase, source=phrase, note=st.none() | phrase, width=widths, terminal=st.booleans(),
       no_color=st.booleans())
# A wide space cut in half at the end of a line becomes a space; a joiner takes the next character into its grapheme.
@example(total="1.0", description="日a日\u3000日a  a日日\u3000", source="b日a日b b本日\u3000b\u3000本日", note=None,
         width=24, terminal=True, no_color=False)
@example(total="1.0", description="\u200d", source="a日\u200da\u200da\u200da日aaa日\u200daa日日aa\u200d", note=None,
         width=20, terminal=True, no_color=False)
# More characters than the line has columns, though fewer cells: Rich drops the trailing spaces all the same.
@example(total="1.0", description="a" + "\u0301" * 40 + "\u00a0\u00a0", source="x", note=None, width=30,
         terminal=True, no_color=False)
def test_any_text_is_drawn_as_rich_draws_it(total, description, source, note, width, terminal, no_color):
    lines = runs(total, description, source, note)
    expected = rich_draw(rich_lines(lines), width, terminal=terminal, no_color=no_color)
    assert badge.draw(lines, width, styled=terminal, no_color=no_color) == expected


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
filter_text = st.lists(word, max_size=4).map(lambda words: "".join(f" · {w}" for w in words))


@settings(max_examples=150, deadline=None)
@given(hundredths=st.integers(0, 10**9), count=st.integers(0, 10**6), start=st.none() | days, end=st.none() | days,
       source=st.sampled_from(["all", "lumiq", "external"]), narrowed=filter_text,
       outside_count=st.integers(0, 10**5), outside_hundredths=st.integers(0, 10**8), width=widths,
       terminal=st.booleans(), no_color=st.booleans())
def test_the_badge_is_the_one_rich_drew(hundredths, count, start, end, source, narrowed, outside_count,
                                        outside_hundredths, width, terminal, no_color):
    total = Total(Decimal(hundredths) / 100, count)
    outside = Total(Decimal(outside_hundredths) / 100, outside_count)
    window = Window(start, end, "label")
    expected = rich_draw(rich_badge(total, window, source, outside, narrowed), width, terminal=terminal,
                         no_color=no_color)
    drawn = badge.draw(badge.body(total, window, source, outside, narrowed), width, styled=terminal,
                       no_color=no_color)
    assert drawn == expected


README_BADGE = ("╭─ Total CPE Credits ──────────╮\n"
                "│  \x1b[1;32m18.7\x1b[0m credits                │\n"
                "│  \x1b[1mJan 1, 2026 - Nov 20, 2026\x1b[0m  │\n"
                "│  All sources · 6 records     │\n"
                "╰──────────────────────────────╯\n")


@pytest.mark.parametrize("color_system", ["standard", "256", "truecolor"])
def test_the_readme_badge_with_its_escapes(color_system):
    """The README's picture (tools/readme_samples.py strips the escapes), as every colour system writes it."""
    total, outside = Total(Decimal("18.7"), 6), Total(Decimal(0), 0)
    window = Window(date(2026, 1, 1), date(2026, 11, 20), "Year to date")
    assert rich_draw(rich_badge(total, window, "all", outside), 80, terminal=True,
                     color_system=color_system) == README_BADGE
    assert badge.draw(badge.body(total, window, "all", outside), 80, styled=True) == README_BADGE


def test_an_encoding_without_box_characters_gets_rich_s_ascii_box():
    lines = runs("2.5", "Jan 1, 2026 - Jun 11, 2026", "All sources · 1 record")
    expected = rich_draw(rich_lines(lines), 60, terminal=False, encoding="latin-1")
    assert expected.startswith("+- Total CPE Credits -")
    assert badge.draw(lines, 60, ascii_only=True) == expected


def test_text_that_could_drive_the_terminal_is_shown_as_codes():
    """The one deliberate difference: Rich wrote a profile group's escape sequence raw; cpe shows its codes."""
    total, outside = Total(Decimal(1), 1), Total(Decimal(0), 0)
    window = Window(date(2026, 1, 1), date(2026, 6, 11), "Year to date")
    drawn = badge.draw(badge.body(total, window, "all", outside, " · a\x1b]0;owned\x07b\u202e"), 100)
    assert "\x1b" not in drawn and "\x07" not in drawn and "\u202e" not in drawn
    assert "a\\x1b]0;owned\\x07b\\u202e" in drawn


# ---------------------------------------------------------------------------------------------------------------
# The console's decisions: print_badge against Rich's Console.print under the environments people have
# ---------------------------------------------------------------------------------------------------------------

ENVIRONMENTS = [
    {"TERM": "xterm-256color"},
    {"TERM": "xterm-256color", "NO_COLOR": "1"},
    {"TERM": "xterm-256color", "NO_COLOR": ""},
    {"TERM": "xterm", "COLORTERM": "truecolor"},
    {"TERM": "dumb"},
    {"TERM": "unknown", "COLUMNS": "50"},
    {"TERM": "DUMB", "COLUMNS": "50", "LINES": "20"},
    {"TERM": "xterm-256color", "FORCE_COLOR": "1"},
    {"TERM": "xterm-256color", "FORCE_COLOR": ""},
    {"TERM": "xterm-256color", "TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
    {"TERM": "xterm-256color", "TTY_COMPATIBLE": "1"},
    {"TERM": "xterm-256color", "COLUMNS": "37"},
    {"TERM": "xterm-256color", "COLUMNS": "24"},
    {"TERM": "xterm-256color", "COLUMNS": "0"},
    {"TERM": "xterm-256color", "COLUMNS": "wide"},
    {"TERM": "xterm-256color", "COLUMNS": "250", "LINES": "10"},
    {},
]
VARIABLES = ("TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS", "LINES")


# The terminal's size on standard input, output and error: one terminal, a pseudo-terminal that says 0, input
# from a file, input from another terminal than output, no terminal at all.
SIZES = [{0: (100, 40), 1: (100, 40), 2: (100, 40)}, {0: (33, 20), 1: (33, 20), 2: (33, 20)},
         {0: (0, 0), 1: (0, 0), 2: (0, 0)}, {1: (70, 20), 2: (70, 20)}, {0: (50, 20), 1: (120, 40)}, {}]


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=lambda env: " ".join(f"{k}={v}" for k, v in env.items()))
def test_print_badge_decides_as_rich_s_console(monkeypatch, environment):
    """Width, styles and NO_COLOR as Rich's Console decided them, on a TTY or not, whatever the terminal's size."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    total, outside = Total(Decimal("12.25"), 3), Total(Decimal("4"), 2)
    filters = Filters(window=Window(date(2026, 1, 1), date(2026, 6, 11), "Year to date"), source="external",
                      fields=(), tags=("fraud",), field_words=("Taxes", "税务"), no_certificate=True, batch=None)
    for size in SIZES:
        def terminal_size(descriptor=1, size=size):
            if descriptor not in size:
                raise OSError(25, "Inappropriate ioctl for device")
            return os.terminal_size(size[descriptor])

        monkeypatch.setattr(os, "get_terminal_size", terminal_size)
        for tty in (True, False):
            theirs = Stream(tty=tty)
            Console(file=theirs, highlight=False, soft_wrap=False).print(
                rich_badge(total, filters.window, filters.source, outside, filter_words(filters)))
            ours, stdout = Stream(tty=tty), sys.stdout
            sys.stdout = ours
            try:
                badge.print_badge(total, filters, outside)
            finally:
                sys.stdout = stdout
            assert ours.getvalue() == theirs.getvalue(), (size, tty)


def test_the_progress_bar_console_is_still_rich_s():
    console = badge.console(stderr=True)
    assert type(console).__module__ == "rich.console" and console.file is sys.stderr


# ---------------------------------------------------------------------------------------------------------------
# End to end: `cpe total` in a real pseudo-terminal, 80 columns, through the installed entry point
# ---------------------------------------------------------------------------------------------------------------

def test_the_badge_in_a_real_terminal_is_rich_s_picture_without_rich(cpe, tmp_path):
    assert cpe(*add_args(credits="2.5")).exit_code == 0
    assert cpe(*add_args(credits="1", date="2024-05-05", title="Old")).exit_code == 0
    modules_file = tmp_path / "modules.txt"
    env = {**os.environ, "TERM": "xterm-256color", "CPE_PAGER": "cat", "CPE_TEST_MODULES_OUT": str(modules_file)}
    for name in ("NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "COLORTERM", "PYTHONSTARTUP"):
        env.pop(name, None)

    code, screen = run_in_terminal([sys.executable, "-c", MODULES_PROBE, "total"], env)

    assert code == 0, screen
    window = Window(date(2026, 1, 1), date(2026, 6, 11), "Year to date")
    expected = rich_draw(rich_badge(Total(Decimal("2.5"), 1), window, "all", Total(Decimal("1.0"), 1)), 80,
                         terminal=True)
    assert "1 record (1.0 credits) falls outside this window" in expected
    assert screen == expected.replace("\n", "\r\n")
    modules = modules_file.read_text(encoding="utf-8").splitlines()
    assert "cpe_cli.cli.badge" in modules
    assert [name for name in modules if name == "rich" or name.startswith("rich.")] == []
