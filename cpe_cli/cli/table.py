"""The records table, laid out by hand for speed.

Rich's ``Table`` measures and renders every cell through its segment
machinery: about 1.5 ms a row here (2.2 s for 1,344 rows, measured), which
made ``cpe list`` on a large ledger tens of times slower than the rest of
the command. This module does the one layout the list needs, columns sized
to their content and the terminal, long text wrapped inside its column, in
plain string operations (about 10 µs a row). It needs no Rich import
either, so ``cpe list`` starts as fast as ``cpe total``.
"""

from __future__ import annotations

import unicodedata
from collections import namedtuple
from collections.abc import Iterable, Sequence

from .output import plain

GAP = "  "  # between columns
MIN_FLEXIBLE_WIDTH = 8  # at least the widest flexible header ("Delivery", "Provider")


class Column(namedtuple("Column", ("header", "align", "flexible"), defaults=("left", False))):
    """A column's header, its alignment (left, right or center), and whether it may be narrowed (its text
    wrapped) to fit the terminal. A named tuple: ``dataclasses`` costs 15-40 ms of imports."""

    __slots__ = ()


def display_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
               for char in text)


# Stored text as ``output.plain`` shows it (escapes, bidi overrides as codes): it never drives the terminal.
safe_text = plain


def _wrap(text: str, width: int) -> list[str]:
    if text.isascii():
        if len(text) <= width:
            return [text]
        return _wrap_words(text, width)
    if display_width(text) <= width:
        return [text]
    return _wrap_words(text, width, display_width)


def _wrap_words(text: str, width: int, measure=len) -> list[str]:
    """Text folded at spaces into lines of at most ``width`` (as ``measure`` counts: ``len`` for ASCII,
    ``display_width`` otherwise); only a word longer than the column is broken. What ``textwrap.wrap``
    does here, without its regular expressions: a thousand-row list wraps thousands of cells, and this is
    the list's hot loop."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and measure(current) + 1 + measure(word) <= width:
            current += " " + word
            continue
        if current:
            lines.append(current)
        while measure(word) > width:
            cut = width if measure is len else _fitting(word, width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


def _fitting(word: str, width: int) -> int:
    """How many leading characters of ``word`` fit in ``width`` columns (at least one)."""
    used = 0
    for count, char in enumerate(word):
        used += display_width(char)
        if used > width:
            return max(count, 1)
    return len(word)


def wrap_text(text: str, width: int) -> list[str]:
    """Titles and footers: ``_wrap_words`` measuring ASCII by length and other text by display width."""
    return _wrap_words(text, width, len if text.isascii() else display_width)


def _pad(text: str, width: int, align: str) -> str:
    room = width - (len(text) if text.isascii() else display_width(text))
    if align == "right":
        return " " * room + text
    if align == "center":
        return " " * (room // 2) + text + " " * (room - room // 2)
    return text + " " * room


def render(columns: Sequence[Column], rows: Iterable[Sequence[str]], bold: tuple[str, str],
           widths: list[int]) -> list[str]:
    """The table as lines, in the widths ``layout`` chose; cells are already made safe to print (``safe_text``)."""
    gap = GAP
    on, off = bold
    header_cells = [_pad(column.header, width, column.align) for column, width in zip(columns, widths)]
    lines = [on + gap.join(header_cells).rstrip() + off, gap.join("─" * width for width in widths)]
    aligns = [column.align for column in columns]
    for row in rows:
        wrapped = [_wrap(cell, width) for cell, width in zip(row, widths)]
        height = max(len(cell) for cell in wrapped)
        if height == 1:  # most rows: one line, no per-line bookkeeping
            lines.append(gap.join([_pad(cell[0], width, align)
                                   for cell, width, align in zip(wrapped, widths, aligns)]).rstrip())
            continue
        for line_number in range(height):
            cells = [_pad(cell[line_number] if line_number < len(cell) else "", width, column.align)
                     for cell, width, column in zip(wrapped, widths, columns)]
            lines.append(gap.join(cells).rstrip())
    return lines


def _longest_word(texts) -> int:
    return max((display_width(word) for text in texts for word in text.split()), default=0)


# Columns of the list, in the order they are given up when the terminal is too narrow for all of them.
DROP_ORDER = ("Source", "State", "Delivery", "Tags", "Provider", "Field", "Cert")
TITLE_MIN = 16  # below this a title is hard to read: other columns go first
TITLE_COMFORT = 26  # a title narrower than this (and than itself) costs the least useful columns their place
OPTIONAL = ("Source", "State", "Delivery")  # may go to give Title its comfortable width


def layout(columns: list[Column], rows: list[list[str]], available: int) -> tuple[list[int], list[str]]:
    """Widths for ``columns`` within ``available`` and the headers of the columns left out.

    Title gets the space first: the other flexible columns narrow to their
    longest word (so no word is split), then columns are left out in
    ``DROP_ORDER``; Title itself narrows last, down to ``TITLE_MIN``.
    """
    gap = len(GAP)
    naturals = [max([display_width(column.header), *(display_width(row[i]) for row in rows)])
                for i, column in enumerate(columns)]
    floors = []
    for i, column in enumerate(columns):
        if not column.flexible:
            floors.append(naturals[i])
        elif column.header == "Title":
            floors.append(min(naturals[i], max(TITLE_MIN, display_width(column.header))))
        else:
            floors.append(min(naturals[i], max(display_width(column.header), _longest_word(row[i] for row in rows))))
    kept = list(range(len(columns)))
    dropped: list[str] = []

    def room() -> int:
        return available - gap * (len(kept) - 1)

    def drop_one(allowed: Sequence[str]) -> bool:
        """Leave out the first column of ``DROP_ORDER`` still shown and ``allowed``; False when none is left."""
        candidates = [i for i in kept if columns[i].header in allowed]
        if not candidates:
            return False
        victim = min(candidates, key=lambda i: DROP_ORDER.index(columns[i].header))
        kept.remove(victim)
        dropped.append(columns[victim].header)
        return True

    while sum(floors[i] for i in kept) > room() and drop_one(DROP_ORDER):
        pass
    title = next((i for i, column in enumerate(columns) if column.header == "Title"), None)
    while title is not None and floors[title] + room() - sum(floors[i] for i in kept) < min(naturals[title],
                                                                                              TITLE_COMFORT):
        if not drop_one(OPTIONAL):
            break
    widths = {i: floors[i] for i in kept}
    spare = room() - sum(widths.values())
    # Title first, up to its natural width; then the other flexible columns share what is left, a column at a time.
    for i in kept:
        if columns[i].header == "Title":
            grow = min(spare, naturals[i] - widths[i])
            widths[i] += max(grow, 0)
            spare -= max(grow, 0)
    growing = [i for i in kept if columns[i].flexible and columns[i].header != "Title"]
    while spare > 0 and growing:
        growing = [i for i in growing if widths[i] < naturals[i]]
        for i in growing[:spare]:
            widths[i] += 1
            spare -= 1
    return [widths.get(i, 0) for i in range(len(columns))], dropped


def records_table(records, total, filters, terminal: bool, width: int | None = None) -> str:
    """``cpe list``'s table: a title naming the view, the rows fitted to the terminal, and the view's total."""
    import os

    from ..core.periods import describe
    from ..core.views import source_label
    from .output import credits, filter_words, plural

    records = list(records)
    columns = [Column("ID", "right"), Column("Date"), Column("Title", flexible=True), Column("Credits", "right"),
               Column("Field", flexible=True), Column("Delivery", flexible=True), Column("Provider", flexible=True),
               Column("State"), Column("Source"), Column("Tags", flexible=True), Column("Cert", "center")]
    rows = [[str(record.id), record.completed_on.isoformat(), record.title, credits(record.credits),
             record.field_of_study, record.delivery_method, record.provider, record.state or "", record.source,
             " ".join(record.tags), "✓" if record.certificate else ""] for record in records]
    rows = [[safe_text(cell) for cell in row] for row in rows]
    omitted = []
    if len({row[8] for row in rows}) <= 1:
        omitted.append(8)  # one source in view: the title says which
    if not any(row[7] for row in rows):
        omitted.append(7)  # no state on any record
    if not any(row[9] for row in rows):
        omitted.append(9)  # no tag on any record
    keep = [i for i in range(len(columns)) if i not in omitted]
    columns = [columns[i] for i in keep]
    rows = [[row[i] for i in keep] for row in rows]
    coloured = terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    bold = ("\x1b[1m", "\x1b[0m") if coloured else ("", "")
    dim = ("\x1b[2m", "\x1b[0m") if coloured else ("", "")
    if not width:
        from .terminal import terminal_size

        width = terminal_size()[0]
    available = width
    widths, dropped = layout(columns, rows, available)
    shown = [i for i, column in enumerate(columns) if column.header not in dropped]
    lines = render([columns[i] for i in shown], [[row[i] for i in shown] for row in rows], bold,
                   [widths[i] for i in shown])
    title = f"CPE records: {describe(filters.window)} ({source_label(filters.source)}{filter_words(filters)})"
    caption = f"{plural(total.count, 'record')}, {credits(total.credits)} credits"
    out = [bold[0] + line + bold[1] for line in wrap_text(title, available)]
    out += ["", *lines, "", caption]
    if dropped:
        footer = (f"Not shown at this width: {', '.join(dropped)} (widen the terminal, or use --format csv or "
                  "json)")
        out += [dim[0] + line + dim[1] for line in wrap_text(footer, available)]
    return "\n".join(out)


BAR_WIDTH = 24


def breakdown_table(key: str, rows, total, filters) -> str:
    """``cpe total --by KEY``: one row per key with its credits, records and a bar; the view's total under it."""
    from ..core.credits import from_hundredths
    from ..core.periods import describe
    from ..core.views import source_label
    from .output import filter_words
    from .output import credits, plain, plural

    headers = {"field": "Field of study", "delivery": "Delivery method", "source": "Source", "month": "Month",
               "year": "Year", "tag": "Tag"}
    largest = max((hundredths for _, hundredths, _ in rows), default=0) or 1
    shown = [(plain(name), credits(from_hundredths(hundredths)), f"{count:,}",
              "█" * round(BAR_WIDTH * hundredths / largest)) for name, hundredths, count in rows]
    widths = [max([len(headers[key])] + [len(row[0]) for row in shown]),
              max([len("Credits")] + [len(row[1]) for row in shown]),
              max([len("Records")] + [len(row[2]) for row in shown])]
    lines = [f"CPE credits by {key}: {describe(filters.window)} ({source_label(filters.source)}{filter_words(filters)})",
             "", f"{headers[key]:<{widths[0]}}  {'Credits':>{widths[1]}}  {'Records':>{widths[2]}}"]
    lines += [f"{name:<{widths[0]}}  {amount:>{widths[1]}}  {count:>{widths[2]}}  {bar}" for name, amount, count, bar
              in shown]
    if not rows:
        lines.append("(no records in this view)")
    lines += ["", f"Total: {credits(total.credits)} credits, {plural(total.count, 'record')}"]
    return "\n".join(lines)
