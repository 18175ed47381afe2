"""The Total CPE Credits badge, drawn by cpe itself: the picture Rich's ``Panel`` draws, without Rich.

Why by hand: the badge is what ``cpe total`` shows on a terminal, and importing
``rich.console`` (with ``rich.text`` and ``rich.panel``) costs about 65 ms on the
development machine, more than everything else the command does; the badge sat
at 4-5x its benchmark floor for it (issue 14: "Rich imported only for what it
draws"). The badge is one fixed layout, so this module draws it in plain string
operations, the way ``table.py`` lays out the records table.

What it reproduces, from Rich 15 (``rich.panel``, ``rich.text``, ``rich._wrap``,
``rich.cells``, ``rich.console``), so that nothing on screen changed:

* the panel: rounded box (ASCII when standard output cannot encode it), the
  title "Total CPE Credits" at the left of the top border, padding (0, 2), as
  wide as the widest line (``expand=False``) and never narrower than the title;
* the wrapping: words folded at whitespace, a word longer than the line cut
  into pieces, trailing spaces kept as Rich keeps them, cells measured as
  Rich's ``cell_len`` measures them (East Asian wide characters take two,
  combining marks and format characters none);
* the styles: bold green total, bold window, dim note, as the same SGR
  sequences; ``NO_COLOR`` removes the green but keeps bold and dim, as Rich does;
* the console's decisions: styles only when Rich would call standard output a
  terminal (``TTY_COMPATIBLE``, then ``FORCE_COLOR``, then ``isatty``) that is
  not ``TERM=dumb``/``unknown``; the width from ``COLUMNS``, else the terminal's
  size (standard input, output or error), else 80.

``tests/test_badge_drawing.py`` checks all of this against Rich's own ``Panel``
(Rich stays installed: Typer uses it): random totals, windows, filter words
(wide characters, long words), notes and widths, with and without styles; an
upgrade of Rich that changes the picture fails there rather than drifting.

Deliberate or known differences from Rich: text that could drive the terminal
(control characters, bidirectional overrides) is shown as codes by
``output.plain``, where Rich would print it raw; an emoji variation selector
(U+FE0F) never widens the character before it (Rich widens some); characters
newer than Python's Unicode database may measure differently; a legacy Windows
console without VT processing gets the picture any terminal gets (Rich drew a
square box there, a column narrower, through the Win32 console API).

Rich's console is still what draws the import progress bar (``console``), loaded
only when that bar is shown.
"""

from __future__ import annotations

import os
import sys

from ..core.credits import format_total
from ..core.periods import Window, describe
from ..core.views import source_label

TITLE = " Total CPE Credits "  # as Panel pads it, a space each side
PADDING = 2  # Panel(padding=(0, 2)): two columns each side of the text
NO_RECORDS = "No records yet: add one with 'cpe add', or a CSV with 'cpe import FILE'"

# Rich's box.ROUNDED, and box.ASCII for a stream whose encoding is not UTF: corners and edges.
ROUNDED = ("╭", "─", "╮", "│", "╰", "╯")
ASCII = ("+", "-", "+", "|", "+", "+")

# The SGR parameters Rich writes for the badge's styles (the same in every colour system of a terminal:
# green is one of the 8 standard colours); with NO_COLOR Rich drops the colour and keeps the attributes.
SGR = {"bold green": "1;32", "bold": "1", "dim": "2"}
SGR_NO_COLOR = {"bold green": "1", "bold": "1", "dim": "2"}

Line = list[tuple[str, str]]  # one line of the badge as (text, style) runs; style "" is unstyled


def console(stderr: bool = False):
    """A Rich console that follows the terminal, for the import progress bar (``handlers/exchange.py``).

    Rich is imported here, when a bar is about to be shown, not with this module: the badge does not need it.
    """
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=False)


def body(total, window: Window, source: str, outside, narrowed: str = "") -> list[Line]:
    """The badge's text, line by line, as styled runs: what the Rich ``Text`` of the badge held.

    Text from outside cpe's own wording (filter words, a profile's group name) goes through
    ``output.plain``, so it cannot drive the terminal.
    """
    from .output import plain

    records = f"{total.count} record{'s' if total.count != 1 else ''}"
    lines = [[(format_total(total.credits), "bold green"), (" credits", "")],
             [(plain(describe(window)), "bold")],
             [(plain(f"{source_label(source)}{narrowed} · {records}"), "")]]
    if outside.count:
        from .output import outside_window

        lines.append([(outside_window(outside), "dim")])
    elif not total.count and source == "all":
        lines.append([(NO_RECORDS, "dim")])
    return lines


def print_badge(total, filters, outside) -> None:
    """Draw the badge on standard output, as wide and as styled as Rich's console would have drawn it."""
    from .output import filter_words

    stream = sys.stdout
    width, styled, no_color, ascii_only = settings(stream, os.environ)
    stream.write(draw(body(total, filters.window, filters.source, outside, filter_words(filters)), width,
                      styled=styled, no_color=no_color, ascii_only=ascii_only))
    stream.flush()


# ---------------------------------------------------------------------------------------------------------------
# The console's decisions (rich.console.Console: is_terminal, is_dumb_terminal, size, no_color, options.ascii_only)
# ---------------------------------------------------------------------------------------------------------------

def settings(stream, environ) -> tuple[int, bool, bool, bool]:
    """``(width, styled, no_color, ascii_only)`` for drawing on ``stream``, decided as Rich's ``Console`` decides."""
    terminal = is_terminal(stream, environ)
    dumb = terminal and environ.get("TERM", "").lower() in ("dumb", "unknown")
    encoding = (getattr(stream, "encoding", "utf-8") or "utf-8").lower()
    return (terminal_width(environ, dumb), terminal and not dumb, environ.get("NO_COLOR", "") != "",
            not encoding.startswith("utf"))


def is_terminal(stream, environ) -> bool:
    """Whether Rich would treat ``stream`` as a terminal: ``TTY_COMPATIBLE=0/1`` decides, then a set
    ``FORCE_COLOR`` (empty: no), then ``isatty``."""
    if str(getattr(sys.stdin, "__module__", "")).startswith("idlelib"):  # IDLE claims a TTY it cannot colour
        return False
    compatible = environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    isatty = getattr(stream, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:  # a closed stream
        return False


def _digits(value: str | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    try:
        return int(value)
    except ValueError:  # "²" is a digit int() refuses (Rich itself would fail on it)
        return None


def terminal_width(environ, dumb: bool = False) -> int:
    """The width Rich's console draws in: ``COLUMNS``, else the terminal's (standard input, output, then error),
    else 80; a dumb terminal is 80 wide unless both ``COLUMNS`` and ``LINES`` are set."""
    columns = _digits(environ.get("COLUMNS"))
    if columns is not None and _digits(environ.get("LINES")) is not None:
        return columns
    if dumb:
        return 80
    if columns is not None:
        return columns
    width = None
    for descriptor in ((1, 2) if sys.platform == "win32" else (0, 1, 2)):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):  # not a terminal
            continue
        break
    return width or 80  # a pseudo-terminal may report 0 columns


# ---------------------------------------------------------------------------------------------------------------
# The panel (rich.panel.Panel with padding (0, 2), expand=False, title at the left)
# ---------------------------------------------------------------------------------------------------------------

def draw(lines: list[Line], width: int, *, styled: bool = False, no_color: bool = False,
         ascii_only: bool = False) -> str:
    """The badge around ``lines``, ``width`` columns at most, each line ending in a newline.

    The arithmetic is Panel's: the box is as wide as the widest line plus padding and borders, at least the
    title plus its two border characters, at most ``width``; the text is wrapped to what is left inside.
    """
    if width < 1:  # Rich renders nothing in no room
        return ""
    top_left, edge, top_right, side, bottom_left, bottom_right = ASCII if ascii_only else ROUNDED
    texts = ["".join(text for text, _ in line) for line in lines]
    room = width - 2
    if room < 1:
        measured = 0
    elif room - 2 * PADDING < 1:
        measured = room
    else:
        widest = max((cell_len(text) for text in texts), default=0)
        measured = min(min(widest, room) + 2 * PADDING, room)
    inner = min(room, max(measured, len(TITLE) + 2))
    outer = inner + 2
    if outer <= 4:
        rows = [top_left + edge * (outer - 2) + top_right]
    else:
        title = TITLE[:outer - 4]
        rows = [top_left + edge + title + edge * (outer - 4 - len(title)) + edge + top_right]
    text_width = inner - 2 * PADDING
    if text_width >= 1:
        codes = (SGR_NO_COLOR if no_color else SGR) if styled else None
        margin = " " * PADDING
        for line, text in zip(lines, texts):
            styles = [style for run, style in line for _ in run]
            for piece, marks in wrap(text, styles, text_width):
                drawn, cells = _styled(piece, marks, codes)
                rows.append(side + margin + drawn + " " * (text_width - cells) + margin + side)
    rows.append(bottom_left + edge * (outer - 2) + bottom_right)
    if outer < 2:  # one column: the corners alone are two, and Rich crops every line to the console's width
        rows = [row[:width] for row in rows]
    return "\n".join(rows) + "\n"


def _styled(text: str, marks: list[str], codes: dict[str, str] | None) -> tuple[str, int]:
    """``text`` with each run of one style wrapped in its SGR sequence (as Rich writes a segment), and its cells."""
    if not text:
        return "", 0
    parts = []
    cells = 0
    start = 0
    end = len(text)
    while start < end:
        style = marks[start]
        stop = start + 1
        while stop < end and marks[stop] == style:
            stop += 1
        run = text[start:stop]
        cells += cell_len(run)  # Rich pads by the sum of its segments' cells
        parts.append(f"\x1b[{codes[style]}m{run}\x1b[0m" if codes is not None and style else run)
        start = stop
    return "".join(parts), cells


def wrap(text: str, marks: list[str], width: int) -> list[tuple[str, list[str]]]:
    """One line of text (and a style per character) folded into ``width`` cells as Rich's ``Text.wrap`` folds it:
    the breaks of ``divide_line``; then, per piece, trailing whitespace beyond ``width`` characters dropped
    (``rstrip_end``) and a piece still too wide cut to ``width`` cells (``truncate``, overflow "fold")."""
    if len(text) <= width and cell_len(text) <= width:  # fits: no break, nothing to strip or cut
        return [(text, marks)]
    breaks = divide_line(text, width)
    pieces = []
    for start, end in zip([0, *breaks], [*breaks, len(text)]):
        piece = text[start:end]
        if len(piece) > width:
            trailing = len(piece) - len(piece.rstrip())
            if trailing:
                piece = piece[:len(piece) - min(trailing, len(piece) - width)]
        if cell_len(piece) > width:
            piece = set_cell_size(piece, width)
        pieces.append((piece, marks[start:start + len(piece)]))
    return pieces


# ---------------------------------------------------------------------------------------------------------------
# Word wrap (rich._wrap.divide_line) and cells (rich.cells), without regular expressions or Rich's tables
# ---------------------------------------------------------------------------------------------------------------

def _words(text: str):
    """``(start, word)`` for each word with the whitespace around it (Rich's ``\\s*\\S+\\s*``, matched in turn)."""
    position = 0
    length = len(text)
    while True:
        index = position
        while index < length and text[index].isspace():
            index += 1
        if index == length:
            return
        while index < length and not text[index].isspace():
            index += 1
        while index < length and text[index].isspace():
            index += 1
        yield position, text[position:index]
        position = index


def divide_line(text: str, width: int) -> list[int]:
    """The offsets at which Rich breaks ``text`` to fit ``width`` cells, folding words longer than a line."""
    breaks: list[int] = []
    offset = 0
    for start, word in _words(text):
        length = cell_len(word.rstrip())
        if width - offset >= length:
            offset += cell_len(word)
        elif length > width:
            folded = chop_cells(word, width)
            for number, part in enumerate(folded, 1):
                if start:
                    breaks.append(start)
                if number == len(folded):
                    offset = cell_len(part)
                else:
                    start += len(part)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(word)
    return breaks


def _simple(text: str) -> bool:
    """Printable ASCII: one cell per character, no grapheme to keep together."""
    return text.isascii() and text.isprintable()


def chop_cells(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` cells, never inside a grapheme (``rich.cells.chop_cells``)."""
    if _simple(text):
        return [text[index:index + width] for index in range(0, len(text), width)]
    lines = []
    size = 0
    line_start = 0
    for start, _end, cells in _graphemes(text):
        if size + cells > width:
            lines.append(text[line_start:start])
            line_start = start
            size = 0
        size += cells
    if size:
        lines.append(text[line_start:])
    return lines


def set_cell_size(text: str, total: int) -> str:
    """``text`` cropped or padded to ``total`` cells; a wide character cut in half becomes a space."""
    if _simple(text):
        return text + " " * (total - len(text)) if len(text) < total else text[:total]
    if total <= 0:
        return ""
    size = cell_len(text)
    if size == total:
        return text
    if size < total:
        return text + " " * (total - size)
    used = 0
    for start, _end, cells in _graphemes(text):
        if used == total:
            return text[:start]
        if used + cells > total:
            return text[:start] + " "
        used += cells
    return text


_ZWJ, _VS16 = "\u200d", "\ufe0f"


def cell_len(text: str) -> int:
    """The cells ``text`` takes on a terminal, as ``rich.cells.cell_len`` counts them (a zero-width joiner hides
    the character after it)."""
    if _simple(text):
        return len(text)
    if _ZWJ not in text and _VS16 not in text:
        return sum(map(char_width, text))
    total = 0
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == _ZWJ:
            index += 1
        elif char != _VS16:
            total += char_width(char)
        index += 1
    return total


def _graphemes(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, cells)`` of each grapheme as ``rich.cells.split_graphemes`` divides text: zero-width
    characters join the one before, a zero-width joiner takes the next character along."""
    spans: list[tuple[int, int, int]] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == _ZWJ or char == _VS16:
            if not spans:
                spans.append((index, index + 1, 0))
                index += 1
                continue
            index += 2 if char == _ZWJ and index < length - 1 else 1
            start, _end, cells = spans[-1]
            spans[-1] = (start, index, cells)
            continue
        cells = char_width(char)
        if cells or not spans:
            spans.append((index, index + 1, cells))
        else:
            start, _end, previous = spans[-1]
            spans[-1] = (start, index + 1, previous)
        index += 1
    return spans


# Where Rich's cell table (Unicode 17) differs from the general rule below: Hangul vowel and final jamo and the
# Hangul fillers take no cell, nor do emoji skin-tone modifiers; the prepended concatenation marks (and the soft
# hyphen) take one; the trigrams, hexagrams and counting rods made wide in Unicode 16 take two.
_NO_CELL = ((0x1160, 0x11FF), (0x3164, 0x3164), (0xD7B0, 0xD7FF), (0xFFA0, 0xFFA0), (0x1F3FB, 0x1F3FF))
_ONE_CELL = frozenset((0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6DD, 0x70F, 0x890, 0x891, 0x8E2, 0x110BD, 0x110CD))
_TWO_CELLS = ((0x2630, 0x2637), (0x268A, 0x268F), (0x4DC0, 0x4DFF), (0x1D300, 0x1D356), (0x1D360, 0x1D376))
_ZERO_CATEGORIES = frozenset(("Mn", "Me", "Mc", "Cf", "Zl", "Zp"))


_widths: dict[str, int] = {}


def char_width(char: str) -> int:
    """Cells of one character: 0 for controls, marks and format characters, 2 for East Asian wide and full-width
    ones, 1 otherwise (``rich.cells.get_character_cell_size``, from Python's own Unicode database)."""
    code = ord(char)
    if code < 0x300:
        return 0 if code < 0x20 or 0x7F <= code < 0xA0 else 1
    width = _widths.get(char)
    if width is None:
        width = _widths[char] = _unicode_width(char, code)
    return width


def _unicode_width(char: str, code: int) -> int:
    import unicodedata

    if any(low <= code <= high for low, high in _NO_CELL):
        return 0
    category = unicodedata.category(char)
    if category in _ZERO_CATEGORIES:
        return 1 if code in _ONE_CELL else 0
    if category == "Cn":  # unassigned in this Python's Unicode database, perhaps not in Rich's: Unicode's defaults
        if 0x20000 <= code <= 0x3FFFD or 0x1F000 <= code <= 0x1FAFF:  # CJK planes, emoji
            return 2
        return 0 if 0xE0000 <= code <= 0xE0FFF else 1  # tags and variation selectors are default-ignorable
    if unicodedata.east_asian_width(char) in ("W", "F") or any(low <= code <= high for low, high in _TWO_CELLS):
        return 2
    return 1
