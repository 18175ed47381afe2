"""What ``cpe total`` and ``cpe list`` print, without Typer.

Both the Typer commands and the start-up fast path (``fastpath.py``) call
these functions, so the two routes print the same bytes. Rich is loaded
only to draw on a terminal; JSON, CSV and the bare number never load it.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from .credits import format_total


def warn(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr)


def show_total(home: Path, today: date, *, preset=None, start=None, end=None, year=None, source="all",
               field=None, as_json: bool = False, terminal: bool = False) -> None:
    """The badge on a terminal, the bare number in a pipe, or JSON."""
    from .ledger import open_ledger
    from .views import resolve_filters

    filters = resolve_filters(today, preset, start, end, year, source, field)
    with open_ledger(home) as ledger:
        result = ledger.total(filters)
        badge_wanted = terminal and not as_json
        outside = ledger.total_outside(filters) if badge_wanted else None
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


def show_list(home: Path, today: date, *, preset=None, start=None, end=None, year=None, source="all",
              field=None, output_format: str = "table") -> None:
    """The records of a view: a Rich table (newest first), CSV (oldest first) or JSON (newest first)."""
    from .errors import CpeError
    from .ledger import open_ledger
    from .views import resolve_filters

    output_format = output_format.strip().lower()
    if output_format not in LIST_FORMATS:
        raise CpeError.invalid(f"unknown format {output_format!r}; accepted: {', '.join(LIST_FORMATS)}")
    filters = resolve_filters(today, preset, start, end, year, source, field)
    with open_ledger(home) as ledger:
        if output_format == "json":
            import json

            from .serialize import record_json

            sys.stdout.write(json.dumps([record_json(r) for r in ledger.records(filters)], ensure_ascii=False,
                                        indent=2) + "\n")
        elif output_format == "csv":
            from .serialize import write_csv

            write_csv(ledger.records(filters, newest_first=False), sys.stdout)
        else:
            result = ledger.total(filters)
            if not result.count:
                from .periods import describe

                warn(f"no records in {filters.window.label.lower()} ({describe(filters.window)})")
                outside = ledger.total_outside(filters)
                if outside.count:
                    warn(f"{outside.count} record(s) ({format_total(outside.credits)} credits) are outside this "
                         "window; see them with --preset all-time")
                return
            from .render import console, records_table

            console().print(records_table(ledger.records(filters), result, filters.window, filters.source))
