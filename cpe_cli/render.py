"""Rich output: the records table and the Total CPE Credits badge.

Imported only by commands that draw on a terminal, so that plain output
(the bare total, JSON, CSV) never pays for loading Rich.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .catalog import SOURCE_LABELS
from .credits import canonical_text, format_total
from .ledger import Total
from .periods import Window, describe
from .records import StoredRecord


def console(stderr: bool = False) -> Console:
    """A console that follows the terminal: colour only on a TTY, none with NO_COLOR (Rich reads it)."""
    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=False)


def safe_text(value: str) -> str:
    """Show control characters as visible codes so stored text can never drive the terminal."""
    if value.isprintable():
        return value
    return "".join(char if unicodedata.category(char) != "Cc" else f"\\x{ord(char):02x}" for char in value)


def source_label(source: str) -> str:
    return "All sources" if source == "all" else SOURCE_LABELS.get(source, source)


def records_table(records: Iterable[StoredRecord], total: Total, window: Window, source: str) -> Table:
    """The list view; the Source column is left out when the view is one source already."""
    from rich import box

    table = Table(title=f"CPE records: {describe(window)} ({source_label(source)})", title_justify="left",
                  caption=f"{total.count} record{'s' if total.count != 1 else ''}, "
                          f"{format_total(total.credits)} credits",
                  caption_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, expand=False)
    show_source = source == "all"
    table.add_column("ID", justify="right")
    table.add_column("Date", no_wrap=True)
    table.add_column("Title", overflow="fold", min_width=12)
    table.add_column("Credits", justify="right", no_wrap=True)
    table.add_column("Field", overflow="fold")
    table.add_column("Delivery", overflow="fold")
    table.add_column("Provider", overflow="fold")
    table.add_column("State")
    if show_source:
        table.add_column("Source")
    table.add_column("Cert", justify="center")
    for record in records:
        cells = [str(record.id), record.completed_on.isoformat(), Text(safe_text(record.title)),
                 canonical_text(record.credits), record.field_of_study, record.delivery_method,
                 Text(safe_text(record.provider)), record.state or ""]
        if show_source:
            cells.append(record.source)
        cells.append("✓" if record.certificate else "")
        table.add_row(*cells)
    return table


def badge(total: Total, window: Window, source: str, outside: Total) -> Panel:
    body = Text()
    body.append(format_total(total.credits), style="bold green")
    body.append(" credits\n")
    body.append(f"{describe(window)}\n", style="bold")
    body.append(f"{source_label(source)} · {total.count} record{'s' if total.count != 1 else ''}")
    if outside.count:
        body.append(f"\n{outside.count} record{'s' if outside.count != 1 else ''} "
                    f"({format_total(outside.credits)} credits) fall outside this window; "
                    "see them with --preset all-time", style="dim")
    return Panel(body, title="Total CPE Credits", title_align="left", expand=False, padding=(0, 2))
