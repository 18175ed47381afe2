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

import textwrap
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

GAPS = ("  ", " ")  # the narrower gap only when the table would not fit otherwise
MIN_FLEXIBLE_WIDTH = 8  # at least the widest flexible header ("Delivery", "Provider")


@dataclass
class Column:
    header: str
    align: str = "left"  # left, right or center
    flexible: bool = False  # may be narrowed (and its text wrapped) to fit the terminal


def display_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
               for char in text)


def safe_text(value: str) -> str:
    """Show control characters as visible codes so stored text can never drive the terminal."""
    if value.isprintable():
        return value
    return "".join(char if unicodedata.category(char) != "Cc" else f"\\x{ord(char):02x}" for char in value)


def _fit(naturals: list[int], columns: Sequence[Column], available: int, gap: str) -> list[int]:
    """Column widths: the natural widths, with flexible columns narrowed (widest first) until the row fits."""
    widths = list(naturals)
    excess = sum(widths) + len(gap) * (len(widths) - 1) - available
    while excess > 0:
        candidates = [i for i, column in enumerate(columns) if column.flexible and widths[i] > MIN_FLEXIBLE_WIDTH]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        others = [widths[i] for i in candidates if i != widest]
        target = max(max(others, default=MIN_FLEXIBLE_WIDTH), MIN_FLEXIBLE_WIDTH, widths[widest] - excess)
        if target >= widths[widest]:
            target = widths[widest] - 1
        excess -= widths[widest] - target
        widths[widest] = target
    return widths


def _wrap(text: str, width: int) -> list[str]:
    if display_width(text) <= width:
        return [text]
    if text.isascii():
        return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]
    lines, current = [], ""
    for char in text:  # wide characters: fold by display width
        if display_width(current + char) > width:
            lines.append(current)
            current = ""
        current += char
    return lines + [current]


def _pad(text: str, width: int, align: str) -> str:
    room = width - display_width(text)
    if align == "right":
        return " " * room + text
    if align == "center":
        return " " * (room // 2) + text + " " * (room - room // 2)
    return text + " " * room


def render(columns: Sequence[Column], rows: Iterable[Sequence[str]], available: int,
           bold: tuple[str, str] = ("", "")) -> list[str]:
    """The table as lines of at most ``available`` columns (unless even the narrowest layout is wider)."""
    rows = [[safe_text(cell) for cell in row] for row in rows]
    naturals = [max([display_width(column.header), *(display_width(row[i]) for row in rows)])
                for i, column in enumerate(columns)]
    for gap in GAPS:
        widths = _fit(naturals, columns, available, gap)
        if sum(widths) + len(gap) * (len(widths) - 1) <= available:
            break
    on, off = bold
    header_cells = [_pad(column.header, width, column.align) for column, width in zip(columns, widths)]
    lines = [on + gap.join(header_cells).rstrip() + off, gap.join("─" * width for width in widths)]
    for row in rows:
        wrapped = [_wrap(cell, width) for cell, width in zip(row, widths)]
        for line_number in range(max(len(cell) for cell in wrapped)):
            cells = [_pad(cell[line_number] if line_number < len(cell) else "", width, column.align)
                     for cell, width, column in zip(wrapped, widths, columns)]
            lines.append(gap.join(cells).rstrip())
    return lines
