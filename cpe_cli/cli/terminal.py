"""The terminal's size, as ``shutil.get_terminal_size`` reads it, without importing ``shutil``.

``shutil`` pulls in ``bz2``, ``lzma`` and ``zlib`` (3-5 ms) that the list,
the help and the status never use; they only need the size. The rules are
shutil's own (tests/test_output_targets.py compares the two): ``COLUMNS`` and
``LINES`` when set to a positive number, else the size of the terminal on
standard output, else the fallback.
"""

from __future__ import annotations

import os
import sys


def terminal_size(fallback: tuple[int, int] = (80, 24), stream=None) -> tuple[int, int]:
    """(columns, lines) of the terminal ``stream`` is on (standard output unless given)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    try:
        lines = int(os.environ["LINES"])
    except (KeyError, ValueError):
        lines = 0
    if columns <= 0 or lines <= 0:
        try:
            size = os.get_terminal_size((stream or sys.__stdout__).fileno())
        except (AttributeError, ValueError, OSError):
            size = os.terminal_size(fallback)
        if columns <= 0:
            columns = size.columns or fallback[0]
        if lines <= 0:
            lines = size.lines or fallback[1]
    return columns, lines
