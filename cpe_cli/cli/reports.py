"""What ``cpe total`` and ``cpe list`` print, without Typer.

Both the Typer commands and the start-up fast path (``fastpath.py``) call
these functions, so the two routes print the same bytes. Rich is loaded
only to draw on a terminal; JSON, CSV and the bare number never load it.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from ..core.credits import format_total


def warn(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr)


def show_total(home: Path, today: date, *, preset=None, start=None, end=None, year=None, source="all",
               field=None, as_json: bool = False, terminal: bool = False) -> None:
    """The badge on a terminal, the bare number in a pipe, or JSON."""
    from ..store.ledger import open_ledger
    from ..core.views import resolve_filters

    filters = resolve_filters(today, preset, start, end, year, source, field)
    with open_ledger(home) as ledger:
        result = ledger.total(filters)
        badge_wanted = terminal and not as_json
        outside = ledger.total_outside(filters, inside=result) if badge_wanted else None
    if as_json:
        import json

        window = filters.window
        sys.stdout.write(json.dumps({
            "total": float(result.credits), "count": result.count,
            "from": window.start.isoformat() if window.start else None,
            "to": window.end.isoformat() if window.end else None,
            "source": filters.source}) + "\n")
    elif badge_wanted:
        from .render import badge, console

        console().print(badge(result, filters.window, filters.source, outside))
    else:
        sys.stdout.write(format_total(result.credits) + "\n")


LIST_FORMATS = ("table", "csv", "json")
TERMINAL_LIMIT = 1000  # rows a terminal shows by default; nobody reads more, and the total covers them all


def show_list(home: Path, today: date, *, preset=None, start=None, end=None, year=None, source="all",
              field=None, output_format: str = "table", limit: int | None = None, terminal: bool = False) -> None:
    """The records of a view: a table (newest first), CSV (oldest first) or JSON (newest first).

    ``limit`` caps the rows (0: no cap); by default only a table on a
    terminal is capped, at ``TERMINAL_LIMIT``, with a line saying so.
    """
    from ..core.errors import CpeError
    from ..store.ledger import open_ledger
    from ..core.views import resolve_filters

    output_format = output_format.strip().lower()
    if output_format not in LIST_FORMATS:
        raise CpeError.invalid(f"unknown format {output_format!r}; accepted: {', '.join(LIST_FORMATS)}")
    if limit is not None and limit < 0:
        raise CpeError.invalid(f"--limit {limit} is negative; use 0 for no limit")
    if limit is None:
        limit = TERMINAL_LIMIT if terminal and output_format == "table" else 0
    filters = resolve_filters(today, preset, start, end, year, source, field)
    with open_ledger(home) as ledger:
        records = ledger.records(filters, newest_first=output_format != "csv", limit=limit or None)
        if output_format == "json":
            import json

            from ..core.serialize import record_json

            sys.stdout.write(json.dumps([record_json(r) for r in records], ensure_ascii=False, indent=2) + "\n")
        elif output_format == "csv":
            from ..core.serialize import write_csv

            write_csv(records, sys.stdout)
        else:
            result = ledger.total(filters)
            if not result.count:
                from ..core.periods import describe

                warn(f"no records in {filters.window.label.lower()} ({describe(filters.window)})")
                outside = ledger.total_outside(filters, inside=result)
                if outside.count:
                    warn(f"{outside.count} record(s) ({format_total(outside.credits)} credits) are outside this "
                         "window; see them with --preset all-time")
                return
            sys.stdout.write("\n".join(_table_lines(records, result, filters, terminal)) + "\n")
            if limit and result.count > limit:
                warn(f"showing the newest {limit:,} of {result.count:,} records; --limit 0 shows all, "
                     "--format csv exports them")


def _table_lines(records, total, filters, terminal: bool) -> list[str]:
    import os
    import shutil

    from ..core.credits import canonical_text
    from ..core.periods import describe
    from .table_text import Column, render
    from ..core.views import source_label

    show_source = filters.source == "all"
    columns = [Column("ID", "right"), Column("Date"), Column("Title", flexible=True), Column("Credits", "right"),
               Column("Field", flexible=True), Column("Delivery", flexible=True), Column("Provider", flexible=True),
               Column("State")]
    if show_source:
        columns.append(Column("Source"))
    columns.append(Column("Cert", "center"))
    rows = []
    for record in records:
        row = [str(record.id), record.completed_on.isoformat(), record.title, canonical_text(record.credits),
               record.field_of_study, record.delivery_method, record.provider, record.state or ""]
        if show_source:
            row.append(record.source)
        row.append("✓" if record.certificate else "")
        rows.append(row)
    coloured = terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    bold = ("\x1b[1m", "\x1b[0m") if coloured else ("", "")
    width = shutil.get_terminal_size((80, 24)).columns
    title = f"CPE records: {describe(filters.window)} ({source_label(filters.source)})"
    caption = f"{total.count:,} record{'s' if total.count != 1 else ''}, {format_total(total.credits)} credits"
    return [bold[0] + title + bold[1], "", *render(columns, rows, width, bold), "", caption]
