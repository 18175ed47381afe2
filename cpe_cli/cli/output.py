"""The one output layer: every command prints through these functions.

The contract (README, "Output"): data (tables, CSV, JSON, the bare total)
goes to standard output, so ``cpe list --format csv | ...`` and
``id=$(cpe add ... --json | jq .id)`` read only data; messages,
confirmations, progress and warnings go to standard error. One ``warn``,
one plural and one credits formatter keep the wording alike everywhere.
Typer-free and Rich-free (only the import progress bar loads Rich, where it
draws), so the fast route prints exactly what the Typer route prints.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


def data(text: str) -> None:
    """A line (or lines) of data on standard output."""
    sys.stdout.write(text + "\n")


def pager_command() -> str | None:
    """The pager a long table goes through on a terminal: ``$CPE_PAGER``, else ``$PAGER``, else ``less -FRX``
    (which quits at once when the text fits); None when it is set to ``cat`` or to nothing (no pager)."""
    import os

    command = os.environ.get("CPE_PAGER") or os.environ.get("PAGER") or "less -FRX"
    return None if command.strip() in ("", "cat") else command


def page(text: str, *, allowed: bool = True) -> None:
    """Data for a person: through a pager when it is taller than the terminal, as git does.

    Only on a terminal and with ``allowed`` (``--no-pager`` turns it off), through ``pager_command()``. A pager
    that cannot start leaves the text printed.
    """
    from .terminal import terminal_size

    lines = text.count("\n") + 1
    command = pager_command()
    if not (allowed and command and stdout_is_terminal() and lines > terminal_size()[1]):
        data(text)
        return
    import subprocess

    sys.stdout.flush()
    try:
        subprocess.run(command, shell=True, input=(text + "\n").encode("utf-8"), check=False)
    except OSError:
        data(text)


def data_json(value: object) -> None:
    """A JSON document on standard output: indented for people, UTF-8 as it is for tools."""
    import json

    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def data_json_line(value: object) -> None:
    """A JSON document on one line (``cpe total --json``: one result per run, easy to grep)."""
    import json

    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


def message(text: str) -> None:
    """A confirmation, summary or prompt text for the person at the terminal, on standard error."""
    sys.stdout.flush()  # keep data and messages in order on a shared terminal
    sys.stderr.write(for_the_terminal(plain(text, keep="\n\t")) + "\n")
    sys.stderr.flush()


def for_the_terminal(text: str) -> str:
    """``text`` as standard error shows it: on a terminal, each line wider than the terminal broken at spaces,
    never inside a word (a SHA-256, or a path without spaces, stays whole to copy), its later lines indented
    two spaces more than it. Anywhere else (a pipe, a file, a script reading it) as it is: one line per
    message."""
    columns = _stderr_columns()
    if columns is None or all(len(line.expandtabs()) <= columns for line in text.split("\n")):
        return text
    import textwrap  # only for a message wider than the terminal (textwrap loads re)

    def broken(line: str) -> str:
        line = line.expandtabs()  # as the terminal shows it: a tab is up to 8 columns, not 1
        indent = line[:len(line) - len(line.lstrip(" "))]
        if len(indent) > columns // 2:  # an indent that leaves no room for words is not kept
            indent = ""
        return "\n".join(textwrap.wrap(line[len(indent):], columns, initial_indent=indent,
                                       subsequent_indent=indent + "  ", break_long_words=False,
                                       break_on_hyphens=False)) or line

    return "\n".join(broken(line) if len(line.expandtabs()) > columns else line for line in text.split("\n"))


def _stderr_columns() -> int | None:
    """The width of the terminal standard error is on ($COLUMNS first, as for the tables); None if it is not one."""
    try:
        if not sys.stderr.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    from .terminal import terminal_size

    return max(terminal_size(stream=sys.stderr)[0], 20)


def warn(text: str) -> None:
    """A warning: the command goes on, but the user should know."""
    message(f"Warning: {text}")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 record``, ``2 records``, ``1,000 records`` (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def outside_window(outside) -> str:
    """The records (and credits) a view's window leaves out, said alike by the badge and the list."""
    return (f"{plural(outside.count, 'record')} ({credits(outside.credits)} credits) "
            f"{'falls' if outside.count == 1 else 'fall'} outside this window; "
            f"see {'it' if outside.count == 1 else 'them'} with --preset all-time")


def credits(value: "decimal.Decimal") -> str:
    """A credit amount as people read it: at least one decimal, never trailing noise (``4.0``, ``1.25``)."""
    from ..core.credits import format_total

    return format_total(value)


# What can drive or fool a terminal, beyond the C0/C1 controls (category Cc): lone surrogates (not text at all),
# line and paragraph separators, and the bidirectional embeddings, overrides and isolates that make text read
# differently from what is stored (the validators refuse the same ones). Other invisible characters (a
# no-break space, the zero-width joiner of an emoji, a direction mark in Hebrew text) are harmless.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cs", "Zl", "Zp"))


def _escaped(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def plain(text: str, keep: str = "") -> str:
    """Text made safe to print on a terminal, wherever it came from (a restored backup can hold anything).

    Control characters (an escape sequence), lone surrogates, line separators and bidirectional overrides
    are shown as ``\\x1b``, ``\\udce9``, ``\\u202e`` codes; ``keep`` names characters left as they are
    (``"\\n"`` for a multi-line text). Data written as CSV or JSON is never passed through here.
    """
    if text.isprintable():  # the common case, checked in C
        return text
    import unicodedata

    return "".join(char if char in keep or (char not in _BIDI and unicodedata.category(char)
                                            not in _UNSAFE_CATEGORIES) else _escaped(char)
                   for char in text)


def filter_words(filters) -> str:
    """The filters besides window and source, in words (" · Taxes · tagged fraud"), for titles and the badge."""
    words = ""
    if filters.field_words:
        words += f" · {' or '.join(filters.field_words)}"
    if filters.tags:
        words += f" · tagged {' or '.join(filters.tags)}"
    if filters.no_certificate:
        words += " · without certificate"
    if filters.batch is not None:
        words += f" · import batch {filters.batch}"
    return words


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stdin_is_terminal() -> bool:
    """Whether a person can answer questions (prompts, confirmations)."""
    return sys.stdin.isatty()


def year_to_date(total) -> None:
    """The line that follows every change: where the year stands now."""
    message(f"Total CPE credits, year to date: {credits(total.credits)} ({plural(total.count, 'record')})")


@contextmanager
def utf8_stdout() -> Iterator:
    """Standard output as UTF-8 text whatever the locale (the CSV contract), and fast.

    A file object of its own over file descriptor 1 (not closing it), without
    the newline translation of ``sys.stdout``: about 15% of a large export's time.
    """
    import io

    sys.stdout.flush()
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file: a test runner's capture
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            yield sys.stdout
            return
        wrapper = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
        try:
            yield wrapper
            wrapper.flush()
        finally:
            wrapper.detach()
        return
    with open(descriptor, "w", encoding="utf-8", newline="", closefd=False, buffering=1 << 16) as stream:
        yield stream
