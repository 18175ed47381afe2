"""The Total CPE Credits badge, drawn with Rich (and the console for progress bars).

Imported only by commands that draw on a terminal, so that plain output
(the bare total, JSON, CSV, the list) never pays for loading Rich. The
records table is laid out by ``table.py``: Rich's Table costs about
1.5 ms a row.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from ..core.credits import format_total
from ..core.periods import Window, describe
from ..core.views import source_label


def console(stderr: bool = False) -> Console:
    """A console that follows the terminal: colour only on a TTY, none with NO_COLOR (Rich reads it)."""
    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=False)


def badge(total, window: Window, source: str, outside, narrowed: str = "") -> Panel:
    body = Text()
    body.append(format_total(total.credits), style="bold green")
    body.append(" credits\n")
    body.append(f"{describe(window)}\n", style="bold")
    body.append(f"{source_label(source)}{narrowed} · {total.count} record{'s' if total.count != 1 else ''}")
    if outside.count:
        from .output import outside_window

        body.append(f"\n{outside_window(outside)}", style="dim")
    elif not total.count and source == "all":
        body.append("\nNo records yet: add one with 'cpe add', or a CSV with 'cpe import FILE'", style="dim")
    return Panel(body, title="Total CPE Credits", title_align="left", expand=False, padding=(0, 2))


def print_badge(total, filters, outside) -> None:
    from .output import filter_words

    console().print(badge(total, filters.window, filters.source, outside, filter_words(filters)))
