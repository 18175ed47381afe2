"""What ``cpe add`` does and prints, without Typer.

Shared by the Typer command and the start-up fast path (a script adding
records in a loop pays for neither Typer nor Rich), so both routes validate,
write and report alike.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from ..core.credits import format_total
from .reports import warn


def add_record(home: Path, today: date, given: dict[str, str | None], certificate: Path | None,
               interactive: bool) -> None:
    """Validate (through the form when ``interactive`` and something is missing), add, and report."""
    from .form import collect_record
    from ..core.views import Filters
    from ..store.ledger import open_ledger
    from ..core.periods import preset_window

    record, warnings, certificate_file = collect_record(given, certificate, today, home, interactive)
    for message in warnings:
        warn(message)
    with open_ledger(home) as ledger:
        added = ledger.add(record, certificate_file)
        ytd = ledger.total(Filters(window=preset_window("ytd", today)))
    if added.duplicate_of is not None:
        warn(f"record {added.id} looks like a duplicate of record {added.duplicate_of} "
             "(same source, title, date, provider, credits, field and method)")
    sys.stdout.write(f"Added record {added.id}: {record.credits} credits, {record.field_of_study}, "
                     f"{record.completed_on.isoformat()}.\n"
                     f"Total CPE credits, year to date: {format_total(ytd.credits)} "
                     f"({ytd.count} record{'s' if ytd.count != 1 else ''})\n")
